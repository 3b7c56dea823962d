/*
 * Manifest validation.  The manifest's vocabulary follows DESIGN §1; every
 * error names FILE:LINE:COLUMN of the node at fault and is found before a
 * single byte is stored.
 */
#include "internal.h"
#include "manifest.h"
#include "mreg/name.h"

#include <stdlib.h>

static const char *const top_keys[] = {
	"model_name", "model_version", "model_type", "objective", "owner",
	"runtime", "artifact", "artifact_uri", "sha256", "size", "components",
	"training", "lineage", "hyperparameters", "metrics", "privacy", "card",
};

/* Required by default (reference §46: the minimal production plan). */
static const char *const required_keys[] = {
	"model_name", "owner", "training.code_version",
	"lineage.training_dataset_version", "lineage.feature_set_version",
	"lineage.label_versions", "metrics",
};

static const char *const reserved_paths[] = {
	"bundle.yaml", "model.yaml", "metrics.yaml", "card.md",
};

int manifest_reserved_path(const char *path)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reserved_paths); i++)
		if (!strcmp(path, reserved_paths[i]))
			return 1;
	return 0;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row, res;

	if (la > 64 || lb > 64)
		return 99;
	row = xcalloc(lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	res = row[lb];
	free(row);
	return res;
}

static int check_keys(const struct manifest *m, const struct mreg_value *map,
		      const char *where, const char *const *allowed, size_t n)
{
	size_t i, j;

	for (i = 0; i < map->nr; i++) {
		const char *k = map->keys[i];
		const char *best = NULL;
		size_t bestd = 3;

		if (!where && starts_with(k, "x-"))
			continue;
		for (j = 0; j < n; j++) {
			size_t d;

			if (!strcmp(k, allowed[j]))
				break;
			d = edit_distance(k, allowed[j]);
			if (d < bestd) {
				bestd = d;
				best = allowed[j];
			}
		}
		if (j < n)
			continue;
		if (best)
			return value_error(MREG_EINVALID, m->file, map->items[i],
				  "unknown key '%s%s%s' (did you mean '%s'?)",
				  where ? where : "", where ? "." : "", k, best);
		return value_error(MREG_EINVALID, m->file, map->items[i],
			  "unknown key '%s%s%s'%s", where ? where : "",
			  where ? "." : "", k,
			  where ? "" : "; private keys must start with 'x-'");
	}
	return 0;
}

static int want(const struct manifest *m, const struct mreg_value *v,
		const char *key, enum mreg_value_kind kind)
{
	int ok = kind == MREG_VALUE_STRING ? mreg_value_is_scalar(v) &&
					     v->kind != MREG_VALUE_NULL
					   : v->kind == kind;

	if (ok)
		return 0;
	return value_error(MREG_EINVALID, m->file, v, "'%s' must be %s, not %s", key,
		  kind == MREG_VALUE_STRING ? "a scalar" : mreg_value_kind_name(kind),
		  mreg_value_kind_name(v->kind));
}

static int check_name(const struct manifest *m, const struct mreg_value *v,
		      const char *what)
{
	int err = mreg_name_check(what, v->text);

	if (err < 0) {
		char *msg = xstrdup(mreg_error_last());

		err = value_error(err, m->file, v, "%s", msg);
		free(msg);
	}
	return err;
}

static int check_sha256(const struct manifest *m, const struct mreg_value *v,
			char *hex)
{
	const char *s = v->text;

	if (v->kind != MREG_VALUE_STRING && v->kind != MREG_VALUE_INT)
		return value_error(MREG_EINVALID, m->file, v, "sha256 must be 64 hex digits");
	if (starts_with(s, "sha256:"))
		s += 7;
	if (strlen(s) != MREG_HEX_SHA256 || !is_hex(s, MREG_HEX_SHA256))
		return value_error(MREG_EINVALID, m->file, v,
			  "sha256 must be 64 lower-case hex digits, not '%s'", v->text);
	memcpy(hex, s, MREG_HEX_SHA256 + 1);
	return 0;
}

