/*
 * Status chains: refs/mreg/status/NAME/VERSION, one signed commit per
 * change of a version's lifecycle state, approval or recorded gate result.
 */
#include "status.h"
#include "chain.h"
#include "policy.h"
#include "mreg/status.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char zero_id[] = "0000000000000000000000000000000000000000";

/*
 * The lifecycle (DESIGN §3), read as a ladder: a validated version may
 * skip rungs on its way to production (validated -> canary), never go
 * back down.  rolled_back and rejected versions can still be retired.
 */
static const struct { const char *from, *to; } transitions[] = {
	{ "created", "candidate" },
	{ "candidate", "validated" },
	{ "candidate", "rejected" },
	{ "validated", "shadow" },
	{ "validated", "canary" },
	{ "validated", "production" },
	{ "validated", "deprecated" },
	{ "shadow", "canary" },
	{ "shadow", "production" },
	{ "canary", "production" },
	{ "production", "rolled_back" },
	{ "production", "deprecated" },
	{ "rolled_back", "deprecated" },
	{ "rejected", "archived" },
	{ "deprecated", "archived" },
};

static const char *const states[] = {
	"created", "candidate", "validated", "rejected", "shadow", "canary",
	"production", "rolled_back", "deprecated", "archived",
};

int mreg_status_valid(const char *state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(states); i++)
		if (!strcmp(states[i], state))
			return 1;
	return 0;
}

int mreg_status_transition_allowed(const char *from, const char *to)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(transitions); i++)
		if (!strcmp(transitions[i].from, from) && !strcmp(transitions[i].to, to))
			return 1;
	return 0;
}

char *mreg_status_successors(const char *from)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(transitions); i++)
		if (!strcmp(transitions[i].from, from))
			strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", transitions[i].to);
	if (!sb.len)
		strbuf_addstr(&sb, "none");
	return strbuf_detach(&sb, NULL);
}

/* Reasons are one line in the status and route files. */
static void add_line(struct strbuf *sb, const char *key, const char *v)
{
	strbuf_addf(sb, "%s ", key);
	for (; *v; v++)
		strbuf_addch(sb, *v == '\n' || *v == '\r' ? ' ' : *v);
	strbuf_addch(sb, '\n');
}

int status_commit(git_oid *out, struct mreg_registry *reg,
		  const struct status_facts *s, const struct status_file *files,
		  size_t nr_files, struct signer *signer)
{
	struct strbuf file = STRBUF_INIT, msg = STRBUF_INIT;
	git_index *idx = NULL;
	git_oid tree_id;
	char prev[GIT_OID_HEXSZ + 1];
	size_t i;
	int err = 0;

	if (s->prev)
		git_oid_tostr(prev, sizeof(prev), s->prev);
	else
		memcpy(prev, zero_id, sizeof(prev));
	strbuf_addf(&file, "mreg-status 1\nmodel %s@%s\ndigest %s\nseq %u\nprev %s\n"
		    "action %s\nfrom %s\nstate %s\npolicy %s\n",
		    s->name, s->version, s->digest, s->seq, prev, s->action,
		    s->from, s->state, s->policy ? s->policy : zero_id);
	add_line(&file, "reason", s->reason);
	strbuf_addf(&msg, "%s@%s: %s -> %s\n\n", s->name, s->version, s->from, s->state);
	strbuf_addf(&msg, "%s\n", s->reason);
	strbuf_addf(&msg, "\nMreg-Digest: %s\nMreg-Owner: %s\nMreg-Registered: %" PRId64
		    "\nMreg-State: %s\n", s->digest, s->owner, s->registered, s->state);
	if (git_index_new(&idx) < 0) {
		err = mreg_error_git("cannot write status");
		goto done;
	}
	for (i = 0; i <= nr_files; i++) {
		git_index_entry e;
		git_oid blob;
		const char *path = i < nr_files ? files[i].path : "status";
		const char *data = i < nr_files ? files[i].data : file.buf;
		size_t len = i < nr_files ? files[i].len : file.len;

		memset(&e, 0, sizeof(e));
		if (git_blob_create_from_buffer(&blob, reg->repo, data, len) < 0) {
			err = mreg_error_git("cannot write status");
			goto done;
		}
		e.mode = GIT_FILEMODE_BLOB;
		e.id = blob;
		e.path = path;
		if (git_index_add(idx, &e) < 0) {
			err = mreg_error_git("cannot write status");
			goto done;
		}
	}
	if (git_index_write_tree_to(&tree_id, idx, reg->repo) < 0) {
		err = mreg_error_git("cannot write status");
		goto done;
	}
	err = chain_commit(out, reg, &tree_id, s->prev, signer->sig, signer->sig,
			   msg.buf, signer->key);
done:
	git_index_free(idx);
	strbuf_release(&file);
	strbuf_release(&msg);
	return err;
}

