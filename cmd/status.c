/* mreg status: show a version's lifecycle, or move it by hand. */
#include "common.h"
#include "util-json.h"
#include "parse-options.h"
#include "mreg/model.h"
#include "mreg/status.h"

#include <stdio.h>

static const char *const status_usage[] = {
	"mreg status [--json] REF",
	"mreg status REF STATE -m REASON",
	NULL
};

struct history {
	json_t *json;
};

static int one(const struct mreg_status_entry *e, void *payload)
{
	struct history *h = payload;
	char when[32];

	format_time(when, sizeof(when), e->time);
	if (h->json) {
		json_t *j = json_object();

		json_object_set_new(j, "seq", json_integer(e->seq));
		json_object_set_new(j, "time", json_string(when));
		json_object_set_new(j, "action", json_string(e->action));
		json_object_set_new(j, "from", json_string(e->from));
		json_object_set_new(j, "status", json_string(e->state));
		json_object_set_new(j, "signer", json_string(e->signer));
		json_object_set_new(j, "reason", json_string(e->reason));
		json_object_set_new(j, "commit", json_string(e->commit));
		json_array_append_new(h->json, j);
		return 0;
	}
	printf("  %3u  %s  %-8s %-11s -> %-11s %s: %s\n", e->seq, when, e->action, e->from,
	       e->state, e->signer, e->reason);
	return 0;
}

int cmd_status(int argc, const char **argv, struct mreg_registry *reg)
{
	const char *reason = NULL;
	struct mreg_model *m = NULL;
	struct history h = { NULL };
	size_t roots;
	int json = 0, err;
	struct option opts[] = {
		OPT_BOOL(0, "json", &json, "JSON (fields in mreg-status(1))"),
		OPT_STRING('m', "message", &reason, "REASON", "why (required to move a version)"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, status_usage);
	if (argc == 2) {
		if (!reason || !*reason)
			die("moving a version needs a reason: -m REASON");
		roots = trust_root_count(reg);
		if ((err = mreg_status_set(reg, argv[0], argv[1], reason)) < 0)
			return error_lib(err);
		report_pinned(reg, roots);
		printf("%s %s\n", argv[0], argv[1]);
		return finish_stdout(0);
	}
	if (argc != 1)
		usage_with_options(status_usage, opts);
	if ((err = mreg_model_lookup(&m, reg, argv[0])) < 0)
		return error_lib(err);
	if (json) {
		json_t *j = json_object();

		h.json = json_array();
		json_object_set_new(j, "ref", json_string(m->ref));
		json_object_set_new(j, "digest", json_string(m->digest));
		json_object_set_new(j, "status", json_string(m->status));
		if ((err = mreg_status_history(reg, m->ref, one, &h)) < 0) {
			json_decref(j);
			json_decref(h.json);
			mreg_model_free(m);
			return error_lib(err);
		}
		json_object_set_new(j, "history", h.json);
		json_print(j);
	} else {
		printf("%s %s\n", m->ref, m->status);
		if ((err = mreg_status_history(reg, m->ref, one, &h)) < 0) {
			mreg_model_free(m);
			return error_lib(err);
		}
	}
	mreg_model_free(m);
	return finish_stdout(0);
}
