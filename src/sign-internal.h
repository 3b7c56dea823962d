/*
 * sign-internal.h: what key.c, agent.c and sign.c share: the key struct,
 * the SSH wire encoding (RFC 4251 uint32 and string) and base64.
 */
#ifndef MREG_SIGN_INTERNAL_H
#define MREG_SIGN_INTERNAL_H

#include <openssl/evp.h>

#include "mreg/sign.h"
#include "strbuf.h"

#define ED25519_SIG_SIZE 64
#define KEYTYPE_ED25519 "ssh-ed25519"

struct mreg_key {
	EVP_PKEY *pkey;		/* NULL when the agent signs */
	char *agent_sock;	/* the agent's socket, or NULL */
	struct mreg_pubkey pub;
	char *comment;		/* or NULL */
};

/* A cursor over bytes being parsed; each get fails with -1 when short. */
struct wire {
	const unsigned char *p;
	size_t len;
};

void wire_put_u32(struct strbuf *sb, uint32_t v);
void wire_put_string(struct strbuf *sb, const void *p, size_t len);
void wire_put_cstring(struct strbuf *sb, const char *s);
int wire_get_u8(struct wire *w, unsigned char *out);
int wire_get_u32(struct wire *w, uint32_t *out);
int wire_get_bytes(struct wire *w, const unsigned char **out, size_t n);
int wire_get_string(struct wire *w, struct wire *out);
/* 1 if the string in `w` is exactly `s`. */
int wire_is(const struct wire *w, const char *s);

/* The public key blob: string "ssh-ed25519", string key. */
void pubkey_blob(struct strbuf *sb, const struct mreg_pubkey *key);
/* Parses a public key blob; -1 unless it is exactly one Ed25519 key. */
int pubkey_from_blob(struct mreg_pubkey *out, const struct wire *blob);

/* Appends base64 of `p`; with `wrap`, a newline after every 70 columns
 * and after the last line, as OpenSSH armors. */
void base64_add(struct strbuf *sb, const void *p, size_t len, int wrap);
/* Appends the bytes `s` decodes to, ignoring whitespace; -1 if not base64. */
int base64_decode(struct strbuf *sb, const char *s, size_t len);

/* secure_zero() of everything `sb` allocated, then strbuf_release(). */
void secret_release(struct strbuf *sb);

/* Ed25519 signature of `data` by `key`, locally or through the agent. */
int key_sign_raw(unsigned char sig[ED25519_SIG_SIZE], const struct mreg_key *key,
		 const void *data, size_t len);
/* Checks an Ed25519 signature; 0 if good, -1 if not. */
int ed25519_verify(const struct mreg_pubkey *key,
		   const unsigned char sig[ED25519_SIG_SIZE],
		   const void *data, size_t len);

/* Asks the agent at `sock` to sign (agent.c). */
int agent_sign_raw(unsigned char sig[ED25519_SIG_SIZE], const char *sock,
		   const struct mreg_pubkey *key, const void *data, size_t len);

/* Sets the message `fmt` followed by OpenSSL's reason, and clears its queue. */
int mreg_error_openssl(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
