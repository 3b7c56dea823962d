/*
 * policy.h: the registry's trust and governance policy, refs/mreg/policy
 * (Documentation/technical/policy.adoc).  Without one, the pinned trust
 * roots may do everything and nothing needs approval.
 */
#ifndef MREG_POLICY_PUBLIC_H
#define MREG_POLICY_PUBLIC_H

#include "mreg/mreg.h"

struct mreg_registry;

/*
 * Makes the policy in `path` the registry's next policy: a commit on
 * refs/mreg/policy signed by one of the current policy's roots (the
 * pinned trust roots for the first one).
 */
int mreg_policy_set(struct mreg_registry *reg, const char *path, const char *message);

/*
 * The policy in force: its policy.yaml (`*text`, NULL when implicit) and
 * its commit (`commit`, 41 bytes, zeros when implicit).  Caller frees text.
 */
int mreg_policy_get(char **text, char *commit, struct mreg_registry *reg);

/*
 * An allowed_signers file for git and ssh-keygen: every principal, or
 * with `stage` those who may promote to it.  The caller frees it.
 */
int mreg_policy_signers(char **out, struct mreg_registry *reg, const char *stage);

struct mreg_value;

/*
 * The gates the policy sets for promoting to `stage` (NULL: production)
 * of `route`, as a gate file's document ({gates: {...}}), and the policy
 * commit they come from (`commit`, 41 bytes).  MREG_ENOTFOUND if none.
 */
int mreg_policy_gates(struct mreg_value **out, char *commit, struct mreg_registry *reg,
		      const char *route, const char *stage);

/* Pins the public key in `line` ("ssh-ed25519 AAAA... [comment]") as a trust root. */
int mreg_trust_root_pin(struct mreg_registry *reg, const char *line);

/*
 * Pins every key in `file` (public key lines or allowed_signers lines;
 * none unless all parse) and sets `*pinned` to their fingerprints, ", "
 * between them.
 */
int mreg_trust_root_pin_file(char **pinned, struct mreg_registry *reg, const char *file);

/*
 * Pins the user's signing key (user.signingkey, $MREG_SIGNING_KEY), with
 * user.email as its comment, and sets `*fingerprint`.  MREG_ENOTFOUND if
 * the user has no signing key.
 */
int mreg_trust_root_pin_signer(char **fingerprint, struct mreg_registry *reg);

#endif
