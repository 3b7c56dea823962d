/*
 * Routes: refs/mreg/routes/<route>, a linear chain of signed commits whose
 * `route` file says which version serves each stage.  Reading is the
 * serving path (one ref, one commit, one blob); every move is a new
 * commit put in place by compare-and-swap, together with the status
 * chains of the versions it moves.
 */
#include "internal.h"
#include "route.h"
#include "mreg/name.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char zero_id[] = "0000000000000000000000000000000000000000";

void route_slot_clear(struct mreg_route_slot *s)
{
	free(s->ref);
	memset(s, 0, sizeof(*s));
}

void mreg_route_free(struct mreg_route *r)
{
	route_release(r);
	free(r);
}

void route_release(struct mreg_route *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->action);
	route_slot_clear(&r->production);
	route_slot_clear(&r->canary);
	route_slot_clear(&r->shadow);
	route_slot_clear(&r->previous);
	free(r->policy);
	free(r->reason);
	free(r->author);
	free(r->committer);
	memset(r, 0, sizeof(*r));
}

void route_slot_copy(struct mreg_route_slot *dst, const struct mreg_route_slot *src)
{
	route_slot_clear(dst);
	if (!src->ref)
		return;
	dst->ref = xstrdup(src->ref);
	memcpy(dst->digest, src->digest, sizeof(dst->digest));
	dst->percent = src->percent;
}

void route_slot_set(struct mreg_route_slot *dst, const char *ref, const char *digest,
		    double percent)
{
	route_slot_clear(dst);
	dst->ref = xstrdup(ref);
	snprintf(dst->digest, sizeof(dst->digest), "%s", digest);
	dst->percent = percent;
}

int route_parse_percent(double *out, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*end == '%')
		end++;
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 100)
		return mreg_error_set(MREG_EINVALID,
				      "invalid percentage '%s': use a number from 0 to 100", s);
	*out = v;
	return 0;
}

void mreg_percent_format(char *buf, size_t len, double v)
{
	int p;

	/* fixed point, as few decimals as read back the same: 10%, 0.5% */
	for (p = 0; p < 17; p++) {
		snprintf(buf, len, "%.*f%%", p, v);
		if (strtod(buf, NULL) == v)
			break;
	}
}

static void add_percent(struct strbuf *sb, double v)
{
	char buf[64];

	mreg_percent_format(buf, sizeof(buf), v);
	strbuf_addstr(sb, buf);
}

static void add_slot(struct strbuf *sb, const char *key, const struct mreg_route_slot *s,
		     const char *pct)
{
	if (!s->ref)
		return;
	strbuf_addf(sb, "%s %s %s", key, s->ref, s->digest);
	if (pct) {
		strbuf_addf(sb, " %s ", pct);
		add_percent(sb, s->percent);
	}
	strbuf_addch(sb, '\n');
}

void route_format(struct strbuf *sb, const struct mreg_route *r)
{
	const char *p;

	strbuf_addf(sb, "mreg-route 1\nroute %s\nseq %lu\nprev %s\naction %s\n",
		    r->name, r->seq, r->prev, r->action);
	add_slot(sb, "production", &r->production, NULL);
	add_slot(sb, "canary", &r->canary, "traffic");
	add_slot(sb, "shadow", &r->shadow, "sample");
	add_slot(sb, "previous-production", &r->previous, NULL);
	strbuf_addf(sb, "policy %s\nreason ", r->policy ? r->policy : zero_id);
	for (p = r->reason ? r->reason : ""; *p; p++)
		strbuf_addch(sb, *p == '\n' || *p == '\r' ? ' ' : *p);
	strbuf_addch(sb, '\n');
}

static int bad_route(const char *why, const char *line)
{
	return mreg_error_set(MREG_ECORRUPT, "malformed route file: %s: '%.60s'", why, line);
}

static int parse_slot(struct mreg_route_slot *s, const char *v, const char *pct)
{
	const char *sp = strchr(v, ' '), *d;
	struct strbuf want = STRBUF_INIT;
	int err = 0;

	if (!sp || !starts_with(sp + 1, "sha256:") || strlen(sp + 1) < 7 + 64)
		return bad_route("a slot needs NAME@VERSION and a digest", v);
	d = sp + 1;
	if (!is_hex(d + 7, 64))
		return bad_route("bad digest", v);
	route_slot_clear(s);
	s->ref = xstrndup(v, sp - v);
	memcpy(s->digest, d, 7 + 64);
	s->digest[7 + 64] = '\0';
	d += 7 + 64;
	if (pct) {
		strbuf_addf(&want, " %s ", pct);
		if (!starts_with(d, want.buf) ||
		    route_parse_percent(&s->percent, d + want.len) < 0 ||
		    d[strlen(d) - 1] != '%')
			err = bad_route("bad percentage", v);
	} else if (*d) {
		err = bad_route("trailing text after the digest", v);
	}
	strbuf_release(&want);
	return err;
}

