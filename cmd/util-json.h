/* json.h: JSON output for the commands (libjansson). */
#ifndef MREG_CMD_JSON_H
#define MREG_CMD_JSON_H

#include <jansson.h>
#include "mreg/value.h"

/* A YAML value as JSON: numbers stay numbers, quoted scalars stay strings. */
json_t *json_from_value(const struct mreg_value *v);

/*
 * Prints `doc` on stdout with two-space indent and a final newline, each
 * number as short as it can be while reading back the same, then frees it.
 */
void json_print(json_t *doc);

#endif
