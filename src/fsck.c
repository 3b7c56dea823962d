/*
 * fsck: trusts nothing.  Every version is read back through the same
 * checks as `show` (bundle.yaml against its digest), every file of every
 * bundle re-hashed, every artifact re-hashed once however many versions
 * share it, and every status chain walked from its head to its root.
 */
#include "internal.h"
#include "status.h"
#include "mreg/fsck.h"
#include "mreg/model.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct fsck {
	struct mreg_registry *reg;
	mreg_fsck_report_fn report, warn;
	mreg_progress_fn progress;
	void *payload;
	size_t problems;
	struct blob_ref {
		char sha256[MREG_HEX_SHA256 + 1];
		uint64_t size;
		char *who;	/* the first version naming it, for messages */
	} *art;
	size_t nr_art, alloc_art;
};

static void problem(struct fsck *f, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct fsck *f, const char *object, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	f->problems++;
	if (f->report)
		f->report(object, sb.buf, f->payload);
	strbuf_release(&sb);
}

static void check_version(struct fsck *f, const char *name, const char *version,
			  int devnull)
{
	static const char *const own[] = { "model.yaml", "metrics.yaml", "card.md" };
	struct strbuf ref = STRBUF_INIT;
	struct mreg_model *m = NULL;
	size_t i;

	strbuf_addf(&ref, "%s@%s", name, version);
	if (mreg_model_lookup(&m, f->reg, ref.buf) < 0) {
		problem(f, ref.buf, "%s", mreg_error_last());
		goto done;
	}
	if (!strcmp(m->status, "unknown"))
		problem(f, ref.buf, "it has no status chain");
	for (i = 0; i < m->nr_files; i++) {
		const struct mreg_file *file = &m->files[i];

		if (!file->path)
			continue;
		if (mreg_file_in_store(file)) {
			struct blob_ref *b;

			ALLOC_GROW(f->art, f->nr_art + 1, f->alloc_art);
			b = &f->art[f->nr_art++];
			memcpy(b->sha256, file->sha256, sizeof(b->sha256));
			b->size = file->size;
			b->who = xstrdup(ref.buf);
		} else if (mreg_model_cat(f->reg, m, file->path, devnull, NULL, NULL) < 0) {
			problem(f, ref.buf, "%s", mreg_error_last());
		}
	}
	for (i = 0; i < ARRAY_SIZE(own); i++)
		if (mreg_model_cat(f->reg, m, own[i], devnull, NULL, NULL) < 0 &&
		    mreg_error_code() != MREG_ENOTFOUND)
			problem(f, ref.buf, "%s", mreg_error_last());
done:
	mreg_model_free(m);
	strbuf_release(&ref);
}

static int by_sha(const void *a, const void *b)
{
	return strcmp(((const struct blob_ref *)a)->sha256,
		      ((const struct blob_ref *)b)->sha256);
}

static void check_artifacts(struct fsck *f)
{
	size_t i;

	if (!f->nr_art)
		return;
	qsort(f->art, f->nr_art, sizeof(*f->art), by_sha);
	for (i = 0; i < f->nr_art; i++) {
		if (i && !strcmp(f->art[i].sha256, f->art[i - 1].sha256))
			continue;
		if (mreg_store_verify(f->reg, f->art[i].sha256, f->art[i].size,
				      f->progress, f->payload) < 0) {
			char *path = mreg_store_path(f->reg, f->art[i].sha256);

			problem(f, path, "%s (needed by %s)", mreg_error_last(),
				f->art[i].who);
			free(path);
		}
	}
}

/* Reads "key value" lines of a status file. */
static char *field(const char *text, const char *key)
{
	struct strbuf k = STRBUF_INIT;
	const char *p;
	char *v = NULL;

	strbuf_addf(&k, "\n%s ", key);
	p = strstr(text, k.buf);
	if (p) {
		const char *s = p + k.len, *eol = strchr(s, '\n');

		v = xstrndup(s, eol ? (size_t)(eol - s) : strlen(s));
	}
	strbuf_release(&k);
	return v;
}

