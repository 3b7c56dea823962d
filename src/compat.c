/*
 * Compatibility gates (reference §12): is the serving side, described by
 * an env file, ready for this bundle?  Each check compares what the bundle
 * names (its components, runtime, feature schema, privacy class) with what
 * the env file says is present online, and names what is missing or
 * mismatched.  The env file format is in Documentation/mreg-gate.adoc.
 */
#include "gate.h"
#include "mreg/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define SCHEMA_LIMIT (16 * 1024 * 1024)

static const char *const checks[] = {
	"feature_set", "feature_types", "vocab", "normalization", "calibration",
	"runtime", "input_dimension", "privacy",
};

struct mreg_gate_env {
	char *file;
	struct mreg_value *doc;
};

struct feature {
	const char *name, *type;
};

struct features {
	size_t nr, alloc;
	struct feature *list;
};

const char *mreg_gate_check_name(size_t i)
{
	return i < ARRAY_SIZE(checks) ? checks[i] : NULL;
}

int gate_is_check(const char *name)
{
	size_t i;

	if (!strcmp(name, "feature_compatibility"))
		return 1;
	for (i = 0; i < ARRAY_SIZE(checks); i++)
		if (!strcmp(checks[i], name))
			return 1;
	return 0;
}

static void problem_at(struct strbuf *sb, const char *file,
		       const struct mreg_value *v, const char *what)
{
	strbuf_addf(sb, "%s:%zu:%zu: %s", file, v && v->line ? v->line : 1,
		    v && v->column ? v->column : 1, what);
}

static int is_name(const struct mreg_value *v)
{
	return v && mreg_value_is_scalar(v) && v->kind != MREG_VALUE_NULL && *v->text;
}

/*
 * The `features:` of a schema that wraps its feature list with facts about
 * it (schema_version, input_dim, ...); NULL for a bare feature list.
 */
static const struct mreg_value *wrapped(const struct mreg_value *v)
{
	const struct mreg_value *inner = mreg_value_get(v, "features");

	if (inner && (inner->kind == MREG_VALUE_MAP || inner->kind == MREG_VALUE_SEQ))
		return inner;
	return NULL;
}

/*
 * A feature list: a mapping of name to type (or to a mapping with `type`),
 * or a sequence of {name, type}; either may sit under a `features:` key.
 */
static int parse_features(struct features *out, struct strbuf *problem,
			  const struct mreg_value *v, const char *file)
{
	size_t i, j;

	out->nr = 0;
	if (wrapped(v))
		v = wrapped(v);
	if (!v || (v->kind != MREG_VALUE_MAP && v->kind != MREG_VALUE_SEQ)) {
		problem_at(problem, file, v, "a feature list is a mapping of feature "
			   "name to type, or a list of {name, type}");
		return -1;
	}
	for (i = 0; i < v->nr; i++) {
		const struct mreg_value *item = v->items[i], *name, *type;

		if (v->kind == MREG_VALUE_MAP) {
			name = NULL;
			type = item->kind == MREG_VALUE_MAP ?
			       mreg_value_get(item, "type") : item;
		} else {
			name = mreg_value_get(item, "name");
			type = mreg_value_get(item, "type");
			if (!is_name(name)) {
				problem_at(problem, file, item, "a feature needs a 'name'");
				return -1;
			}
		}
		if (!is_name(type)) {
			problem_at(problem, file, item, "");
			strbuf_addf(problem, "feature '%s' needs a type",
				    name ? name->text : v->keys[i]);
			return -1;
		}
		ALLOC_GROW(out->list, out->nr + 1, out->alloc);
		out->list[out->nr].name = name ? name->text : v->keys[i];
		out->list[out->nr].type = type->text;
		for (j = 0; j < out->nr; j++)
			if (!strcmp(out->list[j].name, out->list[out->nr].name)) {
				problem_at(problem, file, item, "");
				strbuf_addf(problem, "feature '%s' is listed twice",
					    out->list[j].name);
				return -1;
			}
		out->nr++;
	}
	return 0;
}

static const struct feature *find_feature(const struct features *fs, const char *name)
{
	size_t i;

	for (i = 0; i < fs->nr; i++)
		if (!strcmp(fs->list[i].name, name))
			return &fs->list[i];
	return NULL;
}

