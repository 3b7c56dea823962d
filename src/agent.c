/*
 * Signing through ssh-agent: the client half of the agent protocol
 * (draft-miller-ssh-agent), just the two requests mreg needs.  Each
 * request opens its own connection to $SSH_AUTH_SOCK, as the socket seen
 * when the key was opened.  Encrypted and hardware keys sign this way.
 */
#include "internal.h"
#include "sign-internal.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SSH_AGENT_FAILURE 5
#define SSH2_AGENTC_REQUEST_IDENTITIES 11
#define SSH2_AGENT_IDENTITIES_ANSWER 12
#define SSH2_AGENTC_SIGN_REQUEST 13
#define SSH2_AGENT_SIGN_RESPONSE 14
#define AGENT_MAX_REPLY (256 * 1024)
#define PUBKEY_FILE_MAX (64 * 1024)

static int agent_connect(int *out, const char *sock)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sun.sun_path))
		return mreg_error_set(MREG_EINVALID,
				      "ssh-agent socket path too long: '%s'", sock);
	memcpy(sun.sun_path, sock, strlen(sock));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return mreg_error_errno(MREG_EIO, "cannot connect to ssh-agent at",
					sock);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return mreg_error_errno(MREG_EIO, "cannot connect to ssh-agent at",
					sock);
	}
	*out = fd;
	return 0;
}

/* send() that never raises SIGPIPE when the agent has gone away. */
static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Sends the message `req` (type byte and body) and reads the reply into
 * `reply`, without its length prefix.
 */
static int agent_request(struct strbuf *reply, const char *sock,
			 const struct strbuf *req)
{
	struct strbuf msg = STRBUF_INIT;
	unsigned char hdr[4];
	struct wire w;
	uint32_t len;
	ssize_t n;
	int fd = -1, err;

	if ((err = agent_connect(&fd, sock)) < 0)
		goto done;
	wire_put_string(&msg, req->buf, req->len);
	if (send_all(fd, msg.buf, msg.len) < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot talk to ssh-agent at", sock);
		goto done;
	}
	n = xread(fd, hdr, sizeof(hdr));
	w.p = hdr;
	w.len = n < 0 ? 0 : (size_t)n;
	if (wire_get_u32(&w, &len) < 0 || !len || len > AGENT_MAX_REPLY) {
		err = mreg_error_set(MREG_EIO, "bad reply from ssh-agent at '%s'",
				     sock);
		goto done;
	}
	strbuf_grow(reply, len);
	n = xread(fd, reply->buf, len);
	if (n < 0 || (size_t)n != len) {
		err = mreg_error_set(MREG_EIO, "short reply from ssh-agent at '%s'",
				     sock);
		goto done;
	}
	strbuf_setlen(reply, len);
done:
	if (fd >= 0)
		close(fd);
	strbuf_release(&msg);
	return err;
}

/* Finds `key` among the agent's identities; its comment goes to `comment`. */
static int agent_has_key(char **comment, const char *sock,
			 const struct mreg_pubkey *key)
{
	struct strbuf req = STRBUF_INIT, reply = STRBUF_INIT;
	struct wire w, blob, text;
	struct mreg_pubkey pub;
	unsigned char type;
	uint32_t nkeys, i;
	char *fp = NULL;
	int err;

	strbuf_addch(&req, SSH2_AGENTC_REQUEST_IDENTITIES);
	if ((err = agent_request(&reply, sock, &req)) < 0)
		goto done;
	w.p = (const unsigned char *)reply.buf;
	w.len = reply.len;
	if (wire_get_u8(&w, &type) < 0 || type != SSH2_AGENT_IDENTITIES_ANSWER ||
	    wire_get_u32(&w, &nkeys) < 0) {
		err = mreg_error_set(MREG_EIO,
				     "ssh-agent at '%s' did not list its keys", sock);
		goto done;
	}
	for (i = 0; i < nkeys; i++) {
		if (wire_get_string(&w, &blob) < 0 ||
		    wire_get_string(&w, &text) < 0) {
			err = mreg_error_set(MREG_EIO,
					     "bad key list from ssh-agent at '%s'",
					     sock);
			goto done;
		}
		if (!pubkey_from_blob(&pub, &blob) && mreg_pubkey_equal(&pub, key)) {
			*comment = text.len ? xstrndup((const char *)text.p,
						       text.len) : NULL;
			goto done;
		}
	}
	if ((err = mreg_pubkey_fingerprint(&fp, key)) < 0)
		goto done;
	err = mreg_error_set(MREG_ENOTFOUND, "ssh-agent does not hold key %s", fp);
done:
	free(fp);
	strbuf_release(&req);
	strbuf_release(&reply);
	return err;
}

