/*
 * SSH signatures (OpenSSH's PROTOCOL.sshsig), and the SSH wire encoding
 * and base64 that the key and agent code share.
 *
 * An SSHSIG signs, with the key itself, the blob
 *
 *	"SSHSIG" string(namespace) string(reserved) string(hash_algorithm)
 *	string(H(message))
 *
 * and is stored as the armored blob
 *
 *	"SSHSIG" uint32(1) string(publickey) string(namespace)
 *	string(reserved) string(hash_algorithm) string(signature)
 *
 * Ed25519 is deterministic, so the same key, namespace and message give
 * the same bytes as `ssh-keygen -Y sign`.
 */
#include "internal.h"
#include "sign-internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

#define SSHSIG_MAGIC "SSHSIG"
#define SSHSIG_MAGIC_LEN 6
#define SSHSIG_VERSION 1
#define SSHSIG_HASH "sha512"
#define SSHSIG_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define SSHSIG_END "-----END SSH SIGNATURE-----"
#define ARMOR_COLUMNS 70

int mreg_error_openssl(int code, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	unsigned long e = ERR_get_error();
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (e) {
		ERR_error_string_n(e, reason, sizeof(reason));
		strbuf_addf(&msg, ": %s", reason);
	}
	ERR_clear_error();
	mreg_error_set(code, "%s", msg.buf);
	strbuf_release(&msg);
	return code;
}

void wire_put_u32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4];

	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
	strbuf_add(sb, b, 4);
}

void wire_put_string(struct strbuf *sb, const void *p, size_t len)
{
	wire_put_u32(sb, (uint32_t)len);
	strbuf_add(sb, p, len);
}

void wire_put_cstring(struct strbuf *sb, const char *s)
{
	wire_put_string(sb, s, strlen(s));
}

int wire_get_bytes(struct wire *w, const unsigned char **out, size_t n)
{
	if (w->len < n)
		return -1;
	*out = w->p;
	w->p += n;
	w->len -= n;
	return 0;
}

int wire_get_u8(struct wire *w, unsigned char *out)
{
	const unsigned char *p;

	if (wire_get_bytes(w, &p, 1) < 0)
		return -1;
	*out = p[0];
	return 0;
}

int wire_get_u32(struct wire *w, uint32_t *out)
{
	const unsigned char *p;

	if (wire_get_bytes(w, &p, 4) < 0)
		return -1;
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
	return 0;
}

int wire_get_string(struct wire *w, struct wire *out)
{
	struct wire c = *w;
	uint32_t len;
	const unsigned char *p;

	if (wire_get_u32(&c, &len) < 0 || wire_get_bytes(&c, &p, len) < 0)
		return -1;
	*w = c;
	out->p = p;
	out->len = len;
	return 0;
}

int wire_is(const struct wire *w, const char *s)
{
	return w->len == strlen(s) && !memcmp(w->p, s, w->len);
}

void base64_add(struct strbuf *sb, const void *p, size_t len, int wrap)
{
	const unsigned char *in = p;
	struct strbuf tmp = STRBUF_INIT;
	size_t n = 4 * ((len + 2) / 3), i, chunk;

	/* EVP_EncodeBlock takes an int; a multiple of 3 keeps chunks joinable */
	strbuf_grow(&tmp, n + 1);
	for (i = 0; i < len; i += chunk) {
		chunk = len - i < 3 * 65536 ? len - i : 3 * 65536;
		tmp.len += EVP_EncodeBlock((unsigned char *)tmp.buf + tmp.len,
					   in + i, (int)chunk);
	}
	tmp.buf[tmp.len] = '\0';
	if (!wrap) {
		strbuf_addbuf(sb, &tmp);
	} else {
		for (i = 0; i < n; i += ARMOR_COLUMNS) {
			strbuf_add(sb, tmp.buf + i,
				   n - i < ARMOR_COLUMNS ? n - i : ARMOR_COLUMNS);
			strbuf_addch(sb, '\n');
		}
	}
	secret_release(&tmp);
}

int base64_decode(struct strbuf *sb, const char *s, size_t len)
{
	struct strbuf clean = STRBUF_INIT;
	size_t i, pad = 0, start = sb->len;
	int n, ret = -1;

	strbuf_grow(&clean, len + 1);
	for (i = 0; i < len; i++)
		if (!strchr(" \t\r\n", s[i]) || !s[i])
			strbuf_addch(&clean, s[i]);
	if (clean.len % 4 || clean.len > INT_MAX / 2)
		goto done;
	for (i = 0; i < clean.len; i++) {
		if (clean.buf[i] != '=')
			continue;
		/* only at the end: "x=" followed by nothing, or "==" */
		if (i + 2 < clean.len || (i + 2 == clean.len &&
					  clean.buf[i + 1] != '='))
			goto done;
		pad++;
	}
	strbuf_grow(sb, clean.len / 4 * 3 + 1);
	n = EVP_DecodeBlock((unsigned char *)sb->buf + start,
			    (const unsigned char *)clean.buf, (int)clean.len);
	if (n < 0 || (size_t)n < pad)
		goto done;
	sb->len = start + n - pad;
	sb->buf[sb->len] = '\0';
	ret = 0;
done:
	secret_release(&clean);
	return ret;
}