/* --- the env file --------------------------------------------------- */

static int is_name_list(const struct mreg_value *v)
{
	size_t i;

	if (is_name(v))
		return 1;
	if (!v || v->kind != MREG_VALUE_SEQ)
		return 0;
	for (i = 0; i < v->nr; i++)
		if (!is_name(v->items[i]))
			return 0;
	return 1;
}

static int env_error(const char *file, const struct mreg_value *v,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int env_error(const char *file, const struct mreg_value *v,
		     const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	int err;

	problem_at(&sb, file, v, "");
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	err = mreg_error_set(MREG_EINVALID, "%s", sb.buf);
	strbuf_release(&sb);
	return err;
}

static int check_env_key(const char *file, const char *key, const struct mreg_value *v)
{
	static const char *const lists[] = {
		"normalization_stats", "calibrations", "runtimes", "privacy_classes",
	};
	struct features fs = { 0, 0, NULL };
	struct strbuf problem = STRBUF_INIT;
	size_t i;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(lists); i++)
		if (!strcmp(key, lists[i]))
			return is_name_list(v) ? 0 :
				env_error(file, v, "'%s' must be a name or a list of names", key);
	if (!strcmp(key, "name"))
		return is_name(v) ? 0 : env_error(file, v, "'%s' must be a name", key);
	if (!strcmp(key, "input_dimension")) {
		double d;

		if (v->kind != MREG_VALUE_INT || mreg_value_number(&d, v) < 0 || d < 1)
			return env_error(file, v, "'%s' must be a whole number above 0", key);
		return 0;
	}
	if (!strcmp(key, "vocabs")) {
		if (is_name_list(v))
			return 0;
		for (i = 0; v->kind == MREG_VALUE_MAP && i < v->nr; i++)
			if (!is_name_list(v->items[i]))
				return env_error(file, v->items[i], "vocab '%s' must be a "
						 "version or a list of versions", v->keys[i]);
		return v->kind == MREG_VALUE_MAP ? 0 :
			env_error(file, v, "'%s' must map vocab names to versions", key);
	}
	if (!strcmp(key, "feature_sets")) {
		if (v->kind != MREG_VALUE_MAP)
			return env_error(file, v, "'%s' must map feature set versions "
					 "to their features", key);
		for (i = 0; i < v->nr && !err; i++)
			if (parse_features(&fs, &problem, v->items[i], file) < 0)
				err = mreg_error_set(MREG_EINVALID, "%s", problem.buf);
		free(fs.list);
		strbuf_release(&problem);
		return err;
	}
	if (starts_with(key, "x-"))
		return 0;
	return env_error(file, v, "unknown key '%s' (an env file has name, "
			 "feature_sets, vocabs, normalization_stats, calibrations, "
			 "runtimes, input_dimension, privacy_classes and 'x-' keys)", key);
}

int mreg_gate_env_parse(struct mreg_gate_env **out, const struct mreg_value *doc,
			const char *file)
{
	struct mreg_gate_env *env;
	size_t i;
	int err;

	*out = NULL;
	if (!doc || doc->kind != MREG_VALUE_MAP)
		return env_error(file, doc, "an env file is a mapping");
	for (i = 0; i < doc->nr; i++)
		if ((err = check_env_key(file, doc->keys[i], doc->items[i])) < 0)
			return err;
	env = xcalloc(1, sizeof(*env));
	env->file = xstrdup(file);
	env->doc = mreg_value_dup(doc);
	*out = env;
	return 0;
}

int mreg_gate_env_load(struct mreg_gate_env **out, const char *path)
{
	struct mreg_value *doc = NULL;
	int err;

	*out = NULL;
	if ((err = mreg_yaml_load(&doc, path)) < 0)
		return err;
	err = mreg_gate_env_parse(out, doc, path);
	mreg_value_free(doc);
	return err;
}

void mreg_gate_env_free(struct mreg_gate_env *env)
{
	if (!env)
		return;
	free(env->file);
	mreg_value_free(env->doc);
	free(env);
}

/* --- the bundle's feature schema ------------------------------------ */

int mreg_gate_read_schema(struct mreg_value **out, char **problem,
			  struct mreg_registry *reg, const struct mreg_model *m)
{
	const struct mreg_file *f = NULL;
	struct strbuf sb = STRBUF_INIT, label = STRBUF_INIT;
	FILE *fp = NULL;
	size_t i;
	int err = 0;

