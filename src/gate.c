/*
 * Evaluation gates: reading a gate file into rules and judging a
 * candidate's metrics by them, against a champion's where a rule compares.
 * Compatibility checks are in compat.c.  Nothing here reads the registry.
 */
#include "gate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const struct {
	const char *name;
	enum mreg_gate_kind kind;
	int needs_champion;
} kinds[] = {
	{ "min", MREG_GATE_MIN, 0 },
	{ "max", MREG_GATE_MAX, 0 },
	{ "min_relative_improvement", MREG_GATE_MIN_RELATIVE_IMPROVEMENT, 1 },
	{ "min_absolute_improvement", MREG_GATE_MIN_ABSOLUTE_IMPROVEMENT, 1 },
	{ "max_relative_regression", MREG_GATE_MAX_RELATIVE_REGRESSION, 1 },
	{ "max_absolute_regression", MREG_GATE_MAX_ABSOLUTE_REGRESSION, 1 },
	{ "max_relative_increase", MREG_GATE_MAX_RELATIVE_INCREASE, 1 },
	{ "max_absolute_increase", MREG_GATE_MAX_ABSOLUTE_INCREASE, 1 },
	{ "required", MREG_GATE_REQUIRED, 0 },
};

/* Bare metric names are looked up in these groups, in this order. */
static const char *const groups[] = { "offline", "guardrail", "latency_ms" };

#define SEGMENT_WILDCARD "segments.*."

const char *mreg_gate_kind_name(enum mreg_gate_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return "unknown";
}

int mreg_gate_kind_needs_champion(enum mreg_gate_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].kind == kind)
			return kinds[i].needs_champion;
	return 0;
}

static int find_kind(enum mreg_gate_kind *out, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].name, name)) {
			*out = kinds[i].kind;
			return 1;
		}
	return 0;
}

static void gate_release(struct mreg_gate *g)
{
	free(g->name);
	free(g->metric);
	free(g->check);
	free(g->rules);
}

void mreg_gate_set_free(struct mreg_gate_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->nr; i++)
		gate_release(&set->gates[i]);
	free(set->gates);
	free(set->file);
	free(set);
}

/* "segments.*.M" is the one place a wildcard may stand. */
static int check_wildcard(const char *file, const struct mreg_value *pos,
			  const char *gate, const char *metric)
{
	const char *star = strchr(metric, '*');

	if (!star)
		return 0;
	if (!starts_with(metric, SEGMENT_WILDCARD) ||
	    !metric[strlen(SEGMENT_WILDCARD)] ||
	    strchr(metric + strlen(SEGMENT_WILDCARD), '*'))
		return value_error(MREG_EINVALID, file, pos, "gate '%s': a wildcard may only stand for the "
			  "segment, as in 'segments.*.ndcg_at_20', not '%s'",
			  gate, metric);
	return 0;
}

static int add_rule(struct mreg_gate *g, size_t *alloc, const char *file,
		    const char *key, const struct mreg_value *v)
{
	struct mreg_gate_rule *r;
	enum mreg_gate_kind kind;
	double d = 0;

	if (!find_kind(&kind, key))
		return value_error(MREG_EINVALID, file, v, "unknown rule '%s' in gate '%s' (rules: min, max, "
			  "min_relative_improvement, min_absolute_improvement, "
			  "max_relative_regression, max_absolute_regression, "
			  "max_relative_increase, max_absolute_increase, required; "
			  "and metric, higher_is_better, check)", key, g->name);
	if (kind == MREG_GATE_REQUIRED) {
		if (!mreg_value_is_scalar(v) || strcmp(v->text, "pass"))
			return value_error(MREG_EINVALID, file, v, "gate '%s': 'required' must be 'pass'", g->name);
	} else if (mreg_value_number(&d, v) < 0 || !isfinite(d)) {
		return value_error(MREG_EINVALID, file, v, "gate '%s': '%s' must be a number, not %s",
			  g->name, key, v->kind == MREG_VALUE_FLOAT ? "infinity or NaN" :
			  mreg_value_kind_name(v->kind));
	}
	ALLOC_GROW(g->rules, g->nr_rules + 1, *alloc);
	r = &g->rules[g->nr_rules++];
	r->kind = kind;
	r->threshold = d;
	r->line = v->line;
	r->column = v->column;
	return 0;
}

