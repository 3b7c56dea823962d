/*
 * mreg diff: two versions side by side, the champion-challenger view:
 * the metadata that differs, every component with what changed, and every
 * metric with its absolute and relative change.
 */
#include "common.h"
#include "util-json.h"
#include "parse-options.h"
#include "mreg/gate.h"
#include "mreg/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const diff_usage[] = {
	"mreg diff [--json] REF1 REF2",
	NULL
};

/* A flattened value: "training.code_version" -> its node. */
struct leaf {
	char *key;
	const struct mreg_value *v;
};

struct leaves {
	size_t nr, alloc;
	struct leaf *list;
};

/* Bundle keys that are not metadata: they have sections of their own. */
static const char *const not_metadata[] = {
	"mreg_bundle", "artifact", "components", "metrics",
};

static void flatten(struct leaves *out, const char *prefix, const struct mreg_value *v)
{
	size_t i;

	if (v->kind == MREG_VALUE_MAP && v->nr) {
		for (i = 0; i < v->nr; i++) {
			struct strbuf key = STRBUF_INIT;

			strbuf_addf(&key, "%s%s%s", prefix, *prefix ? "." : "", v->keys[i]);
			flatten(out, key.buf, v->items[i]);
			strbuf_release(&key);
		}
		return;
	}
	ALLOC_GROW(out->list, out->nr + 1, out->alloc);
	out->list[out->nr].key = xstrdup(prefix);
	out->list[out->nr++].v = v;
}

static void leaves_release(struct leaves *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		free(l->list[i].key);
	free(l->list);
}

static const struct mreg_value *leaf_get(const struct leaves *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (!strcmp(l->list[i].key, key))
			return l->list[i].v;
	return NULL;
}

static void metadata_leaves(struct leaves *out, const struct mreg_value *doc)
{
	size_t i, j;

	for (i = 0; i < doc->nr; i++) {
		for (j = 0; j < ARRAY_SIZE(not_metadata); j++)
			if (!strcmp(doc->keys[i], not_metadata[j]))
				break;
		if (j == ARRAY_SIZE(not_metadata))
			flatten(out, doc->keys[i], doc->items[i]);
	}
}

/* A value as one line of text: scalars as written, lists as [a, b]. */
static void render(struct strbuf *sb, const struct mreg_value *v)
{
	size_t i;

	if (!v) {
		strbuf_addch(sb, '-');
	} else if (v->kind == MREG_VALUE_SEQ || v->kind == MREG_VALUE_MAP) {
		strbuf_addch(sb, v->kind == MREG_VALUE_SEQ ? '[' : '{');
		for (i = 0; i < v->nr; i++) {
			strbuf_addstr(sb, i ? ", " : "");
			if (v->kind == MREG_VALUE_MAP)
				strbuf_addf(sb, "%s: ", v->keys[i]);
			render(sb, v->items[i]);
		}
		strbuf_addch(sb, v->kind == MREG_VALUE_SEQ ? ']' : '}');
	} else {
		strbuf_addstr(sb, v->text);
	}
}

static int same_value(const struct mreg_value *a, const struct mreg_value *b)
{
	struct strbuf x = STRBUF_INIT, y = STRBUF_INIT;
	int same;

	if (!a || !b)
		return a == b;
	render(&x, a);
	render(&y, b);
	same = !strcmp(x.buf, y.buf);
	strbuf_release(&x);
	strbuf_release(&y);
	return same;
}

/* The keys of both, the first's order first. */
static void union_keys(struct leaves *out, const struct leaves *a, const struct leaves *b)
{
	size_t i;

	for (i = 0; i < a->nr; i++) {
		ALLOC_GROW(out->list, out->nr + 1, out->alloc);
		out->list[out->nr].key = xstrdup(a->list[i].key);
		out->list[out->nr++].v = NULL;
	}
	for (i = 0; i < b->nr; i++) {
		if (leaf_get(a, b->list[i].key))
			continue;
		ALLOC_GROW(out->list, out->nr + 1, out->alloc);
		out->list[out->nr].key = xstrdup(b->list[i].key);
		out->list[out->nr++].v = NULL;
	}
}

static int compare_leaves(const void *a, const void *b)
{
	return strcmp(((const struct leaf *)a)->key, ((const struct leaf *)b)->key);
}

/* --- components ----------------------------------------------------- */

static int several_artifacts(const struct mreg_model *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->nr_files; i++)
		n += !strcmp(m->files[i].kind, "artifact");
	return n > 1;
}

/* "calibration", "categorical_vocab.category_id", "artifact[model/a.bin]" */
static void file_label(struct strbuf *sb, const struct mreg_file *f, int shards)
{
	strbuf_addstr(sb, f->kind);
	if (f->name)
		strbuf_addf(sb, ".%s", f->name);
	if (!strcmp(f->kind, "artifact") && shards)
		strbuf_addf(sb, "[%s]", f->path ? f->path : f->uri);
}

