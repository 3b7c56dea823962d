/*
 * Ed25519 keys: loading OpenSSH ("openssh-key-v1") and PKCS#8 PEM private
 * key files, generating and saving keys, and the public key encodings
 * OpenSSH uses (the "ssh-ed25519 AAAA..." line and SHA256 fingerprints).
 * The formats are OpenSSH's PROTOCOL.key and RFC 8709.
 *
 * Buffers that held private key bytes are wiped before they are freed;
 * they are sized up front so that no realloc leaves a copy behind.
 */
#include "internal.h"
#include "sign-internal.h"
#include "tempfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#define OPENSSH_MAGIC "openssh-key-v1"	/* followed by a NUL in the blob */
#define OPENSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define OPENSSH_END "-----END OPENSSH PRIVATE KEY-----"
#define PKCS8_BEGIN "-----BEGIN PRIVATE KEY-----"
#define PKCS8_ENC_BEGIN "-----BEGIN ENCRYPTED PRIVATE KEY-----"
#define KEY_FILE_MAX (64 * 1024)
#define SECRET_HINT 4096	/* larger than any Ed25519 key file we build */

void pubkey_blob(struct strbuf *sb, const struct mreg_pubkey *key)
{
	wire_put_cstring(sb, KEYTYPE_ED25519);
	wire_put_string(sb, key->ed25519, sizeof(key->ed25519));
}

int pubkey_from_blob(struct mreg_pubkey *out, const struct wire *blob)
{
	struct wire w = *blob, type, pk;

	if (wire_get_string(&w, &type) < 0 || !wire_is(&type, KEYTYPE_ED25519) ||
	    wire_get_string(&w, &pk) < 0 || pk.len != sizeof(out->ed25519) ||
	    w.len)
		return -1;
	memcpy(out->ed25519, pk.p, pk.len);
	return 0;
}

int mreg_pubkey_format(char **out, const struct mreg_pubkey *key)
{
	struct strbuf blob = STRBUF_INIT, line = STRBUF_INIT;

	pubkey_blob(&blob, key);
	strbuf_addstr(&line, KEYTYPE_ED25519 " ");
	base64_add(&line, blob.buf, blob.len, 0);
	strbuf_release(&blob);
	*out = strbuf_detach(&line, NULL);
	return 0;
}

int mreg_pubkey_fingerprint(char **out, const struct mreg_pubkey *key)
{
	struct strbuf blob = STRBUF_INIT, fp = STRBUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int err = 0;

	pubkey_blob(&blob, key);
	if (!EVP_Digest(blob.buf, blob.len, md, &mdlen, EVP_sha256(), NULL)) {
		err = mreg_error_openssl(MREG_ERROR, "cannot hash public key");
		goto done;
	}
	strbuf_addstr(&fp, "SHA256:");
	base64_add(&fp, md, mdlen, 0);
	while (fp.len && fp.buf[fp.len - 1] == '=')
		strbuf_setlen(&fp, fp.len - 1);
	*out = strbuf_detach(&fp, NULL);
done:
	strbuf_release(&blob);
	strbuf_release(&fp);
	return err;
}

int mreg_pubkey_equal(const struct mreg_pubkey *a, const struct mreg_pubkey *b)
{
	return !memcmp(a->ed25519, b->ed25519, sizeof(a->ed25519));
}

int mreg_pubkey_parse(struct mreg_pubkey *out, const char *line)
{
	struct strbuf blob = STRBUF_INIT;
	struct wire w;
	const char *p = line, *b64;
	int err = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!starts_with(p, KEYTYPE_ED25519) ||
	    (p[strlen(KEYTYPE_ED25519)] != ' ' &&
	     p[strlen(KEYTYPE_ED25519)] != '\t')) {
		err = mreg_error_set(MREG_EINVALID,
				     "not an ssh-ed25519 public key: '%.40s'", p);
		goto done;
	}
	p += strlen(KEYTYPE_ED25519);
	while (*p == ' ' || *p == '\t')
		p++;
	for (b64 = p; *p && !strchr(" \t\r\n", *p); p++)
		;
	if (p == b64 || base64_decode(&blob, b64, p - b64) < 0) {
		err = mreg_error_set(MREG_EINVALID,
				     "bad base64 in public key: '%.40s'", b64);
		goto done;
	}
	w.p = (const unsigned char *)blob.buf;
	w.len = blob.len;
	if (pubkey_from_blob(out, &w) < 0)
		err = mreg_error_set(MREG_EINVALID,
				     "malformed ssh-ed25519 public key: '%.40s'", b64);
