/*
 * The document tree of value.h: building, copying, looking up and sorting
 * maps and sequences, and the YAML 1.2 core-schema resolution of plain
 * scalars that both the parser and the emitter rely on.
 */
#include "internal.h"
#include "mreg/value.h"

#include <math.h>
#include <stdlib.h>

static int all_of(const char *s, const char *set)
{
	return *s && s[strspn(s, set)] == '\0';
}

static int is_null_text(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
		!strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int is_bool_text(const char *s)
{
	static const char *const words[] = {
		"true", "True", "TRUE", "false", "False", "FALSE"
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcmp(s, words[i]))
			return 1;
	return 0;
}

static int is_int_text(const char *s)
{
	if (starts_with(s, "0o"))
		return all_of(s + 2, "01234567");
	if (starts_with(s, "0x"))
		return all_of(s + 2, "0123456789abcdefABCDEF");
	if (*s == '-' || *s == '+')
		s++;
	return all_of(s, "0123456789");
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, or inf and nan */
static int is_float_text(const char *s)
{
	size_t n;

	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return 1;
	if (*s == '-' || *s == '+')
		s++;
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF"))
		return 1;
	n = strspn(s, "0123456789");
	if (s[n] == '.') {
		size_t frac = strspn(s + n + 1, "0123456789");

		if (!n && !frac)
			return 0;
		n += 1 + frac;
	} else if (!n) {
		return 0;
	}
	if (s[n] == 'e' || s[n] == 'E') {
		n++;
		if (s[n] == '-' || s[n] == '+')
			n++;
		return all_of(s + n, "0123456789");
	}
	return s[n] == '\0';
}

enum mreg_value_kind mreg_value_resolve(const char *text)
{
	if (is_null_text(text))
		return MREG_VALUE_NULL;
	if (is_bool_text(text))
		return MREG_VALUE_BOOL;
	if (is_int_text(text))
		return MREG_VALUE_INT;
	if (is_float_text(text))
		return MREG_VALUE_FLOAT;
	return MREG_VALUE_STRING;
}

struct mreg_value *mreg_value_new(enum mreg_value_kind kind, const char *text)
{
	struct mreg_value *v = xcalloc(1, sizeof(*v));

	v->kind = kind;
	if (kind != MREG_VALUE_MAP && kind != MREG_VALUE_SEQ)
		v->text = xstrdup(text ? text : "");
	return v;
}

struct mreg_value *mreg_value_new_plain(const char *text)
{
	return mreg_value_new(mreg_value_resolve(text), text);
}

void mreg_value_free(struct mreg_value *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->nr; i++) {
		if (v->keys)
			free(v->keys[i]);
		mreg_value_free(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->text);
	free(v);
}

struct mreg_value *mreg_value_dup(const struct mreg_value *v)
{
	struct mreg_value *copy;
	size_t i;

	if (!v)
		return NULL;
	copy = mreg_value_new(v->kind, v->text);
	copy->line = v->line;
	copy->column = v->column;
	if (v->nr) {
		copy->alloc = copy->nr = v->nr;
		copy->items = xmalloc(v->nr * sizeof(*copy->items));
		if (v->kind == MREG_VALUE_MAP)
			copy->keys = xmalloc(v->nr * sizeof(*copy->keys));
	}
	for (i = 0; i < v->nr; i++) {
		if (copy->keys)
			copy->keys[i] = xstrdup(v->keys[i]);
		copy->items[i] = mreg_value_dup(v->items[i]);
	}
	return copy;
}

/* The index of the `len` bytes of `key` in `map`, or -1. */
static long find_key(const struct mreg_value *map, const char *key, size_t len)
{
	size_t i;

	if (!map || map->kind != MREG_VALUE_MAP)
		return -1;
	for (i = 0; i < map->nr; i++)
		if (!strncmp(map->keys[i], key, len) && !map->keys[i][len])
			return (long)i;
	return -1;
}

struct mreg_value *mreg_value_get(const struct mreg_value *map, const char *key)
{
	long i = find_key(map, key, strlen(key));

	return i < 0 ? NULL : map->items[i];
}

struct mreg_value *mreg_value_path(const struct mreg_value *v, const char *path)
{
	const struct mreg_value *cur = v;

	for (;;) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);
		long i = find_key(cur, path, len);

		if (i < 0)
			return NULL;
		cur = cur->items[i];
		if (!dot)
			return (struct mreg_value *)cur;
		path = dot + 1;
	}
}

void mreg_value_set(struct mreg_value *map, const char *key,
		    struct mreg_value *item)
{
	long i = find_key(map, key, strlen(key));

