/*
 * fsck.h: checking a registry end to end: refs, bundle trees, digests,
 * every stored byte, status chains.
 */
#ifndef MREG_FSCK_H
#define MREG_FSCK_H

#include "mreg/mreg.h"
#include "mreg/store.h"

struct mreg_registry;

enum mreg_fsck_flags {
	MREG_FSCK_FULL = 1	/* also every object in the store, referenced or not */
};

/* Called for each problem: `object` names what is wrong (a ref, a file). */
typedef void (*mreg_fsck_report_fn)(const char *object, const char *problem,
				    void *payload);

/*
 * Checks the registry; `*problems` counts what was reported.  Returns 0
 * when the check ran (whatever it found), a negative error when it could
 * not run.  `warn` gets leftovers of killed commands (stale tmp/ files and
 * locks) that are not damage.
 */
int mreg_fsck(size_t *problems, struct mreg_registry *reg, unsigned flags,
	      mreg_fsck_report_fn report, mreg_fsck_report_fn warn,
	      mreg_progress_fn progress, void *payload);

#endif
