/*
 * Registering versions: validate the manifest, store every file (hashing
 * while copying), write the bundle tree and its commit, then create the
 * version ref and its status chain in one libgit2 transaction.  Nothing a
 * reader can see changes until that transaction commits.
 */
#include "internal.h"
#include "bundle.h"
#include "manifest.h"
#include "status.h"
#include "chain.h"
#include "policy.h"
#include "mreg/name.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void model_ref(struct strbuf *sb, const char *name, const char *version)
{
	strbuf_addf(sb, "refs/mreg/models/%s/%s", name, version);
}

int mreg_file_in_store(const struct mreg_file *f)
{
	return f->path && f->size > MREG_BLOB_LIMIT;
}

void mreg_model_free(struct mreg_model *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->version);
	free(m->ref);
	free(m->owner);
	free(m->status);
	mreg_value_free(m->doc);
	bundle_files_free(m->files, m->nr_files);
	free(m);
}

static int version_exists(struct mreg_registry *reg, const char *name,
			  const char *version)
{
	struct strbuf ref = STRBUF_INIT;
	git_oid id;
	int r;

	model_ref(&ref, name, version);
	r = git_reference_name_to_id(&id, reg->repo, ref.buf);
	strbuf_release(&ref);
	return r == 0;
}

/* NAME_YYYYMMDD_NNN: the first free number today (UTC) from *n on. */
static char *auto_version(struct mreg_registry *reg, const char *name, int *n)
{
	struct strbuf v = STRBUF_INIT;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	for (; *n < 1000; (*n)++) {
		strbuf_reset(&v);
		strbuf_addf(&v, "%s_%04d%02d%02d_%03d", name, tm.tm_year + 1900,
			    tm.tm_mon + 1, tm.tm_mday, *n);
		if (strlen(v.buf) > MREG_NAME_MAX || !version_exists(reg, name, v.buf))
			break;
	}
	return strbuf_detach(&v, NULL);
}

