/*
 * mreg gate: judge a candidate by the rules of a gate file, against a
 * champion (a route's production version or --against) and a serving
 * environment (--env).  Prints a table, JSON or JUnit; exits 0 when every
 * gate passed, 1 when one failed, 128 when the gates cannot be evaluated.
 */
#include "common.h"
#include "util-json.h"
#include "parse-options.h"
#include "mreg/status.h"
#include "mreg/policy.h"
#include "mreg/gate.h"
#include "mreg/model.h"
#include "mreg/route.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const gate_usage[] = {
	"mreg gate [--route ROUTE | --against REF] [--gates FILE] [--env FILE] [--json] [--junit FILE] [--record] REF",
	NULL
};

struct gate_state {
	struct mreg_model *candidate, *champion;
	struct mreg_gate_set *set;
	struct mreg_gate_env *env;
	struct mreg_value *schema;
	char *schema_problem;
	struct strbuf no_champion;
	struct mreg_gate_report *report;
};

static json_t *json_number(int has, double d)
{
	if (!has)
		return json_null();
	/* libm-free: the project links no -lm */
	if (fabs(d) < 9007199254740992.0 && d == (double)(int64_t)d)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static json_t *report_json(const struct gate_state *st)
{
	const struct mreg_gate_report *r = st->report;
	json_t *doc = json_object(), *gates = json_array();
	size_t i;

	json_object_set_new(doc, "passed", json_boolean(r->passed));
	json_object_set_new(doc, "candidate", json_string(st->candidate->ref));
	json_object_set_new(doc, "champion", st->champion ?
			    json_string(st->champion->ref) : json_null());
	for (i = 0; i < r->nr; i++) {
		const struct mreg_gate_result *res = &r->results[i];
		json_t *g = json_object();

		json_object_set_new(g, "name", json_string(res->name));
		json_object_set_new(g, "metric", res->metric ?
				    json_string(res->metric) : json_null());
		json_object_set_new(g, "candidate",
				    json_number(res->has_candidate, res->candidate));
		json_object_set_new(g, "champion",
				    json_number(res->has_champion, res->champion));
		json_object_set_new(g, "rule", json_string(res->rule));
		json_object_set_new(g, "threshold",
				    json_number(res->has_threshold, res->threshold));
		json_object_set_new(g, "passed", json_boolean(res->passed));
		json_object_set_new(g, "message", json_string(res->message));
		json_array_append_new(gates, g);
	}
	json_object_set_new(doc, "gates", gates);
	return doc;
}

/* "min_relative_improvement 0.005", "required pass" */
static void rule_text(struct strbuf *sb, const struct mreg_gate_result *res)
{
	char num[40];

	strbuf_addstr(sb, res->rule);
	if (!res->has_threshold) {
		strbuf_addstr(sb, " pass");
		return;
	}
	mreg_gate_format_number(num, sizeof(num), res->threshold);
	strbuf_addf(sb, " %s", num);
}

static void cell_number(char *buf, size_t len, int has, double d)
{
	if (has)
		mreg_gate_format_number(buf, len, d);
	else
		snprintf(buf, len, "-");
}

static void print_table(const struct gate_state *st)
{
	const struct mreg_gate_report *r = st->report;
	static const char *const head[] = {
		"gate", "metric", "candidate", "champion", "rule", "result"
	};
	size_t w[6], i, j, failed = 0;
	char cells[6][64];
	struct strbuf rule = STRBUF_INIT;

	printf("candidate  %s  %s\n", st->candidate->ref, st->candidate->digest);
	if (st->champion)
		printf("champion   %s  %s\n\n", st->champion->ref, st->champion->digest);
	else
		printf("champion   (none)\n\n");
	for (j = 0; j < 6; j++)
		w[j] = strlen(head[j]);
	for (i = 0; i < r->nr; i++) {
		const struct mreg_gate_result *res = &r->results[i];

		strbuf_reset(&rule);
		rule_text(&rule, res);
		cell_number(cells[2], sizeof(cells[2]), res->has_candidate, res->candidate);
		cell_number(cells[3], sizeof(cells[3]), res->has_champion, res->champion);
		if (strlen(res->name) > w[0])
			w[0] = strlen(res->name);
		if (res->metric && strlen(res->metric) > w[1])
			w[1] = strlen(res->metric);
		for (j = 2; j < 4; j++)
			if (strlen(cells[j]) > w[j])
				w[j] = strlen(cells[j]);
		if (rule.len > w[4])
			w[4] = rule.len;
	}
	for (j = 0; j < 5; j++)
		printf("%-*s  ", (int)w[j], head[j]);
	printf("%s\n", head[5]);
	for (i = 0; i < r->nr; i++) {
		const struct mreg_gate_result *res = &r->results[i];

		strbuf_reset(&rule);
		rule_text(&rule, res);
		cell_number(cells[2], sizeof(cells[2]), res->has_candidate, res->candidate);
		cell_number(cells[3], sizeof(cells[3]), res->has_champion, res->champion);
		printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n",
		       (int)w[0], res->name, (int)w[1], res->metric ? res->metric : "-",
		       (int)w[2], cells[2], (int)w[3], cells[3], (int)w[4], rule.buf,
		       res->passed ? "pass" : "FAIL");
		failed += !res->passed;
	}
	if (failed) {
		printf("\nfailed:\n");
		for (i = 0; i < r->nr; i++)
			if (!r->results[i].passed)
				printf("  %s: %s\n", r->results[i].name,
				       r->results[i].message);
	}
	printf("\n%zu of %zu gate%s %s\n", failed ? failed : r->nr, r->nr,
	       r->nr == 1 ? "" : "s", failed ? "failed" : "passed");
	strbuf_release(&rule);
}

