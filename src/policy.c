/*
 * The policy: principals with their keys and validity, which principals
 * may do which action on which routes and stages, and how many approvals
 * each stage needs.
 */
#include "policy.h"
#include "chain.h"
#include "mreg/policy.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *const actions[] = {
	"register", "promote", "approve", "status", "policy",
};

static const char *const top_keys[] = {
	"mreg_policy", "principals", "roots", "rules", "approvals", "gates",
	"required_fields", "allowed_runtimes", "allowed_privacy_classes",
};

static void free_list(char **l)
{
	size_t i;

	for (i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

void policy_free(struct policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nr_principals; i++)
		free(p->principals[i].name);
	free(p->principals);
	for (i = 0; i < p->nr_rules; i++) {
		free(p->rules[i].action);
		free(p->rules[i].routes);
		free_list(p->rules[i].stages);
		free_list(p->rules[i].principals);
	}
	free(p->rules);
	for (i = 0; i < p->nr_quorums; i++) {
		free(p->quorums[i].routes);
		free(p->quorums[i].stage);
	}
	free(p->quorums);
	free_list(p->roots);
	mreg_value_free(p->doc);
	free(p);
}

/* An entry's keys must be known: a typo must not widen a rule. */
static int known_keys(const char *file, const struct mreg_value *map,
		      const char *const *allowed, const char *what)
{
	size_t i, j;

	if (map->kind != MREG_VALUE_MAP)
		return 0;
	for (i = 0; i < map->nr; i++) {
		for (j = 0; allowed[j]; j++)
			if (!strcmp(map->keys[i], allowed[j]))
				break;
		if (!allowed[j])
			return value_error(MREG_EINVALID, file, map->items[i], "unknown key '%s' in %s", map->keys[i], what);
	}
	return 0;
}

static const char *const principal_keys[] = { "key", "valid_after", "valid_before", NULL };
static const char *const rule_keys[] = { "action", "routes", "stages", "principals", NULL };
static const char *const quorum_keys[] = { "routes", "stage", "required", NULL };
static const char *const gate_keys[] = {
	"routes", "stage", "require_recorded_pass", "gates", NULL
};

/* A scalar or a list of scalars, as a NULL-terminated list. */
static int string_list(char ***out, const char *file, const struct mreg_value *v,
		       const char *what)
{
	char **l;
	size_t i;

	if (mreg_value_is_scalar(v) && v->kind != MREG_VALUE_NULL) {
		l = xcalloc(2, sizeof(*l));
		l[0] = xstrdup(v->text);
		*out = l;
		return 0;
	}
	if (v->kind != MREG_VALUE_SEQ)
		return value_error(MREG_EINVALID, file, v, "'%s' must be a name or a list of names", what);
	l = xcalloc(v->nr + 1, sizeof(*l));
	for (i = 0; i < v->nr; i++) {
		if (!mreg_value_is_scalar(v->items[i])) {
			free_list(l);
			return value_error(MREG_EINVALID, file, v->items[i], "'%s' must list names", what);
		}
		l[i] = xstrdup(v->items[i]->text);
	}
	*out = l;
	return 0;
}

static int in_list(char *const *l, const char *s)
{
	size_t i;

	for (i = 0; l && l[i]; i++)
		if (!strcmp(l[i], s))
			return 1;
	return 0;
}

static int parse_principals(struct policy *p, const char *file)
{
	const struct mreg_value *v = mreg_value_get(p->doc, "principals");
	size_t i;

	if (!v || v->kind != MREG_VALUE_MAP || !v->nr)
		return value_error(MREG_EINVALID, file, v ? v : p->doc, "'principals' must map names to keys");
	p->principals = xcalloc(v->nr, sizeof(*p->principals));
	for (i = 0; i < v->nr; i++) {
		struct policy_principal *pr = &p->principals[p->nr_principals++];
		const struct mreg_value *e = v->items[i], *k, *t;

		pr->name = xstrdup(v->keys[i]);
		if (known_keys(file, e, principal_keys, "a principal") < 0)
			return MREG_EINVALID;
		if (strpbrk(pr->name, " \t\",") || !*pr->name)
			return value_error(MREG_EINVALID, file, e, "principal '%s': names may not hold blanks, quotes or commas",
				   pr->name);
		k = e->kind == MREG_VALUE_MAP ? mreg_value_get(e, "key") : e;
		if (!k || !mreg_value_is_scalar(k) || mreg_pubkey_parse(&pr->key, k->text) < 0)
			return value_error(MREG_EINVALID, file, k ? k : e, "principal '%s' needs an ssh-ed25519 key",
				   pr->name);
		if (e->kind != MREG_VALUE_MAP)
			continue;
		if ((t = mreg_value_get(e, "valid_after")) &&
		    (!t->text || parse_iso_time(&pr->valid_after, t->text) < 0))
			return value_error(MREG_EINVALID, file, t, "valid_after must be a date like 2026-07-02T00:00:00Z");
		if ((t = mreg_value_get(e, "valid_before")) &&
		    (!t->text || parse_iso_time(&pr->valid_before, t->text) < 0))
			return value_error(MREG_EINVALID, file, t, "valid_before must be a date like 2026-07-02T00:00:00Z");
	}
	return 0;
}

static int check_names(const struct policy *p, const char *file,
		       const struct mreg_value *at, char *const *names)
{
	size_t i, j;

	for (i = 0; names && names[i]; i++) {
		for (j = 0; j < p->nr_principals; j++)
			if (!strcmp(p->principals[j].name, names[i]))
				break;
		if (j == p->nr_principals)
			return value_error(MREG_EINVALID, file, at, "'%s' is not a principal of this policy", names[i]);
	}
	return 0;
}

static int parse_rules(struct policy *p, const char *file)
{
	const struct mreg_value *v = mreg_value_get(p->doc, "rules");
	size_t i, j;
	int err;

	if (!v)
		return 0;
	if (v->kind != MREG_VALUE_SEQ)
		return value_error(MREG_EINVALID, file, v, "'rules' must be a list");
	p->rules = xcalloc(v->nr ? v->nr : 1, sizeof(*p->rules));
	for (i = 0; i < v->nr; i++) {
		struct policy_rule *r = &p->rules[p->nr_rules++];
		const struct mreg_value *e = v->items[i], *x;

		if (e->kind != MREG_VALUE_MAP || !(x = mreg_value_get(e, "action")) || !x->text)
			return value_error(MREG_EINVALID, file, e, "a rule needs an action");
		if ((err = known_keys(file, e, rule_keys, "a rule")) < 0)
			return err;
		for (j = 0; j < ARRAY_SIZE(actions); j++)
			if (!strcmp(actions[j], x->text))
				break;
		if (j == ARRAY_SIZE(actions))
			return value_error(MREG_EINVALID, file, x, "unknown action '%s' (register, promote, approve, status, policy)",
				   x->text);
		if (!strcmp(x->text, "policy"))
			return value_error(MREG_EINVALID, file, x, "the policy is changed by its roots; a rule cannot say who");
		r->action = xstrdup(x->text);
		if ((x = mreg_value_get(e, "routes")) && x->text)
			r->routes = xstrdup(x->text);
		if ((x = mreg_value_get(e, "stages")) &&
		    (err = string_list(&r->stages, file, x, "stages")) < 0)
			return err;
		if (!(x = mreg_value_get(e, "principals")))
			return value_error(MREG_EINVALID, file, e, "a rule needs principals");
		if ((err = string_list(&r->principals, file, x, "principals")) < 0 ||
		    (err = check_names(p, file, x, r->principals)) < 0)
			return err;
	}
	return 0;
}

static int parse_quorums(struct policy *p, const char *file)
{
	const struct mreg_value *v = mreg_value_get(p->doc, "approvals");
	size_t i;

	if (!v)
		return 0;
	if (v->kind != MREG_VALUE_SEQ)
		return value_error(MREG_EINVALID, file, v, "'approvals' must be a list");
	p->quorums = xcalloc(v->nr ? v->nr : 1, sizeof(*p->quorums));
	for (i = 0; i < v->nr; i++) {
		struct policy_quorum *q = &p->quorums[p->nr_quorums++];
		const struct mreg_value *e = v->items[i], *x;
		double n;

		if (e->kind != MREG_VALUE_MAP)
			return value_error(MREG_EINVALID, file, e, "an approvals entry must be a mapping");
		if (known_keys(file, e, quorum_keys, "an approvals entry") < 0)
			return MREG_EINVALID;
		x = mreg_value_get(e, "routes");
		q->routes = xstrdup(x && x->text ? x->text : "*");
		x = mreg_value_get(e, "stage");
		q->stage = xstrdup(x && x->text ? x->text : "production");
		x = mreg_value_get(e, "required");
		if (!x || mreg_value_number(&n, x) < 0 || n < 0 || n > 100 || n != (unsigned)n)
			return value_error(MREG_EINVALID, file, x ? x : e, "'required' must be a whole number of approvals");
		q->required = (unsigned)n;
	}
	return 0;
}

int policy_parse(struct policy **out, const char *text, size_t len, const char *file)
{
	struct policy *p = xcalloc(1, sizeof(*p));
	const struct mreg_value *v;
	size_t i, j;
	int err;

	*out = NULL;
	if ((err = mreg_yaml_parse(&p->doc, text, len, file)) < 0)
		goto fail;
	if (p->doc->kind != MREG_VALUE_MAP) {
		err = value_error(MREG_EINVALID, file, p->doc, "a policy must be a mapping");
		goto fail;
	}
	for (i = 0; i < p->doc->nr; i++) {
		for (j = 0; j < ARRAY_SIZE(top_keys); j++)
			if (!strcmp(top_keys[j], p->doc->keys[i]))
				break;
		if (j == ARRAY_SIZE(top_keys) && !starts_with(p->doc->keys[i], "x-")) {
			err = value_error(MREG_EINVALID, file, p->doc->items[i], "unknown key '%s'", p->doc->keys[i]);
			goto fail;
		}
	}
	v = mreg_value_get(p->doc, "mreg_policy");
	if (!v || !v->text || strcmp(v->text, "1")) {
		err = value_error(MREG_EINVALID, file, v ? v : p->doc, "a policy starts with 'mreg_policy: 1'");
		goto fail;
	}
	v = mreg_value_get(p->doc, "gates");
	if (v && v->kind != MREG_VALUE_SEQ) {
		err = value_error(MREG_EINVALID, file, v, "'gates' must be a list");
		goto fail;
	}
	for (i = 0; v && i < v->nr; i++)
		if ((err = known_keys(file, v->items[i], gate_keys, "a gates entry")) < 0)
			goto fail;
	if ((err = parse_principals(p, file)) < 0)
		goto fail;
	v = mreg_value_get(p->doc, "roots");
	if (!v) {
		err = value_error(MREG_EINVALID, file, p->doc, "missing required key 'roots' (who may sign the next policy)");
		goto fail;
	}
	if ((err = string_list(&p->roots, file, v, "roots")) < 0 ||
	    (err = check_names(p, file, v, p->roots)) < 0 ||
	    (err = parse_rules(p, file)) < 0 ||
	    (err = parse_quorums(p, file)) < 0)
		goto fail;
	memset(p->commit, '0', GIT_OID_HEXSZ);
	*out = p;
	return 0;
fail:
	policy_free(p);
	return err;
}

struct implicit {
	struct policy *p;
	size_t alloc;
};

static int add_implicit(const git_config_entry *e, void *payload)
{
	struct implicit *im = payload;
	struct policy_principal *pr;
	const char *comment = NULL, *s;
	struct strbuf name = STRBUF_INIT;

	ALLOC_GROW(im->p->principals, im->p->nr_principals + 1, im->alloc);
	pr = &im->p->principals[im->p->nr_principals];
	memset(pr, 0, sizeof(*pr));
	if (mreg_pubkey_parse(&pr->key, e->value) < 0)
		return mreg_error_set(MREG_EINVALID,
				      "config mreg.trustroot is not a public key: '%s'",
				      e->value);
	/* "ssh-ed25519 AAAA... comment": the comment names the principal */
	s = strchr(e->value, ' ');
	if (s && (s = strchr(s + 1, ' ')))
		comment = s + 1;
	if (comment && *comment && !strpbrk(comment, " \t\","))
		strbuf_addstr(&name, comment);
	else
		strbuf_addf(&name, "root-%zu", im->p->nr_principals + 1);
	pr->name = strbuf_detach(&name, NULL);
	im->p->nr_principals++;
	return 0;
}

static int implicit_policy(struct policy **out, struct mreg_registry *reg)
{
	struct implicit im;
	git_config *cfg = NULL;
	size_t i;
	int r, err = 0;

	memset(&im, 0, sizeof(im));
	im.p = xcalloc(1, sizeof(*im.p));
	im.p->implicit = 1;
	memset(im.p->commit, '0', GIT_OID_HEXSZ);
	if (local_config(&cfg, reg) < 0) {
		err = mreg_error_git("cannot read config");
		goto done;
	}
	r = git_config_get_multivar_foreach(cfg, "mreg.trustroot", NULL, add_implicit, &im);
	if (r < 0 && r != GIT_ENOTFOUND)
		err = r == MREG_EINVALID ? r : mreg_error_git("cannot read config");
	im.p->roots = xcalloc(im.p->nr_principals + 1, sizeof(char *));
	for (i = 0; i < im.p->nr_principals; i++)
		im.p->roots[i] = xstrdup(im.p->principals[i].name);
done:
	git_config_free(cfg);
	if (err < 0) {
		policy_free(im.p);
		im.p = NULL;
	}
	*out = im.p;
	return err;
}

int policy_load(struct policy **out, struct mreg_registry *reg, const char *commit)
{
	git_oid id;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	struct strbuf label = STRBUF_INIT;
	int err;

	*out = NULL;
	if (!commit || strspn(commit, "0") == GIT_OID_HEXSZ)
		return implicit_policy(out, reg);
	if (git_oid_fromstr(&id, commit) < 0 || git_commit_lookup(&c, reg->repo, &id) < 0 ||
	    git_commit_tree(&tree, c) < 0 ||
	    git_tree_entry_bypath(&e, tree, "policy.yaml") < 0 ||
	    git_blob_lookup(&blob, reg->repo, git_tree_entry_id(e)) < 0) {
		err = mreg_error_set(MREG_ECORRUPT, "cannot read policy %s", commit);
		goto done;
	}
	strbuf_addf(&label, "policy %.12s:policy.yaml", commit);
	if ((err = policy_parse(out, git_blob_rawcontent(blob),
				(size_t)git_blob_rawsize(blob), label.buf)) < 0)
		goto done;
	memcpy((*out)->commit, commit, GIT_OID_HEXSZ + 1);
done:
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	strbuf_release(&label);
	return err;
}

int policy_current(struct policy **out, struct mreg_registry *reg)
{
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];
	int r = git_reference_name_to_id(&id, reg->repo, "refs/mreg/policy");

	if (r == GIT_ENOTFOUND)
		return policy_load(out, reg, NULL);
	if (r < 0)
		return mreg_error_git("cannot read refs/mreg/policy");
	git_oid_tostr(hex, sizeof(hex), &id);
	return policy_load(out, reg, hex);
}