/* Opens a file of the bundle, which must be a regular file. */
static int open_source(int *fd, struct stat *st, const struct manifest_file *mf)
{
	*fd = open(mf->source, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return mreg_error_set(errno == ENOENT ? MREG_ENOTFOUND : MREG_EIO,
				      "%s: cannot read '%s': %s", mf->where,
				      mf->f.path, strerror(errno));
	if (fstat(*fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		return mreg_error_set(MREG_EINVALID, "%s: '%s' is %s, not a file",
				      mf->where, mf->f.path,
				      S_ISDIR(st->st_mode) ? "a directory" : "special");
	}
	return 0;
}

/* Every file must be there and readable before the first byte is stored. */
static int check_sources(const struct manifest *m)
{
	struct stat st;
	size_t i;
	int fd, err;

	for (i = 0; i < m->nr_files; i++) {
		if (!m->files[i].source)
			continue;
		if ((err = open_source(&fd, &st, &m->files[i])) < 0)
			return err;
		close(fd);
		if (m->files[i].f.has_size && (uint64_t)st.st_size != m->files[i].f.size)
			return mreg_error_set(MREG_EINVALID,
					      "%s: '%s' is %" PRIu64 " bytes, but the manifest says %" PRIu64,
					      m->files[i].where, m->files[i].f.path,
					      (uint64_t)st.st_size, m->files[i].f.size);
	}
	return 0;
}

/*
 * Stores one file: small ones as git blobs (their bytes are read once,
 * at most 1 MiB + 1), large ones streamed into the artifact store.
 */
static int store_file(struct mreg_registry *reg, struct manifest_file *mf,
		      git_oid *blob, const struct mreg_register_options *opts)
{
	struct strbuf buf = STRBUF_INIT;
	char hex[MREG_HEX_SHA256 + 1];
	const char *expect = mf->expect_sha256 ? mf->f.sha256 : NULL;
	uint64_t size = 0;
	struct stat st;
	int fd, err;

	if ((err = open_source(&fd, &st, mf)) < 0)
		return err;
	if (st.st_size <= MREG_BLOB_LIMIT &&
	    strbuf_read_fd(&buf, fd, MREG_BLOB_LIMIT) < 0 && errno != EFBIG) {
		err = mreg_error_set(MREG_EIO, "%s: cannot read '%s': %s",
				     mf->where, mf->f.path, strerror(errno));
		goto done;
	}
	if (st.st_size <= MREG_BLOB_LIMIT && buf.len <= MREG_BLOB_LIMIT) {
		mreg_sha256_hex(hex, buf.buf, buf.len);
		size = buf.len;
		if (expect && strcmp(hex, expect))
			err = MREG_EINVALID;
		else if (git_blob_create_from_buffer(blob, reg->repo, buf.buf, buf.len) < 0)
			err = mreg_error_git("cannot store file");
	} else if (lseek(fd, 0, SEEK_SET) < 0) {
		/* it may have grown past the limit while we read it: stream it whole */
		err = mreg_error_errno(MREG_EIO, "cannot read", mf->source);
	} else {
		err = mreg_store_put_fd(hex, &size, reg, fd, expect, st.st_size,
					opts->progress, opts->payload);
	}
	if (err == MREG_EINVALID)
		err = mreg_error_set(MREG_EINVALID,
				     "%s: '%s' has sha256 %s, but the manifest says %s",
				     mf->where, mf->f.path, hex, mf->f.sha256);
	if (err < 0)
		goto done;
	if (mf->f.has_size && size != mf->f.size) {
		err = mreg_error_set(MREG_EINVALID,
				     "%s: '%s' is %" PRIu64 " bytes, but the manifest says %" PRIu64,
				     mf->where, mf->f.path, size, mf->f.size);
		goto done;
	}
	memcpy(mf->f.sha256, hex, sizeof(hex));
	mf->f.size = size;
	mf->f.has_size = 1;
done:
	close(fd);
	strbuf_release(&buf);
	return err;
}

static int index_add(git_index *idx, const char *path, const git_oid *id)
{
	git_index_entry e;

	memset(&e, 0, sizeof(e));
	e.mode = GIT_FILEMODE_BLOB;
	e.id = *id;
	e.path = path;
	return git_index_add(idx, &e) < 0 ? mreg_error_git("cannot build bundle tree") : 0;
}

static int add_text(git_index *idx, struct mreg_registry *reg, const char *path,
		    const char *text, size_t len)
{
	git_oid id;

	if (git_blob_create_from_buffer(&id, reg->repo, text, len) < 0)
		return mreg_error_git("cannot store bundle");
	return index_add(idx, path, &id);
}

struct written {
	git_oid tree;
	char digest[7 + MREG_HEX_SHA256 + 1];
	char *bundle_yaml;
};

/* Stores every file of the bundle, once, whatever version it ends up as. */
static int store_files(struct mreg_registry *reg, struct manifest *m,
		       const struct mreg_register_options *opts)
{
	size_t i;
	int err;

	if ((err = check_sources(m)) < 0)
		return err;
	for (i = 0; i < m->nr_files; i++)
		if (m->files[i].source &&
		    (err = store_file(reg, &m->files[i], &m->files[i].blob, opts)) < 0)
			return err;
	return 0;
}

/* Writes the bundle tree of `version`: bundle.yaml names its version. */
static int write_bundle(struct written *w, struct mreg_registry *reg,
			struct manifest *m, const char *version)
{
	git_index *idx = NULL;
	struct mreg_value *doc = NULL;
	char *model = NULL, *metrics = NULL, *card = NULL;
	size_t i, len;
	int err = 0;

	if (git_index_new(&idx) < 0)
		return mreg_error_git("cannot build bundle tree");
	for (i = 0; i < m->nr_files && !err; i++)
		if (m->files[i].source && !mreg_file_in_store(&m->files[i].f))
			err = index_add(idx, m->files[i].f.path, &m->files[i].blob);
	if (err < 0)
		goto done;
	doc = manifest_bundle(m, version);
	if ((err = mreg_yaml_emit(&w->bundle_yaml, &len, doc)) < 0)
		goto done;
	memcpy(w->digest, "sha256:", 7);
	mreg_sha256_hex(w->digest + 7, w->bundle_yaml, len);
	model = bundle_model_yaml(doc);
	metrics = bundle_metrics_yaml(doc);
	card = bundle_card_md(doc);
	if ((err = add_text(idx, reg, "bundle.yaml", w->bundle_yaml, len)) < 0 ||
	    (err = add_text(idx, reg, "model.yaml", model, strlen(model))) < 0 ||
	    (err = add_text(idx, reg, "metrics.yaml", metrics, strlen(metrics))) < 0 ||
	    (card && (err = add_text(idx, reg, "card.md", card, strlen(card))) < 0))
		goto done;
	if (git_index_write_tree_to(&w->tree, idx, reg->repo) < 0)
		err = mreg_error_git("cannot write bundle tree");
done:
	free(model);
	free(metrics);
	free(card);
	mreg_value_free(doc);
	git_index_free(idx);
	return err;
}

/* Creates both refs, or neither; the version must not exist yet. */
static int create_refs(struct mreg_registry *reg, const char *name,
		       const char *version, const git_oid *model,
		       const git_oid *status, const git_signature *sig)
{
	struct strbuf mref = STRBUF_INIT, sref = STRBUF_INIT, log = STRBUF_INIT;
	struct ref_move moves[2];
	int err;

	model_ref(&mref, name, version);
	strbuf_addf(&sref, "refs/mreg/status/%s/%s", name, version);
	strbuf_addf(&log, "register %s@%s", name, version);
	memset(moves, 0, sizeof(moves));
	moves[0].name = mref.buf;
	moves[0].new = *model;
	moves[1].name = sref.buf;
	moves[1].new = *status;
	err = refs_move(reg, moves, 2, sig, log.buf);
	/* Under the locks the refs were there: someone registered it first. */
	if (err == MREG_EMODIFIED)
		err = mreg_error_set(MREG_EEXISTS, "%s@%s is already registered",
				     name, version);
	strbuf_release(&mref);
	strbuf_release(&sref);
	strbuf_release(&log);
	return err;
}

static int register_version(struct mreg_registry *reg, struct manifest *m,
			    const char *version, const char *message,
			    struct signer *signer, char *digest)
{
	struct written w;
	struct strbuf msg = STRBUF_INIT;
	struct status_facts facts;
	git_oid commit, status;
	const struct mreg_value *owner = mreg_value_get(m->doc, "owner");
	int err;

	memset(&w, 0, sizeof(w));
	if ((err = write_bundle(&w, reg, m, version)) < 0)
		goto done;
	strbuf_addf(&msg, "register %s@%s\n\n", m->name, version);
	if (message && *message)
		strbuf_addf(&msg, "%s\n\n", message);
	strbuf_addf(&msg, "Mreg-Digest: %s\n", w.digest);
	if ((err = chain_commit(&commit, reg, &w.tree, NULL, signer->sig, signer->sig,
				msg.buf, signer->key)) < 0)
		goto done;
	memset(&facts, 0, sizeof(facts));
	facts.name = m->name;
	facts.version = version;
	facts.digest = w.digest;
	facts.owner = owner->text;
	facts.registered = signer->sig->when.time;
	facts.action = "register";
	facts.from = "created";
	facts.state = "candidate";
	facts.reason = message && *message ? message : "registered";
	facts.seq = 1;
	facts.policy = signer->policy->commit;
	if ((err = status_commit(&status, reg, &facts, NULL, 0, signer)) < 0 ||
	    (err = create_refs(reg, m->name, version, &commit, &status, signer->sig)) < 0)
		goto done;
	memcpy(digest, w.digest, sizeof(w.digest));
done:
	free(w.bundle_yaml);
	strbuf_release(&msg);
	return err;
}

/*
 * Thousands of loose refs make every listing open thousands of files; once
 * a model has many versions, pack its refs (as git's gc --auto would).
 * Best effort: the registry is correct either way.
 */
#define PACK_REFS_AFTER 256

static void maybe_pack_refs(struct mreg_registry *reg, const char *name)
{
	struct strbuf dir = STRBUF_INIT;
	git_refdb *refdb = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	strbuf_addf(&dir, "%s/refs/mreg/status/%s", reg->dir, name);
	if ((d = opendir(dir.buf))) {
		while ((de = readdir(d)) && n < PACK_REFS_AFTER)
			n += de->d_name[0] != '.';
		closedir(d);
	}
	if (n >= PACK_REFS_AFTER && !git_repository_refdb(&refdb, reg->repo))
		git_refdb_compress(refdb);
	git_refdb_free(refdb);
	strbuf_release(&dir);
}

int mreg_model_register(struct mreg_model **out, struct mreg_registry *reg,
			const char *path, const struct mreg_register_options *opts)
{
	struct manifest *m = NULL;
	struct signer signer;
	const char *fixed, *who;
	char *version = NULL;
	char digest[7 + MREG_HEX_SHA256 + 1];
	int err, n = 1;

	*out = NULL;
	memset(&signer, 0, sizeof(signer));
	if ((err = manifest_load(&m, path)) < 0)
		return err;
	if ((err = signer_open(&signer, reg, 1)) < 0 ||
	    (err = signer_allowed(&who, &signer, "register", NULL, NULL)) < 0 ||
	    (err = policy_check_manifest(signer.policy, m->doc)) < 0)
		goto done;
	if (opts->version && (err = mreg_name_check("model version", opts->version)) < 0)
		goto done;
	fixed = opts->version ? opts->version : m->version;
	/* Fail before hashing gigabytes for a version that exists. */
	if (fixed && version_exists(reg, m->name, fixed)) {
		err = mreg_error_set(MREG_EEXISTS, "%s@%s is already registered",
				     m->name, fixed);
		goto done;
	}
	if ((err = store_files(reg, m, opts)) < 0)
		goto done;
	for (;;) {
		free(version);
		version = fixed ? xstrdup(fixed) : auto_version(reg, m->name, &n);
		err = register_version(reg, m, version, opts->message, &signer, digest);
		/* An automatic version taken by a racing register: take the next. */
		if (fixed || (err != MREG_EEXISTS && err != MREG_ELOCKED) || ++n >= 1000)
			break;
	}
	if (err < 0)
		goto done;
	maybe_pack_refs(reg, m->name);
	{
		struct strbuf ref = STRBUF_INIT;

		strbuf_addf(&ref, "%s@%s", m->name, version);
		err = mreg_model_lookup(out, reg, ref.buf);
		strbuf_release(&ref);
	}
done:
	free(version);
	manifest_free(m);
	signer_release(&signer);
	return err;
}
