/* mreg route: list routes, show one, change canary traffic, retire. */
#include "common.h"
#include "util-json.h"
#include "parse-options.h"
#include "mreg/route.h"

#include <stdio.h>
#include <string.h>

static const char *const route_usage[] = {
	"mreg route list [--json]",
	"mreg route show [--json] ROUTE",
	"mreg route set-traffic [-m REASON] ROUTE PCT",
	"mreg route retire [-m REASON] ROUTE",
	NULL
};

static json_t *route_slot_json(const struct mreg_route_slot *s, const char *pct)
{
	json_t *j;

	if (!s->ref)
		return json_null();
	j = json_object();
	json_object_set_new(j, "ref", json_string(s->ref));
	json_object_set_new(j, "digest", json_string(s->digest));
	if (pct)
		json_object_set_new(j, pct, json_real(s->percent));
	return j;
}

static json_t *route_json(const struct mreg_route *r)
{
	json_t *j = json_object();
	char when[32];

	format_time(when, sizeof(when), r->time);
	json_object_set_new(j, "route", json_string(r->name));
	json_object_set_new(j, "seq", json_integer((json_int_t)r->seq));
	json_object_set_new(j, "action", json_string(r->action));
	json_object_set_new(j, "production", route_slot_json(&r->production, NULL));
	json_object_set_new(j, "canary", route_slot_json(&r->canary, "traffic"));
	json_object_set_new(j, "shadow", route_slot_json(&r->shadow, "sample"));
	json_object_set_new(j, "previous_production", route_slot_json(&r->previous, NULL));
	json_object_set_new(j, "time", json_string(when));
	json_object_set_new(j, "author", json_string(r->author));
	json_object_set_new(j, "committer", json_string(r->committer));
	json_object_set_new(j, "reason", json_string(r->reason));
	json_object_set_new(j, "policy", json_string(r->policy));
	json_object_set_new(j, "commit", json_string(r->commit));
	return j;
}

static void print_slot(const char *label, const struct mreg_route_slot *s, const char *pct)
{
	if (!s->ref) {
		printf("%-20s(none)\n", label);
		return;
	}
	printf("%-20s%s %s", label, s->ref, s->digest);
	if (pct) {
		printf(" %s ", pct);
		print_percent(s->percent);
	}
	putchar('\n');
}

static void show_text(const struct mreg_route *r)
{
	char when[32];

	format_time(when, sizeof(when), r->time);
	printf("%-20s%s\n", "route", r->name);
	print_slot("production", &r->production, NULL);
	print_slot("canary", &r->canary, "traffic");
	print_slot("shadow", &r->shadow, "sample");
	print_slot("previous-production", &r->previous, NULL);
	printf("%-20s%lu %s at %s by %s\n", "last move", r->seq, r->action, when, r->committer);
	printf("%-20s%s\n", "reason", r->reason);
}

struct list_state {
	json_t *json;
};

static int list_one(const struct mreg_route *r, void *payload)
{
	struct list_state *st = payload;

	if (st->json) {
		json_array_append_new(st->json, route_json(r));
		return 0;
	}
	printf("%s  seq %lu  production %s", r->name, r->seq,
	       r->production.ref ? r->production.ref : "(none)");
	if (r->canary.ref) {
		printf("  canary %s ", r->canary.ref);
		print_percent(r->canary.percent);
	}
	if (r->shadow.ref) {
		printf("  shadow %s ", r->shadow.ref);
		print_percent(r->shadow.percent);
	}
	putchar('\n');
	return 0;
}

int cmd_route(int argc, const char **argv, struct mreg_registry *reg)
{
	const char *reason = NULL, *sub;
	struct mreg_route *r = NULL;
	int json = 0, err;
	double pct;
	struct option opts[] = {
		OPT_BOOL(0, "json", &json, "JSON (fields in mreg-route(1))"),
		OPT_STRING('m', "message", &reason, "REASON", "why, kept in the route's history"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, route_usage);
	if (!argc)
		usage_with_options(route_usage, opts);
	sub = argv[0];
	if (!strcmp(sub, "list") && argc == 1) {
		struct list_state st = { json ? json_array() : NULL };

		if ((err = mreg_route_list(reg, list_one, &st)) < 0) {
			json_decref(st.json);
			return error_lib(err);
		}
		if (json)
			json_print(st.json);
	} else if (!strcmp(sub, "show") && argc == 2) {
		if ((err = mreg_route_read(&r, reg, argv[1])) < 0)
			return error_lib(err);
		if (json)
			json_print(route_json(r));
		else
			show_text(r);
	} else if (!strcmp(sub, "set-traffic") && argc == 3) {
		if (parse_percent(&pct, argv[2]) < 0)
			die("%s", mreg_error_last());
		if ((err = mreg_route_set_traffic(&r, reg, argv[1], pct, reason)) < 0)
			return error_lib(err);
		print_route_move(r);
	} else if (!strcmp(sub, "retire") && argc == 2) {
		if ((err = mreg_route_retire(&r, reg, argv[1], reason)) < 0)
			return error_lib(err);
		print_route_move(r);
	} else {
		error("unknown or incomplete route command '%s'", sub);
		usage_with_options(route_usage, opts);
	}
	mreg_route_free(r);
	return finish_stdout(0);
}
