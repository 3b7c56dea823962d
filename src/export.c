/*
 * Getting bytes out: `cat` of one file and `export` of a whole bundle.
 * Nothing leaves the registry unverified: blobs and artifacts are
 * re-hashed against the sha256 that bundle.yaml (itself checked against
 * the version's digest) records for them.
 */
#define _XOPEN_SOURCE 700
#include "internal.h"
#include "bundle.h"
#include "mreg/model.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

const struct mreg_file *mreg_model_file(const struct mreg_model *m, const char *path)
{
	size_t i;

	for (i = 0; i < m->nr_files; i++)
		if (m->files[i].path && !strcmp(m->files[i].path, path))
			return &m->files[i];
	return NULL;
}

/* The generated files, checked by generating them again. */
static char *generated(const struct mreg_model *m, const char *path, int *known)
{
	*known = 1;
	if (!strcmp(path, "model.yaml"))
		return bundle_model_yaml(m->doc);
	if (!strcmp(path, "metrics.yaml"))
		return bundle_metrics_yaml(m->doc);
	if (!strcmp(path, "card.md"))
		return bundle_card_md(m->doc);
	*known = 0;
	return NULL;
}

static int read_tree_file(struct strbuf *out, struct mreg_registry *reg,
			  const struct mreg_model *m, const char *path)
{
	git_oid id;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int err = 0;

	if (git_oid_fromstr(&id, m->commit) < 0 ||
	    git_commit_lookup(&c, reg->repo, &id) < 0 ||
	    git_commit_tree(&tree, c) < 0 ||
	    git_tree_entry_bypath(&e, tree, path) < 0 ||
	    git_blob_lookup(&blob, reg->repo, git_tree_entry_id(e)) < 0)
		err = mreg_error_set(MREG_ECORRUPT, "%s: '%s' is missing from the bundle",
				     m->ref, path);
	else
		strbuf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	return err;
}

/* The verified bytes of a file kept in git (not the artifact store). */
static int small_file(struct strbuf *out, struct mreg_registry *reg,
		      const struct mreg_model *m, const char *path)
{
	const struct mreg_file *f = mreg_model_file(m, path);
	char *want = NULL, hex[MREG_HEX_SHA256 + 1];
	int known, err;

	want = generated(m, path, &known);
	if (!f && !known && strcmp(path, "bundle.yaml"))
		return mreg_error_set(MREG_ENOTFOUND, "%s has no file '%s'", m->ref, path);
	if (known && !want)
		return mreg_error_set(MREG_ENOTFOUND, "%s has no file '%s'", m->ref, path);
	if ((err = read_tree_file(out, reg, m, path)) < 0)
		goto done;
	if (f) {
		mreg_sha256_hex(hex, out->buf, out->len);
		if (strcmp(hex, f->sha256) || out->len != f->size)
			err = mreg_error_set(MREG_ECORRUPT,
					     "%s: '%s' is corrupt: it hashes to %s, not %s",
					     m->ref, path, hex, f->sha256);
	} else if (want && strcmp(want, out->buf)) {
		err = mreg_error_set(MREG_ECORRUPT,
				     "%s: '%s' does not match bundle.yaml", m->ref, path);
	}
	/* bundle.yaml itself was checked against the digest when it was read. */
done:
	free(want);
	return err;
}

int mreg_model_cat(struct mreg_registry *reg, const struct mreg_model *m,
		   const char *path, int fd, mreg_progress_fn progress, void *payload)
{
	const struct mreg_file *f = mreg_model_file(m, path);
	struct strbuf buf = STRBUF_INIT;
	int err;

	if (!f) {
		size_t i;

		for (i = 0; i < m->nr_files; i++)
			if (m->files[i].uri && !strcmp(m->files[i].uri, path))
				return mreg_error_set(MREG_ENOTFOUND,
						      "%s: '%s' is external; mreg holds only its sha256",
						      m->ref, path);
	}
	if (f && mreg_file_in_store(f)) {
		/* Check it all before the first byte goes out, then copy re-hashing. */
		if ((err = mreg_store_verify(reg, f->sha256, f->size, progress, payload)) < 0)
			return err;
		return mreg_store_copy(reg, f->sha256, f->size, fd, NULL, NULL);
	}
	if ((err = small_file(&buf, reg, m, path)) < 0)
		goto done;
	if (write_all(fd, buf.buf, buf.len) < 0)
		err = mreg_error_set(MREG_EIO, "cannot write '%s': %s", path, strerror(errno));
done:
	strbuf_release(&buf);
	return err;
}