	*out = NULL;
	*problem = NULL;
	for (i = 0; i < m->nr_files && !f; i++)
		if (!strcmp(m->files[i].kind, "feature_schema"))
			f = &m->files[i];
	if (!f)
		return 0;
	if (!f->path) {
		strbuf_addf(&sb, "%s: the feature schema '%s' is external; mreg holds "
			    "only its sha256", m->ref, f->uri);
		*problem = strbuf_detach(&sb, NULL);
		return 0;
	}
	/* A pipe could fill up before anyone reads it: go through a file. */
	if (!(fp = tmpfile()))
		return mreg_error_errno(MREG_EIO, "cannot make a temporary file for",
					f->path);
	if ((err = mreg_model_cat(reg, m, f->path, fileno(fp), NULL, NULL)) < 0)
		goto done;
	if (lseek(fileno(fp), 0, SEEK_SET) < 0 ||
	    strbuf_read_fd(&sb, fileno(fp), SCHEMA_LIMIT) < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot read back", f->path);
		goto done;
	}
	strbuf_addf(&label, "%s:%s", m->ref, f->path);
	if (mreg_yaml_parse(out, sb.buf, sb.len, label.buf) < 0) {
		*problem = xstrdup(mreg_error_last());
		mreg_error_clear();
		*out = NULL;
	}
done:
	fclose(fp);
	strbuf_release(&sb);
	strbuf_release(&label);
	return err;
}

/* --- the checks ----------------------------------------------------- */

static int list_has(const struct mreg_value *list, const char *s)
{
	size_t i;

	if (is_name(list))
		return !strcmp(list->text, s);
	for (i = 0; list && list->kind == MREG_VALUE_SEQ && i < list->nr; i++)
		if (!strcmp(list->items[i]->text, s))
			return 1;
	return 0;
}

/* " (FILE KEY: a, b)" or " (FILE lists no KEY)" */
static void show_env_list(struct strbuf *msg, const struct mreg_gate_input *in,
			  const char *key, const struct mreg_value *list)
{
	size_t i;

	if (!list || (list->kind != MREG_VALUE_MAP && !is_name_list(list)) ||
	    (!is_name(list) && !list->nr)) {
		strbuf_addf(msg, " (%s lists no %s)", in->env->file, key);
		return;
	}
	strbuf_addf(msg, " (%s %s: ", in->env->file, key);
	if (is_name(list))
		strbuf_addstr(msg, list->text);
	for (i = 0; !is_name(list) && i < list->nr; i++)
		strbuf_addf(msg, "%s%s", i ? ", " : "",
			    list->kind == MREG_VALUE_MAP ? list->keys[i] :
			    list->items[i]->text);
	strbuf_addch(msg, ')');
}

static const struct mreg_value *env_get(const struct mreg_gate_input *in,
					const char *key)
{
	return mreg_value_get(in->env->doc, key);
}

static const char *text_of(const struct mreg_value *v)
{
	return is_name(v) ? v->text : NULL;
}

/* The i-th component of `kind` at or after *pos, or NULL. */
static const struct mreg_value *next_component(const struct mreg_value *bundle,
					       const char *kind, size_t *pos)
{
	const struct mreg_value *comps = mreg_value_get(bundle, "components");

	for (; comps && comps->kind == MREG_VALUE_SEQ && *pos < comps->nr; (*pos)++) {
		const char *k = text_of(mreg_value_get(comps->items[*pos], "kind"));

		if (k && !strcmp(k, kind))
			return comps->items[(*pos)++];
	}
	return NULL;
}

static const char *bundle_feature_set(const struct mreg_value *bundle)
{
	size_t pos = 0;
	const struct mreg_value *c = next_component(bundle, "feature_set", &pos);

	if (c && text_of(mreg_value_get(c, "version")))
		return text_of(mreg_value_get(c, "version"));
	return text_of(mreg_value_path(bundle, "lineage.feature_set_version"));
}