/* XML text: the five entities, and no control characters XML forbids. */
static void xml_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			strbuf_addstr(sb, "&amp;");
		else if (c == '<')
			strbuf_addstr(sb, "&lt;");
		else if (c == '>')
			strbuf_addstr(sb, "&gt;");
		else if (c == '"')
			strbuf_addstr(sb, "&quot;");
		else if (c == '\'')
			strbuf_addstr(sb, "&apos;");
		else if (c == '\n' || c == '\t')
			strbuf_addf(sb, "&#%d;", c);
		else if (c < 0x20 || c == 0x7f)
			strbuf_addch(sb, '?');
		else
			strbuf_addch(sb, (char)c);
	}
}

static void junit_property(struct strbuf *x, const char *name, const char *value)
{
	strbuf_addf(x, "      <property name=\"%s\" value=\"", name);
	xml_escape(x, value);
	strbuf_addstr(x, "\"/>\n");
}

static int write_junit(const char *path, const struct gate_state *st)
{
	const struct mreg_gate_report *r = st->report;
	struct strbuf x = STRBUF_INIT, name = STRBUF_INIT;
	size_t i, failed = 0;
	FILE *fp;
	int err = 0;

	for (i = 0; i < r->nr; i++)
		failed += !r->results[i].passed;
	strbuf_addstr(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	strbuf_addf(&x, "<testsuites name=\"mreg gate\" tests=\"%zu\" failures=\"%zu\" "
		    "errors=\"0\" time=\"0\">\n", r->nr, failed);
	strbuf_addstr(&x, "  <testsuite name=\"mreg gate ");
	xml_escape(&x, st->candidate->ref);
	strbuf_addf(&x, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" "
		    "time=\"0\">\n    <properties>\n", r->nr, failed);
	junit_property(&x, "candidate", st->candidate->ref);
	junit_property(&x, "candidate_digest", st->candidate->digest);
	if (st->champion) {
		junit_property(&x, "champion", st->champion->ref);
		junit_property(&x, "champion_digest", st->champion->digest);
	}
	strbuf_addstr(&x, "    </properties>\n");
	for (i = 0; i < r->nr; i++) {
		const struct mreg_gate_result *res = &r->results[i];

		strbuf_reset(&name);
		strbuf_addf(&name, "%s ", res->name);
		rule_text(&name, res);
		strbuf_addstr(&x, "    <testcase classname=\"mreg.gate\" name=\"");
		xml_escape(&x, name.buf);
		strbuf_addstr(&x, "\" time=\"0\"");
		if (res->passed) {
			strbuf_addstr(&x, "/>\n");
			continue;
		}
		strbuf_addstr(&x, ">\n      <failure type=\"gate\" message=\"");
		xml_escape(&x, res->message);
		strbuf_addstr(&x, "\">");
		xml_escape(&x, res->message);
		strbuf_addstr(&x, "</failure>\n    </testcase>\n");
	}
	strbuf_addstr(&x, "  </testsuite>\n</testsuites>\n");
	if (!(fp = fopen(path, "w")) || fwrite(x.buf, 1, x.len, fp) != x.len ||
	    fflush(fp) || ferror(fp))
		err = error("cannot write '%s': %s", path, strerror(errno));
	if (fp && fclose(fp) && !err)
		err = error("cannot write '%s': %s", path, strerror(errno));
	strbuf_release(&x);
	strbuf_release(&name);
	return err;
}

/*
 * --record: the result goes onto the candidate's status chain, which moves
 * it to validated or rejected.  The status module's side of it,
 * mreg_status_record_gate() (declared in src/gate.h), is not there yet.
 */
static int record_result(struct mreg_registry *reg, const struct gate_state *st)
{
	int err;

	json_t *doc = report_json(st);
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	struct strbuf reason = STRBUF_INIT;
	size_t i, failed = 0;

	for (i = 0; i < st->report->nr; i++)
		failed += !st->report->results[i].passed;
	if (failed)
		strbuf_addf(&reason, "gates failed: %zu of %zu", failed, st->report->nr);
	else
		strbuf_addf(&reason, "gates passed: %zu of %zu", st->report->nr,
			    st->report->nr);
	err = mreg_status_record_gate(reg, st->candidate, st->report->passed, text,
				      reason.buf);
	if (err < 0)
		error("cannot record the gate result on %s: %s", st->candidate->ref,
		      mreg_error_last());
	free(text);
	json_decref(doc);
	strbuf_release(&reason);
	return err < 0 ? -1 : 0;
}

/* The champion from --route: the route's production version. */
static int route_champion(struct gate_state *st, struct mreg_registry *reg,
			  const char *route)
{
	struct mreg_route *r = NULL;
	char *ref = NULL, digest[7 + 64 + 1];
	int err;

	err = mreg_route_resolve(&ref, digest, reg, route, "production");
	if (err == MREG_ENOTFOUND) {
		/* No route is a mistake; a route with nothing in production is not. */
		if ((err = mreg_route_read(&r, reg, route)) < 0)
			return error("%s", mreg_error_last());
		mreg_route_free(r);
		strbuf_addf(&st->no_champion, "route '%s' has no production version "
			    "to compare with", route);
		return 0;
	}
	if (err < 0)
		return error("%s", mreg_error_last());
	err = mreg_model_lookup(&st->champion, reg, ref);
	if (err < 0)
		error("%s", mreg_error_last());
	else if (strcmp(st->champion->digest, digest))
		err = error("route '%s' names %s as %s, but the registry's %s is %s",
			    route, ref, digest, ref, st->champion->digest);
	free(ref);
	return err;
}

static int load_inputs(struct gate_state *st, struct mreg_registry *reg,
		       const char *gates, const char *env, const char *route)
{
	int err;

	if (gates && (err = mreg_gate_load(&st->set, gates)) < 0)
		return error("%s", mreg_error_last());
	/* No gate file: the gates the policy sets for the route's production. */
	if (!gates && route) {
		struct mreg_value *doc = NULL;
		struct strbuf label = STRBUF_INIT;
		char commit[41];

		err = mreg_policy_gates(&doc, commit, reg, route, "production");
		if (!err) {
			strbuf_addf(&label, "policy %.12s:policy.yaml", commit);
			err = mreg_gate_parse(&st->set, doc, label.buf);
			gates = "the policy";
		}
		mreg_value_free(doc);
		strbuf_release(&label);
		if (err < 0 && err != MREG_ENOTFOUND)
			return error("%s", mreg_error_last());
	}
	if (!st->set && !env)
		return error("no gates to evaluate: give --gates FILE or --env FILE, "
			     "or set gates for route '%s' in the policy", route ? route : "");
	if (env && (err = mreg_gate_env_load(&st->env, env)) < 0)
		return error("%s", mreg_error_last());
	if (!st->set) {
		st->set = xcalloc(1, sizeof(*st->set));
		st->set->file = xstrdup(env);
	}
	/* An env file given is an env file used. */
	if (st->env && !mreg_gate_set_has_compat(st->set))
		mreg_gate_set_add_compat(st->set);
	if (!st->env && mreg_gate_set_has_compat(st->set))
		return error("the gates in '%s' check compatibility: give the serving "
			     "environment with --env FILE", gates);
	return 0;
}

static void state_release(struct gate_state *st)
{
	mreg_model_free(st->candidate);
	mreg_model_free(st->champion);
	mreg_gate_set_free(st->set);
	mreg_gate_env_free(st->env);
	mreg_value_free(st->schema);
	free(st->schema_problem);
	strbuf_release(&st->no_champion);
	mreg_gate_report_free(st->report);
}

static int evaluate(struct gate_state *st, struct mreg_registry *reg)
{
	struct mreg_gate_input in;
	size_t i;

	memset(&in, 0, sizeof(in));
	in.candidate_ref = st->candidate->ref;
	in.candidate = st->candidate->doc;
	if (st->champion) {
		in.champion_ref = st->champion->ref;
		in.champion = st->champion->doc;
	}
	in.no_champion = st->no_champion.len ? st->no_champion.buf : NULL;
	in.env = st->env;
	if (st->env) {
		if (mreg_gate_read_schema(&st->schema, &st->schema_problem, reg,
					  st->candidate) < 0)
			return error("%s", mreg_error_last());
		for (i = 0; i < st->candidate->nr_files; i++)
			if (!strcmp(st->candidate->files[i].kind, "feature_schema")) {
				in.schema_path = st->candidate->files[i].path;
				break;
			}
		in.schema = st->schema;
		in.schema_problem = st->schema_problem;
	}
	if (mreg_gate_evaluate(&st->report, st->set, &in) < 0)
		return error("%s", mreg_error_last());
	return 0;
}

int cmd_gate(int argc, const char **argv, struct mreg_registry *reg)
{
	const char *route = NULL, *against = NULL, *gates = NULL, *env = NULL,
		*junit = NULL;
	int json = 0, record = 0, status = EXIT_FATAL;
	struct gate_state st;
	struct option opts[] = {
		OPT_STRING(0, "route", &route, "ROUTE",
			   "compare with ROUTE's production version"),
		OPT_STRING(0, "against", &against, "REF", "compare with REF"),
		OPT_STRING(0, "gates", &gates, "FILE", "the gates to evaluate"),
		OPT_STRING(0, "env", &env, "FILE",
			   "check compatibility with the serving environment in FILE"),
		OPT_BOOL(0, "json", &json, "one JSON object (fields in mreg-gate(1))"),
		OPT_STRING(0, "junit", &junit, "FILE", "also write a JUnit XML report"),
		OPT_BOOL(0, "record", &record,
			 "sign the result onto the status chain (validated or rejected)"),
		OPT_END()
	};

	memset(&st, 0, sizeof(st));
	strbuf_init(&st.no_champion, 0);
	argc = parse_options(argc, argv, opts, gate_usage);
	if (argc != 1)
		usage_with_options(gate_usage, opts);
	if (route && against) {
		error("--route and --against cannot be used together");
		usage_with_options(gate_usage, opts);
	}
	if (!gates && !env && !route) {
		error("no gates to evaluate: give --gates FILE or --env FILE");
		usage_with_options(gate_usage, opts);
	}
	if (load_inputs(&st, reg, gates, env, route) < 0)
		goto done;
	if (mreg_model_lookup(&st.candidate, reg, argv[0]) < 0) {
		error("%s", mreg_error_last());
		goto done;
	}
	if (against && mreg_model_lookup(&st.champion, reg, against) < 0) {
		error("%s", mreg_error_last());
		goto done;
	}
	if (route && route_champion(&st, reg, route) < 0)
		goto done;
	if (evaluate(&st, reg) < 0)
		goto done;
	if (junit && write_junit(junit, &st) < 0)
		goto done;
	if (json)
		json_print(report_json(&st));
	else
		print_table(&st);
	if (record && record_result(reg, &st) < 0)
		goto done;
	status = st.report->passed ? EXIT_OK : EXIT_NO;
done:
	state_release(&st);
	return finish_stdout(status);
}
