/*
 * gate.h: evaluation and compatibility gates (DESIGN §4).
 *
 * A gate file is read into a `struct mreg_gate_set`: one gate per name,
 * each with the metric it reads and one or more rules.  Evaluating the set
 * compares a candidate's metrics with a champion's and checks the
 * candidate's bundle against a serving environment (`--env` file), giving
 * one result per rule, segment and check.  The formats and the exact
 * meaning of every rule are in Documentation/mreg-gate.adoc.
 *
 * Evaluation is pure: it reads bundle.yaml trees and the parsed feature
 * schema given to it, never the registry, so it can be tested alone.
 */
#ifndef MREG_GATE_H
#define MREG_GATE_H

#include <stddef.h>
#include "mreg/mreg.h"
#include "mreg/value.h"

struct mreg_registry;
struct mreg_model;

enum mreg_gate_kind {
	MREG_GATE_MIN,
	MREG_GATE_MAX,
	MREG_GATE_MIN_RELATIVE_IMPROVEMENT,
	MREG_GATE_MIN_ABSOLUTE_IMPROVEMENT,
	MREG_GATE_MAX_RELATIVE_REGRESSION,
	MREG_GATE_MAX_ABSOLUTE_REGRESSION,
	MREG_GATE_MAX_RELATIVE_INCREASE,
	MREG_GATE_MAX_ABSOLUTE_INCREASE,
	MREG_GATE_REQUIRED	/* `required: pass`: a compatibility check */
};

/* The rule's name in gate files, "min_relative_improvement". */
const char *mreg_gate_kind_name(enum mreg_gate_kind kind);
/* 1 if the rule compares with the champion, 0 if it reads the candidate only. */
int mreg_gate_kind_needs_champion(enum mreg_gate_kind kind);

struct mreg_gate_rule {
	enum mreg_gate_kind kind;
	double threshold;	/* not used by MREG_GATE_REQUIRED */
	size_t line, column;
};

struct mreg_gate {
	char *name;
	char *metric;		/* the metric path; NULL for a compatibility gate */
	char *check;		/* the compatibility check; NULL for a metric gate */
	int higher_is_better;
	size_t nr_rules;
	struct mreg_gate_rule *rules;
	size_t line, column;
};

struct mreg_gate_set {
	char *file;		/* where it was read from, for messages */
	size_t nr;
	struct mreg_gate *gates;
};

void mreg_gate_set_free(struct mreg_gate_set *set);

/*
 * Reads a gate file ("gates:" and a mapping of gate name to rules).
 * MREG_EINVALID, with "FILE:LINE:COLUMN: problem", for malformed YAML, an
 * unknown rule or check, a threshold that is not a number, no gates.
 */
int mreg_gate_load(struct mreg_gate_set **out, const char *path);
/* The same from a parsed document; `file` names it in messages. */
int mreg_gate_parse(struct mreg_gate_set **out, const struct mreg_value *doc,
		    const char *file);

/* 1 if some gate of `set` is a compatibility gate. */
int mreg_gate_set_has_compat(const struct mreg_gate_set *set);
/* Appends `feature_compatibility: {required: pass}` (every check). */
void mreg_gate_set_add_compat(struct mreg_gate_set *set);

/* The serving environment of compatibility gates, read from an env file. */
struct mreg_gate_env;

/* Reads and checks an env file; errors name FILE:LINE:COLUMN. */
int mreg_gate_env_load(struct mreg_gate_env **out, const char *path);
int mreg_gate_env_parse(struct mreg_gate_env **out, const struct mreg_value *doc,
			const char *file);
void mreg_gate_env_free(struct mreg_gate_env *env);

/* The i-th compatibility check ("feature_set", ...), NULL past the last. */
const char *mreg_gate_check_name(size_t i);

/*
 * Reads the feature schema of `m` (its `feature_schema` component) through
 * the verified read path and parses it.  `*out` is NULL when `m` has no
 * feature schema.  A schema that is external or is not YAML is a problem
 * of the candidate, not an error: `*problem` (the caller frees it) then
 * says why and 0 is returned.  Negative for a store that does not verify
 * or an I/O error.
 */
int mreg_gate_read_schema(struct mreg_value **out, char **problem,
			  struct mreg_registry *reg, const struct mreg_model *m);

/* What a gate set is evaluated on; every pointer is lent. */
struct mreg_gate_input {
	const char *candidate_ref;	/* NAME@VERSION, for messages */
	const struct mreg_value *candidate;	/* its bundle.yaml */
	const char *champion_ref;
	const struct mreg_value *champion;	/* NULL: there is no champion */
	const char *no_champion;	/* why not, for messages; may be NULL */
	const struct mreg_gate_env *env;	/* NULL: no compatibility gates */
	const struct mreg_value *schema;	/* the candidate's feature schema */
	const char *schema_path;	/* its path in the bundle */
	const char *schema_problem;	/* why it could not be read */
};

struct mreg_gate_result {
	char *name;		/* the gate, with the segment or check it expanded to */
	char *metric;		/* the metric path read; NULL for a check */
	const char *rule;	/* mreg_gate_kind_name() of the rule */
	double threshold, candidate, champion;
	int has_threshold, has_candidate, has_champion;
	int passed;
	char *message;		/* why it passed or failed, one line */
};

struct mreg_gate_report {
	int passed;		/* 1 if every result passed */
	size_t nr, alloc;
	struct mreg_gate_result *results;
};

void mreg_gate_report_free(struct mreg_gate_report *report);

/*
 * Evaluates every gate of `set`.  A failing gate is a result, not an error:
 * the return value is negative only when the set cannot be evaluated at
 * all (MREG_EINVALID: compatibility gates without an environment).
 */
int mreg_gate_evaluate(struct mreg_gate_report **out,
		       const struct mreg_gate_set *set,
		       const struct mreg_gate_input *in);

/* `d` in the fewest significant digits that read back as `d` (buf >= 32). */
void mreg_gate_format_number(char *buf, size_t len, double d);

/*
 * `new - old` rounded to the decimal places the two were written with, so
 * 0.416 - 0.412 is 0.004 and not 0.0040000000000000036.  MREG_EINVALID if
 * either is not a number.
 */
int mreg_gate_delta(double *out, const struct mreg_value *old_value,
		    const struct mreg_value *new_value);

#endif
