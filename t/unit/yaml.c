/*
 * Unit tests for value.h: scalar typing, the strict reader and its
 * messages, canonical output byte for byte, and round trips.
 */
#include "mreg/mreg.h"
#include "mreg/value.h"
#include "tap.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

/* Parses `doc` as "f.yaml"; NULL (and the message kept) on error. */
static struct mreg_value *parse(const char *doc)
{
	struct mreg_value *v;

	mreg_error_clear();
	if (mreg_yaml_parse(&v, doc, strlen(doc), "f.yaml") < 0)
		return NULL;
	return v;
}

/* The message parsing `doc` fails with, or "(parsed)". */
static const char *parse_error(const char *doc)
{
	struct mreg_value *v = parse(doc);

	if (v) {
		mreg_value_free(v);
		return "(parsed)";
	}
	return mreg_error_last();
}

/* Emits `v`; the caller frees the text.  NULL on error. */
static char *emit(const struct mreg_value *v)
{
	char *out;
	size_t len;

	if (mreg_yaml_emit(&out, &len, v) < 0)
		return NULL;
	if (strlen(out) != len)
		diag("emit: length %zu but strlen %zu", len, strlen(out));
	return out;
}

/* Same kinds, texts (any null is null), keys and order. */
static int same(const struct mreg_value *a, const struct mreg_value *b)
{
	size_t i;

	if (a->kind != b->kind || a->nr != b->nr)
		return 0;
	if (a->kind == MREG_VALUE_NULL)
		return 1;
	if (mreg_value_is_scalar(a))
		return !strcmp(a->text, b->text);
	for (i = 0; i < a->nr; i++) {
		if (a->kind == MREG_VALUE_MAP && strcmp(a->keys[i], b->keys[i]))
			return 0;
		if (!same(a->items[i], b->items[i]))
			return 0;
	}
	return 1;
}

static void test_typing(void)
{
	static const struct {
		const char *text;
		enum mreg_value_kind kind;
	} cases[] = {
		{ "", MREG_VALUE_NULL }, { "~", MREG_VALUE_NULL },
		{ "null", MREG_VALUE_NULL }, { "NULL", MREG_VALUE_NULL },
		{ "nULL", MREG_VALUE_STRING }, { "true", MREG_VALUE_BOOL },
		{ "False", MREG_VALUE_BOOL }, { "yes", MREG_VALUE_STRING },
		{ "20260701", MREG_VALUE_INT }, { "-12", MREG_VALUE_INT },
		{ "+7", MREG_VALUE_INT }, { "007", MREG_VALUE_INT },
		{ "0x1F", MREG_VALUE_INT }, { "0o17", MREG_VALUE_INT },
		{ "0o8", MREG_VALUE_STRING }, { "0x", MREG_VALUE_STRING },
		{ "-0x1", MREG_VALUE_STRING }, { "1_000", MREG_VALUE_STRING },
		{ "0.412", MREG_VALUE_FLOAT }, { "1.", MREG_VALUE_FLOAT },
		{ ".5", MREG_VALUE_FLOAT }, { "1e3", MREG_VALUE_FLOAT },
		{ "-2.5E-3", MREG_VALUE_FLOAT }, { ".", MREG_VALUE_STRING },
		{ "1e", MREG_VALUE_STRING }, { "e3", MREG_VALUE_STRING },
		{ "-.inf", MREG_VALUE_FLOAT }, { ".NaN", MREG_VALUE_FLOAT },
		{ "-.nan", MREG_VALUE_STRING },
		{ ".infinity", MREG_VALUE_STRING },
		{ "3f2c9e1", MREG_VALUE_STRING },
		{ "2026-07-02T03:00:00Z", MREG_VALUE_STRING },
	};
	size_t i, bad = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mreg_value *v = mreg_value_new_plain(cases[i].text);

		if (v->kind != cases[i].kind ||
		    strcmp(v->text, cases[i].text)) {
			diag("'%s' resolved to %s", cases[i].text,
			     mreg_value_kind_name(v->kind));
			bad++;
		}
		mreg_value_free(v);
	}
	ok(!bad, "plain scalars resolve under the YAML 1.2 core schema");
}

