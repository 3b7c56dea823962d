/*
 * Signed chains.  Everything here is shared by routes, status chains and
 * the policy: how a link is written, signed, and checked.
 */
#include "chain.h"
#include "policy.h"

#include <stdlib.h>
#include <sys/stat.h>

/*
 * git's user.signingkey may name a GPG key ("3AA5C34371567BD2"): from the
 * user's git config, only what can be an ssh key counts for mreg.  The
 * registry's own config is taken at its word, so a typo there is an error.
 */
static int ssh_key_spec(const char *spec, struct mreg_registry *reg)
{
	git_config *local = NULL;
	git_buf buf = GIT_BUF_INIT;
	struct stat st;
	int own = 0;

	if (starts_with(spec, "key::") || starts_with(spec, "ssh-") ||
	    strchr(spec, '/') || !stat(spec, &st))
		return 1;
	if (!local_config(&local, reg)) {
		own = !git_config_get_string_buf(&buf, local, "user.signingkey");
		git_buf_dispose(&buf);
		git_config_free(local);
	}
	return own;
}

int signing_key_load(struct mreg_key **out, struct mreg_registry *reg)
{
	const char *env = getenv("MREG_SIGNING_KEY");
	char *spec = NULL;
	struct strbuf path = STRBUF_INIT, head = STRBUF_INIT;
	int err;

	*out = NULL;
	if (env && *env)
		spec = xstrdup(env);
	else if (mreg_config_get(&spec, reg, "user.signingkey") < 0 ||
		 !ssh_key_spec(spec, reg))
		goto none;
	if (starts_with(spec, "key::") || starts_with(spec, "ssh-")) {
		err = mreg_key_from_agent(out, spec);
		goto done;
	}
	if (spec[0] == '~' && spec[1] == '/' && getenv("HOME"))
		strbuf_addf(&path, "%s%s", getenv("HOME"), spec + 1);
	else
		strbuf_addstr(&path, spec);
	/* A public key file names a key that ssh-agent holds, as in git. */
	if (strbuf_read_file(&head, path.buf, 64 * 1024) == 0 &&
	    starts_with(head.buf, "ssh-"))
		err = mreg_key_from_agent(out, path.buf);
	else
		err = mreg_key_load(out, path.buf);
done:
	/* A key that is configured but cannot be had is an error, never "no key". */
	if (err == MREG_ENOTFOUND)
		err = mreg_error_set(MREG_EINVALID, "cannot use the signing key '%s': %s",
				     spec, mreg_error_last());
	free(spec);
	strbuf_release(&path);
	strbuf_release(&head);
	return err;
none:
	free(spec);
	return mreg_error_set(MREG_ENOTFOUND,
		"no signing key: make one with 'mreg keygen' (or set "
		"'mreg config set user.signingkey PATH')");
}

int chain_commit(git_oid *out, struct mreg_registry *reg, const git_oid *tree_id,
		 const git_oid *parent_id, const git_signature *author,
		 const git_signature *committer, const char *msg,
		 const struct mreg_key *key)
{
	git_buf buf = GIT_BUF_INIT;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	char *sig = NULL;
	int err = 0;

	if (git_tree_lookup(&tree, reg->repo, tree_id) < 0 ||
	    (parent_id && git_commit_lookup(&parent, reg->repo, parent_id) < 0)) {
		err = mreg_error_git("cannot write commit");
		goto done;
	}
	if (!key) {
		if (git_commit_create(out, reg->repo, NULL, author, committer, NULL,
				      msg, tree, parent ? 1 : 0,
				      (const git_commit **)(parent ? &parent : NULL)) < 0)
			err = mreg_error_git("cannot write commit");
		goto done;
	}
	if (git_commit_create_buffer(&buf, reg->repo, author, committer, NULL, msg,
				     tree, parent ? 1 : 0,
				     (const git_commit **)(parent ? &parent : NULL)) < 0) {
		err = mreg_error_git("cannot write commit");
		goto done;
	}
	if ((err = mreg_sshsig_sign(&sig, NULL, key, MREG_SIGN_NAMESPACE_GIT,
				    buf.ptr, buf.size)) < 0)
		goto done;
	/* git keeps the armor's final newline out of the header */
	if (*sig && sig[strlen(sig) - 1] == '\n')
		sig[strlen(sig) - 1] = '\0';
	if (git_commit_create_with_signature(out, reg->repo, buf.ptr, sig, "gpgsig") < 0)
		err = mreg_error_git("cannot write signed commit");
done:
	free(sig);
	git_buf_dispose(&buf);
	git_commit_free(parent);
	git_tree_free(tree);
	return err;
}

