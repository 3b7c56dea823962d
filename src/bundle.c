/*
 * The canonical bundle document.  bundle.yaml is the one file whose
 * SHA-256 is a version's identity, so it must come out byte for byte the
 * same from the same manifest: fixed order for the keys mreg defines,
 * bytewise order for every map the user defines.
 */
#include "internal.h"
#include "bundle.h"
#include "manifest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Manifest key -> bundle key, in bundle order; NULL bundle key: same name. */
static const struct { const char *from, *to; } scalar_keys[] = {
	{ "model_type", "type" },
	{ "objective", NULL },
	{ "owner", NULL },
	{ "runtime", NULL },
};

static const char *const map_keys[] = {
	"training", "lineage", "hyperparameters", "metrics", "privacy", "card",
};

struct mreg_value *bundle_canonical(const struct mreg_value *v)
{
	struct mreg_value *c;
	size_t i;

	if (v->kind != MREG_VALUE_MAP && v->kind != MREG_VALUE_SEQ)
		return mreg_value_dup(v);
	c = mreg_value_new(v->kind, NULL);
	for (i = 0; i < v->nr; i++) {
		struct mreg_value *item = bundle_canonical(v->items[i]);

		if (v->kind == MREG_VALUE_MAP)
			mreg_value_set(c, v->keys[i], item);
		else
			mreg_value_push(c, item);
	}
	if (c->kind == MREG_VALUE_MAP)
		mreg_value_sort(c);
	return c;
}

static void set_str(struct mreg_value *map, const char *key, const char *s)
{
	mreg_value_set(map, key, mreg_value_new(MREG_VALUE_STRING, s));
}

struct mreg_value *bundle_file_value(const struct mreg_file *f)
{
	struct mreg_value *v = mreg_value_new(MREG_VALUE_MAP, NULL);
	char num[32];

	if (strcmp(f->kind, "artifact"))
		set_str(v, "kind", f->kind);
	if (f->name)
		set_str(v, "name", f->name);
	if (f->version)
		set_str(v, "version", f->version);
	if (f->path)
		set_str(v, "path", f->path);
	else
		set_str(v, "uri", f->uri);
	set_str(v, "sha256", f->sha256);
	if (f->has_size) {
		snprintf(num, sizeof(num), "%" PRIu64, f->size);
		mreg_value_set(v, "size", mreg_value_new(MREG_VALUE_INT, num));
	}
	return v;
}

static int file_order(const void *a, const void *b)
{
	const struct manifest_file *x = a, *y = b;
	int c = strcmp(x->f.kind, y->f.kind);

	if (c)
		return c;
	return strcmp(x->f.name ? x->f.name : "", y->f.name ? y->f.name : "");
}

