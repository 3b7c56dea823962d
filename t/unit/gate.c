/*
 * Unit tests for gate.h: gate files, every rule kind on both sides of its
 * threshold, higher_is_better, metric lookup, segment wildcards, missing
 * and zero values, compatibility checks, and the number helpers.
 */
#include "mreg/mreg.h"
#include "mreg/gate.h"
#include "tap.h"

#include <stdlib.h>

static struct mreg_value *yaml(const char *doc)
{
	struct mreg_value *v = NULL;

	if (mreg_yaml_parse(&v, doc, strlen(doc), "t.yaml") < 0)
		diag("cannot parse: %s", mreg_error_last());
	return v;
}

/* The message a gate file is refused with, or "(parsed)". */
static char *gate_error(const char *doc)
{
	struct mreg_value *v = yaml(doc);
	struct mreg_gate_set *set = NULL;
	char *msg;

	if (mreg_gate_parse(&set, v, "g.yaml") < 0)
		msg = strdup(mreg_error_last());
	else
		msg = strdup("(parsed)");
	mreg_gate_set_free(set);
	mreg_value_free(v);
	return msg;
}

static const char *env_text, *schema_text;

/* Evaluates `gates` on bundle documents; NULL `champion`: none. */
static struct mreg_gate_report *run(const char *gates, const char *candidate,
				    const char *champion)
{
	struct mreg_value *g = yaml(gates), *c = yaml(candidate), *h = NULL;
	struct mreg_value *e = NULL, *s = NULL;
	struct mreg_gate_set *set = NULL;
	struct mreg_gate_env *env = NULL;
	struct mreg_gate_report *report = NULL;
	struct mreg_gate_input in;

	memset(&in, 0, sizeof(in));
	if (champion)
		h = yaml(champion);
	if (env_text && (!(e = yaml(env_text)) ||
			 mreg_gate_env_parse(&env, e, "env.yaml") < 0))
		diag("bad env: %s", mreg_error_last());
	if (schema_text)
		s = yaml(schema_text);
	in.candidate_ref = "m@new";
	in.candidate = c;
	in.champion_ref = champion ? "m@old" : NULL;
	in.champion = h;
	in.env = env;
	in.schema = s;
	in.schema_path = "schema.yaml";
	if (mreg_gate_parse(&set, g, "g.yaml") < 0 ||
	    mreg_gate_evaluate(&report, set, &in) < 0)
		diag("cannot evaluate: %s", mreg_error_last());
	mreg_gate_set_free(set);
	mreg_gate_env_free(env);
	mreg_value_free(g);
	mreg_value_free(c);
	mreg_value_free(h);
	mreg_value_free(e);
	mreg_value_free(s);
	return report;
}

/* One gate, one result: checks pass/fail and the message. */
static void expect(const char *gates, const char *cand, const char *champ,
		   int passed, const char *message, const char *name)
{
	struct mreg_gate_report *r = run(gates, cand, champ);

	if (!r || r->nr != 1) {
		ok(0, "%s (got %zu results)", name, r ? r->nr : 0);
	} else if (!ok(r->results[0].passed == passed && r->passed == passed &&
		       !strcmp(r->results[0].message, message), "%s", name)) {
		diag("  passed %d, message '%s'", r->results[0].passed,
		     r->results[0].message);
	}
	mreg_gate_report_free(r);
}

#define OLD "metrics: {offline: {ndcg: 0.4, ece: 0.02}, latency_ms: {p95: 14}}"
#define NEW "metrics: {offline: {ndcg: 0.41, ece: 0.021}, latency_ms: {p95: 15}}"

