/*
 * mreg verify: walk every chain from its root.  Each commit must carry
 * only the headers and files its kind has, continue its parent's seq and
 * prev, be signed by a key the policy in force allowed to make that move,
 * name digests that exist and hash right, and (for production moves)
 * carry its quorum of approvals.  A head that went backwards since the
 * last verification, or since a reflog entry, is a rewound ref.
 *
 * Here: the run (the chains it checks, the policies and versions it has
 * checked), the checks every kind of commit gets, and the status and
 * policy chains.  The route chain's own rules are in verify-route.c.
 */
#include "internal.h"
#include "chain.h"
#include "policy.h"
#include "route.h"
#include "status.h"
#include "tempfile.h"
#include "verify.h"
#include "mreg/model.h"
#include "mreg/status.h"
#include "mreg/verify.h"

#include <stdio.h>
#include <stdlib.h>

static const char zero_id[] = "0000000000000000000000000000000000000000";

static void verifier_release(struct verifier *v)
{
	size_t i;

	for (i = 0; i < v->nr_cache; i++)
		policy_free(v->cache[i]);
	for (i = 0; i < v->nr_ok; i++) {
		free(v->ok[i].ref);
		free(v->ok[i].digest);
	}
	free(v->ok);
	for (i = 0; i < v->nr_seen; i++) {
		free(v->seen[i].hex);
		free(v->seen[i].why);
	}
	free(v->seen);
}

int walk_fail(struct walk *w, const git_oid *id, const char *fmt, ...)
{
	va_list ap;

	if (id)
		git_oid_tostr(w->bad, sizeof(w->bad), id);
	strbuf_reset(&w->msg);
	va_start(ap, fmt);
	strbuf_vaddf(&w->msg, fmt, ap);
	va_end(ap);
	return MREG_EBADSIG;
}

static const struct policy *policy_at(struct verifier *v, const char *hex)
{
	struct policy *p = NULL;
	size_t i;

	if (!hex)
		hex = zero_id;
	for (i = 0; i < v->nr_cache; i++)
		if (!strcmp(v->cache[i]->commit, hex))
			return v->cache[i];
	if (policy_load(&p, v->reg, hex) < 0)
		return NULL;
	if (v->nr_cache == ARRAY_SIZE(v->cache)) {
		policy_free(v->cache[0]);
		memmove(v->cache, v->cache + 1, sizeof(v->cache[0]) * (v->nr_cache - 1));
		v->nr_cache--;
	}
	v->cache[v->nr_cache++] = p;
	return p;
}

/* The chain from `head` back to its root, root first. */
static int load_chain(struct walk *w, const git_oid *head)
{
	size_t alloc = 0;
	git_oid id = *head;

	for (;;) {
		git_commit *c = NULL;

		if (git_commit_lookup(&c, w->v->reg->repo, &id) < 0)
			return walk_fail(w, &id, "cannot read commit");
		ALLOC_GROW(w->ids, w->nr + 1, alloc);
		w->ids[w->nr++] = id;
		if (git_commit_parentcount(c) > 1) {
			git_commit_free(c);
			return walk_fail(w, &id, "a merge commit in a linear chain");
		}
		if (!git_commit_parentcount(c)) {
			git_commit_free(c);
			break;
		}
		id = *git_commit_parent_id(c, 0);
		git_commit_free(c);
	}
	{
		size_t i;

		for (i = 0; i < w->nr / 2; i++) {
			git_oid t = w->ids[i];

			w->ids[i] = w->ids[w->nr - 1 - i];
			w->ids[w->nr - 1 - i] = t;
		}
	}
	return 0;
}

static void state_path(struct strbuf *sb, struct mreg_registry *reg, const char *ref)
{
	strbuf_addf(sb, "%s/verified/%s", reg->dir, ref);
}

