/*
 * verify.h: checking the signed chains from their roots, trusting nothing
 * mreg wrote earlier but the trust roots pinned in local config.
 */
#ifndef MREG_VERIFY_H
#define MREG_VERIFY_H

#include "mreg/mreg.h"

struct mreg_registry;

/* The verdict on one chain (a route, a version's status, the policy). */
struct mreg_verify_result {
	const char *ref;	/* refs/mreg/... */
	size_t commits;		/* how many were checked */
	int passed;
	const char *bad_commit;	/* the first bad one, or NULL */
	const char *message;	/* why, or NULL */
};

enum mreg_verify_what {
	MREG_VERIFY_ALL,	/* every chain */
	MREG_VERIFY_ROUTE,	/* one route: `name` */
	MREG_VERIFY_VERSION	/* one version's status chain: `name` is a REF */
};

enum mreg_verify_flags {
	MREG_VERIFY_QUICK = 1	/* artifacts: present with their size, not re-hashed */
};

/*
 * Verifies and calls `fn` once per chain.  `*failed` counts the chains
 * that did not verify.  Every artifact a version names is re-hashed, once
 * per call however many chains name it, unless MREG_VERIFY_QUICK.  A
 * chain that verifies has its head remembered (in the registry's
 * verified/ directory) so that a later reset of the ref to an older
 * commit is caught.
 */
int mreg_verify(size_t *failed, struct mreg_registry *reg, enum mreg_verify_what what,
		const char *name, unsigned flags,
		void (*fn)(const struct mreg_verify_result *r, void *payload),
		void *payload);

#endif
