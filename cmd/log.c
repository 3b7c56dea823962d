/* mreg log: route history, newest first, every signature checked. */
#include "common.h"
#include "util-json.h"
#include "parse-options.h"
#include "mreg/route.h"
#include "mreg/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const log_usage[] = {
	"mreg log [--json] [--oneline] [--since DATE] [ROUTE...]",
	NULL
};

struct log_state {
	json_t *json;
	int oneline;
	int64_t since;
	size_t shown, bad;
	struct mreg_registry *reg;
};

/* The newest gate result recorded for a version before `until`. */
struct gate_seen {
	int64_t until;
	char *reason;
};

static int newest_gate(const struct mreg_status_entry *e, void *payload)
{
	struct gate_seen *g = payload;

	if (strcmp(e->action, "gate") || e->time > g->until)
		return 0;
	g->reason = xstrdup(e->reason);
	return 1;
}

/* What the promoted version's gates said when it was promoted, or NULL. */
static char *gate_at_promotion(struct log_state *st, const struct mreg_route_entry *e)
{
	struct gate_seen g = { e->route->time, NULL };

	if (strcmp(e->route->action, "promote") || !e->to)
		return NULL;
	if (mreg_status_history(st->reg, e->to, newest_gate, &g) < 0 && !g.reason)
		return NULL;
	return g.reason;
}

static const char *short_ref(const char *ref)
{
	return ref ? ref : "(none)";
}

static const char *digest_of(const struct mreg_route_entry *e)
{
	static const char *const none = "";
	const struct mreg_route_slot *s;

	if (!strcmp(e->stage, "canary"))
		s = &e->route->canary;
	else if (!strcmp(e->stage, "shadow"))
		s = &e->route->shadow;
	else
		s = &e->route->production;
	return s->ref ? s->digest : none;
}

static int one(const struct mreg_route_entry *e, void *payload)
{
	struct log_state *st = payload;
	const struct mreg_route *r = e->route;
	char when[32];
	size_t i;

	char *gate;

	if (r->time < st->since)
		return 0;
	st->shown++;
	if (!e->verified)
		st->bad++;
	format_time(when, sizeof(when), r->time);
	gate = st->oneline ? NULL : gate_at_promotion(st, e);
	if (st->json) {
		json_t *j = json_object(), *ap = json_array();

		json_object_set_new(j, "route", json_string(r->name));
		json_object_set_new(j, "seq", json_integer((json_int_t)r->seq));
		json_object_set_new(j, "time", json_string(when));
		json_object_set_new(j, "action", json_string(r->action));
		json_object_set_new(j, "stage", json_string(e->stage));
		json_object_set_new(j, "from", e->from ? json_string(e->from) : json_null());
		json_object_set_new(j, "to", e->to ? json_string(e->to) : json_null());
		json_object_set_new(j, "digest", *digest_of(e) ? json_string(digest_of(e))
							      : json_null());
		if (r->canary.ref)
			json_object_set_new(j, "traffic", json_real(r->canary.percent));
		json_object_set_new(j, "signer", json_string(e->signer));
		json_object_set_new(j, "verified", json_boolean(e->verified));
		for (i = 0; e->approvers[i]; i++)
			json_array_append_new(ap, json_string(e->approvers[i]));
		json_object_set_new(j, "approvers", ap);
		json_object_set_new(j, "gate", gate ? json_string(gate) : json_null());
		json_object_set_new(j, "reason", json_string(r->reason));
		json_object_set_new(j, "commit", json_string(r->commit));
		json_array_append_new(st->json, j);
		free(gate);
		return 0;
	}
	if (st->oneline) {
		printf("%.12s %s #%lu %s %s %s -> %s by %s%s\n", r->commit, r->name, r->seq,
		       r->action, e->stage, short_ref(e->from), short_ref(e->to), e->signer,
		       e->verified ? "" : " [NOT VERIFIED]");
		return 0;
	}
	printf("route %s seq %lu (commit %s)\n", r->name, r->seq, r->commit);
	printf("Date:      %s\n", when);
	printf("Action:    %s %s\n", r->action, e->stage);
	printf("Version:   %s -> %s", short_ref(e->from), short_ref(e->to));
	if (*digest_of(e))
		printf(" %s", digest_of(e));
	putchar('\n');
	if (!strcmp(e->stage, "canary") && r->canary.ref) {
		printf("Traffic:   ");
		print_percent(r->canary.percent);
		putchar('\n');
	}
	printf("Signer:    %s (%s)\n", e->signer,
	       e->verified ? "good signature" : "NOT VERIFIED");
	if (gate)
		printf("Gates:     %s\n", gate);
	free(gate);
	if (e->approvers[0]) {
		printf("Approvers:");
		for (i = 0; e->approvers[i]; i++)
			printf("%s %s", i ? "," : "", e->approvers[i]);
		putchar('\n');
	}
	printf("\n    %s\n\n", r->reason);
	return 0;
}

struct names {
	char **v;
	size_t nr, alloc;
};

static int collect(const struct mreg_route *r, void *payload)
{
	struct names *n = payload;

	ALLOC_GROW(n->v, n->nr + 1, n->alloc);
	n->v[n->nr++] = xstrdup(r->name);
	return 0;
}

int cmd_log(int argc, const char **argv, struct mreg_registry *reg)
{
	const char *since = NULL;
	struct log_state st;
	struct names all = { NULL, 0, 0 };
	int json = 0, err = 0, i;
	struct option opts[] = {
		OPT_BOOL(0, "json", &json, "one JSON array (fields in mreg-log(1))"),
		OPT_BOOL(0, "oneline", &st.oneline, "one line per route move"),
		OPT_STRING(0, "since", &since, "DATE", "only moves at or after DATE"),
		OPT_END()
	};

	memset(&st, 0, sizeof(st));
	st.reg = reg;
	argc = parse_options(argc, argv, opts, log_usage);
	if (since && parse_iso_time(&st.since, since) < 0)
		die("invalid date '%s': use 2026-07-02 or 2026-07-02T03:00:00Z", since);
	if (!argc) {
		if ((err = mreg_route_list(reg, collect, &all)) < 0)
			return error_lib(err);
		argv = (const char **)all.v;
		argc = (int)all.nr;
	}
	if (json)
		st.json = json_array();
	for (i = 0; i < argc && !err; i++)
		err = mreg_route_history(reg, argv[i], one, &st);
	for (i = 0; i < (int)all.nr; i++)
		free(all.v[i]);
	free(all.v);
	if (err < 0) {
		json_decref(st.json);
		return error_lib(err);
	}
	if (json)
		json_print(st.json);
	return finish_stdout(0);
}