static int key_order(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Private x- keys go last, in bytewise order. */
static void add_private_keys(struct mreg_value *b, const struct mreg_value *doc)
{
	const char **keys = xmalloc(sizeof(*keys) * (doc->nr ? doc->nr : 1));
	size_t i, n = 0;

	for (i = 0; i < doc->nr; i++)
		if (starts_with(doc->keys[i], "x-"))
			keys[n++] = doc->keys[i];
	qsort(keys, n, sizeof(*keys), key_order);
	for (i = 0; i < n; i++)
		mreg_value_set(b, keys[i], bundle_canonical(mreg_value_get(doc, keys[i])));
	free(keys);
}

struct mreg_value *manifest_bundle(const struct manifest *m, const char *version)
{
	struct mreg_value *b = mreg_value_new(MREG_VALUE_MAP, NULL), *arts, *comps;
	struct manifest_file *sorted;
	size_t i;

	mreg_value_set(b, "mreg_bundle", mreg_value_new(MREG_VALUE_INT, BUNDLE_FORMAT));
	set_str(b, "name", m->name);
	set_str(b, "version", version);
	for (i = 0; i < ARRAY_SIZE(scalar_keys); i++) {
		const struct mreg_value *v = mreg_value_get(m->doc, scalar_keys[i].from);

		if (v)
			mreg_value_set(b, scalar_keys[i].to ? scalar_keys[i].to
							    : scalar_keys[i].from,
				       mreg_value_dup(v));
	}
	/* Artifacts keep the manifest's order (shards are ordered); components sort. */
	arts = mreg_value_new(MREG_VALUE_SEQ, NULL);
	for (i = 0; i < m->nr_files; i++)
		if (!strcmp(m->files[i].f.kind, "artifact"))
			mreg_value_push(arts, bundle_file_value(&m->files[i].f));
	if (arts->nr == 1) {
		mreg_value_set(b, "artifact", mreg_value_dup(arts->items[0]));
		mreg_value_free(arts);
	} else {
		mreg_value_set(b, "artifact", arts);
	}
	sorted = xmalloc(sizeof(*sorted) * (m->nr_files ? m->nr_files : 1));
	memcpy(sorted, m->files, sizeof(*sorted) * m->nr_files);
	qsort(sorted, m->nr_files, sizeof(*sorted), file_order);
	comps = mreg_value_new(MREG_VALUE_SEQ, NULL);
	for (i = 0; i < m->nr_files; i++)
		if (strcmp(sorted[i].f.kind, "artifact"))
			mreg_value_push(comps, bundle_file_value(&sorted[i].f));
	free(sorted);
	mreg_value_set(b, "components", comps);
	for (i = 0; i < ARRAY_SIZE(map_keys); i++) {
		const struct mreg_value *v = mreg_value_get(m->doc, map_keys[i]);

		if (v)
			mreg_value_set(b, map_keys[i], bundle_canonical(v));
	}
	add_private_keys(b, m->doc);
	return b;
}

static int bad_bundle(const char *why)
{
	return mreg_error_set(MREG_ECORRUPT, "bundle.yaml is malformed: %s", why);
}

static int read_file_entry(struct mreg_file *f, const struct mreg_value *v,
			   const char *kind)
{
	const struct mreg_value *x;

	if (v->kind != MREG_VALUE_MAP)
		return bad_bundle("a file entry is not a mapping");
	x = mreg_value_get(v, "kind");
	f->kind = xstrdup(kind ? kind : x && x->text ? x->text : "");
	if ((x = mreg_value_get(v, "name")) && x->text)
		f->name = xstrdup(x->text);
	if ((x = mreg_value_get(v, "version")) && x->text)
		f->version = xstrdup(x->text);
	if ((x = mreg_value_get(v, "path")) && x->text)
		f->path = xstrdup(x->text);
	else if ((x = mreg_value_get(v, "uri")) && x->text)
		f->uri = xstrdup(x->text);
	else
		return bad_bundle("a file entry has neither path nor uri");
	x = mreg_value_get(v, "sha256");
	if (!x || !x->text || strlen(x->text) != MREG_HEX_SHA256 ||
	    !is_hex(x->text, MREG_HEX_SHA256))
		return bad_bundle("a file entry has no valid sha256");
	memcpy(f->sha256, x->text, MREG_HEX_SHA256 + 1);
	if ((x = mreg_value_get(v, "size"))) {
		if (x->kind != MREG_VALUE_INT)
			return bad_bundle("a file size is not a number");
		f->size = strtoull(x->text, NULL, 10);
		f->has_size = 1;
	}
	if (f->path && !f->has_size)
		return bad_bundle("a stored file has no size");
	if (!*f->kind)
		return bad_bundle("a component has no kind");
	return 0;
}

int bundle_files(struct mreg_file **out, size_t *nr, const struct mreg_value *doc)
{
	const struct mreg_value *a = mreg_value_get(doc, "artifact");
	const struct mreg_value *c = mreg_value_get(doc, "components");
	size_t n = 0, i, total;
	struct mreg_file *files;
	int err = 0;

	*out = NULL;
	*nr = 0;
	if (!a || (c && c->kind != MREG_VALUE_SEQ))
		return bad_bundle("no artifact, or components is not a list");
	total = (a->kind == MREG_VALUE_SEQ ? a->nr : 1) + (c ? c->nr : 0);
	files = xcalloc(total ? total : 1, sizeof(*files));
	if (a->kind == MREG_VALUE_SEQ)
		for (i = 0; i < a->nr && !err; i++)
			err = read_file_entry(&files[n++], a->items[i], "artifact");
	else
		err = read_file_entry(&files[n++], a, "artifact");
	for (i = 0; c && i < c->nr && !err; i++)
		err = read_file_entry(&files[n++], c->items[i], NULL);
	if (err < 0) {
		bundle_files_free(files, n);
		return err;
	}
	*out = files;
	*nr = n;
	return 0;
}

void bundle_files_free(struct mreg_file *files, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(files[i].kind);
		free(files[i].name);
		free(files[i].version);
		free(files[i].path);
		free(files[i].uri);
	}
	free(files);
}