static int check_size(const struct manifest *m, const struct mreg_value *v,
		      uint64_t *size)
{
	char *end;

	if (v->kind != MREG_VALUE_INT || v->text[0] == '-')
		return value_error(MREG_EINVALID, m->file, v, "size must be a whole number of bytes");
	errno = 0;
	*size = strtoull(v->text, &end, 10);
	if (errno || *end)
		return value_error(MREG_EINVALID, m->file, v, "size must be a whole number of bytes");
	return 0;
}

static char *where_of(const struct manifest *m, const struct mreg_value *v)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s:%zu:%zu", m->file, v->line, v->column);
	return strbuf_detach(&sb, NULL);
}

/* Resolves a bundle path against the manifest's directory. */
static char *source_path(const struct manifest *m, const char *path)
{
	const char *slash = strrchr(m->file, '/');
	struct strbuf sb = STRBUF_INIT;

	if (slash)
		strbuf_add(&sb, m->file, slash - m->file + 1);
	strbuf_addstr(&sb, path);
	return strbuf_detach(&sb, NULL);
}

static struct manifest_file *add_file(struct manifest *m, size_t *alloc,
				      const char *kind, const char *name)
{
	struct manifest_file *mf;

	ALLOC_GROW(m->files, m->nr_files + 1, *alloc);
	mf = &m->files[m->nr_files++];
	memset(mf, 0, sizeof(*mf));
	mf->f.kind = xstrdup(kind);
	mf->f.name = name ? xstrdup(name) : NULL;
	return mf;
}

static const char *const spec_keys[] = { "version", "path", "uri", "sha256", "size" };

/*
 * One file entry: a bare path, or {path|uri, sha256, size} (plus version
 * for components).
 */
static int parse_spec(struct manifest *m, size_t *alloc, const struct mreg_value *v,
		      const char *kind, const char *name, const char *label)
{
	struct manifest_file *mf = add_file(m, alloc, kind, name);
	const struct mreg_value *path, *uri, *sha, *size, *version;
	int err;

	mf->where = where_of(m, v);
	if (mreg_value_is_scalar(v) && !strcmp(kind, "artifact")) {
		path = v;
		uri = sha = size = version = NULL;
	} else if (v->kind != MREG_VALUE_MAP) {
		return value_error(MREG_EINVALID, m->file, v,
			  "'%s' must be a mapping with version and path (or uri and sha256)",
			  label);
	} else {
		if ((err = check_keys(m, v, label, spec_keys, ARRAY_SIZE(spec_keys))) < 0)
			return err;
		path = mreg_value_get(v, "path");
		uri = mreg_value_get(v, "uri");
		sha = mreg_value_get(v, "sha256");
		size = mreg_value_get(v, "size");
		version = mreg_value_get(v, "version");
	}
	if (!strcmp(kind, "artifact") && version)
		return value_error(MREG_EINVALID, m->file, version,
			  "the artifact takes no version; the bundle's version is its version");
	if (strcmp(kind, "artifact")) {
		if (!version)
			return value_error(MREG_EINVALID, m->file, v, "'%s' needs a version", label);
		if ((err = want(m, version, "version", MREG_VALUE_STRING)) < 0)
			return err;
		mf->f.version = xstrdup(version->text);
	}
	if (!!path == !!uri)
		return value_error(MREG_EINVALID, m->file, v, "'%s' needs exactly one of path and uri",
			  label);
	if (path) {
		if ((err = want(m, path, "path", MREG_VALUE_STRING)) < 0)
			return err;
		if ((err = mreg_path_check("path", path->text)) < 0) {
			char *msg = xstrdup(mreg_error_last());

			err = value_error(err, m->file, path, "%s", msg);
			free(msg);
			return err;
		}
		if (manifest_reserved_path(path->text))
			return value_error(MREG_EINVALID, m->file, path,
				  "path '%s' is reserved for the bundle itself",
				  path->text);
		mf->f.path = xstrdup(path->text);
		mf->source = source_path(m, path->text);
	} else {
		if ((err = want(m, uri, "uri", MREG_VALUE_STRING)) < 0)
			return err;
		if (!sha)
			return value_error(MREG_EINVALID, m->file, v,
				  "'%s' has a uri, so it needs its sha256", label);
		mf->f.uri = xstrdup(uri->text);
	}
	if (sha) {
		if ((err = check_sha256(m, sha, mf->f.sha256)) < 0)
			return err;
		mf->expect_sha256 = 1;
	}
	if (size) {
		if ((err = check_size(m, size, &mf->f.size)) < 0)
			return err;
		mf->f.has_size = 1;
	}
	return 0;
}