const struct policy_principal *policy_principal_for(const struct policy *p,
						   const struct mreg_pubkey *key,
						   int64_t when)
{
	size_t i;

	for (i = 0; i < p->nr_principals; i++) {
		const struct policy_principal *pr = &p->principals[i];

		if (!mreg_pubkey_equal(&pr->key, key))
			continue;
		if ((pr->valid_after && when < pr->valid_after) ||
		    (pr->valid_before && when >= pr->valid_before))
			continue;
		return pr;
	}
	return NULL;
}

static int rule_matches(const struct policy_rule *r, const char *action,
			const char *route, const char *stage)
{
	if (strcmp(r->action, action))
		return 0;
	if (route && r->routes && fnmatch(r->routes, route, 0))
		return 0;
	if (stage && r->stages && !in_list(r->stages, stage))
		return 0;
	return 1;
}

int policy_check(const char **who, const struct policy *p,
		 const struct mreg_pubkey *key, const char *action,
		 const char *route, const char *stage, int64_t when)
{
	const struct policy_principal *pr = policy_principal_for(p, key, when);
	size_t i, rules = 0;
	char *fp = NULL;
	int err;

	*who = NULL;
	if (!pr) {
		size_t j;

		mreg_pubkey_fingerprint(&fp, key);
		for (j = 0; j < p->nr_principals; j++)
			if (mreg_pubkey_equal(&p->principals[j].key, key))
				break;
		err = mreg_error_set(MREG_EBADSIG, j < p->nr_principals
				     ? "key %s of '%s' is not valid at that time"
				     : "key %s%s is not trusted by the policy",
				     fp ? fp : "?",
				     j < p->nr_principals ? p->principals[j].name : "");
		free(fp);
		return err;
	}
	*who = pr->name;
	if (p->implicit)
		return 0;
	if (!strcmp(action, "policy")) {
		if (in_list(p->roots, pr->name))
			return 0;
		return mreg_error_set(MREG_EBADSIG,
				      "'%s' is not a root of the policy: only roots may change it",
				      pr->name);
	}
	for (i = 0; i < p->nr_rules; i++) {
		if (strcmp(p->rules[i].action, action))
			continue;
		rules++;
		if (rule_matches(&p->rules[i], action, route, stage) &&
		    in_list(p->rules[i].principals, pr->name))
			return 0;
	}
	/* An action no rule mentions is open to every principal. */
	if (!rules)
		return 0;
	return mreg_error_set(MREG_EBADSIG, "'%s' may not %s%s%s%s%s", pr->name, action,
			      route ? " route " : "", route ? route : "",
			      stage ? " to " : "", stage ? stage : "");
}

