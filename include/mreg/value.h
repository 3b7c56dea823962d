/*
 * value.h: a small document tree (maps, sequences, typed scalars) read from
 * YAML with positions kept, and written back as canonical YAML.  Manifests,
 * bundle.yaml, gate and env files are all read into it.
 *
 * Scalars keep the text they were written with, so a number is carried
 * digit for digit (0.412 stays "0.412"); `kind` says how the text resolves
 * under the YAML 1.2 core schema (a quoted scalar is always a string).
 * A tree owns everything below it; mreg_value_free() frees it all.
 */
#ifndef MREG_VALUE_H
#define MREG_VALUE_H

#include <stddef.h>

enum mreg_value_kind {
	MREG_VALUE_NULL,
	MREG_VALUE_BOOL,
	MREG_VALUE_INT,
	MREG_VALUE_FLOAT,	/* includes .inf, -.inf and .nan */
	MREG_VALUE_STRING,
	MREG_VALUE_MAP,
	MREG_VALUE_SEQ
};

struct mreg_value {
	enum mreg_value_kind kind;
	char *text;		/* scalars: the text as written; NULL for MAP/SEQ */
	size_t line, column;	/* 1-based position in the source; 0 if built */
	size_t nr, alloc;	/* MAP: pairs, SEQ: items */
	char **keys;		/* MAP: the keys, in document order */
	struct mreg_value **items;	/* MAP: values; SEQ: items */
};

/* A new scalar of `kind` holding a copy of `text`, or an empty MAP/SEQ. */
struct mreg_value *mreg_value_new(enum mreg_value_kind kind, const char *text);
/* A new scalar whose kind is what `text` resolves to as a plain scalar. */
struct mreg_value *mreg_value_new_plain(const char *text);
void mreg_value_free(struct mreg_value *v);
struct mreg_value *mreg_value_dup(const struct mreg_value *v);

/* MAP lookup; NULL if `map` is not a MAP or has no such key.  Lent. */
struct mreg_value *mreg_value_get(const struct mreg_value *map, const char *key);
/* Dotted lookup through nested maps: "training.code_version".  Lent. */
struct mreg_value *mreg_value_path(const struct mreg_value *v, const char *path);
/* Appends key -> item to a MAP (or replaces an existing key); takes `item`. */
void mreg_value_set(struct mreg_value *map, const char *key, struct mreg_value *item);
/* Appends `item` to a SEQ; takes `item`. */
void mreg_value_push(struct mreg_value *seq, struct mreg_value *item);
/* Sorts a MAP's pairs by key, bytewise (not recursive). */
void mreg_value_sort(struct mreg_value *map);

int mreg_value_is_scalar(const struct mreg_value *v);
int mreg_value_is_number(const struct mreg_value *v);
/* The number an INT or FLOAT scalar holds; MREG_EINVALID otherwise. */
int mreg_value_number(double *out, const struct mreg_value *v);

/* A name for the kind in messages: "a string", "a mapping", ... */
const char *mreg_value_kind_name(enum mreg_value_kind kind);

/*
 * Parses one YAML document.  `filename` is used in messages, which read
 * "FILE:LINE:COLUMN: problem".  Refuses duplicate keys, non-scalar keys,
 * anchors/aliases, tags other than the core ones, and more than one
 * document.  An empty document gives an empty MAP.
 */
int mreg_yaml_parse(struct mreg_value **out, const char *buf, size_t len,
		    const char *filename);
/* Reads and parses a file (at most 16 MiB). */
int mreg_yaml_load(struct mreg_value **out, const char *path);

/*
 * Writes `v` as canonical YAML: block style, two-space indent, no line
 * folding, maps in their stored order, scalars plain where that reads back
 * as the same kind and text, double-quoted otherwise.  The same tree always
 * gives the same bytes.  `*out` is NUL-terminated and the caller frees it.
 */
int mreg_yaml_emit(char **out, size_t *len, const struct mreg_value *v);

#endif