/* The candidate's schema features, or -1 with the reason in `msg`. */
static int schema_features(struct features *out, struct strbuf *msg,
			   const struct mreg_gate_input *in, const char *why)
{
	struct strbuf problem = STRBUF_INIT;
	struct strbuf label = STRBUF_INIT;
	int err = 0;

	if (in->schema_problem) {
		strbuf_addf(msg, "cannot read the feature schema: %s", in->schema_problem);
		return -1;
	}
	if (!in->schema) {
		strbuf_addf(msg, "candidate %s has no feature_schema component%s",
			    in->candidate_ref, why);
		return -1;
	}
	strbuf_addf(&label, "%s:%s", in->candidate_ref,
		    in->schema_path ? in->schema_path : "feature schema");
	if (parse_features(out, &problem, in->schema, label.buf) < 0) {
		strbuf_addf(msg, "bad feature schema: %s", problem.buf);
		err = -1;
	}
	strbuf_release(&problem);
	strbuf_release(&label);
	return err;
}

/* The online feature set the candidate needs, or -1 with why not in `msg`. */
static int online_features(struct features *out, const char **name,
			   struct strbuf *msg, const struct mreg_gate_input *in)
{
	const struct mreg_value *sets = env_get(in, "feature_sets"), *set;
	struct strbuf problem = STRBUF_INIT;
	int err = 0;

	*name = bundle_feature_set(in->candidate);
	if (!*name) {
		strbuf_addf(msg, "candidate %s names no feature set (no feature_set "
			    "component, no lineage.feature_set_version)",
			    in->candidate_ref);
		return -1;
	}
	if (!(set = mreg_value_get(sets, *name))) {
		strbuf_addf(msg, "feature set '%s' is not served", *name);
		show_env_list(msg, in, "feature_sets", sets);
		return -1;
	}
	if (parse_features(out, &problem, set, in->env->file) < 0) {
		strbuf_addbuf(msg, &problem);	/* checked when the file was read */
		err = -1;
	}
	strbuf_release(&problem);
	return err;
}

static int check_feature_set(struct strbuf *msg, const struct mreg_gate_input *in)
{
	struct features online = { 0, 0, NULL }, schema = { 0, 0, NULL };
	const char *name;
	size_t i, missing = 0;
	int passed = 0;

	if (online_features(&online, &name, msg, in) < 0)
		goto done;
	if (!in->schema && !in->schema_problem) {
		strbuf_addf(msg, "feature set '%s' is served (candidate %s has no "
			    "feature_schema to check its features against)",
			    name, in->candidate_ref);
		passed = 1;
		goto done;
	}
	if (schema_features(&schema, msg, in, "") < 0)
		goto done;
	for (i = 0; i < schema.nr; i++) {
		if (find_feature(&online, schema.list[i].name))
			continue;
		strbuf_addstr(msg, missing++ ? ", " : "");
		if (missing == 1)
			strbuf_addf(msg, "features missing from '%s' online: ", name);
		strbuf_addstr(msg, schema.list[i].name);
	}
	if (!missing) {
		strbuf_addf(msg, "feature set '%s' is served with all %zu feature%s",
			    name, schema.nr, schema.nr == 1 ? "" : "s");
		passed = 1;
	}
done:
	free(online.list);
	free(schema.list);
	return passed;
}

static int check_feature_types(struct strbuf *msg, const struct mreg_gate_input *in)
{
	struct features online = { 0, 0, NULL }, schema = { 0, 0, NULL };
	const struct feature *f;
	const char *name;
	size_t i, bad = 0;
	int passed = 0;

	if (online_features(&online, &name, msg, in) < 0 ||
	    schema_features(&schema, msg, in, ": feature types cannot be checked") < 0)
		goto done;
	for (i = 0; i < schema.nr; i++) {
		f = find_feature(&online, schema.list[i].name);
		if (f && !strcmp(f->type, schema.list[i].type))
			continue;
		strbuf_addstr(msg, bad++ ? "; " : "");
		if (f)
			strbuf_addf(msg, "'%s' is %s in the bundle but %s online",
				    f->name, schema.list[i].type, f->type);
		else
			strbuf_addf(msg, "'%s' (%s) is not served", schema.list[i].name,
				    schema.list[i].type);
	}
	if (!bad) {
		strbuf_addf(msg, "all %zu feature type%s match '%s' online",
			    schema.nr, schema.nr == 1 ? "" : "s", name);
		passed = 1;
	}
done:
	free(online.list);
	free(schema.list);
	return passed;
}

