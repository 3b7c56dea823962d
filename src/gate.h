/*
 * gate.h (internal): what gate.c and compat.c share, and what gates need
 * from the status module.
 */
#ifndef MREG_GATE_INTERNAL_H
#define MREG_GATE_INTERNAL_H

#include "internal.h"
#include "mreg/gate.h"

struct mreg_model;

/* 1 if `name` is a compatibility check or "feature_compatibility". */
int gate_is_check(const char *name);

/*
 * Runs compatibility check `check` on `in`; sets `*passed` and appends the
 * one-line explanation to `msg`.
 */
void compat_check(int *passed, struct strbuf *msg, const char *check,
		  const struct mreg_gate_input *in);

/* Appends `d` to `sb` as mreg_gate_format_number() writes it. */
void gate_add_number(struct strbuf *sb, double d);

#endif