done:
	strbuf_release(&blob);
	return err;
}

void mreg_key_pubkey(struct mreg_pubkey *out, const struct mreg_key *key)
{
	*out = key->pub;
}

int mreg_key_public_line(char **out, const struct mreg_key *key,
			 const char *comment)
{
	struct strbuf line = STRBUF_INIT;
	char *base = NULL;
	int err;

	if ((err = mreg_pubkey_format(&base, &key->pub)) < 0)
		return err;
	strbuf_addstr(&line, base);
	if (!comment)
		comment = key->comment;
	if (comment && *comment)
		strbuf_addf(&line, " %s", comment);
	free(base);
	*out = strbuf_detach(&line, NULL);
	return 0;
}

int mreg_key_fingerprint(char **out, const struct mreg_key *key)
{
	return mreg_pubkey_fingerprint(out, &key->pub);
}

void mreg_key_free(struct mreg_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);	/* OpenSSL clears Ed25519 private keys */
	free(key->agent_sock);
	free(key->comment);
	secure_zero(key, sizeof(*key));
	free(key);
}

/* Fills key->pub from key->pkey. */
static int set_public(struct mreg_key *key)
{
	size_t len = sizeof(key->pub.ed25519);

	if (!EVP_PKEY_get_raw_public_key(key->pkey, key->pub.ed25519, &len) ||
	    len != sizeof(key->pub.ed25519))
		return mreg_error_openssl(MREG_ERROR, "cannot get public key");
	return 0;
}

int mreg_key_generate(struct mreg_key **out)
{
	struct mreg_key *key = xcalloc(1, sizeof(*key));
	int err = 0;

	key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!key->pkey) {
		err = mreg_error_openssl(MREG_ERROR, "cannot generate Ed25519 key");
		goto done;
	}
	err = set_public(key);
done:
	if (err < 0)
		mreg_key_free(key);
	else
		*out = key;
	return err;
}

/*
 * Reads a private key file, refusing it (as ssh does) when group or other
 * may read or write it.  `sb` is sized once so that it can be wiped.
 */
static int read_private_file(struct strbuf *sb, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mreg_error_errno(errno == ENOENT ? MREG_ENOTFOUND : MREG_EIO,
					"cannot open key", path);
	if (fstat(fd, &st) < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot stat key", path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		err = mreg_error_set(MREG_EINVALID, "key '%s' is not a regular file",
				     path);
		goto done;
	}
	if (st.st_mode & 077) {
		err = mreg_error_set(MREG_EINVALID,
				     "permissions %04o for '%s' are too open",
				     (unsigned)(st.st_mode & 07777), path);
		goto done;
	}
	strbuf_grow(sb, KEY_FILE_MAX + 1);
	n = xread(fd, sb->buf, KEY_FILE_MAX + 1);
	if (n < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot read key", path);
		goto done;
	}
	if (n > KEY_FILE_MAX) {
		err = mreg_error_set(MREG_EINVALID, "key '%s' is too large", path);
		goto done;
	}
	sb->len = n;
	sb->buf[n] = '\0';
done:
	close(fd);
	return err;
}

/* 1 if the bytes of `w` are printable ASCII, safe to put in a message. */
static int printable(const struct wire *w)
{
	size_t i;

	if (w->len > 64)
		return 0;
	for (i = 0; i < w->len; i++)
		if (w->p[i] < 0x20 || w->p[i] > 0x7e)
			return 0;
	return 1;
}

static int not_ed25519(const char *path, const struct wire *type)
{
	if (printable(type))
		return mreg_error_set(MREG_EINVALID,
				      "key '%s' is %.*s; only ssh-ed25519 keys are supported",
				      path, (int)type->len, (const char *)type->p);
	return mreg_error_set(MREG_EINVALID,
			      "key '%s' is not an Ed25519 key", path);
}