	if (i >= 0) {
		mreg_value_free(map->items[i]);
		map->items[i] = item;
		return;
	}
	/* keys and items grow together, so one `alloc` serves both */
	if (map->nr + 1 > map->alloc) {
		size_t alloc = map->alloc;

		ALLOC_GROW(map->items, map->nr + 1, alloc);
		map->keys = xrealloc(map->keys, alloc * sizeof(*map->keys));
		map->alloc = alloc;
	}
	map->keys[map->nr] = xstrdup(key);
	map->items[map->nr++] = item;
}

void mreg_value_push(struct mreg_value *seq, struct mreg_value *item)
{
	ALLOC_GROW(seq->items, seq->nr + 1, seq->alloc);
	seq->items[seq->nr++] = item;
}

struct pair {
	char *key;
	struct mreg_value *item;
	size_t pos;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	/* qsort is not stable; the original position breaks ties */
	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void mreg_value_sort(struct mreg_value *map)
{
	struct pair *pairs;
	size_t i;

	if (!map || map->kind != MREG_VALUE_MAP || map->nr < 2)
		return;
	pairs = xmalloc(map->nr * sizeof(*pairs));
	for (i = 0; i < map->nr; i++) {
		pairs[i].key = map->keys[i];
		pairs[i].item = map->items[i];
		pairs[i].pos = i;
	}
	qsort(pairs, map->nr, sizeof(*pairs), cmp_pair);
	for (i = 0; i < map->nr; i++) {
		map->keys[i] = pairs[i].key;
		map->items[i] = pairs[i].item;
	}
	free(pairs);
}

int mreg_value_is_scalar(const struct mreg_value *v)
{
	return v && v->kind != MREG_VALUE_MAP && v->kind != MREG_VALUE_SEQ;
}

int mreg_value_is_number(const struct mreg_value *v)
{
	return v && (v->kind == MREG_VALUE_INT || v->kind == MREG_VALUE_FLOAT);
}

static int int_number(double *out, const char *text)
{
	char *end;

	if (!is_int_text(text))
		return mreg_error_set(MREG_EINVALID,
				      "'%s' is not a valid integer", text);
	errno = 0;
	if (starts_with(text, "0o") || starts_with(text, "0x"))
		*out = (double)strtoull(text + 2, &end,
					text[1] == 'o' ? 8 : 16);
	else
		*out = (double)strtoll(text, &end, 10);
	if (errno == ERANGE || *end)
		return mreg_error_set(MREG_EINVALID,
				      "integer '%s' is out of range", text);
	return 0;
}

static int float_number(double *out, const char *text)
{
	const char *s = text + (*text == '-' || *text == '+');

	if (!is_float_text(text))
		return mreg_error_set(MREG_EINVALID,
				      "'%s' is not a valid float", text);
	/* strtod does not know YAML's spellings of these two */
	if (s[0] == '.' && (s[1] == 'n' || s[1] == 'N')) {
		*out = NAN;
		return 0;
	}
	if (s[0] == '.' && (s[1] == 'i' || s[1] == 'I')) {
		*out = *text == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	/* overflow gives ±HUGE_VAL and underflow 0 or a denormal: keep them */
	*out = strtod(text, NULL);
	return 0;
}

int mreg_value_number(double *out, const struct mreg_value *v)
{
	*out = 0;
	if (!mreg_value_is_number(v))
		return mreg_error_set(MREG_EINVALID,
				      "expected a number, got %s",
				      v ? mreg_value_kind_name(v->kind) :
				      "nothing");
	if (v->kind == MREG_VALUE_INT)
		return int_number(out, v->text);
	return float_number(out, v->text);
}

const char *mreg_value_kind_name(enum mreg_value_kind kind)
{
	switch (kind) {
	case MREG_VALUE_NULL:
		return "null";
	case MREG_VALUE_BOOL:
		return "a boolean";
	case MREG_VALUE_INT:
		return "an integer";
	case MREG_VALUE_FLOAT:
		return "a float";
	case MREG_VALUE_STRING:
		return "a string";
	case MREG_VALUE_MAP:
		return "a mapping";
	case MREG_VALUE_SEQ:
		return "a sequence";
	}
	return "an unknown kind";
}

int value_error(int code, const char *file, const struct mreg_value *v,
		const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	int err;

	strbuf_addf(&sb, "%s:%zu:%zu: ", file, v && v->line ? v->line : 1,
		    v && v->column ? v->column : 1);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	err = mreg_error_set(code, "%s", sb.buf);
	strbuf_release(&sb);
	return err;
}