int route_parse(struct mreg_route *r, const char *text, size_t len)
{
	static const char *const order[] = {
		"mreg-route", "route", "seq", "prev", "action", "production", "canary",
		"shadow", "previous-production", "policy", "reason",
	};
	const char *p = text, *end = text + len;
	size_t at = 0;
	int err = 0;

	if (memchr(text, '\0', len))
		return bad_route("NUL byte", "");
	while (p < end && !err) {
		const char *eol = memchr(p, '\n', end - p);
		char *line, *sp;
		size_t i;

		if (!eol)
			return bad_route("no final newline", p);
		line = xstrndup(p, eol - p);
		sp = strchr(line, ' ');
		if (sp)
			*sp = '\0';
		for (i = at; i < ARRAY_SIZE(order) && strcmp(order[i], line); i++)
			;
		if (i == ARRAY_SIZE(order) || !sp) {
			if (sp)
				*sp = ' ';
			err = bad_route("unexpected line", line);
		} else {
			const char *v = sp + 1;

			at = i + 1;
			if (i == 0) {
				if (strcmp(v, "1"))
					err = bad_route("unknown format", v);
			} else if (i == 1)
				r->name = xstrdup(v);
			else if (i == 2) {
				char *rest;

				r->seq = strtoul(v, &rest, 10);
				if (*rest || rest == v || *v == '-' || *v == '+')
					err = bad_route("bad seq", v);
			}
			else if (i == 3 && strlen(v) == 40 && is_hex(v, 40))
				memcpy(r->prev, v, 41);
			else if (i == 3)
				err = bad_route("bad prev", v);
			else if (i == 4 && !strcmp(v, "promote") + !strcmp(v, "rollback") +
				 !strcmp(v, "retire") + !strcmp(v, "set-traffic"))
				r->action = xstrdup(v);
			else if (i == 4)
				err = bad_route("unknown action", v);
			else if (i == 5)
				err = parse_slot(&r->production, v, NULL);
			else if (i == 6)
				err = parse_slot(&r->canary, v, "traffic");
			else if (i == 7)
				err = parse_slot(&r->shadow, v, "sample");
			else if (i == 8)
				err = parse_slot(&r->previous, v, NULL);
			else if (i == 9)
				r->policy = xstrdup(v);
			else
				r->reason = xstrdup(v);
		}
		free(line);
		p = eol + 1;
	}
	if (!err && (!at || !r->name || !r->seq || !r->action || !r->policy || !r->reason ||
		     !r->prev[0]))
		err = bad_route("a required line is missing", "");
	return err;
}

/* Reads the route file of commit `id` into `r` (which it fills). */
int route_read_commit(struct mreg_route *r, struct mreg_registry *reg, const git_oid *id)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	const git_tree_entry *e;
	git_blob *blob = NULL;
	const git_signature *a, *cm;
	struct strbuf who = STRBUF_INIT;
	int err;

	git_oid_tostr(r->commit, sizeof(r->commit), id);
	if (git_commit_lookup(&c, reg->repo, id) < 0 || git_commit_tree(&tree, c) < 0 ||
	    !(e = git_tree_entry_byname(tree, "route")) ||
	    git_blob_lookup(&blob, reg->repo, git_tree_entry_id(e)) < 0) {
		err = mreg_error_set(MREG_ECORRUPT, "commit %s has no readable route file",
				     r->commit);
		goto done;
	}
	if ((err = route_parse(r, git_blob_rawcontent(blob),
			       (size_t)git_blob_rawsize(blob))) < 0)
		goto done;
	r->time = git_commit_time(c);
	a = git_commit_author(c);
	cm = git_commit_committer(c);
	strbuf_addf(&who, "%s <%s>", a->name, a->email);
	r->author = strbuf_detach(&who, NULL);
	strbuf_addf(&who, "%s <%s>", cm->name, cm->email);
	r->committer = strbuf_detach(&who, NULL);
done:
	git_blob_free(blob);
	git_tree_free(tree);
	git_commit_free(c);
	return err;
}

int route_head(git_oid *id, struct mreg_registry *reg, const char *name)
{
	struct strbuf ref = STRBUF_INIT;
	int err = 0, r;

	if ((err = mreg_name_check("route name", name)) < 0)
		return err;
	strbuf_addf(&ref, "refs/mreg/routes/%s", name);
	r = git_reference_name_to_id(id, reg->repo, ref.buf);
	if (r == GIT_ENOTFOUND)
		err = mreg_error_set(MREG_ENOTFOUND, "no such route '%s'", name);
	else if (r < 0)
		err = mreg_error_git("cannot read route");
	strbuf_release(&ref);
	return err;
}

int mreg_route_read(struct mreg_route **out, struct mreg_registry *reg,
		    const char *name)
{
	struct mreg_route *r;
	git_oid id;
	int err;

	*out = NULL;
	if ((err = route_head(&id, reg, name)) < 0)
		return err;
	r = xcalloc(1, sizeof(*r));
	if ((err = route_read_commit(r, reg, &id)) < 0) {
		mreg_route_free(r);
		return err;
	}
	*out = r;
	return 0;
}

const struct mreg_route_slot *route_slot(const struct mreg_route *r, const char *stage)
{
	if (!stage || !strcmp(stage, "production"))
		return &r->production;
	if (!strcmp(stage, "canary"))
		return &r->canary;
	if (!strcmp(stage, "shadow"))
		return &r->shadow;
	if (!strcmp(stage, "previous-production"))
		return &r->previous;
	return NULL;
}

int mreg_route_resolve(char **ref, char *digest, struct mreg_registry *reg,
		       const char *name, const char *stage)
{
	struct mreg_route *r = NULL;
	const struct mreg_route_slot *s;
	int err;

	*ref = NULL;
	if (stage && !route_slot_name_ok(stage))
		return mreg_error_set(MREG_EINVALID,
				      "unknown stage '%s' (production, canary, shadow, previous-production)",
				      stage);
	if ((err = mreg_route_read(&r, reg, name)) < 0)
		return err;
	s = route_slot(r, stage);
	if (!s->ref) {
		err = mreg_error_set(MREG_ENOTFOUND, "route '%s' has no %s version", name,
				     stage ? stage : "production");
	} else {
		*ref = xstrdup(s->ref);
		memcpy(digest, s->digest, sizeof(s->digest));
	}
	mreg_route_free(r);
	return err;
}

int route_slot_name_ok(const char *stage)
{
	return !strcmp(stage, "production") || !strcmp(stage, "canary") ||
	       !strcmp(stage, "shadow") || !strcmp(stage, "previous-production");
}