static int oid_order(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

/*
 * A head that went backwards: the last verified head and every head the
 * reflog recorded must be commits of the chain just loaded (w->ids), a
 * lookup in a sorted copy rather than a graph walk per entry.
 */
static int check_not_rewound(struct walk *w, const git_oid *head)
{
	struct strbuf path = STRBUF_INIT, seen = STRBUF_INIT;
	git_reflog *log = NULL;
	git_oid last, *sorted = xmalloc(sizeof(*sorted) * (w->nr ? w->nr : 1));
	size_t i, n;
	int err = 0;

	memcpy(sorted, w->ids, sizeof(*sorted) * w->nr);
	qsort(sorted, w->nr, sizeof(*sorted), oid_order);
#define IN_CHAIN(id) (w->nr && bsearch((id), sorted, w->nr, sizeof(*sorted), oid_order))

	state_path(&path, w->v->reg, w->ref);
	if (!strbuf_read_file(&seen, path.buf, 128)) {
		strbuf_rtrim(&seen);
		if (git_oid_fromstr(&last, seen.buf) < 0)
			err = walk_fail(w, head, "the verified state '%s' is damaged", path.buf);
		else if (!IN_CHAIN(&last))
			err = walk_fail(w, head, "the ref was rewound: it was verified at %s, "
					"which its head no longer contains", seen.buf);
	}
	if (!err && !git_reflog_read(&log, w->v->reg->repo, w->ref)) {
		n = git_reflog_entrycount(log);
		for (i = 0; i < n && !err; i++) {
			const git_oid *id = git_reflog_entry_id_new(git_reflog_entry_byindex(log, i));
			char hex[GIT_OID_HEXSZ + 1];

			if (git_oid_is_zero(id) || IN_CHAIN(id))
				continue;
			git_oid_tostr(hex, sizeof(hex), id);
			err = walk_fail(w, head, "the ref was rewound: its reflog names %s, "
					"which its head no longer contains", hex);
		}
	}
#undef IN_CHAIN
	free(sorted);
	git_reflog_free(log);
	strbuf_release(&path);
	strbuf_release(&seen);
	return err;
}

static void remember(struct verifier *v, const char *ref, const git_oid *head)
{
	struct strbuf path = STRBUF_INIT, dir = STRBUF_INIT;
	struct tempfile *t;
	char hex[GIT_OID_HEXSZ + 2];

	state_path(&path, v->reg, ref);
	strbuf_add(&dir, path.buf, strrchr(path.buf, '/') - path.buf);
	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, head);
	hex[GIT_OID_HEXSZ] = '\n';
	hex[GIT_OID_HEXSZ + 1] = '\0';
	/* The state is a convenience: the verification stands without it. */
	if (!mkdir_p(dir.buf) && (t = tempfile_create(dir.buf, ".verified-", 0644))) {
		if (!write_all(t->fd, hex, GIT_OID_HEXSZ + 1))
			tempfile_rename(t, path.buf);
		tempfile_delete(t);
	}
	strbuf_release(&path);
	strbuf_release(&dir);
}

static int seen_cmp(const struct mreg_file *f, const struct artifact_seen *s)
{
	int c = strcmp(f->sha256, s->hex);

	return c ? c : f->size < s->size ? -1 : f->size > s->size;
}

/*
 * Why the artifact `f` fails, or NULL when it is in the store with its
 * size and (unless quick) bytes that hash to its name.  Each artifact is
 * checked once per run, however many versions and chains name it: the
 * same weights are often in many versions, and hashing them is most of
 * the cost of a verify.  The verdict, good or bad, is kept and lent.
 */
static const char *artifact_problem(struct verifier *v, const struct mreg_file *f)
{
	struct artifact_seen *s;
	size_t lo = 0, hi = v->nr_seen;
	int err = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = seen_cmp(f, &v->seen[mid]);

		if (!c)
			return v->seen[mid].why;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (!v->quick)
		err = mreg_store_verify(v->reg, f->sha256, f->size, NULL, NULL);
	else if (!mreg_store_has(v->reg, f->sha256, f->size))
		err = mreg_error_set(MREG_ECORRUPT, "artifact %s is missing from the store",
				     f->sha256);
	ALLOC_GROW(v->seen, v->nr_seen + 1, v->alloc_seen);
	memmove(v->seen + lo + 1, v->seen + lo, sizeof(*v->seen) * (v->nr_seen - lo));
	v->nr_seen++;
	s = &v->seen[lo];
	s->hex = xstrdup(f->sha256);
	s->size = f->size;
	s->why = err < 0 ? xstrdup(mreg_error_last()) : NULL;
	return s->why;
}