static void test_rules(void)
{
	expect("gates: {ndcg: {min: 0.41}}", NEW, NULL, 1, "0.41 is at least 0.41", "min on the boundary passes");
	expect("gates: {ndcg: {min: 0.42}}", NEW, NULL, 0, "0.41 is below the minimum 0.42", "min fails");
	expect("gates: {ece: {max: 0.021}}", NEW, NULL, 1, "0.021 is at most 0.021", "max on the boundary passes");
	expect("gates: {ece: {max: 0.02}}", NEW, NULL, 0, "0.021 is above the maximum 0.02", "max fails");
	expect("gates: {ndcg: {min_relative_improvement: 0.025}}", NEW, OLD, 1,
	       "relative improvement 2.5% is at least 2.5% (0.41 vs 0.4)",
	       "min_relative_improvement on the boundary passes");
	expect("gates: {ndcg: {min_relative_improvement: 0.03}}", NEW, OLD, 0,
	       "relative improvement 2.5% is below the required 3% (0.41 vs 0.4)",
	       "min_relative_improvement fails");
	expect("gates: {ndcg: {min_absolute_improvement: 0.01}}", NEW, OLD, 1,
	       "improvement 0.01 is at least 0.01 (0.41 vs 0.4)",
	       "min_absolute_improvement on the boundary passes");
	expect("gates: {ndcg: {min_absolute_improvement: 0.02}}", NEW, OLD, 0,
	       "improvement 0.01 is below the required 0.02 (0.41 vs 0.4)",
	       "min_absolute_improvement fails");
	expect("gates: {ndcg: {max_relative_regression: 0.01}}", OLD, NEW, 0,
	       "relative regression 2.439% exceeds the allowed 1% (0.4 vs 0.41)",
	       "max_relative_regression fails");
	expect("gates: {ndcg: {max_relative_regression: 0.01}}", NEW, OLD, 1,
	       "relative regression -2.5% is within 1% (0.41 vs 0.4)",
	       "max_relative_regression passes on an improvement");
	expect("gates: {ndcg: {max_absolute_regression: 0.01}}", OLD, NEW, 1,
	       "regression 0.01 is within 0.01 (0.4 vs 0.41)",
	       "max_absolute_regression on the boundary passes");
	expect("gates: {ndcg: {max_absolute_regression: 0.005}}", OLD, NEW, 0,
	       "regression 0.01 exceeds the allowed 0.005 (0.4 vs 0.41)",
	       "max_absolute_regression fails");
	expect("gates: {ece: {max_relative_increase: 0.05}}", NEW, OLD, 1,
	       "relative increase 5% is within 5% (0.021 vs 0.02)",
	       "max_relative_increase on the boundary passes");
	expect("gates: {ece: {max_relative_increase: 0.02}}", NEW, OLD, 0,
	       "relative increase 5% exceeds the allowed 2% (0.021 vs 0.02)",
	       "max_relative_increase fails");
	expect("gates: {ece: {max_absolute_increase: 0.001}}", NEW, OLD, 1,
	       "increase 0.001 is within 0.001 (0.021 vs 0.02)",
	       "max_absolute_increase on the boundary passes");
	expect("gates: {ece: {max_absolute_increase: 0.0005}}", NEW, OLD, 0,
	       "increase 0.001 exceeds the allowed 0.0005 (0.021 vs 0.02)",
	       "max_absolute_increase fails");
}

static void test_direction(void)
{
	expect("gates: {ece: {max_relative_regression: 0.01, higher_is_better: false}}",
	       NEW, OLD, 0,
	       "relative regression 5% exceeds the allowed 1% (0.021 vs 0.02)",
	       "higher_is_better: false makes a rise a regression");
	expect("gates: {ece: {min_absolute_improvement: 0.001, higher_is_better: false}}",
	       OLD, NEW, 1, "improvement 0.001 is at least 0.001 (0.02 vs 0.021)",
	       "higher_is_better: false makes a fall an improvement");
	expect("gates: {ece: {max_relative_increase: 0.01, higher_is_better: false}}",
	       OLD, NEW, 1, "relative increase -4.762% is within 1% (0.02 vs 0.021)",
	       "increase rules are not turned round");
}

