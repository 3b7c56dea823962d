/*
 * Finding versions (NAME@VERSION, a bare VERSION, sha256:<prefix>) and
 * reading them back.  Reading re-hashes bundle.yaml against the digest the
 * version was registered with, so a rewritten bundle is caught at once.
 */
#include "internal.h"
#include "bundle.h"
#include "status.h"
#include "mreg/model.h"
#include "mreg/name.h"
#include "mreg/status.h"
#include "verify.h"

#include <stdlib.h>

static int read_blob(git_blob **out, git_repository *repo, const git_tree *tree,
		     const char *path)
{
	git_tree_entry *e = NULL;
	int r = git_tree_entry_bypath(&e, tree, path);

	*out = NULL;
	if (r == GIT_ENOTFOUND)
		return MREG_ENOTFOUND;
	if (r < 0 || git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(out, repo, git_tree_entry_id(e)) < 0) {
		git_tree_entry_free(e);
		return MREG_ECORRUPT;
	}
	git_tree_entry_free(e);
	return 0;
}

int model_load_at(struct mreg_model **out, struct mreg_registry *reg,
		  const char *prefix, const char *name, const char *version)
{
	struct strbuf ref = STRBUF_INIT, label = STRBUF_INIT;
	struct mreg_model *m = xcalloc(1, sizeof(*m));
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	char *recorded = NULL;
	const struct mreg_value *v;
	git_oid id;
	int err = 0, r;

	m->name = xstrdup(name);
	m->version = xstrdup(version);
	strbuf_addf(&label, "%s@%s", name, version);
	m->ref = xstrdup(label.buf);
	strbuf_addf(&ref, "%smodels/%s/%s", prefix, name, version);
	r = git_reference_name_to_id(&id, reg->repo, ref.buf);
	if (r == GIT_ENOTFOUND) {
		err = mreg_error_set(MREG_ENOTFOUND, "no such version '%s'", m->ref);
		goto done;
	}
	if (r < 0 || git_commit_lookup(&c, reg->repo, &id) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		err = mreg_error_set(MREG_ECORRUPT, "cannot read %s: %s", m->ref,
				     git_error_last() ? git_error_last()->message : "?");
		goto done;
	}
	git_oid_tostr(m->commit, sizeof(m->commit), &id);
	m->time = git_commit_time(c);
	if (read_blob(&blob, reg->repo, tree, "bundle.yaml") < 0) {
		err = mreg_error_set(MREG_ECORRUPT, "%s has no readable bundle.yaml", m->ref);
		goto done;
	}
	memcpy(m->digest, "sha256:", 7);
	mreg_sha256_hex(m->digest + 7, git_blob_rawcontent(blob),
			(size_t)git_blob_rawsize(blob));
	recorded = message_trailer(git_commit_message(c), "Mreg-Digest");
	if (!recorded || strcmp(recorded, m->digest)) {
		err = mreg_error_set(MREG_ECORRUPT,
				     "bundle.yaml of %s hashes to %s, but it was registered as %s",
				     m->ref, m->digest, recorded ? recorded : "(nothing)");
		goto done;
	}
	strbuf_addstr(&label, ":bundle.yaml");
	if ((err = mreg_yaml_parse(&m->doc, git_blob_rawcontent(blob),
				   (size_t)git_blob_rawsize(blob), label.buf)) < 0 ||
	    (err = bundle_files(&m->files, &m->nr_files, m->doc)) < 0)
		goto done;
	v = mreg_value_get(m->doc, "name");
	if (!v || !v->text || strcmp(v->text, name) ||
	    !(v = mreg_value_get(m->doc, "version")) || !v->text ||
	    strcmp(v->text, version)) {
		err = mreg_error_set(MREG_ECORRUPT,
				     "bundle.yaml of %s names another version", m->ref);
		goto done;
	}
	v = mreg_value_get(m->doc, "owner");
	m->owner = xstrdup(v && v->text ? v->text : "");
	if (mreg_status_get(&m->status, reg, name, version) < 0)
		m->status = xstrdup("unknown");
done:
	free(recorded);
	git_blob_free(blob);
	git_tree_free(tree);
	git_commit_free(c);
	strbuf_release(&ref);
	strbuf_release(&label);
	if (err < 0) {
		mreg_model_free(m);
		m = NULL;
	}
	*out = m;
	return err;
}

/* Calls fn(name, version) for every version ref matching `glob`. */
static int foreach_ref(struct mreg_registry *reg, const char *prefix,
		       const char *glob,
		       int (*fn)(const char *name, const char *version,
				 const git_oid *id, void *payload),
		       void *payload)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int err = 0, r;

	if (git_reference_iterator_glob_new(&it, reg->repo, glob) < 0)
		return mreg_error_git("cannot read refs");
	while (!err && !(r = git_reference_next(&ref, it))) {
		const char *full = git_reference_name(ref), *rest, *slash;
		const git_oid *id = git_reference_target(ref);

		if (starts_with(full, prefix) && id) {
			rest = full + strlen(prefix);
			slash = strchr(rest, '/');
			if (slash && !strchr(slash + 1, '/')) {
				char *name = xstrndup(rest, slash - rest);

				err = fn(name, slash + 1, id, payload);
				free(name);
			}
		}
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return err;
}

struct matches {
	const char *want;	/* a version or a digest prefix */
	struct mreg_registry *reg;
	struct strbuf names;	/* "a@b, c@d" for the ambiguity message */
	char *name, *version;	/* the first match */
	size_t nr;
};

static void add_match(struct matches *mt, const char *name, const char *version)
{
	if (!mt->nr++) {
		mt->name = xstrdup(name);
		mt->version = xstrdup(version);
	}
	if (mt->nr <= 5)
		strbuf_addf(&mt->names, "%s%s@%s", mt->names.len ? ", " : "", name, version);
}