/* The public key line that `spec` gives or names (see mreg_key_from_agent). */
static int read_spec(struct mreg_pubkey *out, const char *spec)
{
	struct strbuf text = STRBUF_INIT;
	int err;

	if (starts_with(spec, "key::"))
		spec += strlen("key::");
	if (starts_with(spec, "ssh-"))
		return mreg_pubkey_parse(out, spec);
	if (strbuf_read_file(&text, spec, PUBKEY_FILE_MAX) < 0) {
		err = mreg_error_errno(errno == ENOENT ? MREG_ENOTFOUND : MREG_EIO,
				       "cannot read public key", spec);
		goto done;
	}
	err = mreg_pubkey_parse(out, text.buf);
done:
	strbuf_release(&text);
	return err;
}

int mreg_key_from_agent(struct mreg_key **out, const char *spec)
{
	struct mreg_key *key = xcalloc(1, sizeof(*key));
	const char *sock = getenv("SSH_AUTH_SOCK");
	int err;

	if ((err = read_spec(&key->pub, spec)) < 0)
		goto done;
	if (!sock || !*sock) {
		err = mreg_error_set(MREG_ENOTFOUND,
				     "no ssh-agent: SSH_AUTH_SOCK is not set");
		goto done;
	}
	key->agent_sock = xstrdup(sock);
	err = agent_has_key(&key->comment, sock, &key->pub);
done:
	if (err < 0)
		mreg_key_free(key);
	else
		*out = key;
	return err;
}

int agent_sign_raw(unsigned char sig[ED25519_SIG_SIZE], const char *sock,
		   const struct mreg_pubkey *key, const void *data, size_t len)
{
	struct strbuf req = STRBUF_INIT, reply = STRBUF_INIT, blob = STRBUF_INIT;
	struct wire w, sigblob, type, raw;
	unsigned char code = 0;
	int err;

	pubkey_blob(&blob, key);
	strbuf_addch(&req, SSH2_AGENTC_SIGN_REQUEST);
	wire_put_string(&req, blob.buf, blob.len);
	wire_put_string(&req, data, len);
	wire_put_u32(&req, 0);	/* flags: none apply to ssh-ed25519 */
	if ((err = agent_request(&reply, sock, &req)) < 0)
		goto done;
	w.p = (const unsigned char *)reply.buf;
	w.len = reply.len;
	if (wire_get_u8(&w, &code) < 0 || code != SSH2_AGENT_SIGN_RESPONSE) {
		err = mreg_error_set(MREG_ERROR, "ssh-agent refused to sign%s",
				     code == SSH_AGENT_FAILURE ? "" :
				     " (unexpected reply)");
		goto done;
	}
	if (wire_get_string(&w, &sigblob) < 0 ||
	    wire_get_string(&sigblob, &type) < 0 ||
	    !wire_is(&type, KEYTYPE_ED25519) ||
	    wire_get_string(&sigblob, &raw) < 0 || raw.len != ED25519_SIG_SIZE) {
		err = mreg_error_set(MREG_ERROR,
				     "ssh-agent returned a malformed signature");
		goto done;
	}
	/* An agent is another process: trust, but check. */
	if (ed25519_verify(key, raw.p, data, len) < 0) {
		err = mreg_error_set(MREG_EBADSIG,
				     "ssh-agent returned a signature that does not verify");
		goto done;
	}
	memcpy(sig, raw.p, ED25519_SIG_SIZE);
done:
	strbuf_release(&req);
	strbuf_release(&reply);
	strbuf_release(&blob);
	return err;
}