static int string_option(char **out, const char *file, const struct mreg_gate *g,
			 const char *key, const struct mreg_value *v)
{
	if (v->kind != MREG_VALUE_STRING || !*v->text)
		return value_error(MREG_EINVALID, file, v, "gate '%s': '%s' must be a name, not %s",
			  g->name, key, mreg_value_kind_name(v->kind));
	*out = xstrdup(v->text);
	return 0;
}

/* After the keys are read: what kind of gate it is, and is it whole. */
static int finish_gate(struct mreg_gate *g, const char *file,
		       const struct mreg_value *v)
{
	size_t i, required = 0;

	if (!g->nr_rules)
		return value_error(MREG_EINVALID, file, v, "gate '%s' has no rule", g->name);
	for (i = 0; i < g->nr_rules; i++)
		required += g->rules[i].kind == MREG_GATE_REQUIRED;
	if (required && required != g->nr_rules)
		return value_error(MREG_EINVALID, file, v, "gate '%s': 'required' cannot be combined with "
			  "metric rules", g->name);
	if (required) {
		if (g->metric)
			return value_error(MREG_EINVALID, file, v, "gate '%s': a compatibility gate has no "
				  "metric", g->name);
		if (!g->check)
			g->check = xstrdup(g->name);
		if (!gate_is_check(g->check))
			return value_error(MREG_EINVALID, file, v, "gate '%s': unknown compatibility check '%s' "
				  "(checks: feature_compatibility, feature_set, "
				  "feature_types, vocab, normalization, calibration, "
				  "runtime, input_dimension, privacy)", g->name, g->check);
		return 0;
	}
	if (g->check)
		return value_error(MREG_EINVALID, file, v, "gate '%s': 'check' needs 'required: pass'", g->name);
	if (!g->metric)
		g->metric = xstrdup(g->name);
	if (starts_with(g->metric, "metrics.")) {
		char *bare = xstrdup(g->metric + strlen("metrics."));

		free(g->metric);
		g->metric = bare;
	}
	if (!*g->metric || g->metric[0] == '.' || ends_with(g->metric, ".") ||
	    strstr(g->metric, ".."))
		return value_error(MREG_EINVALID, file, v, "gate '%s': '%s' is not a metric name",
			  g->name, g->metric);
	return check_wildcard(file, v, g->name, g->metric);
}

static int parse_gate(struct mreg_gate *g, const char *file, const char *name,
		      const struct mreg_value *v)
{
	size_t i, alloc = 0;
	int err;

	memset(g, 0, sizeof(*g));
	g->name = xstrdup(name);
	g->higher_is_better = 1;
	g->line = v->line;
	g->column = v->column;
	if (v->kind != MREG_VALUE_MAP)
		return value_error(MREG_EINVALID, file, v, "gate '%s' must be a mapping of rules, as in "
			  "'%s: {min: 0.4}', not %s", name, name,
			  mreg_value_kind_name(v->kind));
	for (i = 0; i < v->nr; i++) {
		const char *key = v->keys[i];
		const struct mreg_value *item = v->items[i];

		if (!strcmp(key, "metric"))
			err = string_option(&g->metric, file, g, key, item);
		else if (!strcmp(key, "check"))
			err = string_option(&g->check, file, g, key, item);
		else if (!strcmp(key, "higher_is_better")) {
			if (item->kind != MREG_VALUE_BOOL)
				return value_error(MREG_EINVALID, file, item, "gate '%s': 'higher_is_better' "
					  "must be true or false", name);
			g->higher_is_better = item->text[0] == 't' || item->text[0] == 'T';
			err = 0;
		} else {
			err = add_rule(g, &alloc, file, key, item);
		}
		if (err < 0)
			return err;
	}
	return finish_gate(g, file, v);
}