static void check_chain(struct fsck *f, const char *name, const char *version,
			const git_oid *head)
{
	struct strbuf label = STRBUF_INIT;
	git_commit *c = NULL;
	git_oid id = *head;
	unsigned long want_seq = 0;
	struct mreg_model *m = NULL;

	strbuf_addf(&label, "refs/mreg/status/%s/%s", name, version);
	{
		struct strbuf ref = STRBUF_INIT;

		strbuf_addf(&ref, "%s@%s", name, version);
		if (mreg_model_lookup(&m, f->reg, ref.buf) < 0 &&
		    mreg_error_code() == MREG_ENOTFOUND)
			problem(f, label.buf, "status chain of a version that does not exist");
		strbuf_release(&ref);
	}
	for (;;) {
		git_tree *tree = NULL;
		git_tree_entry *e = NULL;
		git_blob *blob = NULL;
		char *seq = NULL, *prev = NULL, *digest = NULL;
		char hex[GIT_OID_HEXSZ + 1], want_prev[GIT_OID_HEXSZ + 1];
		struct strbuf text = STRBUF_INIT;
		unsigned long s;
		int stop = 1;

		git_oid_tostr(hex, sizeof(hex), &id);
		if (git_commit_lookup(&c, f->reg->repo, &id) < 0 ||
		    git_commit_tree(&tree, c) < 0 ||
		    git_tree_entry_bypath(&e, tree, "status") < 0 ||
		    git_blob_lookup(&blob, f->reg->repo, git_tree_entry_id(e)) < 0) {
			problem(f, label.buf, "commit %s is unreadable or has no status file", hex);
			goto next;
		}
		strbuf_addch(&text, '\n');
		strbuf_add(&text, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		seq = field(text.buf, "seq");
		prev = field(text.buf, "prev");
		digest = field(text.buf, "digest");
		if (!starts_with(text.buf, "\nmreg-status 1\n") || !seq || !prev || !digest) {
			problem(f, label.buf, "commit %s has a malformed status file", hex);
			goto next;
		}
		s = strtoul(seq, NULL, 10);
		if (want_seq && s != want_seq) {
			problem(f, label.buf, "commit %s has seq %lu, expected %lu", hex, s, want_seq);
			goto next;
		}
		if (m && strcmp(digest, m->digest))
			problem(f, label.buf, "commit %s names digest %s, not %s", hex,
				digest, m->digest);
		if (git_commit_parentcount(c) > 1) {
			problem(f, label.buf, "commit %s is a merge", hex);
			goto next;
		}
		if (git_commit_parentcount(c))
			git_oid_tostr(want_prev, sizeof(want_prev), git_commit_parent_id(c, 0));
		else
			memset(want_prev, '0', GIT_OID_HEXSZ), want_prev[GIT_OID_HEXSZ] = '\0';
		if (strcmp(prev, want_prev)) {
			problem(f, label.buf, "commit %s says prev %s, but its parent is %s",
				hex, prev, want_prev);
			goto next;
		}
		if (!git_commit_parentcount(c)) {
			if (s != 1)
				problem(f, label.buf, "root commit %s has seq %lu, not 1", hex, s);
			goto next;
		}
		want_seq = s - 1;
		id = *git_commit_parent_id(c, 0);
		stop = 0;
next:
		free(seq);
		free(prev);
		free(digest);
		strbuf_release(&text);
		git_blob_free(blob);
		git_tree_entry_free(e);
		git_tree_free(tree);
		git_commit_free(c);
		c = NULL;
		if (stop)
			break;
	}
	mreg_model_free(m);
	strbuf_release(&label);
}

static int walk_refs(struct fsck *f, const char *prefix, int models, int devnull)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	struct strbuf glob = STRBUF_INIT;
	int r;

	strbuf_addf(&glob, "%s*", prefix);
	if (git_reference_iterator_glob_new(&it, f->reg->repo, glob.buf) < 0) {
		strbuf_release(&glob);
		return mreg_error_git("cannot read refs");
	}
	while (!(r = git_reference_next(&ref, it))) {
		const char *full = git_reference_name(ref), *rest = full + strlen(prefix);
		const char *slash = strchr(rest, '/');
		const git_oid *id = git_reference_target(ref);

		if (!slash || strchr(slash + 1, '/') || !id) {
			problem(f, full, "not a NAME/VERSION ref");
		} else {
			char *name = xstrndup(rest, slash - rest);

			if (models)
				check_version(f, name, slash + 1, devnull);
			else
				check_chain(f, name, slash + 1, id);
			free(name);
		}
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	strbuf_release(&glob);
	if (r != GIT_ITEROVER) {
		/* a ref file that does not parse stops libgit2's iterator */
		problem(f, prefix, "cannot read refs: %s",
			git_error_last() ? git_error_last()->message : "?");
	}
	return 0;
}

static void warn_leftovers(struct fsck *f, const char *dir, const char *suffix,
			   const char *what)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct strbuf p = STRBUF_INIT, msg = STRBUF_INIT;

		if (de->d_name[0] == '.' && (!de->d_name[1] ||
					     (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		strbuf_addf(&p, "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR) {
			warn_leftovers(f, p.buf, suffix, what);
		} else if (!suffix || ends_with(de->d_name, suffix)) {
			strbuf_addf(&msg, "%s left by an interrupted command; "
				    "if no mreg is running, remove it", what);
			if (f->warn)
				f->warn(p.buf, msg.buf, f->payload);
		}
		strbuf_release(&p);
		strbuf_release(&msg);
	}
	closedir(d);
}

static int check_stored(const char *name, uint64_t size, void *payload)
{
	struct fsck *f = payload;
	struct blob_ref key;

	if (strlen(name) != MREG_HEX_SHA256 || !is_hex(name, MREG_HEX_SHA256)) {
		problem(f, name, "a file in the artifact store that is not named by a sha256");
		return 0;
	}
	/* Referenced objects were re-hashed already. */
	memcpy(key.sha256, name, sizeof(key.sha256));
	if (f->nr_art && bsearch(&key, f->art, f->nr_art, sizeof(*f->art), by_sha))
		return 0;
	if (mreg_store_verify(f->reg, name, size, f->progress, f->payload) < 0) {
		char *path = mreg_store_path(f->reg, name);

		problem(f, path, "%s", mreg_error_last());
		free(path);
	}
	return 0;
}

int mreg_fsck(size_t *problems, struct mreg_registry *reg, unsigned flags,
	      mreg_fsck_report_fn report, mreg_fsck_report_fn warn,
	      mreg_progress_fn progress, void *payload)
{
	struct fsck f;
	struct strbuf refs = STRBUF_INIT;
	size_t i;
	int devnull, err = 0;

	memset(&f, 0, sizeof(f));
	f.reg = reg;
	f.report = report;
	f.warn = warn;
	f.progress = progress;
	f.payload = payload;
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		return mreg_error_errno(MREG_EIO, "cannot open", "/dev/null");
	if ((err = walk_refs(&f, "refs/mreg/models/", 1, devnull)) < 0 ||
	    (err = walk_refs(&f, "refs/mreg/status/", 0, devnull)) < 0)
		goto done;
	check_artifacts(&f);
	if (flags & MREG_FSCK_FULL)
		err = mreg_store_foreach(reg, check_stored, &f);
	warn_leftovers(&f, reg->tmp, NULL, "a temporary file");
	strbuf_addf(&refs, "%s/refs", reg->dir);
	warn_leftovers(&f, refs.buf, ".lock", "a lock");
done:
	close(devnull);
	for (i = 0; i < f.nr_art; i++)
		free(f.art[i].who);
	free(f.art);
	strbuf_release(&refs);
	*problems = f.problems;
	return err;
}