int walk_check_digest(struct walk *w, const git_oid *id, const char *ref,
		      const char *digest)
{
	struct verifier *v = w->v;
	struct mreg_model *m = NULL;
	struct digest_ok *d;
	size_t i;

	for (i = 0; i < v->nr_ok; i++)
		if (!strcmp(v->ok[i].ref, ref) && !strcmp(v->ok[i].digest, digest))
			return 0;
	{
		const char *at = strchr(ref, '@');
		char *name = at ? xstrndup(ref, at - ref) : NULL;
		int r = name ? model_load_at(&m, v->reg, v->prefix, name, at + 1)
			     : mreg_error_set(MREG_EINVALID, "not NAME@VERSION");

		free(name);
		if (r < 0)
			return walk_fail(w, id, "names %s, which cannot be read: %s", ref,
					 mreg_error_last());
	}
	if (strcmp(m->digest, digest)) {
		int err = walk_fail(w, id, "names %s as %s, but its bundle is %s", ref, digest,
				    m->digest);

		mreg_model_free(m);
		return err;
	}
	for (i = 0; i < m->nr_files && !v->no_artifacts; i++) {
		const char *why;

		if (mreg_file_in_store(&m->files[i]) &&
		    (why = artifact_problem(v, &m->files[i]))) {
			walk_fail(w, id, "%s: %s", ref, why);
			mreg_model_free(m);
			return MREG_EBADSIG;
		}
	}
	mreg_model_free(m);
	ALLOC_GROW(v->ok, v->nr_ok + 1, v->alloc_ok);
	d = &v->ok[v->nr_ok++];
	d->ref = xstrdup(ref);
	d->digest = xstrdup(digest);
	return 0;
}

int walk_check_tree(struct walk *w, const git_oid *id, const git_tree *tree,
		    const char *const *allowed)
{
	size_t i, n = git_tree_entrycount(tree);

	for (i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		size_t j;
		int ok = 0;

		for (j = 0; allowed[j] && !ok; j++)
			ok = !strcmp(name, allowed[j]) &&
			     git_tree_entry_type(e) == GIT_OBJECT_BLOB;
		if (!ok && !strcmp(name, "approvals") &&
		    git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			git_tree *sub = NULL;
			size_t k, m;

			if (git_tree_lookup(&sub, w->v->reg->repo, git_tree_entry_id(e)) < 0)
				return walk_fail(w, id, "cannot read its approvals/ tree");
			ok = 1;
			m = git_tree_entrycount(sub);
			for (k = 0; k < m && ok; k++) {
				const char *f = git_tree_entry_name(git_tree_entry_byindex(sub, k));
				size_t len = strlen(f);

				ok = len > 64 && is_hex(f, 64) &&
				     (!strcmp(f + 64, ".statement") || !strcmp(f + 64, ".sig"));
				if (!ok)
					walk_fail(w, id, "unexpected file 'approvals/%s'", f);
			}
			git_tree_free(sub);
			if (!ok)
				return MREG_EBADSIG;
		}
		if (!ok)
			return walk_fail(w, id, "unexpected path '%s' in the tree", name);
	}
	return 0;
}

/* `s` is exactly the number `n`: "1junk", "01" and "+1" are not 1. */
static int is_decimal(const char *s, size_t n)
{
	char want[32];

	snprintf(want, sizeof(want), "%zu", n);
	return !strcmp(s, want);
}