int mreg_gate_parse(struct mreg_gate_set **out, const struct mreg_value *doc,
		    const char *file)
{
	struct mreg_gate_set *set = xcalloc(1, sizeof(*set));
	const struct mreg_value *gates = mreg_value_get(doc, "gates");
	size_t i;
	int err = 0;

	*out = NULL;
	set->file = xstrdup(file);
	if (!doc || doc->kind != MREG_VALUE_MAP) {
		err = value_error(MREG_EINVALID, file, doc, "a gate file is a mapping with 'gates:'");
		goto done;
	}
	for (i = 0; i < doc->nr; i++)
		if (strcmp(doc->keys[i], "gates") && !starts_with(doc->keys[i], "x-")) {
			err = value_error(MREG_EINVALID, file, doc->items[i], "unknown key '%s' (a gate file "
				 "has 'gates:' and private 'x-' keys)", doc->keys[i]);
			goto done;
		}
	if (!gates || gates->kind != MREG_VALUE_MAP || !gates->nr) {
		err = value_error(MREG_EINVALID, file, gates ? gates : doc,
			 "no gates: 'gates' must map gate names to rules");
		goto done;
	}
	set->gates = xcalloc(gates->nr, sizeof(*set->gates));
	for (i = 0; i < gates->nr; i++) {
		set->nr++;
		if ((err = parse_gate(&set->gates[i], file, gates->keys[i],
				      gates->items[i])) < 0)
			goto done;
	}
done:
	if (err < 0)
		mreg_gate_set_free(set);
	else
		*out = set;
	return err;
}

int mreg_gate_load(struct mreg_gate_set **out, const char *path)
{
	struct mreg_value *doc = NULL;
	int err;

	*out = NULL;
	if ((err = mreg_yaml_load(&doc, path)) < 0)
		return err;
	err = mreg_gate_parse(out, doc, path);
	mreg_value_free(doc);
	return err;
}

int mreg_gate_set_has_compat(const struct mreg_gate_set *set)
{
	size_t i;

	for (i = 0; set && i < set->nr; i++)
		if (set->gates[i].check)
			return 1;
	return 0;
}

void mreg_gate_set_add_compat(struct mreg_gate_set *set)
{
	struct mreg_gate *g;

	set->gates = xrealloc(set->gates, (set->nr + 1) * sizeof(*set->gates));
	g = &set->gates[set->nr++];
	memset(g, 0, sizeof(*g));
	g->name = xstrdup("feature_compatibility");
	g->check = xstrdup("feature_compatibility");
	g->higher_is_better = 1;
	g->nr_rules = 1;
	g->rules = xcalloc(1, sizeof(*g->rules));
	g->rules[0].kind = MREG_GATE_REQUIRED;
}

/* --- numbers -------------------------------------------------------- */