static int write_one(struct mreg_registry *reg, const struct mreg_model *m,
		     const char *top, const char *path,
		     mreg_progress_fn progress, void *payload)
{
	struct strbuf dest = STRBUF_INIT;
	char *slash;
	int fd = -1, err = 0;

	strbuf_addf(&dest, "%s/%s", top, path);
	slash = strrchr(dest.buf, '/');
	*slash = '\0';
	if (mkdir_p(dest.buf) < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot create", dest.buf);
		goto done;
	}
	*slash = '/';
	fd = open(dest.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot create", dest.buf);
		goto done;
	}
	if ((err = mreg_model_cat(reg, m, path, fd, progress, payload)) < 0)
		goto done;
	if (fsync(fd) < 0)
		err = mreg_error_errno(MREG_EIO, "cannot write", dest.buf);
done:
	if (fd >= 0)
		close(fd);
	strbuf_release(&dest);
	return err;
}

static int write_bundle_dir(struct mreg_registry *reg, const struct mreg_model *m,
			    const char *tmp, mreg_progress_fn progress, void *payload)
{
	static const char *const own[] = {
		"bundle.yaml", "model.yaml", "metrics.yaml", "card.md",
	};
	size_t i;
	int err = 0;

	for (i = 0; i < m->nr_files && !err; i++) {
		const struct mreg_file *f = &m->files[i];

		/* A path listed twice (two kinds, one file) is written once. */
		if (f->path && mreg_model_file(m, f->path) == f)
			err = write_one(reg, m, tmp, f->path, progress, payload);
	}
	for (i = 0; i < ARRAY_SIZE(own) && !err; i++) {
		if (!strcmp(own[i], "card.md") && !mreg_value_get(m->doc, "card"))
			continue;
		err = write_one(reg, m, tmp, own[i], NULL, NULL);
	}
	if (!err && fsync_dir(tmp) < 0)
		err = mreg_error_errno(MREG_EIO, "cannot sync", tmp);
	return err;
}

int mreg_model_export(struct mreg_registry *reg, const struct mreg_model *m,
		      const char *dir, int force,
		      mreg_progress_fn progress, void *payload)
{
	struct strbuf tmp = STRBUF_INIT, old = STRBUF_INIT, parent = STRBUF_INIT;
	struct strbuf path = STRBUF_INIT;
	const char *base;
	struct stat st;
	int exists, err = 0;

	/* "out/" and "out" are the same directory */
	strbuf_addstr(&path, dir);
	while (path.len > 1 && path.buf[path.len - 1] == '/')
		strbuf_setlen(&path, path.len - 1);
	dir = path.buf;
	base = strrchr(dir, '/');
	if (base)
		strbuf_add(&parent, dir, base - dir + 1);
	else
		strbuf_addstr(&parent, "./");
	exists = !lstat(dir, &st);
	if (exists && !force) {
		err = mreg_error_set(MREG_EEXISTS,
				     "'%s' already exists; use --force to replace it", dir);
		goto done;
	}
	if (exists && !S_ISDIR(st.st_mode)) {
		err = mreg_error_set(MREG_EEXISTS, "'%s' exists and is not a directory", dir);
		goto done;
	}
	strbuf_addf(&tmp, "%s.mreg-export-XXXXXX", parent.buf);
	if (!mkdtemp(tmp.buf)) {
		err = mreg_error_errno(MREG_EIO, "cannot create a directory in", parent.buf);
		goto done;
	}
	if ((err = write_bundle_dir(reg, m, tmp.buf, progress, payload)) < 0)
		goto done;
	if (exists) {
		strbuf_addf(&old, "%s.mreg-old-XXXXXX", parent.buf);
		if (!mkdtemp(old.buf) || rename(dir, old.buf) < 0) {
			err = mreg_error_errno(MREG_EIO, "cannot replace", dir);
			goto done;
		}
	}
	if (rename(tmp.buf, dir) < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot create", dir);
		if (exists)
			rename(old.buf, dir);
		goto done;
	}
	strbuf_reset(&tmp);
	fsync_dir(parent.buf);
done:
	if (tmp.len)
		remove_tree(tmp.buf);
	if (old.len)
		remove_tree(old.buf);
	strbuf_release(&tmp);
	strbuf_release(&old);
	strbuf_release(&parent);
	strbuf_release(&path);
	return err;
}