static void test_lookup(void)
{
	const char *c = "metrics: {offline: {a: 1}, guardrail: {a: 2, b: 3}, "
			"latency_ms: {b: 4, p99: 30}, segments: {s: {a: 5}}}";
	struct mreg_gate_report *r;

	r = run("gates: {a: {min: 0}, b: {min: 0}, latency_p99_ms: {max: 30}, "
		"x: {metric: segments.s.a, min: 0}, y: {metric: metrics.guardrail.a, min: 0}}",
		c, NULL);
	ok(r && r->nr == 5, "five results");
	if (r && r->nr == 5) {
		is_str(r->results[0].metric, "offline.a", "offline comes first");
		is_str(r->results[1].metric, "guardrail.b", "then guardrail");
		is_str(r->results[2].metric, "latency_ms.p99", "latency_P_ms is latency_ms.P");
		is_str(r->results[3].metric, "segments.s.a", "metric: names a dotted path");
		is_str(r->results[4].metric, "guardrail.a", "a metrics. prefix is allowed");
		ok(r->passed, "all pass");
	}
	mreg_gate_report_free(r);
}

static void test_missing(void)
{
	expect("gates: {nope: {min: 0}}", NEW, NULL, 0,
	       "candidate m@new has no metric 'nope' (looked in offline, guardrail, latency_ms)",
	       "a missing metric fails, naming it");
	expect("gates: {x: {metric: offline.ndcg, max_relative_regression: 0.1}}",
	       NEW, "metrics: {offline: {other: 1}}", 0,
	       "champion m@old has no metric 'offline.ndcg'",
	       "a metric missing on the champion fails, naming the side");
	expect("gates: {nope: {max_relative_regression: 0.1}}", NEW, OLD, 0,
	       "neither candidate m@new nor champion m@old has metric 'nope' "
	       "(looked in offline, guardrail, latency_ms)", "missing on both sides");
	expect("gates: {a: {min: 0}}", "metrics: {offline: {a: high}}", NULL, 0,
	       "candidate m@new: metric 'offline.a' is 'high', not a number",
	       "a metric that is not a number fails");
	expect("gates: {a: {min: 0}}", "metrics: {offline: {a: .nan}}", NULL, 0,
	       "candidate m@new: metric 'offline.a' is .nan, not a finite number",
	       "NaN fails");
	expect("gates: {ndcg: {max_relative_regression: 0.1}}", NEW, NULL, 0,
	       "no champion to compare with", "no champion: relative rules fail");
	expect("gates: {ndcg: {min: 0.1}}", NEW, NULL, 1, "0.41 is at least 0.1",
	       "no champion: absolute rules run");
}

static void test_zero(void)
{
	const char *zero = "metrics: {offline: {r: 0}}";

	expect("gates: {r: {max_relative_increase: 0.5}}", "metrics: {offline: {r: 0.1}}",
	       zero, 0, "the champion's value is 0, so a relative change is "
	       "undefined; use an absolute rule", "zero champion: explained failure");
	expect("gates: {r: {max_relative_increase: 0.5}}", zero, zero, 1,
	       "relative increase 0% is within 50% (0 vs 0)",
	       "zero champion, no change: 0%");
	expect("gates: {r: {max_absolute_increase: 0.5}}", "metrics: {offline: {r: 0.1}}",
	       zero, 1, "increase 0.1 is within 0.5 (0.1 vs 0)",
	       "zero champion: absolute rules still work");
}

