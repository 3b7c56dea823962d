/* mreg show: every part of a version, as text or JSON. */
#include "common.h"
#include "util-json.h"
#include "parse-options.h"
#include "mreg/model.h"
#include "mreg/route.h"
#include "mreg/status.h"

#include <inttypes.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

static const char *const show_usage[] = {
	"mreg show [--json] REF",
	NULL
};

/* The newest gate result recorded on the version's status chain. */
struct gate_record {
	int found;
	int passed;
	char time[32];
	char *reason;
};

static int find_gate(const struct mreg_status_entry *e, void *payload)
{
	struct gate_record *g = payload;

	if (strcmp(e->action, "gate"))
		return 0;
	g->found = 1;
	g->passed = starts_with(e->reason, "gates passed");
	format_time(g->time, sizeof(g->time), e->time);
	g->reason = xstrdup(e->reason);
	return 1;	/* newest first: the first one is it */
}

/* The routes that serve this version, and in which stage. */
struct serving {
	const char *ref;
	json_t *json;
	struct strbuf text;
};

static void serves(struct serving *sv, const char *route, const char *stage,
		   const struct mreg_route_slot *slot, const char *ref)
{
	json_t *j;

	if (!slot->ref || strcmp(slot->ref, ref))
		return;
	j = json_object();
	json_object_set_new(j, "route", json_string(route));
	json_object_set_new(j, "stage", json_string(stage));
	json_array_append_new(sv->json, j);
	strbuf_addf(&sv->text, "%s%s (%s)", sv->text.len ? ", " : "", route, stage);
}

static int find_routes(const struct mreg_route *r, void *payload)
{
	struct serving *sv = payload;

	serves(sv, r->name, "production", &r->production, sv->ref);
	serves(sv, r->name, "canary", &r->canary, sv->ref);
	serves(sv, r->name, "shadow", &r->shadow, sv->ref);
	serves(sv, r->name, "previous-production", &r->previous, sv->ref);
	return 0;
}

static json_t *file_json(const struct mreg_file *f)
{
	json_t *j = json_object();

	if (strcmp(f->kind, "artifact"))
		json_object_set_new(j, "kind", json_string(f->kind));
	if (f->name)
		json_object_set_new(j, "name", json_string(f->name));
	if (f->version)
		json_object_set_new(j, "version", json_string(f->version));
	if (f->path)
		json_object_set_new(j, "path", json_string(f->path));
	else
		json_object_set_new(j, "uri", json_string(f->uri));
	json_object_set_new(j, "sha256", json_string(f->sha256));
	json_object_set_new(j, "size", f->has_size ? json_integer((json_int_t)f->size)
						   : json_null());
	json_object_set_new(j, "stored", json_string(f->uri ? "external" :
				mreg_file_in_store(f) ? "artifacts" : "git"));
	return j;
}

static json_t *show_json(const struct mreg_model *m)
{
	static const char *const scalars[] = { "type", "objective", "runtime" };
	static const char *const maps[] = {
		"training", "lineage", "hyperparameters", "metrics", "privacy", "card",
	};
	json_t *j = json_object(), *arts = json_array(), *comps = json_array();
	char when[32];
	size_t i;

	json_object_set_new(j, "name", json_string(m->name));
	json_object_set_new(j, "version", json_string(m->version));
	json_object_set_new(j, "ref", json_string(m->ref));
	json_object_set_new(j, "digest", json_string(m->digest));
	json_object_set_new(j, "status", json_string(m->status));
	json_object_set_new(j, "owner", json_string(m->owner));
	for (i = 0; i < ARRAY_SIZE(scalars); i++) {
		const struct mreg_value *v = mreg_value_get(m->doc, scalars[i]);

		json_object_set_new(j, scalars[i], v ? json_from_value(v) : json_null());
	}
	format_time(when, sizeof(when), m->time);
	json_object_set_new(j, "time", json_string(when));
	json_object_set_new(j, "commit", json_string(m->commit));
	for (i = 0; i < m->nr_files; i++)
		json_array_append_new(strcmp(m->files[i].kind, "artifact") ? comps : arts,
				      file_json(&m->files[i]));
	if (json_array_size(arts) == 1) {
		json_object_set(j, "artifact", json_array_get(arts, 0));
		json_decref(arts);
	} else {
		json_object_set_new(j, "artifact", arts);
	}
	json_object_set_new(j, "components", comps);
	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		const struct mreg_value *v = mreg_value_get(m->doc, maps[i]);

		json_object_set_new(j, maps[i], v ? json_from_value(v) : json_object());
	}
	for (i = 0; i < m->doc->nr; i++)
		if (starts_with(m->doc->keys[i], "x-"))
			json_object_set_new(j, m->doc->keys[i], json_from_value(m->doc->items[i]));
	return j;
}

