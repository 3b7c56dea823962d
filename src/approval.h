/*
 * approval.h: approvals, SSHSIG signatures in namespace "mreg-approval"
 * over a statement that binds a route, a stage, a bundle digest, a role
 * and an expiry (Documentation/technical/signing.adoc).  They are
 * recorded on the version's status chain by `mreg approve` and copied into
 * the route commit that they allow.
 */
#ifndef MREG_APPROVAL_H
#define MREG_APPROVAL_H

#include "internal.h"
#include "mreg/sign.h"

struct policy;

struct approval {
	char *statement, *sig;	/* the two files, NUL-terminated */
	char *principal;
	char keyhex[65];	/* the signer's key: names the files */
};

struct approvals {
	struct approval *a;
	size_t nr, alloc;
};

void approvals_release(struct approvals *l);

/*
 * Checks one approval for promoting `digest` to `stage` of `route` at
 * time `when` under `p`; sets `principal` (the caller frees it).
 * MREG_EBADSIG with the reason otherwise.
 */
int approval_check(char **principal, struct mreg_pubkey *key,
		   const char *statement, size_t slen, const char *sig, size_t siglen,
		   const char *route, const char *stage, const char *digest,
		   const struct policy *p, int64_t when);

/*
 * The valid approvals recorded on the status chain of NAME@VERSION for
 * route/stage, one per principal (the newest).
 */
int approvals_collect(struct approvals *out, struct mreg_registry *reg,
		      const char *name, const char *version, const char *route,
		      const char *stage, const char *digest,
		      const struct policy *p, int64_t when);

/* The approvals a commit's tree holds under approvals/, checked. */
int approvals_in_tree(struct approvals *out, struct mreg_registry *reg,
		      const git_tree *tree, const char *route, const char *stage,
		      const char *digest, const struct policy *p, int64_t when,
		      int strict);

#endif