/* Only these headers, in this order; anything else is refused. */
static int check_headers(const git_commit *c, const char *hex)
{
	const char *h = git_commit_raw_header(c);
	int parents = 0, seen_gpgsig = 0;

	while (h && *h) {
		const char *eol = strchr(h, '\n');
		size_t len = eol ? (size_t)(eol - h) : strlen(h);

		if (*h == ' ') {
			/* continuation of a multi-line header (the signature) */
		} else if (starts_with(h, "tree ") || starts_with(h, "author ") ||
			   starts_with(h, "committer ")) {
			/* expected */
		} else if (starts_with(h, "parent ")) {
			if (++parents > 1)
				return mreg_error_set(MREG_EBADSIG,
						      "commit %s is a merge", hex);
		} else if (starts_with(h, "gpgsig ")) {
			if (seen_gpgsig++)
				return mreg_error_set(MREG_EBADSIG,
						      "commit %s has two gpgsig headers", hex);
		} else {
			const char *sp = memchr(h, ' ', len);

			return mreg_error_set(MREG_EBADSIG,
					      "commit %s has an unexpected header '%.*s'", hex,
					      (int)(sp ? (size_t)(sp - h) : len), h);
		}
		h = eol ? eol + 1 : NULL;
	}
	if (!seen_gpgsig)
		return mreg_error_set(MREG_EBADSIG, "commit %s is not signed", hex);
	return 0;
}

int chain_check_commit(struct mreg_pubkey *signer, struct mreg_registry *reg,
		       const git_oid *id)
{
	git_commit *c = NULL;
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	struct strbuf armored = STRBUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], *line = NULL;
	int err;

	git_oid_tostr(hex, sizeof(hex), id);
	if (git_commit_lookup(&c, reg->repo, id) < 0) {
		err = mreg_error_set(MREG_ECORRUPT, "cannot read commit %s", hex);
		goto done;
	}
	if ((err = check_headers(c, hex)) < 0)
		goto done;
	if (git_commit_extract_signature(&sig, &data, reg->repo, (git_oid *)id,
					 "gpgsig") < 0) {
		err = mreg_error_set(MREG_EBADSIG, "commit %s is not signed", hex);
		goto done;
	}
	strbuf_add(&armored, sig.ptr, sig.size);
	strbuf_addch(&armored, '\n');
	if (mreg_sshsig_verify(&line, armored.buf, armored.len,
			       MREG_SIGN_NAMESPACE_GIT, data.ptr, data.size) < 0) {
		err = mreg_error_set(MREG_EBADSIG, "commit %s: %s", hex,
				     mreg_error_last());
		goto done;
	}
	err = mreg_pubkey_parse(signer, line);
done:
	free(line);
	strbuf_release(&armored);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	git_commit_free(c);
	return err;
}

int chain_reaches(struct mreg_registry *reg, const git_oid *head, const git_oid *want)
{
	return git_oid_equal(head, want) ||
	       git_graph_descendant_of(reg->repo, head, want) == 1;
}

/*
 * The registry's own config, without the user's and the system's: trust
 * roots pinned for one registry must not come from ~/.gitconfig.
 */
int local_config(git_config **out, struct mreg_registry *reg)
{
	git_config *all = NULL, *local = NULL;
	int r;

	*out = NULL;
	if ((r = git_repository_config_snapshot(&all, reg->repo)) < 0)
		return r;
	r = git_config_open_level(&local, all, GIT_CONFIG_LEVEL_LOCAL);
	git_config_free(all);
	if (r < 0)
		return r;
	*out = local;
	return 0;
}


