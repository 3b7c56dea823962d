/* util-sync.h: the runner and report shared by push, fetch, pull and clone. */
#ifndef MREG_CMD_UTIL_SYNC_H
#define MREG_CMD_UTIL_SYNC_H

#include <stddef.h>
#include "mreg/remote.h"

struct sync_state {
	int quiet;
	size_t moved;
};

/* Prints "STATUS REF OLD..NEW: message"; payload is a struct sync_state. */
void sync_report(const struct mreg_sync_ref *r, void *payload);

/* push (1) or fetch (0) with the options they share; the exit status. */
int sync_cmd(int argc, const char **argv, struct mreg_registry *reg, int push,
	     const char *const *usage);

#endif
