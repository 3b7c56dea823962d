/*
 * Approvals: who said yes to what, signed so that nobody can move a yes
 * from one route, stage or version to another, or keep it past its expiry.
 */
#include "approval.h"
#include "policy.h"
#include "status.h"

#include <stdlib.h>

void approvals_release(struct approvals *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++) {
		free(l->a[i].statement);
		free(l->a[i].sig);
		free(l->a[i].principal);
	}
	free(l->a);
	memset(l, 0, sizeof(*l));
}

static int field_is(const char *text, const char *key, const char *want)
{
	char *v = status_field(text, key);
	int ok = v && !strcmp(v, want);

	free(v);
	return ok;
}

int approval_check(char **principal, struct mreg_pubkey *key,
		   const char *statement, size_t slen, const char *sig, size_t siglen,
		   const char *route, const char *stage, const char *digest,
		   const struct policy *p, int64_t when)
{
	char *line = NULL, *expires = NULL;
	const char *who;
	int64_t until;
	int err;

	*principal = NULL;
	if (mreg_sshsig_verify(&line, sig, siglen, MREG_SIGN_NAMESPACE_APPROVAL,
			       statement, slen) < 0)
		return mreg_error_set(MREG_EBADSIG, "approval signature: %s",
				      mreg_error_last());
	if ((err = mreg_pubkey_parse(key, line)) < 0)
		goto done;
	if (!starts_with(statement, "mreg-approval 1\n") ||
	    !field_is(statement, "route", route) || !field_is(statement, "stage", stage) ||
	    !field_is(statement, "digest", digest)) {
		err = mreg_error_set(MREG_EBADSIG,
				     "an approval is for another route, stage or version");
		goto done;
	}
	expires = status_field(statement, "expires");
	if (!expires || parse_iso_time(&until, expires) < 0 || when >= until) {
		err = mreg_error_set(MREG_EBADSIG, "an approval expired at %s",
				     expires ? expires : "(no expiry)");
		goto done;
	}
	if ((err = policy_check(&who, p, key, "approve", route, stage, when)) < 0)
		goto done;
	*principal = xstrdup(who);
done:
	free(line);
	free(expires);
	return err;
}

static int read_blob(struct strbuf *out, git_repository *repo, const git_tree *tree,
		     const char *path)
{
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	int err = 0;

	if (git_tree_entry_bypath(&e, tree, path) < 0 ||
	    git_blob_lookup(&b, repo, git_tree_entry_id(e)) < 0)
		err = mreg_error_set(MREG_ECORRUPT, "cannot read '%s'", path);
	else
		strbuf_add(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	git_blob_free(b);
	git_tree_entry_free(e);
	return err;
}

static int have_principal(const struct approvals *l, const char *who)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (!strcmp(l->a[i].principal, who))
			return 1;
	return 0;
}

int approvals_in_tree(struct approvals *out, struct mreg_registry *reg,
		      const git_tree *tree, const char *route, const char *stage,
		      const char *digest, const struct policy *p, int64_t when,
		      int strict)
{
	git_tree_entry *dir = NULL;
	git_tree *sub = NULL;
	size_t i, n;
	int err = 0;

	if (git_tree_entry_bypath(&dir, tree, "approvals") < 0)
		return 0;
	if (git_tree_lookup(&sub, reg->repo, git_tree_entry_id(dir)) < 0) {
		git_tree_entry_free(dir);
		return mreg_error_set(MREG_ECORRUPT, "cannot read approvals");
	}
	n = git_tree_entrycount(sub);
	for (i = 0; i < n && !err; i++) {
		const char *fname = git_tree_entry_name(git_tree_entry_byindex(sub, i));
		struct strbuf st = STRBUF_INIT, sig = STRBUF_INIT, path = STRBUF_INIT;
		struct mreg_pubkey key;
		char *who = NULL;

		if (!ends_with(fname, ".statement"))
			continue;
		strbuf_addf(&path, "approvals/%s", fname);
		err = read_blob(&st, reg->repo, tree, path.buf);
		strbuf_setlen(&path, path.len - strlen(".statement"));
		strbuf_addstr(&path, ".sig");
		if (!err)
			err = read_blob(&sig, reg->repo, tree, path.buf);
		if (!err && approval_check(&who, &key, st.buf, st.len, sig.buf, sig.len,
					   route, stage, digest, p, when) < 0) {
			/* Stale approvals on a status chain are history, not damage. */
			if (strict)
				err = MREG_EBADSIG;
		} else if (!err && !have_principal(out, who)) {
			struct approval *a;

			ALLOC_GROW(out->a, out->nr + 1, out->alloc);
			a = &out->a[out->nr++];
			a->statement = strbuf_detach(&st, NULL);
			a->sig = strbuf_detach(&sig, NULL);
			a->principal = who;
			who = NULL;
			hex_encode(a->keyhex, key.ed25519, sizeof(key.ed25519));
		}
		free(who);
		strbuf_release(&st);
		strbuf_release(&sig);
		strbuf_release(&path);
	}
	git_tree_free(sub);
	git_tree_entry_free(dir);
	return err;
}

int approvals_collect(struct approvals *out, struct mreg_registry *reg,
		      const char *name, const char *version, const char *route,
		      const char *stage, const char *digest,
		      const struct policy *p, int64_t when)
{
	struct strbuf ref = STRBUF_INIT;
	git_commit *c = NULL;
	git_oid id;
	int err = 0;

	memset(out, 0, sizeof(*out));
	strbuf_addf(&ref, "refs/mreg/status/%s/%s", name, version);
	if (git_reference_name_to_id(&id, reg->repo, ref.buf) < 0)
		goto done;
	/* Newest first, so that a principal's latest approval is the one kept. */
	while (!err && !git_commit_lookup(&c, reg->repo, &id)) {
		git_tree *tree = NULL;

		if (git_commit_tree(&tree, c) < 0)
			err = mreg_error_set(MREG_ECORRUPT, "cannot read %s", ref.buf);
		else
			err = approvals_in_tree(out, reg, tree, route, stage, digest,
						p, when, 0);
		git_tree_free(tree);
		if (!git_commit_parentcount(c)) {
			git_commit_free(c);
			break;
		}
		id = *git_commit_parent_id(c, 0);
		git_commit_free(c);
	}
done:
	strbuf_release(&ref);
	return err;
}