static int parse_artifact(struct manifest *m, size_t *alloc)
{
	const struct mreg_value *a = mreg_value_get(m->doc, "artifact");
	const struct mreg_value *uri = mreg_value_get(m->doc, "artifact_uri");
	const struct mreg_value *sha = mreg_value_get(m->doc, "sha256");
	const struct mreg_value *size = mreg_value_get(m->doc, "size");
	struct manifest_file *mf;
	size_t i;
	int err;

	if (a && uri)
		return value_error(MREG_EINVALID, m->file, uri,
			  "give either 'artifact' or 'artifact_uri', not both");
	if ((sha || size) && !uri)
		return value_error(MREG_EINVALID, m->file, sha ? sha : size,
			  "top-level 'sha256' and 'size' describe 'artifact_uri'");
	if (uri) {
		if ((err = want(m, uri, "artifact_uri", MREG_VALUE_STRING)) < 0)
			return err;
		if (!sha)
			return value_error(MREG_EINVALID, m->file, uri,
				  "'artifact_uri' needs 'sha256' so its bytes can be verified");
		mf = add_file(m, alloc, "artifact", NULL);
		mf->where = where_of(m, uri);
		mf->f.uri = xstrdup(uri->text);
		mf->expect_sha256 = 1;
		if ((err = check_sha256(m, sha, mf->f.sha256)) < 0)
			return err;
		if (size && (err = check_size(m, size, &mf->f.size)) < 0)
			return err;
		mf->f.has_size = !!size;
		return 0;
	}
	if (!a)
		return value_error(MREG_EINVALID, m->file, m->doc,
			  "missing required key 'artifact' (or 'artifact_uri')");
	if (a->kind != MREG_VALUE_SEQ)
		return parse_spec(m, alloc, a, "artifact", NULL, "artifact");
	if (!a->nr)
		return value_error(MREG_EINVALID, m->file, a, "'artifact' lists no files");
	for (i = 0; i < a->nr; i++)
		if ((err = parse_spec(m, alloc, a->items[i], "artifact", NULL,
				      "artifact")) < 0)
			return err;
	return 0;
}

/* A spec has a version, path or uri; anything else is a map of named specs. */
static int is_spec(const struct mreg_value *v)
{
	return v->kind == MREG_VALUE_MAP &&
	       (mreg_value_get(v, "version") || mreg_value_get(v, "path") ||
		mreg_value_get(v, "uri"));
}