unsigned policy_required_approvals(const struct policy *p, const char *route,
				   const char *stage)
{
	unsigned need = 0;
	size_t i;

	for (i = 0; i < p->nr_quorums; i++)
		if (!strcmp(p->quorums[i].stage, stage) &&
		    !fnmatch(p->quorums[i].routes, route, 0) &&
		    p->quorums[i].required > need)
			need = p->quorums[i].required;
	return need;
}

static void add_time_opt(struct strbuf *sb, const char *opt, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y%m%d%H%M%SZ", &tm);
	strbuf_addf(sb, ",%s=\"%s\"", opt, buf);
}

char *policy_allowed_signers(const struct policy *p, const char *stage)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, j;

	for (i = 0; i < p->nr_principals; i++) {
		const struct policy_principal *pr = &p->principals[i];
		char *key = NULL;
		int ok = !stage || p->implicit;

		for (j = 0; !ok && j < p->nr_rules; j++)
			ok = rule_matches(&p->rules[j], "promote", NULL, stage) &&
			     in_list(p->rules[j].principals, pr->name);
		if (!ok && stage) {
			for (j = 0; j < p->nr_rules; j++)
				if (!strcmp(p->rules[j].action, "promote"))
					break;
			ok = j == p->nr_rules;
		}
		if (!ok || mreg_pubkey_format(&key, &pr->key) < 0)
			continue;
		strbuf_addf(&sb, "%s namespaces=\"git,mreg-approval\"", pr->name);
		if (pr->valid_after)
			add_time_opt(&sb, "valid-after", pr->valid_after);
		if (pr->valid_before)
			add_time_opt(&sb, "valid-before", pr->valid_before);
		strbuf_addf(&sb, " %s\n", key);
		free(key);
	}
	return strbuf_detach(&sb, NULL);
}