static void test_segments(void)
{
	const char *h = "metrics: {segments: {a: {n: 0.5}, b: {n: 0.5}, c: {n: 0.5}, "
			"d: {other: 1}}}";
	const char *c = "metrics: {segments: {a: {n: 0.5}, b: {n: 0.4}, d: {other: 1}, "
			"e: {n: 0.1}}}";
	struct mreg_gate_report *r;

	r = run("gates: {segments.*.n: {max_relative_regression: 0.01}}", c, h);
	ok(r && r->nr == 3, "one line per segment both have, plus the dropped one");
	if (r && r->nr == 3) {
		is_str(r->results[0].name, "segments.a.n", "the wildcard is filled in");
		ok(r->results[0].passed, "segment a passes");
		ok(!r->results[1].passed, "segment b regressed");
		is_str(r->results[2].message, "candidate m@new has no metric 'segments.c.n'",
		       "a dropped segment fails");
	}
	mreg_gate_report_free(r);
	r = run("gates: {seg: {metric: segments.*.n, min: 0.2}}", c, h);
	ok(r && r->nr == 4 && !strcmp(r->results[3].name, "seg[e]") &&
	   !r->results[3].passed, "absolute rules check new segments too, as NAME[SEGMENT]");
	mreg_gate_report_free(r);
	expect("gates: {segments.*.zz: {min: 0}}", c, h, 0,
	       "no segment has metric 'zz' in both candidate m@new and champion m@old",
	       "a wildcard that matches nothing fails");
}

static void test_parse(void)
{
	char *m;

	m = gate_error("gates:\n  a: {min: 1, bogus: 2}\n");
	is_str(m, "g.yaml:2:22: unknown rule 'bogus' in gate 'a' (rules: min, max, "
	       "min_relative_improvement, min_absolute_improvement, "
	       "max_relative_regression, max_absolute_regression, "
	       "max_relative_increase, max_absolute_increase, required; "
	       "and metric, higher_is_better, check)", "unknown rule, with position");
	free(m);
	m = gate_error("gates:\n  a: {min: x}\n");
	is_str(m, "g.yaml:2:12: gate 'a': 'min' must be a number, not a string",
	       "a threshold must be a number");
	free(m);
	m = gate_error("gates:\n  a: {metric: b}\n");
	is_str(m, "g.yaml:2:6: gate 'a' has no rule", "a gate needs a rule");
	free(m);
	m = gate_error("gates:\n  runtime: {required: yes}\n");
	is_str(m, "g.yaml:2:23: gate 'runtime': 'required' must be 'pass'",
	       "required: pass only");
	free(m);
	m = gate_error("gates:\n  x: {required: pass, min: 1}\n");
	is_str(m, "g.yaml:2:6: gate 'x': 'required' cannot be combined with metric rules",
	       "required is alone");
	free(m);
	m = gate_error("gates: {}\n");
	is_str(m, "g.yaml:1:8: no gates: 'gates' must map gate names to rules",
	       "an empty gate file is refused");
	free(m);
	m = gate_error("gates:\n  a: {metric: 'x.*', min: 1}\n");
	ok(strstr(m, "a wildcard may only stand for the segment") != NULL,
	   "wildcards only for segments");
	free(m);
	m = gate_error("gates:\n  a: {min: 1, higher_is_better: no}\n");
	is_str(m, "g.yaml:2:33: gate 'a': 'higher_is_better' must be true or false",
	       "higher_is_better is a boolean");
	free(m);
}

#define BUNDLE \
	"runtime: rt1\n" \
	"components:\n" \
	"- {kind: calibration, version: cal5}\n" \
	"- {kind: categorical_vocab, name: cat, version: voc6}\n" \
	"- {kind: feature_schema, version: s1}\n" \
	"- {kind: feature_set, version: fs18}\n" \
	"- {kind: normalization_stats, version: norm4}\n" \
	"privacy: {class: internal}\n"

static void check_one(const char *check, int passed, const char *message)
{
	char gates[200];

	snprintf(gates, sizeof(gates), "gates: {%s: {required: pass}}", check);
	expect(gates, BUNDLE, NULL, passed, message, check);
}

