#include "status.h"
#include "mreg/status.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char zero_id[] = "0000000000000000000000000000000000000000";

int status_commit(git_oid *out, struct mreg_registry *reg,
		  const struct status_facts *s, const git_signature *sig)
{
	struct strbuf file = STRBUF_INIT, msg = STRBUF_INIT;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_oid blob, tree_id;
	char prev[GIT_OID_HEXSZ + 1];
	int err = 0;

	if (s->prev)
		git_oid_tostr(prev, sizeof(prev), s->prev);
	else
		memcpy(prev, zero_id, sizeof(prev));
	strbuf_addf(&file, "mreg-status 1\nmodel %s@%s\ndigest %s\nseq %u\nprev %s\n"
		    "from %s\nstate %s\nreason %s\n",
		    s->name, s->version, s->digest, s->seq, prev, s->from,
		    s->state, s->reason);
	strbuf_addf(&msg, "%s@%s: %s -> %s\n\n%s\n\nMreg-Digest: %s\n"
		    "Mreg-Owner: %s\nMreg-Registered: %" PRId64 "\nMreg-State: %s\n",
		    s->name, s->version, s->from, s->state, s->reason, s->digest,
		    s->owner, s->registered, s->state);
	if (git_blob_create_from_buffer(&blob, reg->repo, file.buf, file.len) < 0 ||
	    git_treebuilder_new(&tb, reg->repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, tb, "status", &blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree_id, tb) < 0 ||
	    git_tree_lookup(&tree, reg->repo, &tree_id) < 0 ||
	    (s->prev && git_commit_lookup(&parent, reg->repo, s->prev) < 0) ||
	    git_commit_create(out, reg->repo, NULL, sig, sig, NULL, msg.buf, tree,
			      parent ? 1 : 0,
			      (const git_commit **)(parent ? &parent : NULL)) < 0)
		err = mreg_error_git("cannot write status");
	git_commit_free(parent);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	strbuf_release(&file);
	strbuf_release(&msg);
	return err;
}

char *message_trailer(const char *msg, const char *key)
{
	size_t klen = strlen(key);
	const char *p = msg;

	while (p && *p) {
		const char *eol = strchr(p, '\n');

		if (!strncmp(p, key, klen) && p[klen] == ':' && p[klen + 1] == ' ') {
			const char *v = p + klen + 2;

			return xstrndup(v, eol ? (size_t)(eol - v) : strlen(v));
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

static void status_ref(struct strbuf *sb, const char *name, const char *version)
{
	strbuf_addf(sb, "refs/mreg/status/%s/%s", name, version);
}

int mreg_status_get(char **out, struct mreg_registry *reg, const char *name,
		    const char *version)
{
	struct strbuf ref = STRBUF_INIT;
	git_oid id;
	git_commit *c = NULL;
	int err = 0, r;

	*out = NULL;
	status_ref(&ref, name, version);
	r = git_reference_name_to_id(&id, reg->repo, ref.buf);
	if (r == GIT_ENOTFOUND)
		err = mreg_error_set(MREG_ENOTFOUND, "%s@%s has no status chain",
				     name, version);
	else if (r < 0 || git_commit_lookup(&c, reg->repo, &id) < 0)
		err = mreg_error_git("cannot read status");
	else if (!(*out = message_trailer(git_commit_message(c), "Mreg-State")))
		err = mreg_error_set(MREG_ECORRUPT, "status of %s@%s names no state",
				     name, version);
	git_commit_free(c);
	strbuf_release(&ref);
	return err;
}