static int malformed(const char *path, const char *why)
{
	return mreg_error_set(MREG_EINVALID, "cannot parse key '%s': %s",
			      path, why);
}

/*
 * The base64 between an armor's BEGIN line and its END line, decoded into
 * `blob` (which is sized first, as it holds secrets).
 */
static int dearmor_key(struct strbuf *blob, const char *text, const char *end)
{
	const char *body = strchr(text, '\n');
	const char *stop;

	if (!body)
		return -1;
	stop = strstr(body, end);
	if (!stop)
		return -1;
	strbuf_grow(blob, (stop - body) / 4 * 3 + 3);
	return base64_decode(blob, body, stop - body);
}

/* The private section of an openssh-key-v1 file (PROTOCOL.key). */
static int parse_openssh_private(struct mreg_key *key, struct wire *w,
				 const char *path)
{
	uint32_t check1, check2;
	struct wire type, pk, sk, comment;
	unsigned char pad;
	size_t i;
	int err;

	if (w->len % 8)
		return malformed(path, "bad private section length");
	if (wire_get_u32(w, &check1) < 0 || wire_get_u32(w, &check2) < 0 ||
	    check1 != check2)
		return malformed(path, "check bytes differ");
	if (wire_get_string(w, &type) < 0)
		return malformed(path, "truncated");
	if (!wire_is(&type, KEYTYPE_ED25519))
		return not_ed25519(path, &type);
	if (wire_get_string(w, &pk) < 0 || pk.len != 32 ||
	    wire_get_string(w, &sk) < 0 || sk.len != 64 ||
	    wire_get_string(w, &comment) < 0)
		return malformed(path, "truncated Ed25519 key");
	if (memcmp(pk.p, key->pub.ed25519, 32) || memcmp(sk.p + 32, pk.p, 32))
		return malformed(path, "public and private parts differ");
	for (i = 1; w->len; i++)
		if (wire_get_u8(w, &pad) < 0 || pad != (i & 0xff))
			return malformed(path, "bad padding");
	if (comment.len)
		key->comment = xstrndup((const char *)comment.p, comment.len);
	key->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						 sk.p, 32);
	if (!key->pkey)
		return mreg_error_openssl(MREG_EINVALID, "cannot load key '%s'",
					  path);
	if ((err = set_public(key)) < 0)
		return err;
	if (memcmp(pk.p, key->pub.ed25519, 32))
		return malformed(path, "public key does not match private key");
	return 0;
}

static int parse_openssh(struct mreg_key *key, const char *text,
			 const char *path)
{
	struct strbuf blob = STRBUF_INIT;
	struct wire w, cipher, kdf, kdfopts, pub, priv, cursor, type;
	const unsigned char *magic;
	uint32_t nkeys;
	int err = 0;

	if (dearmor_key(&blob, text, OPENSSH_END) < 0) {
		err = malformed(path, "bad armor or base64");
		goto done;
	}
	w.p = (const unsigned char *)blob.buf;
	w.len = blob.len;
	if (wire_get_bytes(&w, &magic, sizeof(OPENSSH_MAGIC)) < 0 ||
	    memcmp(magic, OPENSSH_MAGIC, sizeof(OPENSSH_MAGIC))) {
		err = malformed(path, "not openssh-key-v1");
		goto done;
	}
	if (wire_get_string(&w, &cipher) < 0 || wire_get_string(&w, &kdf) < 0 ||
	    wire_get_string(&w, &kdfopts) < 0 || wire_get_u32(&w, &nkeys) < 0) {
		err = malformed(path, "truncated");
		goto done;
	}
	if (nkeys != 1) {
		err = malformed(path, "not exactly one key");
		goto done;
	}
	if (wire_get_string(&w, &pub) < 0 || wire_get_string(&w, &priv) < 0) {
		err = malformed(path, "truncated");
		goto done;
	}
	cursor = pub;
	if (wire_get_string(&cursor, &type) < 0) {
		err = malformed(path, "truncated public key");
		goto done;
	}
	if (!wire_is(&type, KEYTYPE_ED25519)) {
		err = not_ed25519(path, &type);
		goto done;
	}
	if (pubkey_from_blob(&key->pub, &pub) < 0) {
		err = malformed(path, "bad public key");
		goto done;
	}
	if (!wire_is(&cipher, "none") || !wire_is(&kdf, "none")) {
		err = mreg_error_set(MREG_EINVALID,
				     "key '%s' is encrypted; load it into ssh-agent",
				     path);
		goto done;
	}
	err = parse_openssh_private(key, &priv, path);
done:
	secret_release(&blob);
	return err;
}