static char *emit_keys(const struct mreg_value *doc, const char *const *keys,
		       size_t n, const char *header)
{
	struct mreg_value *v = mreg_value_new(MREG_VALUE_MAP, NULL);
	struct strbuf sb = STRBUF_INIT;
	char *yaml = NULL;
	size_t i, len;

	for (i = 0; i < n; i++) {
		const struct mreg_value *x = mreg_value_get(doc, keys[i]);

		if (x)
			mreg_value_set(v, keys[i], mreg_value_dup(x));
	}
	strbuf_addstr(&sb, header);
	if (!mreg_yaml_emit(&yaml, &len, v))
		strbuf_add(&sb, yaml, len);
	free(yaml);
	mreg_value_free(v);
	return strbuf_detach(&sb, NULL);
}

char *bundle_model_yaml(const struct mreg_value *doc)
{
	static const char *const keys[] = {
		"name", "version", "type", "objective", "owner", "runtime",
		"training", "lineage", "hyperparameters", "privacy",
	};

	return emit_keys(doc, keys, ARRAY_SIZE(keys),
			 "# Generated by mreg from bundle.yaml; the digest covers bundle.yaml.\n");
}

char *bundle_metrics_yaml(const struct mreg_value *doc)
{
	static const char *const keys[] = { "name", "version", "metrics" };

	return emit_keys(doc, keys, ARRAY_SIZE(keys),
			 "# Generated by mreg from bundle.yaml; the digest covers bundle.yaml.\n");
}

static void add_card_value(struct strbuf *sb, const struct mreg_value *v)
{
	size_t i;

	if (v->kind == MREG_VALUE_SEQ) {
		for (i = 0; i < v->nr; i++) {
			strbuf_addstr(sb, "- ");
			if (mreg_value_is_scalar(v->items[i]))
				strbuf_addstr(sb, v->items[i]->text);
			else
				strbuf_addstr(sb, "(structured)");
			strbuf_addch(sb, '\n');
		}
		if (!v->nr)
			strbuf_addstr(sb, "(none)\n");
	} else if (v->kind == MREG_VALUE_MAP) {
		for (i = 0; i < v->nr; i++) {
			strbuf_addf(sb, "- %s: ", v->keys[i]);
			strbuf_addstr(sb, mreg_value_is_scalar(v->items[i])
					  ? v->items[i]->text : "(structured)");
			strbuf_addch(sb, '\n');
		}
	} else {
		strbuf_addf(sb, "%s\n", v->text);
	}
}

char *bundle_card_md(const struct mreg_value *doc)
{
	const struct mreg_value *card = mreg_value_get(doc, "card");
	const struct mreg_value *name = mreg_value_get(doc, "name");
	const struct mreg_value *version = mreg_value_get(doc, "version");
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (!card || card->kind != MREG_VALUE_MAP || !name || !version)
		return NULL;
	strbuf_addf(&sb, "# Model card: %s@%s\n", name->text, version->text);
	for (i = 0; i < card->nr; i++) {
		const char *k = card->keys[i];
		size_t j;

		strbuf_addstr(&sb, "\n## ");
		for (j = 0; k[j]; j++)
			strbuf_addch(&sb, k[j] == '_' ? ' ' :
				     j ? k[j] : (k[j] >= 'a' && k[j] <= 'z' ? k[j] - 32 : k[j]));
		strbuf_addstr(&sb, "\n\n");
		add_card_value(&sb, card->items[i]);
	}
	return strbuf_detach(&sb, NULL);
}
