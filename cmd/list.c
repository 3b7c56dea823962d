/* mreg list: one line per version, newest first. */
#include "common.h"
#include "util-json.h"
#include "parse-options.h"
#include "mreg/model.h"

#include <stdio.h>
#include <string.h>

static const char *const list_usage[] = {
	"mreg list [--status S] [--owner O] [--json] [NAME]",
	NULL
};

struct list_state {
	const char *status, *owner;
	json_t *json;
	size_t count;
};

static int one(const struct mreg_model_summary *s, void *payload)
{
	struct list_state *st = payload;
	char when[32];

	if ((st->status && strcmp(st->status, s->status)) ||
	    (st->owner && strcmp(st->owner, s->owner)))
		return 0;
	st->count++;
	format_time(when, sizeof(when), s->time);
	if (st->json) {
		json_t *j = json_object();
		struct strbuf ref = STRBUF_INIT;

		strbuf_addf(&ref, "%s@%s", s->name, s->version);
		json_object_set_new(j, "name", json_string(s->name));
		json_object_set_new(j, "version", json_string(s->version));
		json_object_set_new(j, "ref", json_string(ref.buf));
		json_object_set_new(j, "digest", json_string(s->digest));
		json_object_set_new(j, "status", json_string(s->status));
		json_object_set_new(j, "owner", json_string(s->owner));
		json_object_set_new(j, "time", json_string(when));
		json_array_append_new(st->json, j);
		strbuf_release(&ref);
		return 0;
	}
	printf("%s@%s  %s  %s  %s  %.19s\n", s->name, s->version, s->status,
	       s->owner, when, s->digest);
	return 0;
}

int cmd_list(int argc, const char **argv, struct mreg_registry *reg)
{
	struct list_state st;
	int json = 0, err;
	struct option opts[] = {
		OPT_STRING(0, "status", &st.status, "S", "only versions in state S"),
		OPT_STRING(0, "owner", &st.owner, "O", "only versions owned by O"),
		OPT_BOOL(0, "json", &json, "one JSON array (fields in mreg-list(1))"),
		OPT_END()
	};

	memset(&st, 0, sizeof(st));
	argc = parse_options(argc, argv, opts, list_usage);
	if (argc > 1)
		usage_with_options(list_usage, opts);
	if (json)
		st.json = json_array();
	if ((err = mreg_model_list(reg, argc ? argv[0] : NULL, one, &st)) < 0) {
		json_decref(st.json);
		return error_lib(err);
	}
	if (json)
		json_print(st.json);
	return finish_stdout(0);
}