/* Never prompt on the terminal: encrypted keys go through ssh-agent. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int parse_pkcs8(struct mreg_key *key, const struct strbuf *text,
		       const char *path)
{
	BIO *bio = BIO_new_mem_buf(text->buf, (int)text->len);
	int err = 0;

	if (!bio)
		return mreg_error_openssl(MREG_ERROR, "cannot read key '%s'", path);
	key->pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (!key->pkey) {
		err = mreg_error_openssl(MREG_EINVALID, "cannot parse key '%s'",
					 path);
		goto done;
	}
	if (EVP_PKEY_get_base_id(key->pkey) != EVP_PKEY_ED25519) {
		const char *name = OBJ_nid2sn(EVP_PKEY_get_base_id(key->pkey));

		err = mreg_error_set(MREG_EINVALID,
				     "key '%s' is %s; only Ed25519 keys are supported",
				     path, name ? name : "not an Ed25519 key");
		goto done;
	}
	err = set_public(key);
done:
	ERR_clear_error();	/* the decoders' failed attempts */
	BIO_free(bio);
	return err;
}

int mreg_key_load(struct mreg_key **out, const char *path)
{
	struct strbuf text = STRBUF_INIT;
	struct mreg_key *key = xcalloc(1, sizeof(*key));
	const char *p;
	int err;

	if ((err = read_private_file(&text, path)) < 0)
		goto done;
	for (p = text.buf; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
		;
	if (starts_with(p, OPENSSH_BEGIN))
		err = parse_openssh(key, p, path);
	else if (starts_with(p, PKCS8_BEGIN))
		err = parse_pkcs8(key, &text, path);
	else if (starts_with(p, PKCS8_ENC_BEGIN) || strstr(p, "ENCRYPTED"))
		err = mreg_error_set(MREG_EINVALID,
				     "key '%s' is encrypted; load it into ssh-agent",
				     path);
	else if (starts_with(p, "-----BEGIN ") && strstr(p, " PRIVATE KEY-----"))
		err = mreg_error_set(MREG_EINVALID,
				     "key '%s' is not an Ed25519 key", path);
	else if (starts_with(p, "ssh-"))
		err = mreg_error_set(MREG_EINVALID,
				     "'%s' is a public key; give the private key or use ssh-agent",
				     path);
	else
		err = malformed(path, "not an OpenSSH or PKCS#8 private key");
done:
	secret_release(&text);
	if (err < 0)
		mreg_key_free(key);
	else
		*out = key;
	return err;
}

/* The openssh-key-v1 file for `key`, armored (PROTOCOL.key). */
static int format_openssh(struct strbuf *out, const struct mreg_key *key,
			  const char *comment)
{
	struct strbuf blob, priv, pub = STRBUF_INIT;
	unsigned char sk[64];
	size_t sklen = 32;
	uint32_t check;
	unsigned char pad;
	int err = 0;

	strbuf_init(&blob, SECRET_HINT + strlen(comment));
	strbuf_init(&priv, SECRET_HINT + strlen(comment));
	if (!EVP_PKEY_get_raw_private_key(key->pkey, sk, &sklen) || sklen != 32) {
		err = mreg_error_openssl(MREG_ERROR, "cannot get private key");
		goto done;
	}
	memcpy(sk + 32, key->pub.ed25519, 32);
	if (RAND_bytes((unsigned char *)&check, sizeof(check)) != 1) {
		err = mreg_error_openssl(MREG_ERROR, "cannot get random bytes");
		goto done;
	}
	wire_put_u32(&priv, check);
	wire_put_u32(&priv, check);
	wire_put_cstring(&priv, KEYTYPE_ED25519);
	wire_put_string(&priv, key->pub.ed25519, 32);
	wire_put_string(&priv, sk, sizeof(sk));
	wire_put_cstring(&priv, comment);
	for (pad = 1; priv.len % 8; pad++)
		strbuf_addch(&priv, pad);

	pubkey_blob(&pub, &key->pub);
	strbuf_add(&blob, OPENSSH_MAGIC, sizeof(OPENSSH_MAGIC));
	wire_put_cstring(&blob, "none");
	wire_put_cstring(&blob, "none");
	wire_put_cstring(&blob, "");
	wire_put_u32(&blob, 1);
	wire_put_string(&blob, pub.buf, pub.len);
	wire_put_string(&blob, priv.buf, priv.len);

	strbuf_addstr(out, OPENSSH_BEGIN "\n");
	base64_add(out, blob.buf, blob.len, 1);
	strbuf_addstr(out, OPENSSH_END "\n");
done:
	secure_zero(sk, sizeof(sk));
	secret_release(&blob);
	secret_release(&priv);
	strbuf_release(&pub);
	return err;
}

/* Writes `data` to a tempfile beside `path`, then links it into place. */
static int write_new_file(const char *path, const struct strbuf *data, int mode)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : slash - path)
			  : xstrdup(".");
	struct tempfile *t = tempfile_create(dir, ".mreg-key-", mode);
	int ret, err = 0;

	if (!t) {
		err = mreg_error_errno(MREG_EIO, "cannot create a file in", dir);
		goto done;
	}
	if (write_all(t->fd, data->buf, data->len) < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot write", t->path);
		goto done;
	}
	ret = tempfile_link(t, path);
	if (ret < 0)
		err = mreg_error_errno(MREG_EIO, "cannot write", path);
	else if (ret > 0)
		err = mreg_error_set(MREG_EEXISTS, "'%s' already exists", path);