static const struct mreg_file *find_file(const struct mreg_model *m, const char *label,
					 int shards)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < m->nr_files; i++) {
		strbuf_reset(&sb);
		file_label(&sb, &m->files[i], shards);
		if (!strcmp(sb.buf, label)) {
			strbuf_release(&sb);
			return &m->files[i];
		}
	}
	strbuf_release(&sb);
	return NULL;
}

static const char *file_change(const struct mreg_file *a, const struct mreg_file *b)
{
	if (!a)
		return "added";
	if (!b)
		return "removed";
	if ((a->version || b->version) &&
	    (!a->version || !b->version || strcmp(a->version, b->version)))
		return "version";
	return strcmp(a->sha256, b->sha256) ? "content" : "unchanged";
}

/* What the versions column shows: the version, or the start of the sha256. */
static void file_cell(struct strbuf *sb, const struct mreg_file *f)
{
	if (!f)
		strbuf_addch(sb, '-');
	else if (f->version)
		strbuf_addstr(sb, f->version);
	else
		strbuf_addf(sb, "sha256:%.12s", f->sha256);
}

static json_t *file_json(const struct mreg_file *f)
{
	json_t *j;

	if (!f)
		return json_null();
	j = json_object();
	json_object_set_new(j, "version", f->version ? json_string(f->version) : json_null());
	json_object_set_new(j, "sha256", json_string(f->sha256));
	json_object_set_new(j, "size", f->has_size ? json_integer((json_int_t)f->size)
						   : json_null());
	return j;
}

/* Every component label of both versions, the first's order first. */
static char **component_labels(size_t *nr, const struct mreg_model *a,
			       const struct mreg_model *b, int shards)
{
	const struct mreg_model *both[2] = { a, b };
	char **labels = NULL;
	size_t alloc = 0, i, j, k;

	*nr = 0;
	for (k = 0; k < 2; k++)
		for (i = 0; i < both[k]->nr_files; i++) {
			struct strbuf sb = STRBUF_INIT;

			file_label(&sb, &both[k]->files[i], shards);
			for (j = 0; j < *nr && strcmp(labels[j], sb.buf); j++)
				;
			if (j < *nr) {
				strbuf_release(&sb);
				continue;
			}
			ALLOC_GROW(labels, *nr + 1, alloc);
			labels[(*nr)++] = strbuf_detach(&sb, NULL);
		}
	return labels;
}

/* --- metrics -------------------------------------------------------- */

struct metric_row {
	int has_old, has_new, has_delta, has_relative;
	double old_value, new_value, delta, relative;
};

/* Six significant digits are plenty for a ratio, and keep JSON short. */
static double round6(double d)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%.6g", d);
	return strtod(buf, NULL);
}

static void metric_row(struct metric_row *row, const struct mreg_value *a,
		       const struct mreg_value *b)
{
	memset(row, 0, sizeof(*row));
	row->has_old = a && !mreg_value_number(&row->old_value, a) &&
		       isfinite(row->old_value);
	row->has_new = b && !mreg_value_number(&row->new_value, b) &&
		       isfinite(row->new_value);
	if (!row->has_old || !row->has_new)
		return;
	row->has_delta = !mreg_gate_delta(&row->delta, a, b);
	if (row->has_delta && row->old_value != 0) {
		row->relative = round6(row->delta / fabs(row->old_value));
		row->has_relative = 1;
	}
}

