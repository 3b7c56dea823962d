/*
 * sign.h: Ed25519 keys and SSH signatures (SSHSIG), byte-compatible with
 * `ssh-keygen -Y sign` / `-Y verify`, so that git and ssh-keygen check
 * mreg's signatures with no mreg installed.  See DESIGN.md §3 "Signing".
 *
 * A `struct mreg_key` is a key that can sign: loaded from an unencrypted
 * OpenSSH or PKCS#8 PEM file, freshly generated, or held by ssh-agent.  A
 * `struct mreg_pubkey` is a public key value (no allocation) for comparing
 * a signature's signer with an allowed_signers entry.
 *
 * Ownership: a key or string returned through `**out` belongs to the
 * caller, who frees it with mreg_key_free() or free(); mreg_key_free()
 * wipes the private key.  Nothing returned is lent.
 *
 * Only ssh-ed25519 is supported; other key types are refused with
 * MREG_EINVALID.  Signatures use the hash algorithm sha512 (sha256 is
 * accepted when verifying, as ssh-keygen does).
 */
#ifndef MREG_SIGN_H
#define MREG_SIGN_H

#include "mreg/mreg.h"

/* Namespaces: commit signatures must be "git"; approvals are never "git". */
#define MREG_SIGN_NAMESPACE_GIT "git"
#define MREG_SIGN_NAMESPACE_APPROVAL "mreg-approval"

#define MREG_ED25519_PUBLIC_SIZE 32

struct mreg_key;

struct mreg_pubkey {
	unsigned char ed25519[MREG_ED25519_PUBLIC_SIZE];
};

/*
 * Loads the private key in `path`: "-----BEGIN OPENSSH PRIVATE KEY-----"
 * (cipher none, ssh-ed25519) or "-----BEGIN PRIVATE KEY-----" (PKCS#8
 * Ed25519).  MREG_EINVALID for a file that group or other may read or
 * write, an encrypted key (use ssh-agent for those), another key type or
 * a malformed file; MREG_ENOTFOUND if `path` does not exist.
 */
int mreg_key_load(struct mreg_key **out, const char *path);

/*
 * A key that signs through ssh-agent ($SSH_AUTH_SOCK).  `spec` names its
 * public key: an "ssh-ed25519 AAAA... [comment]" line, the same prefixed
 * with "key::" (as git's user.signingkey), or the path of a file holding
 * such a line.  MREG_ENOTFOUND if $SSH_AUTH_SOCK is unset or the agent
 * does not hold the key, MREG_EIO if the agent cannot be reached.  Each
 * signature is a new request to the agent, and the same bytes as the key
 * file itself would give.
 */
int mreg_key_from_agent(struct mreg_key **out, const char *spec);

/* A new random Ed25519 key. */
int mreg_key_generate(struct mreg_key **out);

/*
 * Writes `key` to `path` in OpenSSH format (openssh-key-v1, unencrypted,
 * mode 0600) and its public line to "`path`.pub" (0644).  MREG_EEXISTS if
 * either file exists: a key file is never overwritten (each is written to
 * a temporary file and hard-linked into place).  A NULL `comment` keeps
 * the key's own.  Keys held by ssh-agent cannot be saved (MREG_EINVALID).
 */
int mreg_key_save(const struct mreg_key *key, const char *path,
		  const char *comment);

/* The key's public half. */
void mreg_key_pubkey(struct mreg_pubkey *out, const struct mreg_key *key);

/*
 * "ssh-ed25519 AAAA... comment" with no newline.  A NULL `comment` uses
 * the key's own comment (from its OpenSSH file or agent), if any; ""
 * gives none.
 */
int mreg_key_public_line(char **out, const struct mreg_key *key,
			 const char *comment);

/* "SHA256:<base64, no padding>", as `ssh-keygen -lf` prints it. */
int mreg_key_fingerprint(char **out, const struct mreg_key *key);

/* Wipes and frees the key; NULL is fine. */
void mreg_key_free(struct mreg_key *key);

/*
 * Parses "ssh-ed25519 AAAA... [comment]" (leading blanks allowed; stops
 * at the blank after the base64).  MREG_EINVALID for anything else.
 */
int mreg_pubkey_parse(struct mreg_pubkey *out, const char *line);

/* 1 if `a` and `b` are the same key, else 0. */
int mreg_pubkey_equal(const struct mreg_pubkey *a, const struct mreg_pubkey *b);

/* "ssh-ed25519 AAAA..." with no comment and no newline. */
int mreg_pubkey_format(char **out, const struct mreg_pubkey *key);

/* "SHA256:<base64, no padding>". */
int mreg_pubkey_fingerprint(char **out, const struct mreg_pubkey *key);

/*
 * Signs `msg` in `namespace` and returns the armored signature, exactly as
 * `ssh-keygen -Y sign -n namespace` writes it: "-----BEGIN SSH
 * SIGNATURE-----\n", base64 in lines of 70 columns, "-----END SSH
 * SIGNATURE-----\n".  `*outlen` (if not NULL) gets its length; the text
 * is also NUL-terminated.
 */
int mreg_sshsig_sign(char **out, size_t *outlen, const struct mreg_key *key,
		     const char *namespace, const void *msg, size_t len);

/*
 * Verifies the armored signature over `msg` in `namespace`.  On success
 * `*out` (if `out` is not NULL) gets the signer's public key line
 * "ssh-ed25519 AAAA..."; check it against the allowed signers with
 * mreg_pubkey_parse() and mreg_pubkey_equal().  MREG_EBADSIG for any
 * failure: malformed armor or blob, another namespace, an unsupported key
 * type or hash algorithm, or a signature that does not match.
 */
int mreg_sshsig_verify(char **out, const char *armored, size_t armored_len,
		       const char *namespace, const void *msg, size_t len);

#endif