static void test_parse(void)
{
	struct mreg_value *v = parse(
		"name: home_ranker\n"
		"version: 20260701\n"
		"auc: 0.412\n"
		"quoted: '123'\n"
		"tagged: !!str 5\n"
		"int: !!int 0x1F\n"
		"none:\n"
		"created: 2026-07-02T03:00:00Z\n"
		"training:\n"
		"  code_version: 3f2c9e1\n"
		"  tags: [a, 'b']\n");
	struct mreg_value *x;

	if (!ok(v != NULL, "a manifest parses"))
		diag("%s", mreg_error_last());
	if (!v)
		return;
	x = mreg_value_get(v, "version");
	ok(x && x->kind == MREG_VALUE_INT && !strcmp(x->text, "20260701"),
	   "an unquoted date-like number is an int, text kept");
	x = mreg_value_get(v, "auc");
	ok(x && x->kind == MREG_VALUE_FLOAT && !strcmp(x->text, "0.412"),
	   "a float keeps its digits");
	x = mreg_value_get(v, "quoted");
	ok(x && x->kind == MREG_VALUE_STRING, "a quoted number is a string");
	x = mreg_value_get(v, "tagged");
	ok(x && x->kind == MREG_VALUE_STRING, "!!str forces a string");
	x = mreg_value_get(v, "int");
	ok(x && x->kind == MREG_VALUE_INT, "!!int accepts an int");
	x = mreg_value_get(v, "none");
	ok(x && x->kind == MREG_VALUE_NULL, "an empty value is null");
	x = mreg_value_path(v, "training.code_version");
	ok(x && x->kind == MREG_VALUE_STRING && x->line == 10 &&
	   x->column == 17, "path lookup, and the position of the value");
	x = mreg_value_path(v, "training.tags");
	ok(x && x->kind == MREG_VALUE_SEQ && x->nr == 2 &&
	   !strcmp(x->items[1]->text, "b"), "a flow sequence");
	ok(!mreg_value_path(v, "training.nope") &&
	   !mreg_value_path(v, "name.x"), "path lookup misses");
	mreg_value_free(v);

	v = parse("");
	ok(v && v->kind == MREG_VALUE_MAP && !v->nr, "empty input: empty map");
	mreg_value_free(v);
	v = parse("# just a comment\n---\n");
	ok(v && v->kind == MREG_VALUE_MAP && !v->nr, "empty document: map");
	mreg_value_free(v);
	v = parse("- 1\n- x\n");
	ok(v && v->kind == MREG_VALUE_SEQ, "the top level may be a sequence");
	mreg_value_free(v);
}

static void test_errors(void)
{
	is_str(parse_error("a: 1\nb: [1, 2\n"),
	       "f.yaml:3:1: did not find expected ',' or ']' "
	       "(while parsing a flow sequence at 2:4)",
	       "syntax errors give file, line and column");
	ok(mreg_error_code() == MREG_EINVALID, "and MREG_EINVALID");
	is_str(parse_error("a:\n  b: 1\n  c: d: e\n"),
	       "f.yaml:3:7: mapping values are not allowed in this context",
	       "problem without context");
	is_str(parse_error("owner: a\nx: 1\nowner: b\n"),
	       "f.yaml:3:1: duplicate key 'owner'",
	       "duplicate keys are refused at the second one");
	is_str(parse_error("m:\n  '1': a\n  1: b\n"),
	       "f.yaml:3:3: duplicate key '1'",
	       "keys compare by text, quoted or not");
	is_str(parse_error("a: &x 1\nb: *x\n"),
	       "f.yaml:1:4: anchors and aliases are not supported",
	       "anchors are refused");
	is_str(parse_error("[*x]\n"),
	       "f.yaml:1:2: anchors and aliases are not supported",
	       "aliases are refused");
	is_str(parse_error("? [a]\n: b\n"),
	       "f.yaml:1:3: a mapping key must be a scalar",
	       "non-scalar keys are refused");
	is_str(parse_error("a: !!binary aGk=\n"),
	       "f.yaml:1:4: tag '!!binary' is not supported here",
	       "tags outside the core schema are refused");
	is_str(parse_error("a: !local x\n"),
	       "f.yaml:1:4: tag '!local' is not supported", "local tags too");
	is_str(parse_error("a: !!int 1.5\n"),
	       "f.yaml:1:4: '1.5' is not a valid !!int",
	       "a core tag must fit the text");
	is_str(parse_error("a: 1\n---\nb: 2\n"),
	       "f.yaml:2:1: only one document is allowed",
	       "a second document is refused");
	is_str(parse_error("a: \"x\\0y\"\n"),
	       "f.yaml:1:4: NUL characters are not supported",
	       "NUL in a quoted scalar is refused");
	ok(!strncmp(parse_error("a: \xff\n"), "f.yaml:1:4: ", 12),
	   "invalid UTF-8 is placed too: %s", mreg_error_last());
}

