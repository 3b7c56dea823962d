/*
 * verify.h: the chain checks of `mreg verify`, for reuse where chains are
 * checked before they are accepted (fetch): there the chains, the policy
 * and the versions they name live under another prefix than refs/mreg/.
 * Below them, what verify.c and verify-route.c share.
 */
#ifndef MREG_VERIFY_INTERNAL_H
#define MREG_VERIFY_INTERNAL_H

#include "internal.h"
#include "mreg/model.h"

/* Reads NAME@VERSION from `<prefix>models/NAME/VERSION`, checked as lookup does. */
int model_load_at(struct mreg_model **out, struct mreg_registry *reg,
		  const char *prefix, const char *name, const char *version);

enum chain_kind { CHAIN_ROUTE, CHAIN_STATUS, CHAIN_POLICY };

/*
 * Verifies the chain at `ref` (a route `name`, or the status of
 * `name`/`version`, or a policy) against the policy chain and versions
 * under `prefix` ("refs/mreg-remotes/origin/").  0 if it verifies;
 * MREG_EBADSIG with `*why` (caller frees) and `bad` (41 bytes, "" when no
 * one commit is to blame) otherwise.  With `no_artifacts`, the artifact
 * bytes of the versions named need not be in the store.
 */
int verify_chain_at(char **why, char *bad, struct mreg_registry *reg,
		    const char *prefix, enum chain_kind kind, const char *ref,
		    const char *name, const char *version, int no_artifacts);

/*
 * Between verify.c and verify-route.c: one run of verify, the walk of one
 * chain in it, and the checks a commit of any kind gets.  Each check
 * returns 0, or MREG_EBADSIG with the walk's message set by walk_fail().
 */
struct policy;
struct mreg_pubkey;

struct verifier {
	struct mreg_registry *reg;
	const char *prefix;	/* where chains, policy and versions live */
	int staged;		/* checking refs before they are accepted */
	int no_artifacts;	/* the bytes were left behind on purpose */
	int quick;		/* artifacts: presence and size, not their bytes */
	struct policy *cache[8];
	size_t nr_cache;
	struct digest_ok {
		char *ref, *digest;
	} *ok;
	size_t nr_ok, alloc_ok;
	struct artifact_seen {
		char *hex;
		uint64_t size;
		char *why;	/* NULL when it checked out */
	} *seen;		/* sorted by hex, then size */
	size_t nr_seen, alloc_seen;
};

struct walk {
	struct verifier *v;
	const char *ref;
	git_oid *ids;		/* root first */
	size_t nr;
	char bad[GIT_OID_HEXSZ + 1];
	struct strbuf msg;
};

/* Sets the walk's message, blaming commit `id` (NULL: none); MREG_EBADSIG. */
int walk_fail(struct walk *w, const git_oid *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Only `allowed` at the top of the tree, and approvals/<64 hex>.statement|.sig. */
int walk_check_tree(struct walk *w, const git_oid *id, const git_tree *tree,
		    const char *const *allowed);

/* The commit's signature verifies; `key` gets the signer. */
int walk_check_signature(struct walk *w, const git_oid *id, struct mreg_pubkey *key);

/*
 * The policy at `policy_hex` allowed `key` this action; `*used` (unless
 * NULL) gets it, lent until the next walk_check_allowed().
 */
int walk_check_allowed(struct walk *w, const git_oid *id, const struct mreg_pubkey *key,
		       const char *policy_hex, const char *action, const char *route,
		       const char *stage, int64_t when, const struct policy **used);

/*
 * The policy `now` is on the policy chain and no older than `before`, the
 * one the commit before named.  40 zeros is no policy: `before` for a
 * first commit, and `now` only while `before` is too.
 */
int walk_check_policy_order(struct walk *w, const git_oid *id, const char *now,
			    const char *before);

/*
 * The version `ref` (NAME@VERSION) exists, its bundle.yaml hashes to
 * `digest` and its artifacts are in the store (each version checked once).
 */
int walk_check_digest(struct walk *w, const git_oid *id, const char *ref,
		      const char *digest);

/* Appends the blob `name` at the top of `tree` to `out`; -1 if there is none. */
int verify_read_file(struct strbuf *out, struct mreg_registry *reg, const git_tree *tree,
		     const char *name);

/* Checks the commits of a route chain (verify-route.c). */
int verify_route(struct walk *w, const char *name);

#endif
