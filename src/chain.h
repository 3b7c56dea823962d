/*
 * chain.h: signed commits, the links of mreg's chains (routes, status,
 * policy).  A commit is signed the way git signs with gpg.format=ssh: an
 * SSHSIG in namespace "git" over the commit without its signature, in a
 * `gpgsig` header, so `git verify-commit` checks it with no mreg present.
 */
#ifndef MREG_CHAIN_H
#define MREG_CHAIN_H

#include "internal.h"
#include "mreg/sign.h"

/*
 * The key that signs for this user: $MREG_SIGNING_KEY, else config
 * user.signingkey (a private key file; a public key file, "key::..." or
 * "ssh-ed25519 ..." line for a key held by ssh-agent).  MREG_ENOTFOUND
 * with advice when none is set.
 */
int signing_key_load(struct mreg_key **out, struct mreg_registry *reg);

/*
 * Writes a commit of `tree` on `parent` (NULL for a root), signed by `key`
 * (unsigned when NULL).  No ref moves.
 */
int chain_commit(git_oid *out, struct mreg_registry *reg, const git_oid *tree,
		 const git_oid *parent, const git_signature *author,
		 const git_signature *committer, const char *msg,
		 const struct mreg_key *key);

/*
 * Checks one commit of a chain: only the headers a signed mreg commit has
 * (tree, at most one parent, author, committer, gpgsig), and a signature
 * that verifies.  `signer` gets its key.  MREG_EBADSIG, with the reason
 * in the error message, for an unsigned, forged or malformed commit.
 */
int chain_check_commit(struct mreg_pubkey *signer, struct mreg_registry *reg,
		       const git_oid *id);

/* `want` is `head` or one of its ancestors. */
int chain_reaches(struct mreg_registry *reg, const git_oid *head, const git_oid *want);

/* The registry's local config only (libgit2 error codes). */
int local_config(git_config **out, struct mreg_registry *reg);

/* Trust roots (src/trust.c).  Pins `key`, unless pinned, in local config (mreg.trustRoot). */
int trust_root_add(struct mreg_registry *reg, const struct mreg_pubkey *key,
		   const char *comment);

/* The pinned trust roots; *nr may be 0.  The caller frees *out. */
int trust_roots(struct mreg_pubkey **out, size_t *nr, struct mreg_registry *reg);

#endif

struct policy;

/* Who is signing a write: key, identity, and the policy it is checked against. */
struct signer {
	struct mreg_key *key;	/* NULL when unsigned (registries with no trust root) */
	struct mreg_pubkey pub;
	git_signature *sig;	/* author and committer */
	struct policy *policy;	/* the policy in force now */
	int pinned;		/* this write pinned the key as the first trust root */
};

/*
 * Loads the signing key, the identity and the policy.  With `optional`,
 * a registry that has no trust root and no policy may write unsigned.
 * A registry with neither gets the signer's key pinned as its first trust
 * root (trust on first use), and `pinned` says so.
 */
int signer_open(struct signer *s, struct mreg_registry *reg, int optional);
void signer_release(struct signer *s);

/* policy_check() for the signer, now. */
int signer_allowed(const char **who, struct signer *s, const char *action,
		   const char *route, const char *stage);

/* One compare-and-swap ref move; a zero `old` means "must not exist". */
struct ref_move {
	const char *name;
	git_oid old, new;
};

/*
 * Moves every ref or none, each only if it still has its `old` value.
 * MREG_EMODIFIED naming the first ref that moved, MREG_ELOCKED if another
 * process holds a lock.
 */
int refs_move(struct mreg_registry *reg, const struct ref_move *moves, size_t nr,
	      const git_signature *sig, const char *log);

/*
 * For thousands of refs (a first push or clone): a transaction holds a
 * lock file open per ref, so refs that are created (a zero `old`) move
 * in batches first, then every update in one transaction.  New refs of
 * versions are immutable, so an early batch landing alone is harmless.
 */
int refs_move_batched(struct mreg_registry *reg, const struct ref_move *moves, size_t nr,
		      const git_signature *sig, const char *log);