static int check_vocab(struct strbuf *msg, const struct mreg_gate_input *in)
{
	const struct mreg_value *vocabs = env_get(in, "vocabs"), *c, *present;
	struct strbuf ok = STRBUF_INIT, key = STRBUF_INIT;
	size_t pos = 0, n = 0, bad = 0, i;

	while ((c = next_component(in->candidate, "categorical_vocab", &pos))) {
		const char *name = text_of(mreg_value_get(c, "name"));
		const char *version = text_of(mreg_value_get(c, "version"));
		int found = 0;

		n++;
		version = version ? version : "(no version)";
		present = vocabs;
		strbuf_reset(&key);
		strbuf_addstr(&key, "vocabs");
		if (vocabs && vocabs->kind == MREG_VALUE_MAP && name) {
			present = mreg_value_get(vocabs, name);
			strbuf_addf(&key, ".%s", name);
		}
		if (vocabs && vocabs->kind == MREG_VALUE_MAP && !name)
			for (i = 0; i < vocabs->nr; i++)
				found |= list_has(vocabs->items[i], version);
		else
			found = list_has(present, version);
		if (found) {
			strbuf_addf(&ok, "%s%s%s%s", ok.len ? ", " : "",
				    name ? name : "", name ? " " : "", version);
			continue;
		}
		strbuf_addstr(msg, bad++ ? "; " : "");
		strbuf_addf(msg, "vocab %s%s%s is not present online",
			    name ? name : "", name ? " " : "", version);
		show_env_list(msg, in, key.buf, present);
	}
	if (!n)
		strbuf_addf(msg, "candidate %s uses no categorical vocab",
			    in->candidate_ref);
	else if (!bad)
		strbuf_addf(msg, "vocab versions present online: %s", ok.buf);
	strbuf_release(&ok);
	strbuf_release(&key);
	return !bad;
}

/* Every component of `kind` has its version in the env list `key`. */
static int check_versions(struct strbuf *msg, const struct mreg_gate_input *in,
			  const char *kind, const char *key, const char *what)
{
	const struct mreg_value *list = env_get(in, key), *c;
	struct strbuf ok = STRBUF_INIT;
	size_t pos = 0, n = 0, bad = 0;

	while ((c = next_component(in->candidate, kind, &pos))) {
		const char *version = text_of(mreg_value_get(c, "version"));

		n++;
		version = version ? version : "(no version)";
		if (list_has(list, version)) {
			strbuf_addf(&ok, "%s%s", ok.len ? ", " : "", version);
			continue;
		}
		strbuf_addstr(msg, bad++ ? "; " : "");
		strbuf_addf(msg, "%s %s is not present online", what, version);
	}
	if (!n)
		strbuf_addf(msg, "candidate %s uses no %s", in->candidate_ref, what);
	else if (bad)
		show_env_list(msg, in, key, list);
	else
		strbuf_addf(msg, "%s present online: %s", what, ok.buf);
	strbuf_release(&ok);
	return !bad;
}

static int check_runtime(struct strbuf *msg, const struct mreg_gate_input *in)
{
	const struct mreg_value *list = env_get(in, "runtimes"), *c;
	const char *runtime = text_of(mreg_value_get(in->candidate, "runtime"));
	struct strbuf ok = STRBUF_INIT;
	size_t pos = 0, n = 0, bad = 0;

	for (;;) {
		if (!runtime && !(c = next_component(in->candidate, "runtime", &pos)))
			break;
		if (!runtime && !(runtime = text_of(mreg_value_get(c, "version"))))
			runtime = "(no version)";
		n++;
		if (list_has(list, runtime)) {
			strbuf_addf(&ok, "%s%s", ok.len ? ", " : "", runtime);
		} else {
			strbuf_addstr(msg, bad++ ? "; " : "");
			strbuf_addf(msg, "runtime %s is not supported", runtime);
		}
		runtime = NULL;
	}
	if (!n)
		strbuf_addf(msg, "candidate %s names no runtime", in->candidate_ref);
	else if (bad)
		show_env_list(msg, in, "runtimes", list);
	else
		strbuf_addf(msg, "runtime supported: %s", ok.buf);
	strbuf_release(&ok);
	return n && !bad;
}