static void test_compat(void)
{
	schema_text = "[{name: a, type: int}, {name: b, type: float}]";
	env_text = "feature_sets: {fs18: {a: int, b: float, c: int}}\n"
		   "vocabs: {cat: [voc5, voc6]}\nnormalization_stats: norm4\n"
		   "calibrations: [cal5]\nruntimes: [rt1]\ninput_dimension: 2\n"
		   "privacy_classes: [public, internal]\n";
	check_one("feature_set", 1, "feature set 'fs18' is served with all 2 features");
	check_one("feature_types", 1, "all 2 feature types match 'fs18' online");
	check_one("vocab", 1, "vocab versions present online: cat voc6");
	check_one("normalization", 1, "normalization stats present online: norm4");
	check_one("calibration", 1, "calibration present online: cal5");
	check_one("runtime", 1, "runtime supported: rt1");
	check_one("input_dimension", 1,
		  "the model takes 2 inputs (features in schema.yaml), as serving provides");
	check_one("privacy", 1, "privacy class internal is allowed");
	env_text = "feature_sets: {fs18: [{name: a, type: int}, {name: b, type: double}]}\n"
		   "vocabs: {cat: voc5}\nnormalization_stats: [norm3]\n"
		   "runtimes: [rt2, rt3]\ninput_dimension: 4\nprivacy_classes: public\n";
	schema_text = "features: {a: int, b: float, z: {type: int}}";
	check_one("feature_set", 0, "features missing from 'fs18' online: z");
	check_one("feature_types", 0, "'b' is float in the bundle but double online; "
		  "'z' (int) is not served");
	check_one("vocab", 0, "vocab cat voc6 is not present online "
		  "(env.yaml vocabs.cat: voc5)");
	check_one("normalization", 0, "normalization stats norm4 is not present online "
		  "(env.yaml normalization_stats: norm3)");
	check_one("calibration", 0, "calibration cal5 is not present online "
		  "(env.yaml lists no calibrations)");
	check_one("runtime", 0, "runtime rt1 is not supported (env.yaml runtimes: rt2, rt3)");
	check_one("input_dimension", 0, "the model takes 3 inputs (features in "
		  "schema.yaml) but serving provides 4");
	check_one("privacy", 0, "privacy class internal is not allowed "
		  "(env.yaml privacy_classes: public)");
	schema_text = "{schema_version: s1, input_dim: 4, features: [{name: a, type: int}]}";
	check_one("input_dimension", 1,
		  "the model takes 4 inputs (input_dim in schema.yaml), as serving provides");
	check_one("feature_set", 1, "feature set 'fs18' is served with all 1 feature");
	schema_text = NULL;
	env_text = NULL;
}

static void test_numbers(void)
{
	struct mreg_value *a = yaml("[0.412, 0.416, 1e-5, 3e-5, 14, 15.5]");
	char buf[40];
	double d;

	mreg_gate_delta(&d, a->items[0], a->items[1]);
	ok(d == 0.004, "0.416 - 0.412 is 0.004");
	mreg_gate_delta(&d, a->items[4], a->items[5]);
	ok(d == 1.5, "15.5 - 14 is 1.5");
	mreg_gate_delta(&d, a->items[2], a->items[3]);
	ok(d > 1.99e-5 && d < 2.01e-5, "exponents still subtract");
	mreg_gate_format_number(buf, sizeof(buf), 20);
	is_str(buf, "20", "20 is 20, not 2e+01");
	mreg_gate_format_number(buf, sizeof(buf), 0.1 + 0.2);
	is_str(buf, "0.30000000000000004", "shortest round trip");
	mreg_gate_format_number(buf, sizeof(buf), 1e-7);
	is_str(buf, "1e-07", "small numbers keep their exponent");
	mreg_value_free(a);
}

int main(void)
{
	test_rules();
	test_direction();
	test_lookup();
	test_missing();
	test_zero();
	test_segments();
	test_parse();
	test_compat();
	test_numbers();
	return done_testing();
}