static void test_emit(void)
{
	const char *doc =
		"name: home_ranker\n"
		"version: \"20260701\"\n"
		"metrics:\n"
		"  auc: 0.412\n"
		"  ok: true\n"
		"  none: ~\n"
		"stages: [a, {x: 1, y: []}]\n"
		"empty: {}\n"
		"note: \"a: b\"\n"
		"multi: |\n"
		"  line one\n"
		"  line two\n";
	const char *expect =
		"name: home_ranker\n"
		"version: \"20260701\"\n"
		"metrics:\n"
		"  auc: 0.412\n"
		"  ok: true\n"
		"  none: null\n"
		"stages:\n"
		"- a\n"
		"- x: 1\n"
		"  y: []\n"
		"empty: {}\n"
		"note: \"a: b\"\n"
		"multi: \"line one\\nline two\\n\"\n";
	struct mreg_value *v = parse(doc), *seq, *map;
	char *out = v ? emit(v) : NULL;

	is_str(out, expect, "canonical output, byte for byte");
	free(out);
	mreg_value_free(v);

	seq = mreg_value_new(MREG_VALUE_SEQ, NULL);
	out = emit(seq);
	is_str(out, "[]\n", "an empty sequence alone");
	free(out);
	mreg_value_free(seq);

	map = mreg_value_new(MREG_VALUE_MAP, NULL);
	mreg_value_set(map, "k", mreg_value_new(MREG_VALUE_INT, "x"));
	ok(mreg_yaml_emit(&out, NULL, map) == MREG_EINVALID && !out,
	   "an int whose text is not an int is not written");
	mreg_value_free(map);
}

/* Strings that tempt libyaml (or a reader) into something else. */
static const char *const tricky[] = {
	"20260701", "true", "", "a: b", "- x", "#x", "x\ny",
	"\xc3\xa9t\xc3\xa9",
	"null", "~", "0.412", "1e3", ".inf", " lead", "trail ", "x #y", "x:",
	"it's", "say \"hi\"", "back\\slash", "tab\there", "\xf0\x9f\x98\x80",
	"---", "...", "--- x", "-", "?", ":", "?x", ":x", "-x", "[a]", "{b}",
	"%p", "@a", "`b`", "!t", "&a", "*a", "|", ">", "a,b", "a:b", "a#b",
	"plain words here", "x\r\ny", "\x01", "end\n", "\n", "\xc2\x85",
	"\xe2\x80\xa8", "\xef\xbb\xbf" "bom", "2026-07-02T03:00:00Z", "0x",
	"'", "\"", "k=v", "a ", " ", "é: x",
};

static struct mreg_value *rich_tree(void)
{
	struct mreg_value *root = mreg_value_new(MREG_VALUE_MAP, NULL);
	struct mreg_value *strs = mreg_value_new(MREG_VALUE_SEQ, NULL);
	struct mreg_value *keys = mreg_value_new(MREG_VALUE_MAP, NULL);
	struct mreg_value *nest = mreg_value_new(MREG_VALUE_SEQ, NULL);
	struct mreg_value *m;
	static const char *const scalars[] = {
		"True", "FALSE", "0x1F", "0o17", "-12", "+1", "-.inf", ".NaN",
		"1e3", "0.412", "hello"
	};
	char longs[300];
	size_t i;

	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		mreg_value_push(strs, mreg_value_new(MREG_VALUE_STRING,
						      tricky[i]));
		mreg_value_set(keys, tricky[i],
			       mreg_value_new(MREG_VALUE_INT, "1"));
	}
	for (i = 0; i < sizeof(longs) - 1; i++)
		longs[i] = i % 7 ? 'a' + i % 26 : ' ';
	longs[0] = 'L';
	longs[sizeof(longs) - 1] = '\0';
	mreg_value_push(strs, mreg_value_new(MREG_VALUE_STRING, longs));
	mreg_value_set(keys, longs, mreg_value_new(MREG_VALUE_STRING, longs));
	for (i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		mreg_value_push(strs, mreg_value_new_plain(scalars[i]));
	mreg_value_push(strs, mreg_value_new(MREG_VALUE_NULL, "null"));

	m = mreg_value_new(MREG_VALUE_MAP, NULL);
	mreg_value_set(m, "a", mreg_value_new(MREG_VALUE_SEQ, NULL));
	mreg_value_set(m, "b", mreg_value_new(MREG_VALUE_MAP, NULL));
	mreg_value_push(nest, m);
	mreg_value_push(nest, mreg_value_dup(nest));
	mreg_value_push(nest, mreg_value_dup(strs));

	mreg_value_set(root, "strings", strs);
	mreg_value_set(root, "keys", keys);
	mreg_value_set(root, "nested", nest);
	return root;
}