int signer_open(struct signer *s, struct mreg_registry *reg, int optional)
{
	struct mreg_pubkey *roots = NULL;
	size_t nr = 0;
	git_oid id;
	int err, has_policy;

	memset(s, 0, sizeof(*s));
	if ((err = mreg_signature_now(&s->sig, reg)) < 0 ||
	    (err = trust_roots(&roots, &nr, reg)) < 0)
		goto done;
	has_policy = !git_reference_name_to_id(&id, reg->repo, "refs/mreg/policy");
	err = signing_key_load(&s->key, reg);
	if (err == MREG_ENOTFOUND && optional && !nr && !has_policy) {
		err = 0;	/* a registry nobody signs for yet */
		goto load_policy;
	}
	if (err < 0)
		goto done;
	mreg_key_pubkey(&s->pub, s->key);
	if (!nr && !has_policy) {
		if ((err = trust_root_add(reg, &s->pub, s->sig->email)) < 0)
			goto done;
		s->pinned = 1;
	}
load_policy:
	err = policy_current(&s->policy, reg);
done:
	free(roots);
	if (err < 0)
		signer_release(s);
	return err;
}

void signer_release(struct signer *s)
{
	mreg_key_free(s->key);
	git_signature_free(s->sig);
	policy_free(s->policy);
	memset(s, 0, sizeof(*s));
}

int signer_allowed(const char **who, struct signer *s, const char *action,
		   const char *route, const char *stage)
{
	int err;

	*who = NULL;
	if (!s->key)
		return 0;
	err = policy_check(who, s->policy, &s->pub, action, route, stage,
			   s->sig->when.time);
	return err == MREG_EBADSIG ? MREG_EDENIED : err;
}

int refs_move_batched(struct mreg_registry *reg, const struct ref_move *moves, size_t nr,
		      const git_signature *sig, const char *log)
{
	struct ref_move *batch = xmalloc(sizeof(*batch) * (nr ? nr : 1));
	size_t i, n = 0, start, batch_size = open_file_budget();
	int err = 0;

	for (i = 0; i < nr; i++)
		if (git_oid_is_zero(&moves[i].old))
			batch[n++] = moves[i];
	for (start = 0; start < n && !err; start += batch_size)
		err = refs_move(reg, batch + start, n - start < batch_size ? n - start : batch_size,
				sig, log);
	for (i = n = 0; i < nr && !err; i++)
		if (!git_oid_is_zero(&moves[i].old))
			batch[n++] = moves[i];
	if (!err && n)
		err = refs_move(reg, batch, n, sig, log);
	free(batch);
	return err;
}

int refs_move(struct mreg_registry *reg, const struct ref_move *moves, size_t nr,
	      const git_signature *sig, const char *log)
{
	git_transaction *tx = NULL;
	size_t i;
	int err = 0, r;

	if (git_transaction_new(&tx, reg->repo) < 0)
		return mreg_error_git("cannot start transaction");
	for (i = 0; i < nr; i++) {
		if ((r = git_transaction_lock_ref(tx, moves[i].name)) < 0) {
			err = r == GIT_ELOCKED
				? mreg_error_set(MREG_ELOCKED,
						 "cannot lock ref '%s': another mreg is writing it; "
						 "if none is running, remove '%s/%s.lock'",
						 moves[i].name, reg->dir, moves[i].name)
				: mreg_error_git("cannot lock ref");
			goto done;
		}
	}
	/* Under the locks, compare: nobody can move them now. */
	for (i = 0; i < nr; i++) {
		git_oid cur;

		r = git_reference_name_to_id(&cur, reg->repo, moves[i].name);
		if (r == GIT_ENOTFOUND ? !git_oid_is_zero(&moves[i].old)
				       : r < 0 || !git_oid_equal(&cur, &moves[i].old)) {
			err = mreg_error_set(MREG_EMODIFIED, "ref '%s' moved since it was read",
					     moves[i].name);
			goto done;
		}
	}
	for (i = 0; i < nr; i++)
		if (git_transaction_set_target(tx, moves[i].name, &moves[i].new, sig, log) < 0) {
			err = mreg_error_git("cannot move ref");
			goto done;
		}
	if (git_transaction_commit(tx) < 0)
		err = mreg_error_git("cannot move refs");
done:
	git_transaction_free(tx);
	return err;
}