void mreg_gate_format_number(char *buf, size_t len, double d)
{
	int p, digits;

	for (p = 1; p < 17; p++) {
		snprintf(buf, len, "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (p == 17)
		snprintf(buf, len, "%.17g", d);
	/* 20, not 2e+01: whole digits are never put in an exponent */
	if (strchr(buf, 'e') && fabs(d) >= 1 && fabs(d) < 1e17) {
		digits = snprintf(buf, len, "%.0f", fabs(d));
		snprintf(buf, len, "%.*g", digits > p ? digits : p, d);
	}
}

void gate_add_number(struct strbuf *sb, double d)
{
	char buf[40];

	mreg_gate_format_number(buf, sizeof(buf), d);
	strbuf_addstr(sb, buf);
}

/* Digits after the point in a plain decimal; -1 for 1e-5, .inf, 0x1f. */
static int decimals(const char *text)
{
	const char *dot;

	if (strpbrk(text, "eExXoOiInN"))
		return -1;
	dot = strchr(text, '.');
	return dot ? (int)strlen(dot + 1) : 0;
}

int mreg_gate_delta(double *out, const struct mreg_value *old_value,
		    const struct mreg_value *new_value)
{
	double a, b;
	int da, db, err;
	char buf[400];

	*out = 0;
	if ((err = mreg_value_number(&a, old_value)) < 0 ||
	    (err = mreg_value_number(&b, new_value)) < 0)
		return err;
	*out = b - a;
	da = decimals(old_value->text);
	db = decimals(new_value->text);
	if (!isfinite(*out))
		return 0;
	if (da >= 0 && db >= 0 && fabs(*out) < 1e15)
		snprintf(buf, sizeof(buf), "%.*f", da > db ? da : db, *out);
	else	/* 1e-5 - 3e-5: no places to go by; drop the binary noise */
		snprintf(buf, sizeof(buf), "%.12g", *out);
	*out = strtod(buf, NULL);
	if (*out == 0)
		*out = 0;	/* no "-0" */
	return 0;
}

/* --- evaluation ----------------------------------------------------- */

void mreg_gate_report_free(struct mreg_gate_report *report)
{
	size_t i;

	if (!report)
		return;
	for (i = 0; i < report->nr; i++) {
		free(report->results[i].name);
		free(report->results[i].metric);
		free(report->results[i].message);
	}
	free(report->results);
	free(report);
}

static struct mreg_gate_result *add_result(struct mreg_gate_report *report,
					   const char *name, const char *metric,
					   const struct mreg_gate_rule *rule)
{
	struct mreg_gate_result *res;

	ALLOC_GROW(report->results, report->nr + 1, report->alloc);
	res = &report->results[report->nr++];
	memset(res, 0, sizeof(*res));
	res->name = xstrdup(name);
	res->metric = metric ? xstrdup(metric) : NULL;
	res->rule = mreg_gate_kind_name(rule->kind);
	if (rule->kind != MREG_GATE_REQUIRED) {
		res->threshold = rule->threshold;
		res->has_threshold = 1;
	}
	return res;
}

static void finish_result(struct mreg_gate_report *report,
			  struct mreg_gate_result *res, int passed,
			  struct strbuf *msg)
{
	res->passed = passed;
	res->message = strbuf_detach(msg, NULL);
	if (!passed)
		report->passed = 0;
}

/*
 * Finds `path` in a bundle's metrics; `found` gets the path it was found
 * at (or `path` itself).  Bare names are looked up in offline, guardrail
 * and latency_ms, and "latency_P_ms" is also latency_ms.P.
 */
static const struct mreg_value *find_metric(struct strbuf *found,
					    const struct mreg_value *bundle,
					    const char *path)
{
	const struct mreg_value *metrics = mreg_value_get(bundle, "metrics"), *v;
	size_t i, len = strlen(path);

	strbuf_reset(found);
	if (strchr(path, '.')) {
		strbuf_addstr(found, path);
		return mreg_value_path(metrics, path);
	}
	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		v = mreg_value_get(mreg_value_get(metrics, groups[i]), path);
		if (v) {
			strbuf_addf(found, "%s.%s", groups[i], path);
			return v;
		}
	}
	if (len > strlen("latency__ms") && starts_with(path, "latency_") &&
	    ends_with(path, "_ms")) {
		char *p = xstrndup(path + strlen("latency_"), len - strlen("latency__ms"));

		v = mreg_value_get(mreg_value_get(metrics, "latency_ms"), p);
		if (v)
			strbuf_addf(found, "latency_ms.%s", p);
		free(p);
		if (v)
			return v;
	}
	strbuf_addstr(found, path);
	return NULL;
}

/* Explains a metric that is missing or not a number; 0 if it is fine. */
static int explain_value(struct strbuf *msg, const char *who, const char *ref,
			 const char *metric, const struct mreg_value *v)
{
	double d;

	if (!v) {
		strbuf_addf(msg, "%s %s has no metric '%s'", who, ref, metric);
		if (!strchr(metric, '.'))
			strbuf_addstr(msg, " (looked in offline, guardrail, latency_ms)");
		return -1;
	}
	if (!mreg_value_number(&d, v) && isfinite(d))
		return 0;
	strbuf_addf(msg, "%s %s: metric '%s' is ", who, ref, metric);
	if (v->kind == MREG_VALUE_STRING)
		strbuf_addf(msg, "'%s', not a number", v->text);
	else if (mreg_value_is_number(v))
		strbuf_addf(msg, "%s, not a finite number", v->text);
	else
		strbuf_addf(msg, "%s, not a number", mreg_value_kind_name(v->kind));
	return -1;
}

/* Values within this of a threshold count as on it: binary rounding. */
static int within(double value, double limit)
{
	double scale = fabs(limit) > 1 ? fabs(limit) : 1;

	return value <= limit + 1e-9 * scale;
}

static void add_percent(struct strbuf *sb, double fraction)
{
	strbuf_addf(sb, "%.4g%%", fraction * 100);
}

/* The rule applied to numbers that are known to be there. */
static int judge(struct strbuf *msg, const struct mreg_gate *g,
		 const struct mreg_gate_rule *r, double c, double h, double diff)
{
	double t = r->threshold, change, rel = 0;
	int relative = 0, passed;
	const char *what;

	switch (r->kind) {
	case MREG_GATE_MIN:
		passed = within(t, c);
		gate_add_number(msg, c);
		strbuf_addstr(msg, passed ? " is at least " : " is below the minimum ");
		gate_add_number(msg, t);
		return passed;
	case MREG_GATE_MAX:
		passed = within(c, t);
		gate_add_number(msg, c);
		strbuf_addstr(msg, passed ? " is at most " : " is above the maximum ");
		gate_add_number(msg, t);
		return passed;
	case MREG_GATE_MIN_RELATIVE_IMPROVEMENT:
	case MREG_GATE_MAX_RELATIVE_REGRESSION:
	case MREG_GATE_MAX_RELATIVE_INCREASE:
		relative = 1;
		break;
	default:
		break;
	}
	/* improvement > 0 is better; higher_is_better: false turns it round */
	change = r->kind == MREG_GATE_MAX_RELATIVE_INCREASE ||
		 r->kind == MREG_GATE_MAX_ABSOLUTE_INCREASE ? diff :
		 g->higher_is_better ? diff : -diff;
	if (r->kind == MREG_GATE_MAX_RELATIVE_REGRESSION ||
	    r->kind == MREG_GATE_MAX_ABSOLUTE_REGRESSION)
		change = -change;
	if (relative && h == 0 && change != 0) {
		strbuf_addstr(msg, "the champion's value is 0, so a relative change "
			      "is undefined; use an absolute rule");
		return 0;
	}
	if (relative)
		rel = h == 0 ? 0 : change / fabs(h);
	if (r->kind == MREG_GATE_MIN_RELATIVE_IMPROVEMENT ||
	    r->kind == MREG_GATE_MIN_ABSOLUTE_IMPROVEMENT) {
		what = relative ? "relative improvement " : "improvement ";
		passed = within(t, relative ? rel : change);
	} else {
		what = r->kind == MREG_GATE_MAX_RELATIVE_INCREASE ||
		       r->kind == MREG_GATE_MAX_ABSOLUTE_INCREASE ?
		       (relative ? "relative increase " : "increase ") :
		       (relative ? "relative regression " : "regression ");
		passed = within(relative ? rel : change, t);
	}
	strbuf_addstr(msg, what);
	if (relative)
		add_percent(msg, rel);
	else
		gate_add_number(msg, change);
	if (r->kind == MREG_GATE_MIN_RELATIVE_IMPROVEMENT ||
	    r->kind == MREG_GATE_MIN_ABSOLUTE_IMPROVEMENT)
		strbuf_addstr(msg, passed ? " is at least " : " is below the required ");
	else
		strbuf_addstr(msg, passed ? " is within " : " exceeds the allowed ");
	if (relative)
		add_percent(msg, t);
	else
		gate_add_number(msg, t);
	strbuf_addstr(msg, " (");
	gate_add_number(msg, c);
	strbuf_addstr(msg, " vs ");
	gate_add_number(msg, h);
	strbuf_addch(msg, ')');
	return passed;
}

/* One rule of a metric gate on one metric path: one result. */
static void eval_metric(struct mreg_gate_report *report, const char *name,
			const struct mreg_gate *g, const struct mreg_gate_rule *r,
			const char *metric, const struct mreg_gate_input *in)
{
	struct strbuf found = STRBUF_INIT, msg = STRBUF_INIT;
	const struct mreg_value *cv, *hv = NULL;
	struct mreg_gate_result *res;
	int needs = mreg_gate_kind_needs_champion(r->kind), passed = 0, bad;
	double diff = 0;

	cv = find_metric(&found, in->candidate, metric);
	if (in->champion) {
		struct strbuf hfound = STRBUF_INIT;

		hv = find_metric(&hfound, in->champion, metric);
		if (!cv && hv) {
			strbuf_reset(&found);
			strbuf_addbuf(&found, &hfound);
		}
		strbuf_release(&hfound);
	}
	res = add_result(report, name, found.buf, r);
	res->has_candidate = cv && !mreg_value_number(&res->candidate, cv) &&
			     isfinite(res->candidate);
	res->has_champion = hv && !mreg_value_number(&res->champion, hv) &&
			    isfinite(res->champion);
	if (!cv && in->champion && !hv) {
		strbuf_addf(&msg, "neither candidate %s nor champion %s has metric '%s'",
			    in->candidate_ref, in->champion_ref, found.buf);
		if (!strchr(found.buf, '.'))
			strbuf_addstr(&msg, " (looked in offline, guardrail, latency_ms)");
		bad = 1;
	} else {
		bad = explain_value(&msg, "candidate", in->candidate_ref,
				    found.buf, cv) < 0;
	}
	if (!bad && needs && !in->champion) {
		strbuf_addstr(&msg, in->no_champion ? in->no_champion :
			      "no champion to compare with");
		bad = 1;
	} else if (!bad && needs) {
		bad = explain_value(&msg, "champion", in->champion_ref,
				    found.buf, hv) < 0;
	}
	if (!bad) {
		if (needs)
			mreg_gate_delta(&diff, hv, cv);
		passed = judge(&msg, g, r, res->candidate, res->champion, diff);
	}
	finish_result(report, res, passed, &msg);
	strbuf_release(&found);
}

/* The name of an expanded line: the wildcard filled in, or NAME[ITEM]. */
static void expanded_name(struct strbuf *sb, const char *name, const char *item)
{
	const char *star = strchr(name, '*');

	strbuf_reset(sb);
	if (star) {
		strbuf_add(sb, name, (size_t)(star - name));
		strbuf_addstr(sb, item);
		strbuf_addstr(sb, star + 1);
	} else {
		strbuf_addf(sb, "%s[%s]", name, item);
	}
}

static const struct mreg_value *segment_metric(const struct mreg_value *bundle,
					       const char *segment, const char *m)
{
	const struct mreg_value *segs = mreg_value_path(bundle, "metrics.segments");

	return mreg_value_path(mreg_value_get(segs, segment), m);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * segments.*.M: one line per segment in which either version has M.  A
 * segment only the candidate has is new: relative rules have nothing to
 * compare it with and skip it.  One the champion has and the candidate
 * lacks fails, so a regression cannot hide behind a dropped segment.
 */
static void eval_segments(struct mreg_gate_report *report, const struct mreg_gate *g,
			  const struct mreg_gate_rule *r, const struct mreg_gate_input *in)
{
	const char *m = g->metric + strlen(SEGMENT_WILDCARD);
	const struct mreg_value *sides[2] = { in->candidate, in->champion };
	struct strbuf name = STRBUF_INIT, path = STRBUF_INIT, msg = STRBUF_INIT;
	const char **names = NULL;
	size_t nr = 0, alloc = 0, i, j, k, lines = 0;
	int needs = mreg_gate_kind_needs_champion(r->kind);

	for (j = 0; j < 2; j++) {
		const struct mreg_value *segs = mreg_value_path(sides[j], "metrics.segments");

		for (i = 0; segs && segs->kind == MREG_VALUE_MAP && i < segs->nr; i++) {
			if (!mreg_value_path(segs->items[i], m))
				continue;
			for (k = 0; k < nr && strcmp(names[k], segs->keys[i]); k++)
				;
			if (k < nr)
				continue;
			ALLOC_GROW(names, nr + 1, alloc);
			names[nr++] = segs->keys[i];
		}
	}
	if (nr)
		qsort(names, nr, sizeof(*names), compare_names);
	for (i = 0; i < nr; i++) {
		if (needs && in->champion &&
		    !segment_metric(in->champion, names[i], m))
			continue;
		expanded_name(&name, g->name, names[i]);
		strbuf_reset(&path);
		strbuf_addf(&path, "segments.%s.%s", names[i], m);
		eval_metric(report, name.buf, g, r, path.buf, in);
		lines++;
	}
	if (!lines) {
		struct mreg_gate_result *res = add_result(report, g->name, g->metric, r);

		if (in->champion)
			strbuf_addf(&msg, "no segment has metric '%s' in both candidate "
				    "%s and champion %s", m, in->candidate_ref,
				    in->champion_ref);
		else
			strbuf_addf(&msg, "candidate %s has no segment with metric '%s'",
				    in->candidate_ref, m);
		finish_result(report, res, 0, &msg);
	}
	free(names);
	strbuf_release(&name);
	strbuf_release(&path);
}

static void eval_check(struct mreg_gate_report *report, const char *name,
		       const struct mreg_gate_rule *r, const char *check,
		       const struct mreg_gate_input *in)
{
	struct mreg_gate_result *res = add_result(report, name, NULL, r);
	struct strbuf msg = STRBUF_INIT;
	int passed = 0;

	compat_check(&passed, &msg, check, in);
	finish_result(report, res, passed, &msg);
}

static void eval_gate(struct mreg_gate_report *report, const struct mreg_gate *g,
		      const struct mreg_gate_rule *r, const struct mreg_gate_input *in)
{
	struct strbuf name = STRBUF_INIT;
	const char *check;
	size_t i;

	if (!g->check) {
		if (starts_with(g->metric, SEGMENT_WILDCARD))
			eval_segments(report, g, r, in);
		else
			eval_metric(report, g->name, g, r, g->metric, in);
		return;
	}
	if (strcmp(g->check, "feature_compatibility")) {
		eval_check(report, g->name, r, g->check, in);
		return;
	}
	for (i = 0; (check = mreg_gate_check_name(i)); i++) {
		expanded_name(&name, g->name, check);
		eval_check(report, name.buf, r, check, in);
	}
	strbuf_release(&name);
}

int mreg_gate_evaluate(struct mreg_gate_report **out,
		       const struct mreg_gate_set *set,
		       const struct mreg_gate_input *in)
{
	struct mreg_gate_report *report;
	size_t i, j;

	*out = NULL;
	for (i = 0; i < set->nr; i++)
		if (set->gates[i].check && !in->env) {
			struct mreg_value pos = { .line = set->gates[i].line,
						  .column = set->gates[i].column };

			return value_error(MREG_EINVALID, set->file, &pos, "gate '%s' checks compatibility "
				  "and needs a serving environment file",
				  set->gates[i].name);
		}
	report = xcalloc(1, sizeof(*report));
	report->passed = 1;
	for (i = 0; i < set->nr; i++)
		for (j = 0; j < set->gates[i].nr_rules; j++)
			eval_gate(report, &set->gates[i], &set->gates[i].rules[j], in);
	*out = report;
	return 0;
}