char *status_field(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		const char *eol = strchr(p, '\n');

		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return xstrndup(p + klen + 1, eol ? (size_t)(eol - p - klen - 1)
							  : strlen(p + klen + 1));
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

char *message_trailer(const char *msg, const char *key)
{
	size_t klen = strlen(key);
	const char *p = msg, *para;

	/* Trailers are the last paragraph: a message above cannot forge them. */
	while ((para = strstr(p, "\n\n")) && para[2])
		p = para + 2;

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

void status_head_release(struct status_head *h)
{
	free(h->state);
	free(h->digest);
	free(h->owner);
	memset(h, 0, sizeof(*h));
}

int status_head_read(struct status_head *out, struct mreg_registry *reg,
		     const char *name, const char *version)
{
	struct strbuf ref = STRBUF_INIT;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	char *seq = NULL, *t = NULL;
	int err = 0, r;

	memset(out, 0, sizeof(*out));
	strbuf_addf(&ref, "refs/mreg/status/%s/%s", name, version);
	r = git_reference_name_to_id(&out->id, reg->repo, ref.buf);
	if (r == GIT_ENOTFOUND) {
		err = mreg_error_set(MREG_ENOTFOUND, "%s@%s has no status chain",
				     name, version);
		goto done;
	}
	if (r < 0 || git_commit_lookup(&c, reg->repo, &out->id) < 0 ||
	    git_commit_tree(&tree, c) < 0 ||
	    git_tree_entry_bypath(&e, tree, "status") < 0 ||
	    git_blob_lookup(&blob, reg->repo, git_tree_entry_id(e)) < 0) {
		err = mreg_error_set(MREG_ECORRUPT, "cannot read the status of %s@%s",
				     name, version);
		goto done;
	}
	{
		struct strbuf text = STRBUF_INIT;

		strbuf_add(&text, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		out->state = status_field(text.buf, "state");
		out->digest = status_field(text.buf, "digest");
		seq = status_field(text.buf, "seq");
		strbuf_release(&text);
	}
	out->owner = message_trailer(git_commit_message(c), "Mreg-Owner");
	t = message_trailer(git_commit_message(c), "Mreg-Registered");
	out->registered = t ? strtoll(t, NULL, 10) : git_commit_time(c);
	if (!out->state || !out->digest || !seq) {
		err = mreg_error_set(MREG_ECORRUPT, "the status of %s@%s is malformed",
				     name, version);
		goto done;
	}
	out->seq = (unsigned)strtoul(seq, NULL, 10);
	if (!out->owner)
		out->owner = xstrdup("");
done:
	free(seq);
	free(t);
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	strbuf_release(&ref);
	if (err < 0)
		status_head_release(out);
	return err;
}

int mreg_status_get(char **out, struct mreg_registry *reg, const char *name,
		    const char *version)
{
	struct strbuf ref = STRBUF_INIT;
	git_oid id;
	git_commit *c = NULL;
	int err = 0, r;

	*out = NULL;
	strbuf_addf(&ref, "refs/mreg/status/%s/%s", name, version);
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

int status_gate_passed(struct mreg_registry *reg, const char *prefix, const char *name,
		       const char *version, int64_t until)
{
	struct strbuf ref = STRBUF_INIT;
	git_commit *c = NULL;
	git_oid id;
	int passed = 0, seen = 0;

	strbuf_addf(&ref, "%sstatus/%s/%s", prefix, name, version);
	if (git_reference_name_to_id(&id, reg->repo, ref.buf) < 0)
		goto done;
	/* Newest first: the latest recorded result is the one that counts. */
	while (!seen && !git_commit_lookup(&c, reg->repo, &id)) {
		git_tree *tree = NULL;
		const git_tree_entry *e;
		git_blob *b = NULL;

		if ((until < 0 || git_commit_time(c) <= until) && !git_commit_tree(&tree, c) &&
		    (e = git_tree_entry_byname(tree, "gate.json")) &&
		    !git_blob_lookup(&b, reg->repo, git_tree_entry_id(e))) {
			seen = 1;
			passed = git_blob_rawsize(b) > 14 &&
				 !memcmp(git_blob_rawcontent(b), "{\"passed\":true", 14);
		}
		git_blob_free(b);
		git_tree_free(tree);
		if (seen || !git_commit_parentcount(c)) {
			git_commit_free(c);
			break;
		}
		id = *git_commit_parent_id(c, 0);
		git_commit_free(c);
	}
done:
	strbuf_release(&ref);
	return passed;
}