static void test_round_trip(void)
{
	struct mreg_value *v = rich_tree(), *back = NULL;
	char *out = emit(v), *again = NULL;
	size_t i, bad = 0;

	if (!ok(out != NULL, "a rich tree is written"))
		diag("%s", mreg_error_last());
	if (out && mreg_yaml_parse(&back, out, strlen(out), "rt.yaml") < 0)
		diag("%s", mreg_error_last());
	ok(back && same(v, back), "parse(emit(v)) equals v");
	again = back ? emit(back) : NULL;
	is_str(again, out, "emit(parse(emit(v))) gives the same bytes");
	free(out);
	free(again);
	mreg_value_free(back);
	mreg_value_free(v);

	/* Each string alone must come out plain or double-quoted. */
	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		struct mreg_value *m = mreg_value_new(MREG_VALUE_MAP, NULL);
		const char *p;

		mreg_value_set(m, "k", mreg_value_new(MREG_VALUE_STRING,
						      tricky[i]));
		mreg_value_set(m, tricky[i], mreg_value_new(MREG_VALUE_NULL,
							    NULL));
		out = emit(m);
		p = out ? strchr(out, '\n') + 1 : NULL;
		if (!out || (strncmp(out, "k: \"", 4) &&
			     strncmp(out + 3, tricky[i], strlen(tricky[i]))) ||
		    *p == '\'' || !strncmp(p, "? '", 3)) {
			diag("'%s' came out as %s", tricky[i], out);
			bad++;
		}
		free(out);
		mreg_value_free(m);
	}
	ok(!bad, "strings and keys are plain or double-quoted, never single");
}

static void test_tree(void)
{
	struct mreg_value *m = mreg_value_new(MREG_VALUE_MAP, NULL), *d;
	char *out;

	mreg_value_set(m, "b", mreg_value_new_plain("1"));
	mreg_value_set(m, "a", mreg_value_new_plain("2"));
	mreg_value_set(m, "B", mreg_value_new_plain("3"));
	mreg_value_set(m, "b", mreg_value_new_plain("4"));
	ok(m->nr == 3 && !strcmp(mreg_value_get(m, "b")->text, "4"),
	   "set replaces an existing key in place");
	d = mreg_value_dup(m);
	mreg_value_sort(m);
	out = emit(m);
	is_str(out, "B: 3\na: 2\nb: 4\n", "sort is bytewise");
	free(out);
	ok(!strcmp(d->keys[0], "b") && d->nr == 3, "dup is a deep copy");
	mreg_value_free(d);
	mreg_value_free(m);
}

static void test_numbers(void)
{
	static const struct {
		const char *text;
		double n;
	} cases[] = {
		{ "0x1F", 31 }, { "0o17", 15 }, { "-12", -12 }, { "+7", 7 },
		{ "0.412", 0.412 }, { "1e3", 1000 }, { ".5", 0.5 },
		{ "-.inf", -INFINITY }, { ".Inf", INFINITY },
	};
	struct mreg_value *v;
	double n;
	size_t i, bad = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = mreg_value_new_plain(cases[i].text);
		if (mreg_value_number(&n, v) < 0 || n != cases[i].n) {
			diag("'%s' gave %g", cases[i].text, n);
			bad++;
		}
		mreg_value_free(v);
	}
	ok(!bad, "ints (hex, octal, signed) and floats convert");
	v = mreg_value_new_plain(".nan");
	ok(!mreg_value_number(&n, v) && isnan(n), ".nan is NaN");
	mreg_value_free(v);
	v = mreg_value_new(MREG_VALUE_STRING, "12");
	is_int(mreg_value_number(&n, v), MREG_EINVALID,
	       "a string is not a number");
	is_str(mreg_error_last(), "expected a number, got a string",
	       "and says why");
	mreg_value_free(v);
	v = mreg_value_new_plain("99999999999999999999");
	is_int(mreg_value_number(&n, v), MREG_EINVALID, "int out of range");
	mreg_value_free(v);
}

static void test_load(void)
{
	char dir[] = "/tmp/mreg-yaml-XXXXXX";
	char path[64], msg[128];
	struct mreg_value *v = NULL;
	FILE *f;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/m.yaml", dir);
	is_int(mreg_yaml_load(&v, path), MREG_ENOTFOUND, "missing file");
	snprintf(msg, sizeof(msg), "cannot read '%s': %s", path,
		 "No such file or directory");
	is_str(mreg_error_last(), msg, "and says so");
	is_int(mreg_yaml_load(&v, dir), MREG_EINVALID, "a directory");
	snprintf(msg, sizeof(msg), "cannot read '%s': Is a directory", dir);
	is_str(mreg_error_last(), msg, "and says so");
	f = fopen(path, "w");
	fputs("a: 1\nb: [\n", f);
	fclose(f);
	is_int(mreg_yaml_load(&v, path), MREG_EINVALID, "a bad file");
	ok(!strncmp(mreg_error_last(), path, strlen(path)) &&
	   mreg_error_last()[strlen(path)] == ':', "is named in the message");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_typing();
	test_parse();
	test_errors();
	test_emit();
	test_round_trip();
	test_tree();
	test_numbers();
	test_load();
	return done_testing();
}
