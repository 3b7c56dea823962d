#include "util-json.h"
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

json_t *json_from_value(const struct mreg_value *v)
{
	json_t *j;
	double d;
	size_t i;

	switch (v->kind) {
	case MREG_VALUE_NULL:
		return json_null();
	case MREG_VALUE_BOOL:
		return json_boolean(v->text[0] == 't' || v->text[0] == 'T');
	case MREG_VALUE_INT:
	case MREG_VALUE_FLOAT:
		if (mreg_value_number(&d, v) < 0 || !isfinite(d))
			return json_string(v->text);
		if (v->kind == MREG_VALUE_INT && fabs(d) < 9007199254740992.0)
			return json_integer((json_int_t)d);
		return json_real(d);
	case MREG_VALUE_STRING:
		return json_string(v->text);
	case MREG_VALUE_MAP:
		j = json_object();
		for (i = 0; i < v->nr; i++)
			json_object_set_new(j, v->keys[i], json_from_value(v->items[i]));
		return j;
	case MREG_VALUE_SEQ:
		j = json_array();
		for (i = 0; i < v->nr; i++)
			json_array_append_new(j, json_from_value(v->items[i]));
		return j;
	}
	return json_null();
}

/* The fewest significant digits that read back as `d` exactly. */
static int digits_for(double d)
{
	char buf[40];
	int p;

	for (p = 1; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			return p;
	}
	return 17;
}

static int max_digits(json_t *j)
{
	const char *key;
	json_t *item;
	size_t i;
	int best = 1, n;

	if (json_is_real(j))
		return digits_for(json_real_value(j));
	if (json_is_object(j)) {
		json_object_foreach(j, key, item)
			if ((n = max_digits(item)) > best)
				best = n;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, item)
			if ((n = max_digits(item)) > best)
				best = n;
	}
	return best;
}

void json_print(json_t *doc)
{
	int flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		    JSON_REAL_PRECISION(max_digits(doc));

	if (json_dumpf(doc, stdout, flags) < 0)
		die("cannot write JSON");
	putchar('\n');
	json_decref(doc);
}