char *policy_signer_name(int *ok, struct mreg_registry *reg, const git_oid *id,
			 const char *policy_hex, int64_t when)
{
	struct mreg_pubkey key;
	struct policy *p = NULL;
	const struct policy_principal *pr;
	struct strbuf name = STRBUF_INIT;
	char *fp = NULL;

	*ok = 0;
	if (chain_check_commit(&key, reg, id) < 0) {
		const char *why = mreg_error_last();

		strbuf_addstr(&name, strstr(why, "not signed") ? "(unsigned)"
							       : "(bad signature)");
		return strbuf_detach(&name, NULL);
	}
	if (policy_load(&p, reg, policy_hex) < 0) {
		strbuf_addstr(&name, "(unknown policy)");
	} else if (!(pr = policy_principal_for(p, &key, when))) {
		mreg_pubkey_fingerprint(&fp, &key);
		strbuf_addf(&name, "(unknown key %s)", fp ? fp : "?");
		mreg_error_set(MREG_EBADSIG, "key %s is not the policy's at that time",
			       fp ? fp : "?");
	} else {
		strbuf_addstr(&name, pr->name);
		*ok = 1;
	}
	free(fp);
	policy_free(p);
	return strbuf_detach(&name, NULL);
}

int mreg_policy_get(char **text, char *commit, struct mreg_registry *reg)
{
	struct policy *p = NULL;
	int err;

	*text = NULL;
	if ((err = policy_current(&p, reg)) < 0)
		return err;
	memcpy(commit, p->commit, GIT_OID_HEXSZ + 1);
	if (!p->implicit) {
		git_oid id;
		git_commit *c = NULL;
		git_tree *tree = NULL;
		git_tree_entry *e = NULL;
		git_blob *b = NULL;

		if (git_oid_fromstr(&id, p->commit) < 0 ||
		    git_commit_lookup(&c, reg->repo, &id) < 0 ||
		    git_commit_tree(&tree, c) < 0 ||
		    git_tree_entry_bypath(&e, tree, "policy.yaml") < 0 ||
		    git_blob_lookup(&b, reg->repo, git_tree_entry_id(e)) < 0)
			err = mreg_error_set(MREG_ECORRUPT, "cannot read policy %s", p->commit);
		else
			*text = xstrndup(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
		git_blob_free(b);
		git_tree_entry_free(e);
		git_tree_free(tree);
		git_commit_free(c);
	}
	policy_free(p);
	return err;
}

int mreg_policy_signers(char **out, struct mreg_registry *reg, const char *stage)
{
	struct policy *p = NULL;
	int err;

	*out = NULL;
	if ((err = policy_current(&p, reg)) < 0)
		return err;
	*out = policy_allowed_signers(p, stage);
	policy_free(p);
	return 0;
}

int mreg_policy_set(struct mreg_registry *reg, const char *path, const char *message)
{
	struct strbuf text = STRBUF_INIT, msg = STRBUF_INIT;
	struct policy *next = NULL;
	struct signer s;
	struct ref_move move;
	git_index *idx = NULL;
	git_oid tree;
	char *signers = NULL;
	const char *who;
	int err, r;

	memset(&s, 0, sizeof(s));
	memset(&move, 0, sizeof(move));
	if (strbuf_read_file(&text, path, 1024 * 1024) < 0) {
		err = mreg_error_errno(errno == ENOENT ? MREG_ENOTFOUND : MREG_EIO,
				       "cannot read", path);
		goto done;
	}
	if ((err = policy_parse(&next, text.buf, text.len, path)) < 0 ||
	    (err = signer_open(&s, reg, 0)) < 0)
		goto done;
	/* The current policy's roots (or the pinned trust roots) sign the next. */
	if ((err = policy_check(&who, s.policy, &s.pub, "policy", NULL, NULL,
				s.sig->when.time)) < 0) {
		err = mreg_error_set(MREG_EDENIED, "%s", mreg_error_last());
		goto done;
	}
	signers = policy_allowed_signers(next, NULL);
	if (git_index_new(&idx) < 0) {
		err = mreg_error_git("cannot write policy");
		goto done;
	}
	{
		const char *paths[] = { "policy.yaml", "allowed_signers" };
		const char *data[] = { text.buf, signers };
		size_t lens[] = { text.len, strlen(signers) }, i;

		for (i = 0; i < 2; i++) {
			git_index_entry e;

			memset(&e, 0, sizeof(e));
			e.mode = GIT_FILEMODE_BLOB;
			e.path = paths[i];
			if (git_blob_create_from_buffer(&e.id, reg->repo, data[i], lens[i]) < 0 ||
			    git_index_add(idx, &e) < 0) {
				err = mreg_error_git("cannot write policy");
				goto done;
			}
		}
	}
	if (git_index_write_tree_to(&tree, idx, reg->repo) < 0) {
		err = mreg_error_git("cannot write policy");
		goto done;
	}
	r = git_reference_name_to_id(&move.old, reg->repo, "refs/mreg/policy");
	if (r < 0 && r != GIT_ENOTFOUND) {
		err = mreg_error_git("cannot read refs/mreg/policy");
		goto done;
	}
	strbuf_addf(&msg, "policy: %s\n", message && *message ? message : "set policy");
	move.name = "refs/mreg/policy";
	if ((err = chain_commit(&move.new, reg, &tree, r ? NULL : &move.old, s.sig, s.sig,
				msg.buf, s.key)) < 0)
		goto done;
	err = refs_move(reg, &move, 1, s.sig, msg.buf);
	if (err == MREG_EMODIFIED)
		err = mreg_error_set(MREG_EMODIFIED, "the policy moved meanwhile, retry");
done:
	git_index_free(idx);
	free(signers);
	policy_free(next);
	signer_release(&s);
	strbuf_release(&text);
	strbuf_release(&msg);
	return err;
}

int policy_requires_gate(const struct policy *p, const char *route, const char *stage)
{
	const struct mreg_value *g = p->doc ? mreg_value_get(p->doc, "gates") : NULL;
	size_t i;

	if (!g || g->kind != MREG_VALUE_SEQ)
		return 0;
	for (i = 0; i < g->nr; i++) {
		const struct mreg_value *e = g->items[i], *x;

		if (e->kind != MREG_VALUE_MAP)
			continue;
		x = mreg_value_get(e, "require_recorded_pass");
		if (!x || x->kind != MREG_VALUE_BOOL || (x->text[0] != 't' && x->text[0] != 'T'))
			continue;
		x = mreg_value_get(e, "routes");
		if (x && x->text && fnmatch(x->text, route, 0))
			continue;
		x = mreg_value_get(e, "stage");
		if (strcmp(x && x->text ? x->text : "production", stage))
			continue;
		return 1;
	}
	return 0;
}

int mreg_policy_gates(struct mreg_value **out, char *commit, struct mreg_registry *reg,
		      const char *route, const char *stage)
{
	struct policy *p = NULL;
	const struct mreg_value *g;
	size_t i;
	int err;

	*out = NULL;
	if ((err = policy_current(&p, reg)) < 0)
		return err;
	memcpy(commit, p->commit, GIT_OID_HEXSZ + 1);
	g = p->doc ? mreg_value_get(p->doc, "gates") : NULL;
	for (i = 0; g && g->kind == MREG_VALUE_SEQ && i < g->nr && !*out; i++) {
		const struct mreg_value *e = g->items[i], *x, *rules;

		if (e->kind != MREG_VALUE_MAP || !(rules = mreg_value_get(e, "gates")))
			continue;
		x = mreg_value_get(e, "routes");
		if (x && x->text && fnmatch(x->text, route, 0))
			continue;
		x = mreg_value_get(e, "stage");
		if (strcmp(x && x->text ? x->text : "production", stage ? stage : "production"))
			continue;
		/* a gate file's shape: {gates: {...}} */
		*out = mreg_value_new(MREG_VALUE_MAP, NULL);
		mreg_value_set(*out, "gates", mreg_value_dup(rules));
	}
	policy_free(p);
	if (!*out)
		return mreg_error_set(MREG_ENOTFOUND, "the policy sets no gates for route '%s'", route);
	return 0;
}

/* 1 if `v` is a scalar whose text is in the list `l` (a scalar or a sequence). */
static int listed_in(const struct mreg_value *l, const struct mreg_value *v)
{
	size_t i;

	if (!v || !v->text)
		return 0;
	if (mreg_value_is_scalar(l))
		return l->text && !strcmp(l->text, v->text);
	for (i = 0; l->kind == MREG_VALUE_SEQ && i < l->nr; i++)
		if (l->items[i]->text && !strcmp(l->items[i]->text, v->text))
			return 1;
	return 0;
}

int policy_check_manifest(const struct policy *p, const struct mreg_value *m)
{
	const struct mreg_value *req, *allowed, *v;
	size_t i;

	if (!p->doc)
		return 0;
	req = mreg_value_get(p->doc, "required_fields");
	for (i = 0; req && req->kind == MREG_VALUE_SEQ && i < req->nr; i++) {
		const char *key = req->items[i]->text;

		if (!key)
			continue;
		v = mreg_value_path(m, key);
		if (!v || v->kind == MREG_VALUE_NULL ||
		    ((v->kind == MREG_VALUE_MAP || v->kind == MREG_VALUE_SEQ) && !v->nr))
			return mreg_error_set(MREG_EDENIED,
					      "the policy requires '%s' in every manifest", key);
	}
	if ((allowed = mreg_value_get(p->doc, "allowed_runtimes")) &&
	    !listed_in(allowed, mreg_value_get(m, "runtime"))) {
		v = mreg_value_get(m, "runtime");
		return mreg_error_set(MREG_EDENIED, "the policy does not allow the runtime '%s'",
				      v && v->text ? v->text : "(none)");
	}
	if ((allowed = mreg_value_get(p->doc, "allowed_privacy_classes"))) {
		static const char *const keys[] = {
			"privacy.training_data_privacy_class", "privacy.privacy_class", "privacy.class",
		};

		v = NULL;
		for (i = 0; i < ARRAY_SIZE(keys) && !v; i++)
			v = mreg_value_path(m, keys[i]);
		if (!listed_in(allowed, v))
			return mreg_error_set(MREG_EDENIED,
					      "the policy does not allow the privacy class '%s'",
					      v && v->text ? v->text : "(none)");
	}
	return 0;
}