/* The input dimension the bundle states, and where; NULL if it states none. */
static const struct mreg_value *input_dim(struct strbuf *source,
					  const struct mreg_gate_input *in)
{
	static const char *const keys[] = { "input_dim", "input_dimension" };
	const struct mreg_value *hp = mreg_value_get(in->candidate, "hyperparameters");
	const struct mreg_value *v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if ((v = mreg_value_get(hp, keys[i]))) {
			strbuf_addf(source, "hyperparameters.%s", keys[i]);
			return v;
		}
	for (i = 0; wrapped(in->schema) && i < ARRAY_SIZE(keys); i++)
		if ((v = mreg_value_get(in->schema, keys[i]))) {
			strbuf_addf(source, "%s in %s", keys[i], in->schema_path ?
				    in->schema_path : "its feature schema");
			return v;
		}
	return NULL;
}

static int check_input_dimension(struct strbuf *msg, const struct mreg_gate_input *in)
{
	const struct mreg_value *want = env_get(in, "input_dimension"), *hp;
	struct features schema = { 0, 0, NULL };
	struct strbuf source = STRBUF_INIT;
	double w = 0, dim = 0;
	int passed = 0;

	hp = input_dim(&source, in);
	if (!want) {
		strbuf_addf(msg, "%s gives no input_dimension", in->env->file);
		goto done;
	}
	mreg_value_number(&w, want);
	if (hp && (hp->kind != MREG_VALUE_INT || mreg_value_number(&dim, hp) < 0)) {
		strbuf_addf(msg, "candidate %s: %s is %s, not a whole number",
			    in->candidate_ref, source.buf,
			    hp->text ? hp->text : mreg_value_kind_name(hp->kind));
		goto done;
	}
	if (!hp) {
		if (schema_features(&schema, msg, in, " and states no input_dim: "
				    "its input dimension is unknown") < 0)
			goto done;
		dim = (double)schema.nr;
		strbuf_reset(&source);
		strbuf_addf(&source, "features in %s", in->schema_path ?
			    in->schema_path : "its feature schema");
	}
	passed = dim == w;
	strbuf_addstr(msg, "the model takes ");
	gate_add_number(msg, dim);
	strbuf_addf(msg, " inputs (%s)%s", source.buf,
		    passed ? ", as serving provides" : " but serving provides ");
	if (!passed)
		gate_add_number(msg, w);
done:
	free(schema.list);
	strbuf_release(&source);
	return passed;
}

static int check_privacy(struct strbuf *msg, const struct mreg_gate_input *in)
{
	static const char *const keys[] = {
		"privacy.class", "privacy.privacy_class",
		"privacy.training_data_privacy_class",
	};
	const struct mreg_value *allowed = env_get(in, "privacy_classes");
	const char *class = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys) && !class; i++)
		class = text_of(mreg_value_path(in->candidate, keys[i]));
	if (!class) {
		strbuf_addf(msg, "candidate %s declares no privacy class "
			    "(privacy.class)", in->candidate_ref);
		return 0;
	}
	if (list_has(allowed, class)) {
		strbuf_addf(msg, "privacy class %s is allowed", class);
		return 1;
	}
	strbuf_addf(msg, "privacy class %s is not allowed", class);
	show_env_list(msg, in, "privacy_classes", allowed);
	return 0;
}

void compat_check(int *passed, struct strbuf *msg, const char *check,
		  const struct mreg_gate_input *in)
{
	if (!strcmp(check, "feature_set"))
		*passed = check_feature_set(msg, in);
	else if (!strcmp(check, "feature_types"))
		*passed = check_feature_types(msg, in);
	else if (!strcmp(check, "vocab"))
		*passed = check_vocab(msg, in);
	else if (!strcmp(check, "normalization"))
		*passed = check_versions(msg, in, "normalization_stats",
					 "normalization_stats", "normalization stats");
	else if (!strcmp(check, "calibration"))
		*passed = check_versions(msg, in, "calibration", "calibrations",
					 "calibration");
	else if (!strcmp(check, "runtime"))
		*passed = check_runtime(msg, in);
	else if (!strcmp(check, "input_dimension"))
		*passed = check_input_dimension(msg, in);
	else if (!strcmp(check, "privacy"))
		*passed = check_privacy(msg, in);
	else {
		strbuf_addf(msg, "unknown compatibility check '%s'", check);
		*passed = 0;
	}
}