void secret_release(struct strbuf *sb)
{
	if (sb->alloc)
		secure_zero(sb->buf, sb->alloc);
	strbuf_release(sb);
}

int ed25519_verify(const struct mreg_pubkey *key,
		   const unsigned char sig[ED25519_SIG_SIZE],
		   const void *data, size_t len)
{
	EVP_PKEY *pkey;
	EVP_MD_CTX *ctx = NULL;
	int ok = 0;

	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key->ed25519,
					   sizeof(key->ed25519));
	if (pkey && (ctx = EVP_MD_CTX_new()) &&
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1)
		ok = EVP_DigestVerify(ctx, sig, ED25519_SIG_SIZE, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* The blob an SSHSIG's signature covers, for message hash `h`. */
static void signed_data(struct strbuf *sb, const char *namespace,
			const char *hashalg, const unsigned char *h, size_t hlen)
{
	strbuf_add(sb, SSHSIG_MAGIC, SSHSIG_MAGIC_LEN);
	wire_put_cstring(sb, namespace);
	wire_put_string(sb, "", 0);	/* reserved */
	wire_put_cstring(sb, hashalg);
	wire_put_string(sb, h, hlen);
}

static int hash_message(unsigned char *out, unsigned int *outlen,
			const char *hashalg, const void *msg, size_t len)
{
	const EVP_MD *md = !strcmp(hashalg, "sha256") ? EVP_sha256() : EVP_sha512();

	if (!EVP_Digest(msg, len, out, outlen, md, NULL))
		return mreg_error_openssl(MREG_ERROR, "cannot hash message");
	return 0;
}

int mreg_sshsig_sign(char **out, size_t *outlen, const struct mreg_key *key,
		     const char *namespace, const void *msg, size_t len)
{
	struct strbuf tbs = STRBUF_INIT, sigblob = STRBUF_INIT;
	struct strbuf pub = STRBUF_INIT, blob = STRBUF_INIT, armor = STRBUF_INIT;
	unsigned char h[EVP_MAX_MD_SIZE], sig[ED25519_SIG_SIZE];
	unsigned int hlen = 0;
	int err;

	if (!namespace || !*namespace) {
		err = mreg_error_set(MREG_EINVALID, "signature namespace is empty");
		goto done;
	}
	if ((err = hash_message(h, &hlen, SSHSIG_HASH, msg, len)) < 0)
		goto done;
	signed_data(&tbs, namespace, SSHSIG_HASH, h, hlen);
	if ((err = key_sign_raw(sig, key, tbs.buf, tbs.len)) < 0)
		goto done;

	wire_put_cstring(&sigblob, KEYTYPE_ED25519);
	wire_put_string(&sigblob, sig, sizeof(sig));
	pubkey_blob(&pub, &key->pub);
	strbuf_add(&blob, SSHSIG_MAGIC, SSHSIG_MAGIC_LEN);
	wire_put_u32(&blob, SSHSIG_VERSION);
	wire_put_string(&blob, pub.buf, pub.len);
	wire_put_cstring(&blob, namespace);
	wire_put_string(&blob, "", 0);
	wire_put_cstring(&blob, SSHSIG_HASH);
	wire_put_string(&blob, sigblob.buf, sigblob.len);

	strbuf_addstr(&armor, SSHSIG_BEGIN "\n");
	base64_add(&armor, blob.buf, blob.len, 1);
	strbuf_addstr(&armor, SSHSIG_END "\n");
	*out = strbuf_detach(&armor, outlen);
done:
	strbuf_release(&tbs);
	strbuf_release(&sigblob);
	strbuf_release(&pub);
	strbuf_release(&blob);
	return err;
}

static int bad(const char *why)
{
	return mreg_error_set(MREG_EBADSIG, "bad SSH signature: %s", why);
}

/* The blob inside the armor; only whitespace may surround the armor. */
static int dearmor(struct strbuf *blob, const char *text, size_t len)
{
	const char *end = text + len, *body, *stop, *p;
	size_t blen = strlen(SSHSIG_BEGIN), elen = strlen(SSHSIG_END);

	while (text < end && strchr(" \t\r\n", *text) && *text)
		text++;
	if ((size_t)(end - text) < blen || memcmp(text, SSHSIG_BEGIN, blen))
		return bad("no \"" SSHSIG_BEGIN "\" line");
	body = text + blen;
	for (stop = body; stop + elen <= end; stop++)
		if (!memcmp(stop, SSHSIG_END, elen))
			break;
	if (stop + elen > end)
		return bad("no \"" SSHSIG_END "\" line");
	for (p = stop + elen; p < end; p++)
		if (!*p || !strchr(" \t\r\n", *p))
			return bad("text after the armor");
	if (base64_decode(blob, body, stop - body) < 0)
		return bad("invalid base64");
	return 0;
}

/* The namespace, quoted for a message if it is short and printable. */
static void describe(struct strbuf *sb, const struct wire *w)
{
	size_t i;

	for (i = 0; i < w->len; i++)
		if (w->p[i] < 0x20 || w->p[i] > 0x7e || w->p[i] == '\'')
			break;
	if (w->len <= 64 && i == w->len)
		strbuf_addf(sb, "'%.*s'", (int)w->len, (const char *)w->p);
	else
		strbuf_addstr(sb, "(unprintable)");
}

static int wrong_namespace(const struct wire *got, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	describe(&sb, got);
	mreg_error_set(MREG_EBADSIG,
		       "bad SSH signature: made for namespace %s, not '%s'",
		       sb.buf, want);
	strbuf_release(&sb);
	return MREG_EBADSIG;
}

/* Checks the parsed SSHSIG fields and the signature over `msg`. */
static int check_sshsig(const struct wire *pubblob, const struct wire *hashalg,
			struct wire sigblob, const char *namespace,
			const void *msg, size_t len)
{
	struct strbuf tbs = STRBUF_INIT;
	struct mreg_pubkey pub;
	struct wire type, sig;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	char alg[8];
	int err = 0;

	if (pubkey_from_blob(&pub, pubblob) < 0) {
		err = bad("not an ssh-ed25519 key");
		goto done;
	}
	if (!wire_is(hashalg, "sha512") && !wire_is(hashalg, "sha256")) {
		err = bad("unsupported hash algorithm");
		goto done;
	}
	if (wire_get_string(&sigblob, &type) < 0 ||
	    !wire_is(&type, KEYTYPE_ED25519) ||
	    wire_get_string(&sigblob, &sig) < 0 ||
	    sig.len != ED25519_SIG_SIZE || sigblob.len) {
		err = bad("not an ssh-ed25519 signature");
		goto done;
	}
	memcpy(alg, hashalg->p, hashalg->len);
	alg[hashalg->len] = '\0';
	if ((err = hash_message(h, &hlen, alg, msg, len)) < 0)
		goto done;
	signed_data(&tbs, namespace, alg, h, hlen);
	if (ed25519_verify(&pub, sig.p, tbs.buf, tbs.len) < 0)
		err = bad("signature does not match the message and key");
done:
	strbuf_release(&tbs);
	return err;
}

int mreg_sshsig_verify(char **out, const char *armored, size_t armored_len,
		       const char *namespace, const void *msg, size_t len)
{
	struct strbuf blob = STRBUF_INIT;
	struct wire w, pubblob, ns, reserved, hashalg, sigblob;
	struct mreg_pubkey pub;
	const unsigned char *magic;
	uint32_t version;
	int err;

	if ((err = dearmor(&blob, armored, armored_len)) < 0)
		goto done;
	w.p = (const unsigned char *)blob.buf;
	w.len = blob.len;
	if (wire_get_bytes(&w, &magic, SSHSIG_MAGIC_LEN) < 0 ||
	    memcmp(magic, SSHSIG_MAGIC, SSHSIG_MAGIC_LEN)) {
		err = bad("no SSHSIG preamble");
		goto done;
	}
	if (wire_get_u32(&w, &version) < 0 || version != SSHSIG_VERSION) {
		err = bad("unsupported version");
		goto done;
	}
	if (wire_get_string(&w, &pubblob) < 0 || wire_get_string(&w, &ns) < 0 ||
	    wire_get_string(&w, &reserved) < 0 ||
	    wire_get_string(&w, &hashalg) < 0 ||
	    wire_get_string(&w, &sigblob) < 0 || w.len) {
		err = bad("malformed blob");
		goto done;
	}
	if (!namespace || !wire_is(&ns, namespace)) {
		err = wrong_namespace(&ns, namespace ? namespace : "");
		goto done;
	}
	if ((err = check_sshsig(&pubblob, &hashalg, sigblob, namespace,
				msg, len)) < 0)
		goto done;
	if (out) {
		pubkey_from_blob(&pub, &pubblob);
		err = mreg_pubkey_format(out, &pub);
	}
done:
	strbuf_release(&blob);
	return err;
}
