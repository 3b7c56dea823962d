/*
 * policy.h: who may do what (DESIGN §3 "Policy").  refs/mreg/policy is a
 * signed chain whose commits hold policy.yaml and the allowed_signers
 * file derived from it; Documentation/technical/policy.adoc is the
 * format.  A registry with no policy has an implicit one: its pinned trust
 * roots may do everything and no approvals are required.
 */
#ifndef MREG_POLICY_H
#define MREG_POLICY_H

#include "internal.h"
#include "mreg/sign.h"

struct policy_principal {
	char *name;
	struct mreg_pubkey key;
	int64_t valid_after, valid_before;	/* 0: unbounded */
};

struct policy_rule {
	char *action;		/* register, promote, approve, status, policy */
	char *routes;		/* a glob; NULL: any */
	char **stages;		/* NULL-terminated; NULL: any */
	char **principals;	/* NULL-terminated */
};

struct policy_quorum {
	char *routes;		/* glob */
	char *stage;
	unsigned required;
};

struct policy {
	char commit[GIT_OID_HEXSZ + 1];	/* 40 zeros for the implicit policy */
	struct policy_principal *principals;
	size_t nr_principals;
	char **roots;		/* NULL-terminated principal names */
	struct policy_rule *rules;
	size_t nr_rules;
	struct policy_quorum *quorums;
	size_t nr_quorums;
	struct mreg_value *doc;	/* the whole policy.yaml */
	int implicit;
};

void policy_free(struct policy *p);

/* Parses and checks policy.yaml text; `file` names it in messages. */
int policy_parse(struct policy **out, const char *text, size_t len, const char *file);

/* The policy at `commit` (hex; NULL or zeros: the implicit one). */
int policy_load(struct policy **out, struct mreg_registry *reg, const char *commit);

/* The policy in force now: the head of refs/mreg/policy, or implicit. */
int policy_current(struct policy **out, struct mreg_registry *reg);

/*
 * The principal of `p` whose key is `key` and valid at `when`; NULL if
 * none.  Lent.
 */
const struct policy_principal *policy_principal_for(const struct policy *p,
						   const struct mreg_pubkey *key,
						   int64_t when);

/*
 * Whether `key` may do `action` (on `route` in `stage` where they apply)
 * at time `when`.  0 and `*who` (lent) when it may; MREG_EBADSIG with a
 * message saying why not.
 */
int policy_check(const char **who, const struct policy *p,
		 const struct mreg_pubkey *key, const char *action,
		 const char *route, const char *stage, int64_t when);

/* How many distinct approvals `route` needs for `stage`. */
unsigned policy_required_approvals(const struct policy *p, const char *route,
				   const char *stage);

/* 1 if promoting to `stage` of `route` needs a recorded passing gate. */
int policy_requires_gate(const struct policy *p, const char *route, const char *stage);

/*
 * The manifest meets the policy's required_fields, allowed_runtimes and
 * allowed_privacy_classes; MREG_EDENIED naming what is missing otherwise.
 */
int policy_check_manifest(const struct policy *p, const struct mreg_value *manifest);

/* The allowed_signers text: every principal (with `stage`, those who may promote to it). */
char *policy_allowed_signers(const struct policy *p, const char *stage);

/*
 * Who signed commit `id`, checked: the principal of the policy at
 * `policy_hex` whose key verifies it, valid at `when`.  `*ok` is 1 when
 * the signature verifies and the key is the policy's; otherwise the
 * name is "(unsigned)", "(bad signature)" or "(unknown key SHA256:...)"
 * and the error message says why.  The caller frees the name.
 */
char *policy_signer_name(int *ok, struct mreg_registry *reg, const git_oid *id,
			 const char *policy_hex, int64_t when);

#endif
