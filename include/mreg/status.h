/*
 * status.h: a version's lifecycle, kept on its signed status chain
 * refs/mreg/status/NAME/VERSION (DESIGN §3).  The states and the moves
 * between them are drawn in Documentation/mreg-status.adoc.
 */
#ifndef MREG_STATUS_PUBLIC_H
#define MREG_STATUS_PUBLIC_H

#include <stdint.h>
#include "mreg/mreg.h"

struct mreg_registry;

/* 1 if `state` is one of the lifecycle states. */
int mreg_status_valid(const char *state);
/* 1 if a version may move from `from` to `to`. */
int mreg_status_transition_allowed(const char *from, const char *to);
/* "validated, rejected": where `from` may go; the caller frees it. */
char *mreg_status_successors(const char *from);

/* The current state of NAME@VERSION ("candidate", ...); the caller frees it. */
int mreg_status_get(char **out, struct mreg_registry *reg, const char *name,
		    const char *version);

/*
 * Moves the version named by `spec` to `state`, as a signed commit on its
 * status chain, if the lifecycle and the policy allow it.  MREG_EINVALID
 * names the allowed states; MREG_EBADSIG when the policy says no;
 * MREG_EMODIFIED if the chain moved meanwhile.
 */
int mreg_status_set(struct mreg_registry *reg, const char *spec,
		    const char *state, const char *reason);

/* One link of a status chain, newest first in mreg_status_history(). */
struct mreg_status_entry {
	unsigned seq;
	const char *action;	/* register, status, route, approve, gate */
	const char *from, *state;
	const char *reason;
	const char *signer;	/* principal, or "(unsigned)" / "(unknown key)" */
	int64_t time;
	const char *commit;
};

int mreg_status_history(struct mreg_registry *reg, const char *spec,
			int (*fn)(const struct mreg_status_entry *e, void *payload),
			void *payload);

/*
 * Approves promoting `spec` to `stage` of `route`: an SSHSIG in namespace
 * mreg-approval over a statement binding route, stage, bundle digest,
 * role and expiry, recorded on the version's status chain.
 * `expires` is seconds since the epoch.
 */
int mreg_approve(struct mreg_registry *reg, const char *route, const char *spec,
		 const char *stage, const char *role, const char *note,
		 int64_t expires);

struct mreg_model;

/*
 * Records a gate result on the version's status chain, signed: the
 * `mreg gate --json` document as gate.json in the commit's tree.  A
 * candidate moves to `validated` when `passed`, else to `rejected`; a
 * version past candidate keeps its state and gains the record.
 */
int mreg_status_record_gate(struct mreg_registry *reg, const struct mreg_model *m,
			    int passed, const char *result_json, const char *reason);

/* The number of pinned trust roots (mreg.trustRoot in local config). */
int mreg_trust_root_count(size_t *out, struct mreg_registry *reg);

/* The fingerprint of the key the user signs with; the caller frees it. */
int mreg_signing_fingerprint(char **out, struct mreg_registry *reg);

#endif