done:
	tempfile_delete(t);
	free(dir);
	return err;
}

int mreg_key_save(const struct mreg_key *key, const char *path,
		  const char *comment)
{
	struct strbuf priv, pubpath = STRBUF_INIT, publine = STRBUF_INIT;
	char *line = NULL;
	struct stat st;
	int err, linked = 0;

	if (!comment)
		comment = key->comment ? key->comment : "";
	strbuf_init(&priv, 2 * (SECRET_HINT + strlen(comment)));
	if (!key->pkey) {
		err = mreg_error_set(MREG_EINVALID,
				     "a key held by ssh-agent cannot be saved");
		goto done;
	}
	if (strchr(comment, '\n') || strchr(comment, '\r')) {
		err = mreg_error_set(MREG_EINVALID,
				     "key comment must be a single line");
		goto done;
	}
	strbuf_addf(&pubpath, "%s.pub", path);
	if (!lstat(path, &st) || !lstat(pubpath.buf, &st)) {
		err = mreg_error_set(MREG_EEXISTS, "'%s' already exists",
				     !lstat(path, &st) ? path : pubpath.buf);
		goto done;
	}
	if ((err = format_openssh(&priv, key, comment)) < 0 ||
	    (err = mreg_key_public_line(&line, key, comment)) < 0)
		goto done;
	strbuf_addf(&publine, "%s\n", line);
	if ((err = write_new_file(path, &priv, 0600)) < 0)
		goto done;
	linked = 1;
	err = write_new_file(pubpath.buf, &publine, 0644);
done:
	if (err < 0 && linked)
		unlink(path);	/* we just made it: no half-written key pair */
	secret_release(&priv);
	strbuf_release(&pubpath);
	strbuf_release(&publine);
	free(line);
	return err;
}

int key_sign_raw(unsigned char sig[ED25519_SIG_SIZE], const struct mreg_key *key,
		 const void *data, size_t len)
{
	EVP_MD_CTX *ctx = NULL;
	size_t siglen = ED25519_SIG_SIZE;
	int err = 0;

	if (key->agent_sock)
		return agent_sign_raw(sig, key->agent_sock, &key->pub, data, len);
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, data, len) != 1 ||
	    siglen != ED25519_SIG_SIZE)
		err = mreg_error_openssl(MREG_ERROR, "cannot sign");
	EVP_MD_CTX_free(ctx);
	return err;
}