int verify_read_file(struct strbuf *out, struct mreg_registry *reg, const git_tree *tree,
		     const char *name)
{
	const git_tree_entry *e = git_tree_entry_byname(tree, name);
	git_blob *b = NULL;

	if (!e || git_blob_lookup(&b, reg->repo, git_tree_entry_id(e)) < 0)
		return -1;
	strbuf_add(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	git_blob_free(b);
	return 0;
}

int walk_check_signature(struct walk *w, const git_oid *id, struct mreg_pubkey *key)
{
	const char *msg;
	char hex[GIT_OID_HEXSZ + 1];

	if (!chain_check_commit(key, w->v->reg, id))
		return 0;
	/* The report names the commit already: "commit X: commit X is ..." reads twice. */
	msg = mreg_error_last();
	git_oid_tostr(hex, sizeof(hex), id);
	if (starts_with(msg, "commit ") && starts_with(msg + 7, hex)) {
		msg += 7 + GIT_OID_HEXSZ;
		msg += *msg == ':' ? 2 : *msg == ' ' ? 1 : 0;
	}
	return walk_fail(w, id, "%s", msg);
}

int walk_check_allowed(struct walk *w, const git_oid *id, const struct mreg_pubkey *key,
		       const char *policy_hex, const char *action, const char *route,
		       const char *stage, int64_t when, const struct policy **used)
{
	const struct policy *p;
	const char *who;

	p = policy_at(w->v, policy_hex);
	if (!p)
		return walk_fail(w, id, "names policy %s, which cannot be read", policy_hex);
	if (policy_check(&who, p, key, action, route, stage, when) < 0)
		return walk_fail(w, id, "%s", mreg_error_last());
	if (used)
		*used = p;
	return 0;
}

int walk_check_policy_order(struct walk *w, const git_oid *id, const char *now,
			    const char *before)
{
	git_oid a, b, head;
	struct strbuf policy_ref = STRBUF_INIT;
	int r;

	strbuf_addf(&policy_ref, "%spolicy", w->v->prefix);
	r = git_reference_name_to_id(&head, w->v->reg->repo, policy_ref.buf);
	strbuf_release(&policy_ref);
	if (!strcmp(now, zero_id))
		return strcmp(before, zero_id)
			? walk_fail(w, id, "names no policy after an earlier commit named %s", before)
			: 0;
	if (git_oid_fromstr(&a, now) < 0)
		return walk_fail(w, id, "names an invalid policy '%s'", now);
	if (r < 0 || !chain_reaches(w->v->reg, &head, &a))
		return walk_fail(w, id, "names policy %s, which is not on refs/mreg/policy", now);
	if (strcmp(before, zero_id) && (git_oid_fromstr(&b, before) < 0 ||
					 !chain_reaches(w->v->reg, &a, &b)))
		return walk_fail(w, id, "names policy %s, older than the %s an earlier commit named",
				 now, before);
	return 0;
}

/* Which policy action a status commit's action is checked against. */
static const char *status_policy_action(const char *action)
{
	if (!strcmp(action, "route"))
		return "promote";
	if (!strcmp(action, "gate"))
		return "status";
	return action;
}

static int verify_status(struct walk *w, const char *name, const char *version)
{
	struct strbuf model = STRBUF_INIT, text = STRBUF_INIT;
	char *state = NULL, *digest0 = NULL, *policy = NULL;
	size_t i;
	int err = 0;

	strbuf_addf(&model, "%s@%s", name, version);
	for (i = 0; i < w->nr && !err; i++) {
		static const char *const allowed[] = { "status", "gate.json", NULL };
		static const char *const actions[] = {
			"register", "status", "route", "approve", "gate",
		};
		const git_oid *id = &w->ids[i];
		git_commit *c = NULL;
		git_tree *tree = NULL;
		struct mreg_pubkey key;
		char *f[9] = { NULL };
		static const char *const keys[] = {
			"model", "digest", "seq", "prev", "action", "from", "state", "policy", "reason",
		};
		char prev_hex[GIT_OID_HEXSZ + 1];
		size_t k;

		strbuf_reset(&text);
		if (git_commit_lookup(&c, w->v->reg->repo, id) < 0 || git_commit_tree(&tree, c) < 0) {
			err = walk_fail(w, id, "cannot read commit");
			goto next;
		}
		if ((err = walk_check_tree(w, id, tree, allowed)) < 0)
			goto next;
		if (verify_read_file(&text, w->v->reg, tree, "status") < 0 ||
		    !starts_with(text.buf, "mreg-status 1\n")) {
			err = walk_fail(w, id, "has no readable status file");
			goto next;
		}
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (!(f[k] = status_field(text.buf, keys[k]))) {
				err = walk_fail(w, id, "its status file has no '%s'", keys[k]);
				goto next;
			}
		if (i)
			git_oid_tostr(prev_hex, sizeof(prev_hex), &w->ids[i - 1]);
		else
			memcpy(prev_hex, zero_id, sizeof(prev_hex));
		for (k = 0; k < ARRAY_SIZE(actions); k++)
			if (!strcmp(f[4], actions[k]))
				break;
		if (strcmp(f[0], model.buf))
			err = walk_fail(w, id, "is the status of %s", f[0]);
		else if (!is_decimal(f[2], i + 1) || strcmp(f[3], prev_hex))
			err = walk_fail(w, id, "has seq %s and prev %.12s, but it is commit %zu after %.12s",
					f[2], f[3], i + 1, prev_hex);
		else if (k == ARRAY_SIZE(actions))
			err = walk_fail(w, id, "has an unknown action '%s'", f[4]);
		else if (!i && (strcmp(f[4], "register") || strcmp(f[6], "candidate")))
			err = walk_fail(w, id, "a status chain must start with register -> candidate");
		else if (i && strcmp(f[5], state))
			err = walk_fail(w, id, "moves from %s, but the version was %s", f[5], state);
		else if (i && strcmp(f[5], f[6]) && !mreg_status_transition_allowed(f[5], f[6]))
			err = walk_fail(w, id, "moves from %s to %s, which the lifecycle does not allow",
					f[5], f[6]);
		else if (i && strcmp(f[1], digest0))
			err = walk_fail(w, id, "names digest %s, but the chain began with %s", f[1], digest0);
		if (!err)
			err = walk_check_policy_order(w, id, f[7], i ? policy : zero_id);
		if (!err)
			if (!(err = walk_check_signature(w, id, &key)))
				err = walk_check_allowed(w, id, &key, f[7], status_policy_action(f[4]),
							 NULL, !strcmp(f[4], "status") ? f[6] : NULL,
							 git_commit_time(c), NULL);
		if (!err && !i)
			err = walk_check_digest(w, id, model.buf, f[1]);
		if (!err) {
			free(state);
			state = xstrdup(f[6]);
			free(policy);
			policy = xstrdup(f[7]);
			if (!i)
				digest0 = xstrdup(f[1]);
		}
next:
		for (k = 0; k < ARRAY_SIZE(f); k++)
			free(f[k]);
		git_tree_free(tree);
		git_commit_free(c);
	}
	free(state);
	free(digest0);
	free(policy);
	strbuf_release(&model);
	strbuf_release(&text);
	return err;
}

static int verify_policy(struct walk *w)
{
	struct policy *prev = NULL;
	size_t i;
	int err = 0;

	for (i = 0; i < w->nr && !err; i++) {
		static const char *const allowed[] = { "policy.yaml", "allowed_signers", NULL };
		const git_oid *id = &w->ids[i];
		struct strbuf text = STRBUF_INIT, signers = STRBUF_INIT;
		struct policy *p = NULL, *implicit = NULL;
		struct mreg_pubkey key;
		git_commit *c = NULL;
		git_tree *tree = NULL;
		char *want = NULL;
		const char *who;

		if (git_commit_lookup(&c, w->v->reg->repo, id) < 0 || git_commit_tree(&tree, c) < 0)
			err = walk_fail(w, id, "cannot read commit");
		else if (!(err = walk_check_tree(w, id, tree, allowed)) &&
			 (verify_read_file(&text, w->v->reg, tree, "policy.yaml") < 0 ||
			  verify_read_file(&signers, w->v->reg, tree, "allowed_signers") < 0))
			err = walk_fail(w, id, "needs policy.yaml and allowed_signers");
		else if (!err && policy_parse(&p, text.buf, text.len, "policy.yaml") < 0)
			err = walk_fail(w, id, "%s", mreg_error_last());
		else if (!err && strcmp(signers.buf, (want = policy_allowed_signers(p, NULL))))
			err = walk_fail(w, id, "its allowed_signers does not match its policy.yaml");
		else if (!err && chain_check_commit(&key, w->v->reg, id) < 0)
			err = walk_fail(w, id, "%s", mreg_error_last());
		/* The first policy is signed by a pinned trust root, each next by a root of the last. */
		else if (!err && !prev && (policy_load(&implicit, w->v->reg, NULL) < 0 ||
					   policy_check(&who, implicit, &key, "policy", NULL, NULL,
							git_commit_time(c)) < 0))
			err = walk_fail(w, id, "the first policy is not signed by a pinned trust root: %s",
					mreg_error_last());
		else if (!err && prev && policy_check(&who, prev, &key, "policy", NULL, NULL,
						      git_commit_time(c)) < 0)
			err = walk_fail(w, id, "not signed by a root of the policy before it: %s",
					mreg_error_last());
		policy_free(prev);
		prev = p;
		policy_free(implicit);
		free(want);
		strbuf_release(&text);
		strbuf_release(&signers);
		git_tree_free(tree);
		git_commit_free(c);
	}
	policy_free(prev);
	return err;
}

static int verify_chain(size_t *failed, struct verifier *v, enum chain_kind kind,
			const char *ref, const char *name, const char *version,
			void (*fn)(const struct mreg_verify_result *r, void *payload),
			void *payload)
{
	struct mreg_verify_result res;
	struct walk w;
	git_oid head;
	int err;

	memset(&w, 0, sizeof(w));
	strbuf_init(&w.msg, 0);
	w.v = v;
	w.ref = ref;
	if (git_reference_name_to_id(&head, v->reg->repo, ref) < 0)
		err = walk_fail(&w, NULL, "cannot read the ref");
	else if (!(err = load_chain(&w, &head)) &&
		 (v->staged || !(err = check_not_rewound(&w, &head))))
		err = kind == CHAIN_ROUTE ? verify_route(&w, name)
		    : kind == CHAIN_STATUS ? verify_status(&w, name, version)
		    : verify_policy(&w);
	memset(&res, 0, sizeof(res));
	res.ref = ref;
	res.commits = w.nr;
	res.passed = !err;
	res.bad_commit = err && w.bad[0] ? w.bad : NULL;
	res.message = err ? w.msg.buf : NULL;
	if (err)
		(*failed)++;
	else if (!v->staged)
		remember(v, ref, &head);
	fn(&res, payload);
	free(w.ids);
	strbuf_release(&w.msg);
	return 0;
}

struct collect {
	char **refs;
	size_t nr, alloc;
};

static int collect_refs(struct mreg_registry *reg, const char *glob, struct collect *c)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;

	if (git_reference_iterator_glob_new(&it, reg->repo, glob) < 0)
		return mreg_error_git("cannot read refs");
	while (!git_reference_next(&ref, it)) {
		ALLOC_GROW(c->refs, c->nr + 1, c->alloc);
		c->refs[c->nr++] = xstrdup(git_reference_name(ref));
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return 0;
}

int mreg_verify(size_t *failed, struct mreg_registry *reg, enum mreg_verify_what what,
		const char *name, unsigned flags,
		void (*fn)(const struct mreg_verify_result *r, void *payload),
		void *payload)
{
	struct verifier v;
	struct collect c;
	struct strbuf ref = STRBUF_INIT;
	struct mreg_model *m = NULL;
	git_oid id;
	size_t i;
	int err = 0;

	memset(&v, 0, sizeof(v));
	memset(&c, 0, sizeof(c));
	v.reg = reg;
	v.prefix = "refs/mreg/";
	v.quick = !!(flags & MREG_VERIFY_QUICK);
	*failed = 0;
	/* Find what to verify first: a typo must not report the policy. */
	if (what == MREG_VERIFY_ROUTE && (err = route_head(&id, reg, name)) < 0)
		goto done;
	if (what == MREG_VERIFY_VERSION && (err = mreg_model_lookup(&m, reg, name)) < 0)
		goto done;
	if (!git_reference_name_to_id(&id, reg->repo, "refs/mreg/policy"))
		verify_chain(failed, &v, CHAIN_POLICY, "refs/mreg/policy", NULL, NULL, fn, payload);
	if (what == MREG_VERIFY_ROUTE) {
		strbuf_addf(&ref, "refs/mreg/routes/%s", name);
		verify_chain(failed, &v, CHAIN_ROUTE, ref.buf, name, NULL, fn, payload);
	} else if (what == MREG_VERIFY_VERSION) {
		strbuf_addf(&ref, "refs/mreg/status/%s/%s", m->name, m->version);
		verify_chain(failed, &v, CHAIN_STATUS, ref.buf, m->name, m->version, fn, payload);
	} else {
		if ((err = collect_refs(reg, "refs/mreg/routes/*", &c)) < 0 ||
		    (err = collect_refs(reg, "refs/mreg/status/*", &c)) < 0)
			goto done;
		for (i = 0; i < c.nr; i++) {
			if (starts_with(c.refs[i], "refs/mreg/routes/")) {
				verify_chain(failed, &v, CHAIN_ROUTE, c.refs[i],
					     c.refs[i] + strlen("refs/mreg/routes/"), NULL, fn, payload);
			} else {
				const char *rest = c.refs[i] + strlen("refs/mreg/status/");
				const char *slash = strchr(rest, '/');
				char *n;

				if (!slash)
					continue;
				n = xstrndup(rest, slash - rest);
				verify_chain(failed, &v, CHAIN_STATUS, c.refs[i], n, slash + 1,
					     fn, payload);
				free(n);
			}
		}
	}
done:
	for (i = 0; i < c.nr; i++)
		free(c.refs[i]);
	free(c.refs);
	verifier_release(&v);
	mreg_model_free(m);
	strbuf_release(&ref);
	return err;
}

static void keep_result(const struct mreg_verify_result *r, void *payload)
{
	struct mreg_verify_result *out = payload;

	out->passed = r->passed;
	out->message = r->message ? xstrdup(r->message) : NULL;
	out->bad_commit = r->bad_commit ? xstrdup(r->bad_commit) : NULL;
}

int verify_chain_at(char **why, char *bad, struct mreg_registry *reg,
		    const char *prefix, enum chain_kind kind, const char *ref,
		    const char *name, const char *version, int no_artifacts)
{
	struct verifier v;
	struct mreg_verify_result res;
	size_t failed = 0;

	memset(&v, 0, sizeof(v));
	memset(&res, 0, sizeof(res));
	v.reg = reg;
	v.prefix = prefix;
	v.staged = 1;
	v.no_artifacts = no_artifacts;
	/*
	 * Presence and size only: an artifact fetched was hashed as it
	 * arrived (xfer_get stores it under the name it must hash to), and
	 * re-reading every artifact of every version on each fetch would
	 * cost a full read of them.  `mreg verify` re-hashes.
	 */
	v.quick = 1;
	*why = NULL;
	bad[0] = '\0';
	verify_chain(&failed, &v, kind, ref, name, version, keep_result, &res);
	verifier_release(&v);
	if (res.bad_commit)
		snprintf(bad, GIT_OID_HEXSZ + 1, "%s", res.bad_commit);
	free((char *)res.bad_commit);
	if (!failed) {
		free((char *)res.message);
		return 0;
	}
	*why = (char *)res.message;
	return mreg_error_set(MREG_EBADSIG, "%s: %s", ref, *why ? *why : "does not verify");
}