static json_t *gate_json(const struct gate_record *g)
{
	json_t *j;

	if (!g->found)
		return json_null();
	j = json_object();
	json_object_set_new(j, "passed", json_boolean(g->passed));
	json_object_set_new(j, "time", json_string(g->time));
	json_object_set_new(j, "reason", json_string(g->reason));
	return j;
}

/* Nested maps flattened to dotted keys: "segments.new_user.ndcg_at_20  0.29". */
static void print_flat(const char *prefix, const struct mreg_value *v)
{
	size_t i;

	if (v->kind == MREG_VALUE_MAP && v->nr) {
		for (i = 0; i < v->nr; i++) {
			struct strbuf key = STRBUF_INIT;

			strbuf_addf(&key, "%s%s%s", prefix, *prefix ? "." : "", v->keys[i]);
			print_flat(key.buf, v->items[i]);
			strbuf_release(&key);
		}
		return;
	}
	printf("  %-34s ", prefix);
	if (v->kind == MREG_VALUE_SEQ) {
		putchar('[');
		for (i = 0; i < v->nr; i++)
			printf("%s%s", i ? ", " : "",
			       v->items[i]->text ? v->items[i]->text : "...");
		puts("]");
	} else if (v->kind == MREG_VALUE_MAP) {
		puts("{}");
	} else {
		puts(v->text);
	}
}

/*
 * One file: "kind[.name]  version  path" then its size and hash, indented
 * under it, so that long names never push the columns apart.
 */
static void print_file(const struct mreg_file *f)
{
	printf("  %s%s%s", f->kind, f->name ? "." : "", f->name ? f->name : "");
	if (f->version)
		printf("  %s", f->version);
	printf("  %s\n", f->path ? f->path : f->uri);
	if (f->has_size)
		printf("      %" PRIu64 " bytes, sha256:%s%s\n", f->size, f->sha256,
		       f->uri ? " (external)" : mreg_file_in_store(f) ? " (artifact store)" : "");
	else
		printf("      sha256:%s (external)\n", f->sha256);
}

static void show_text(const struct mreg_model *m, const struct gate_record *g,
		      const struct serving *sv)
{
	static const char *const sections[] = {
		"training", "lineage", "hyperparameters", "metrics", "privacy", "card",
	};
	static const char *const scalars[] = { "type", "objective", "runtime" };
	char when[32];
	size_t i;

	format_time(when, sizeof(when), m->time);
	printf("%-11s%s\n", "model", m->ref);
	printf("%-11s%s\n", "digest", m->digest);
	printf("%-11s%s\n", "status", m->status);
	printf("%-11s%s\n", "owner", m->owner);
	for (i = 0; i < ARRAY_SIZE(scalars); i++) {
		const struct mreg_value *v = mreg_value_get(m->doc, scalars[i]);

		if (v && v->text)
			printf("%-11s%s\n", scalars[i], v->text);
	}
	printf("%-11s%s\n", "registered", when);
	printf("%-11s%s\n", "routes", sv->text.len ? sv->text.buf : "(none)");
	if (g->found)
		printf("%-11s%s at %s\n", "gates", g->reason, g->time);
	printf("\nartifact\n");
	for (i = 0; i < m->nr_files; i++)
		if (!strcmp(m->files[i].kind, "artifact"))
			print_file(&m->files[i]);
	printf("\ncomponents\n");
	for (i = 0; i < m->nr_files; i++)
		if (strcmp(m->files[i].kind, "artifact"))
			print_file(&m->files[i]);
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		const struct mreg_value *v = mreg_value_get(m->doc, sections[i]);

		if (!v)
			continue;
		printf("\n%s\n", sections[i]);
		print_flat("", v);
	}
}

int cmd_show(int argc, const char **argv, struct mreg_registry *reg)
{
	int json = 0, err;
	struct mreg_model *m = NULL;
	struct gate_record g;
	struct serving sv;
	struct option opts[] = {
		OPT_BOOL(0, "json", &json, "one JSON object (fields in mreg-show(1))"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, show_usage);
	if (argc != 1)
		usage_with_options(show_usage, opts);
	if ((err = mreg_model_lookup(&m, reg, argv[0])) < 0)
		return error_lib(err);
	memset(&g, 0, sizeof(g));
	sv.ref = m->ref;
	sv.json = json_array();
	strbuf_init(&sv.text, 0);
	if ((err = mreg_route_list(reg, find_routes, &sv)) < 0) {
		json_decref(sv.json);
		mreg_model_free(m);
		return error_lib(err);
	}
	if ((err = mreg_status_history(reg, m->ref, find_gate, &g)) < 0 && err != 1) {
		mreg_model_free(m);
		return error_lib(err);
	}
	if (json) {
		json_t *j = show_json(m);

		json_object_set_new(j, "routes", sv.json);
		json_object_set_new(j, "gate", gate_json(&g));
		json_print(j);
	} else {
		json_decref(sv.json);
		show_text(m, &g, &sv);
	}
	strbuf_release(&sv.text);
	free(g.reason);
	mreg_model_free(m);
	return finish_stdout(0);
}
