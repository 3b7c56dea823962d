/*
 * status.h: a version's lifecycle state, kept on its status chain
 * refs/mreg/status/NAME/VERSION (DESIGN §3): created -> candidate ->
 * validated | rejected, and on through shadow, canary, production.
 */
#ifndef MREG_STATUS_PUBLIC_H
#define MREG_STATUS_PUBLIC_H

#include "mreg/mreg.h"

struct mreg_registry;

/* The current state of NAME@VERSION ("candidate", ...); the caller frees it. */
int mreg_status_get(char **out, struct mreg_registry *reg, const char *name,
		    const char *version);

#endif