static int parse_components(struct manifest *m, size_t *alloc)
{
	const struct mreg_value *c = mreg_value_get(m->doc, "components");
	size_t i, j;
	int err;

	if (!c)
		return 0;
	if ((err = want(m, c, "components", MREG_VALUE_MAP)) < 0)
		return err;
	for (i = 0; i < c->nr; i++) {
		const char *kind = c->keys[i];
		const struct mreg_value *v = c->items[i];
		struct strbuf label = STRBUF_INIT;

		if ((err = mreg_name_check("component kind", kind)) < 0)
			return value_error(err, m->file, v, "%s", mreg_error_last());
		strbuf_addf(&label, "components.%s", kind);
		if (is_spec(v) || v->kind != MREG_VALUE_MAP || !v->nr) {
			err = parse_spec(m, alloc, v, kind, NULL, label.buf);
			strbuf_release(&label);
			if (err < 0)
				return err;
			continue;
		}
		for (j = 0; j < v->nr && !err; j++) {
			size_t base = label.len;

			if ((err = mreg_name_check("component name", v->keys[j])) < 0) {
				err = value_error(err, m->file, v->items[j], "%s", mreg_error_last());
				break;
			}
			strbuf_addf(&label, ".%s", v->keys[j]);
			err = parse_spec(m, alloc, v->items[j], kind, v->keys[j], label.buf);
			strbuf_setlen(&label, base);
		}
		strbuf_release(&label);
		if (err < 0)
			return err;
	}
	return 0;
}

static int check_metric_map(const struct manifest *m, const struct mreg_value *v,
			    struct strbuf *label)
{
	size_t i, base = label->len;
	double d;
	int err = 0;

	if (v->kind != MREG_VALUE_MAP)
		return value_error(MREG_EINVALID, m->file, v, "'%s' must be a mapping of metric names to numbers",
			  label->buf);
	for (i = 0; i < v->nr && !err; i++) {
		strbuf_addf(label, ".%s", v->keys[i]);
		if (!mreg_value_is_number(v->items[i]))
			err = value_error(MREG_EINVALID, m->file, v->items[i],
				 "metric '%s' must be a number, not %s%s%s%s",
				 label->buf, mreg_value_kind_name(v->items[i]->kind),
				 v->items[i]->text ? " '" : "",
				 v->items[i]->text ? v->items[i]->text : "",
				 v->items[i]->text ? "'" : "");
		else if (mreg_value_number(&d, v->items[i]) < 0 || d != d ||
			 d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
			err = value_error(MREG_EINVALID, m->file, v->items[i],
				 "metric '%s' must be a finite number, not '%s'",
				 label->buf, v->items[i]->text);
		strbuf_setlen(label, base);
	}
	return err;
}

static int check_metrics(const struct manifest *m)
{
	const struct mreg_value *v = mreg_value_get(m->doc, "metrics");
	struct strbuf label = STRBUF_INIT;
	size_t i, j;
	int err = 0;

	if ((err = want(m, v, "metrics", MREG_VALUE_MAP)) < 0)
		return err;
	for (i = 0; i < v->nr && !err; i++) {
		const struct mreg_value *g = v->items[i];

		strbuf_reset(&label);
		strbuf_addf(&label, "metrics.%s", v->keys[i]);
		if (strcmp(v->keys[i], "segments")) {
			err = check_metric_map(m, g, &label);
			continue;
		}
		if (g->kind != MREG_VALUE_MAP) {
			err = value_error(MREG_EINVALID, m->file, g,
				 "'metrics.segments' must map segment names to metrics");
			break;
		}
		for (j = 0; j < g->nr && !err; j++) {
			strbuf_reset(&label);
			strbuf_addf(&label, "metrics.segments.%s", g->keys[j]);
			err = check_metric_map(m, g->items[j], &label);
		}
	}
	strbuf_release(&label);
	return err;
}

static int check_required(const struct manifest *m)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(required_keys); i++) {
		const char *key = required_keys[i], *dot = strchr(key, '.');
		const struct mreg_value *parent = m->doc, *v;

		if (dot) {
			char *head = xstrndup(key, dot - key);
			int err = 0;

			parent = mreg_value_get(m->doc, head);
			if (parent && parent->kind != MREG_VALUE_MAP)
				err = want(m, parent, head, MREG_VALUE_MAP);
			free(head);
			if (err < 0)
				return err;
		}
		v = parent ? mreg_value_get(parent, dot ? dot + 1 : key) : NULL;
		if (!v || v->kind == MREG_VALUE_NULL)
			return value_error(MREG_EINVALID, m->file, parent ? parent : m->doc,
				  "missing required key '%s'", key);
	}
	return 0;
}