static json_t *json_number(int has, double d)
{
	if (!has)
		return json_null();
	/* libm-free: the project links no -lm */
	if (fabs(d) < 9007199254740992.0 && d == (double)(int64_t)d)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static json_t *json_leaf(const struct mreg_value *v, int has, double d)
{
	if (has)
		return json_number(1, d);
	return v ? json_from_value(v) : json_null();
}

/* --- output --------------------------------------------------------- */

struct table {
	size_t cols, nr, alloc;
	char **cells;		/* row after row */
};

static void table_row(struct table *t, const char *const *row)
{
	size_t i;

	ALLOC_GROW(t->cells, (t->nr + 1) * t->cols, t->alloc);
	for (i = 0; i < t->cols; i++)
		t->cells[t->nr * t->cols + i] = xstrdup(row[i]);
	t->nr++;
}

static void table_clear(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nr * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nr = t->alloc = 0;
}

static void table_print(struct table *t)
{
	size_t *w = xcalloc(t->cols, sizeof(*w)), i, j;

	/* rows under the heading are indented by two */
	for (i = 0; i < t->nr * t->cols; i++) {
		size_t len = strlen(t->cells[i]) + (i >= t->cols && !(i % t->cols) ? 2 : 0);

		if (len > w[i % t->cols])
			w[i % t->cols] = len;
	}
	for (i = 0; i < t->nr; i++) {
		for (j = 0; j + 1 < t->cols; j++)
			printf("%s%-*s  ", i && !j ? "  " : "",
			       (int)(w[j] - (i && !j ? 2 : 0)), t->cells[i * t->cols + j]);
		printf("%s\n", t->cells[i * t->cols + j]);
	}
	free(w);
	table_clear(t);
}

static void number_cell(struct strbuf *sb, int has, double d, int sign)
{
	char buf[40];

	strbuf_reset(sb);
	if (!has) {
		strbuf_addch(sb, '-');
		return;
	}
	mreg_gate_format_number(buf, sizeof(buf), d);
	strbuf_addf(sb, "%s%s", sign && d > 0 ? "+" : "", buf);
}

struct diff {
	const struct mreg_model *a, *b;
	struct leaves meta_a, meta_b, meta, met_a, met_b, met;
	char **labels;
	size_t nr_labels;
	int shards;
};

static void print_text(struct diff *d)
{
	struct table t = { 0, 0, 0, NULL };
	struct strbuf x = STRBUF_INIT, y = STRBUF_INIT, z = STRBUF_INIT, r = STRBUF_INIT;
	const char *row[5];
	size_t i, changed = 0;

	printf("old  %s  %s\nnew  %s  %s\n\n", d->a->ref, d->a->digest,
	       d->b->ref, d->b->digest);
	t.cols = 3;
	row[0] = "metadata", row[1] = d->a->ref, row[2] = d->b->ref;
	table_row(&t, row);
	for (i = 0; i < d->meta.nr; i++) {
		const struct mreg_value *va = leaf_get(&d->meta_a, d->meta.list[i].key);
		const struct mreg_value *vb = leaf_get(&d->meta_b, d->meta.list[i].key);

		if (same_value(va, vb))
			continue;
		strbuf_reset(&x);
		strbuf_reset(&y);
		render(&x, va);
		render(&y, vb);
		row[0] = d->meta.list[i].key, row[1] = x.buf, row[2] = y.buf;
		table_row(&t, row);
		changed++;
	}
	if (!changed) {
		table_clear(&t);
		printf("metadata  (no differences)\n");
	}
	else
		table_print(&t);

	t.cols = 4;
	row[0] = "components", row[1] = d->a->ref, row[2] = d->b->ref, row[3] = "change";
	table_row(&t, row);
	for (i = 0; i < d->nr_labels; i++) {
		const struct mreg_file *fa = find_file(d->a, d->labels[i], d->shards);
		const struct mreg_file *fb = find_file(d->b, d->labels[i], d->shards);

		strbuf_reset(&x);
		strbuf_reset(&y);
		file_cell(&x, fa);
		file_cell(&y, fb);
		row[0] = d->labels[i], row[1] = x.buf, row[2] = y.buf;
		row[3] = file_change(fa, fb);
		table_row(&t, row);
	}
	printf("\n");
	table_print(&t);

	t.cols = 5;
	row[0] = "metrics", row[1] = d->a->ref, row[2] = d->b->ref;
	row[3] = "delta", row[4] = "relative";
	table_row(&t, row);
	for (i = 0; i < d->met.nr; i++) {
		const struct mreg_value *va = leaf_get(&d->met_a, d->met.list[i].key);
		const struct mreg_value *vb = leaf_get(&d->met_b, d->met.list[i].key);
		struct metric_row m;

		metric_row(&m, va, vb);
		strbuf_reset(&x);
		strbuf_reset(&y);
		render(&x, va);
		render(&y, vb);
		number_cell(&z, m.has_delta, m.delta, 1);
		strbuf_reset(&r);
		if (m.has_relative)
			strbuf_addf(&r, m.relative ? "%+.2f%%" : "%.2f%%",
				    m.relative * 100);
		else
			strbuf_addch(&r, '-');
		row[0] = d->met.list[i].key, row[1] = x.buf, row[2] = y.buf;
		row[3] = z.buf, row[4] = r.buf;
		table_row(&t, row);
	}
	printf("\n");
	table_print(&t);
	strbuf_release(&x);
	strbuf_release(&y);
	strbuf_release(&z);
	strbuf_release(&r);
}

static json_t *side_json(const struct mreg_model *m)
{
	json_t *j = json_object();

	json_object_set_new(j, "ref", json_string(m->ref));
	json_object_set_new(j, "digest", json_string(m->digest));
	return j;
}

static json_t *diff_json(struct diff *d)
{
	json_t *doc = json_object(), *meta = json_array(), *comps = json_array(),
		*mets = json_array();
	size_t i;

	json_object_set_new(doc, "old", side_json(d->a));
	json_object_set_new(doc, "new", side_json(d->b));
	for (i = 0; i < d->meta.nr; i++) {
		const struct mreg_value *va = leaf_get(&d->meta_a, d->meta.list[i].key);
		const struct mreg_value *vb = leaf_get(&d->meta_b, d->meta.list[i].key);
		json_t *j;

		if (same_value(va, vb))
			continue;
		j = json_object();
		json_object_set_new(j, "field", json_string(d->meta.list[i].key));
		json_object_set_new(j, "old", va ? json_from_value(va) : json_null());
		json_object_set_new(j, "new", vb ? json_from_value(vb) : json_null());
		json_array_append_new(meta, j);
	}
	for (i = 0; i < d->nr_labels; i++) {
		const struct mreg_file *fa = find_file(d->a, d->labels[i], d->shards);
		const struct mreg_file *fb = find_file(d->b, d->labels[i], d->shards);
		const struct mreg_file *f = fa ? fa : fb;
		json_t *j = json_object();

		json_object_set_new(j, "component", json_string(d->labels[i]));
		json_object_set_new(j, "kind", json_string(f->kind));
		json_object_set_new(j, "name", f->name ? json_string(f->name) : json_null());
		json_object_set_new(j, "old", file_json(fa));
		json_object_set_new(j, "new", file_json(fb));
		json_object_set_new(j, "change", json_string(file_change(fa, fb)));
		json_array_append_new(comps, j);
	}
	for (i = 0; i < d->met.nr; i++) {
		const struct mreg_value *va = leaf_get(&d->met_a, d->met.list[i].key);
		const struct mreg_value *vb = leaf_get(&d->met_b, d->met.list[i].key);
		struct metric_row m;
		json_t *j = json_object();

		metric_row(&m, va, vb);
		json_object_set_new(j, "metric", json_string(d->met.list[i].key));
		json_object_set_new(j, "old", json_leaf(va, m.has_old, m.old_value));
		json_object_set_new(j, "new", json_leaf(vb, m.has_new, m.new_value));
		json_object_set_new(j, "delta", json_number(m.has_delta, m.delta));
		json_object_set_new(j, "relative",
				    m.has_relative ? json_real(m.relative) : json_null());
		json_array_append_new(mets, j);
	}
	json_object_set_new(doc, "metadata", meta);
	json_object_set_new(doc, "components", comps);
	json_object_set_new(doc, "metrics", mets);
	return doc;
}

int cmd_diff(int argc, const char **argv, struct mreg_registry *reg)
{
	struct mreg_model *a = NULL, *b = NULL;
	struct diff d;
	int json = 0, status = EXIT_FATAL, err;
	size_t i;
	struct option opts[] = {
		OPT_BOOL(0, "json", &json, "one JSON object (fields in mreg-diff(1))"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, diff_usage);
	if (argc != 2)
		usage_with_options(diff_usage, opts);
	memset(&d, 0, sizeof(d));
	if ((err = mreg_model_lookup(&a, reg, argv[0])) < 0 ||
	    (err = mreg_model_lookup(&b, reg, argv[1])) < 0) {
		status = error_lib(err);
		goto done;
	}
	d.a = a;
	d.b = b;
	metadata_leaves(&d.meta_a, a->doc);
	metadata_leaves(&d.meta_b, b->doc);
	union_keys(&d.meta, &d.meta_a, &d.meta_b);
	if (mreg_value_get(a->doc, "metrics"))
		flatten(&d.met_a, "", mreg_value_get(a->doc, "metrics"));
	if (mreg_value_get(b->doc, "metrics"))
		flatten(&d.met_b, "", mreg_value_get(b->doc, "metrics"));
	union_keys(&d.met, &d.met_a, &d.met_b);
	if (d.met.nr)
		qsort(d.met.list, d.met.nr, sizeof(*d.met.list), compare_leaves);
	d.shards = several_artifacts(a) || several_artifacts(b);
	d.labels = component_labels(&d.nr_labels, a, b, d.shards);
	if (json)
		json_print(diff_json(&d));
	else
		print_text(&d);
	status = EXIT_OK;
done:
	leaves_release(&d.meta_a);
	leaves_release(&d.meta_b);
	leaves_release(&d.meta);
	leaves_release(&d.met_a);
	leaves_release(&d.met_b);
	leaves_release(&d.met);
	for (i = 0; i < d.nr_labels; i++)
		free(d.labels[i]);
	free(d.labels);
	mreg_model_free(a);
	mreg_model_free(b);
	return finish_stdout(status);
}