static int match_version(const char *name, const char *version, const git_oid *id,
			 void *payload)
{
	struct matches *mt = payload;

	if (!strcmp(version, mt->want))
		add_match(mt, name, version);
	return 0;
}

static int match_digest(const char *name, const char *version, const git_oid *id,
			void *payload)
{
	struct matches *mt = payload;
	git_commit *c = NULL;
	char *d;

	if (git_commit_lookup(&c, mt->reg->repo, id) < 0)
		return 0;
	d = message_trailer(git_commit_message(c), "Mreg-Digest");
	if (d && starts_with(d, mt->want))
		add_match(mt, name, version);
	free(d);
	git_commit_free(c);
	return 0;
}

int mreg_model_lookup(struct mreg_model **out, struct mreg_registry *reg,
		      const char *spec)
{
	const char *at = strchr(spec, '@');
	struct matches mt;
	int err;

	*out = NULL;
	if (at) {
		char *name = xstrndup(spec, at - spec);

		err = mreg_name_check("model name", name);
		if (!err)
			err = mreg_name_check("model version", at + 1);
		if (!err)
			err = model_load_at(out, reg, "refs/mreg/", name, at + 1);
		free(name);
		return err;
	}
	memset(&mt, 0, sizeof(mt));
	strbuf_init(&mt.names, 0);
	mt.reg = reg;
	if (starts_with(spec, "sha256:")) {
		size_t n = strlen(spec + 7);

		if (n < 7 || n > MREG_HEX_SHA256 || !is_hex(spec + 7, n))
			return mreg_error_set(MREG_EINVALID,
					      "invalid digest '%s': use sha256: and 7 to 64 lower-case hex digits",
					      spec);
		mt.want = spec;
		err = foreach_ref(reg, "refs/mreg/models/", "refs/mreg/models/*",
				  match_digest, &mt);
	} else {
		if ((err = mreg_name_check("model version", spec)) < 0)
			return err;
		mt.want = spec;
		err = foreach_ref(reg, "refs/mreg/models/", "refs/mreg/models/*",
				  match_version, &mt);
	}
	if (!err && !mt.nr)
		err = mreg_error_set(MREG_ENOTFOUND, "no such version '%s'", spec);
	else if (!err && mt.nr > 1)
		err = mreg_error_set(MREG_EAMBIGUOUS,
				     "'%s' is ambiguous: it matches %s%s; use NAME@VERSION",
				     spec, mt.names.buf, mt.nr > 5 ? ", ..." : "");
	else if (!err)
		err = model_load_at(out, reg, "refs/mreg/", mt.name, mt.version);
	free(mt.name);
	free(mt.version);
	strbuf_release(&mt.names);
	return err;
}

struct listing {
	struct mreg_registry *reg;
	struct entry {
		char *name, *version, *owner, *status, *digest;
		int64_t time;
	} *e;
	size_t nr, alloc;
};

static int collect(const char *name, const char *version, const git_oid *id,
		   void *payload)
{
	struct listing *l = payload;
	git_commit *c = NULL;
	struct entry *e;
	const char *msg;
	char *t;

	if (git_commit_lookup(&c, l->reg->repo, id) < 0)
		return mreg_error_git("cannot read status");
	msg = git_commit_message(c);
	ALLOC_GROW(l->e, l->nr + 1, l->alloc);
	e = &l->e[l->nr++];
	e->name = xstrdup(name);
	e->version = xstrdup(version);
	e->owner = message_trailer(msg, "Mreg-Owner");
	e->status = message_trailer(msg, "Mreg-State");
	e->digest = message_trailer(msg, "Mreg-Digest");
	t = message_trailer(msg, "Mreg-Registered");
	e->time = t ? strtoll(t, NULL, 10) : git_commit_time(c);
	free(t);
	git_commit_free(c);
	return 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c;

	if (x->time != y->time)
		return x->time < y->time ? 1 : -1;
	if ((c = strcmp(x->name, y->name)))
		return c;
	return -strcmp(x->version, y->version);
}

int mreg_model_list(struct mreg_registry *reg, const char *name,
		    int (*fn)(const struct mreg_model_summary *s, void *payload),
		    void *payload)
{
	struct listing l;
	struct strbuf glob = STRBUF_INIT;
	size_t i;
	int err;

	memset(&l, 0, sizeof(l));
	l.reg = reg;
	if (name && (err = mreg_name_check("model name", name)) < 0)
		return err;
	strbuf_addstr(&glob, "refs/mreg/status/");
	if (name)
		strbuf_addf(&glob, "%s/", name);
	strbuf_addch(&glob, '*');
	err = foreach_ref(reg, "refs/mreg/status/", glob.buf, collect, &l);
	if (l.nr)
		qsort(l.e, l.nr, sizeof(*l.e), newest_first);
	for (i = 0; i < l.nr && !err; i++) {
		struct mreg_model_summary s;

		s.name = l.e[i].name;
		s.version = l.e[i].version;
		s.owner = l.e[i].owner ? l.e[i].owner : "";
		s.status = l.e[i].status ? l.e[i].status : "unknown";
		s.digest = l.e[i].digest ? l.e[i].digest : "";
		s.time = l.e[i].time;
		err = fn(&s, payload);
	}
	for (i = 0; i < l.nr; i++) {
		free(l.e[i].name);
		free(l.e[i].version);
		free(l.e[i].owner);
		free(l.e[i].status);
		free(l.e[i].digest);
	}
	free(l.e);
	strbuf_release(&glob);
	return err;
}