static int check_sections(const struct manifest *m)
{
	static const char *const maps[] = {
		"training", "lineage", "hyperparameters", "privacy", "card",
	};
	static const char *const scalars[] = {
		"model_type", "objective", "owner", "runtime",
		"training.code_version", "training.job_id",
		"lineage.training_dataset_version", "lineage.feature_set_version",
	};
	const struct mreg_value *v;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(maps); i++)
		if ((v = mreg_value_get(m->doc, maps[i])) &&
		    (err = want(m, v, maps[i], MREG_VALUE_MAP)) < 0)
			return err;
	for (i = 0; i < ARRAY_SIZE(scalars); i++)
		if ((v = mreg_value_path(m->doc, scalars[i])) &&
		    (err = want(m, v, scalars[i], MREG_VALUE_STRING)) < 0)
			return err;
	v = mreg_value_path(m->doc, "lineage.label_versions");
	if (v && (err = want(m, v, "lineage.label_versions", MREG_VALUE_MAP)) < 0)
		return err;
	return 0;
}

/* Two entries for one path must agree, and no path may be another's directory. */
static int check_paths(const struct manifest *m)
{
	size_t i, j;

	for (i = 0; i < m->nr_files; i++) {
		const char *a = m->files[i].f.path;

		if (!a)
			continue;
		for (j = 0; j < m->nr_files; j++) {
			const char *b = m->files[j].f.path;
			size_t la;

			if (i == j || !b)
				continue;
			la = strlen(a);
			if (!strncmp(a, b, la) && b[la] == '/')
				return mreg_error_set(MREG_EINVALID,
					"%s: path '%s' is a file, but '%s' needs it to be a directory",
					m->files[j].where, a, b);
		}
	}
	return 0;
}

static int validate(struct manifest *m)
{
	const struct mreg_value *name, *version;
	size_t alloc = 0;
	int err;

	if (m->doc->kind != MREG_VALUE_MAP)
		return value_error(MREG_EINVALID, m->file, m->doc,
			  "a manifest must be a mapping, not %s",
			  mreg_value_kind_name(m->doc->kind));
	if ((err = check_keys(m, m->doc, NULL, top_keys, ARRAY_SIZE(top_keys))) < 0 ||
	    (err = check_required(m)) < 0 ||
	    (err = check_sections(m)) < 0)
		return err;
	name = mreg_value_get(m->doc, "model_name");
	if ((err = want(m, name, "model_name", MREG_VALUE_STRING)) < 0 ||
	    (err = check_name(m, name, "model name")) < 0)
		return err;
	m->name = name->text;
	version = mreg_value_get(m->doc, "model_version");
	if (version) {
		if ((err = want(m, version, "model_version", MREG_VALUE_STRING)) < 0 ||
		    (err = check_name(m, version, "model version")) < 0)
			return err;
		m->version = version->text;
	}
	if ((err = check_metrics(m)) < 0 ||
	    (err = parse_artifact(m, &alloc)) < 0 ||
	    (err = parse_components(m, &alloc)) < 0)
		return err;
	return check_paths(m);
}

int manifest_load(struct manifest **out, const char *path)
{
	struct manifest *m = xcalloc(1, sizeof(*m));
	int err;

	*out = NULL;
	m->file = xstrdup(path);
	if ((err = mreg_yaml_load(&m->doc, path)) < 0 || (err = validate(m)) < 0) {
		manifest_free(m);
		return err;
	}
	*out = m;
	return 0;
}

void manifest_free(struct manifest *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nr_files; i++) {
		struct manifest_file *mf = &m->files[i];

		free(mf->f.kind);
		free(mf->f.name);
		free(mf->f.version);
		free(mf->f.path);
		free(mf->f.uri);
		free(mf->source);
		free(mf->where);
	}
	free(m->files);
	mreg_value_free(m->doc);
	free(m->file);
	free(m);
}
