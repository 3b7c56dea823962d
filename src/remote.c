/*
 * Remotes: their configuration, and the callbacks every connection uses:
 * credentials for ssh, and a host key check against known_hosts that
 * refuses hosts it does not know.
 */
#include "internal.h"
#include "remote.h"
#include "mreg/name.h"
#include "mreg/remote.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int check_remote_name(const char *name)
{
	return mreg_name_check("remote name", name);
}

int mreg_remote_add(struct mreg_registry *reg, const char *name, const char *url)
{
	git_remote *r = NULL;
	struct strbuf spec = STRBUF_INIT;
	char *abs = NULL;
	int err, ret;

	if ((err = check_remote_name(name)) < 0)
		return err;
	if (!*url)
		return mreg_error_set(MREG_EINVALID, "empty remote URL");
	strbuf_addf(&spec, "+refs/mreg/*:refs/mreg-remotes/%s/*", name);
	/* A local path is kept absolute: commands run from anywhere. */
	if (!strstr(url, "://") && (url[0] == '/' || url[0] == '.' || !strchr(url, ':'))) {
		if ((abs = realpath(url, NULL))) {
			url = abs;
		} else {
			/* not there yet: resolve its directory, keep its name */
			const char *slash = strrchr(url, '/');
			char *dir = slash ? xstrndup(url, slash - url + (slash == url)) : xstrdup(".");
			char *real = realpath(dir, NULL);
			struct strbuf sb = STRBUF_INIT;

			if (real) {
				strbuf_addf(&sb, "%s/%s", strcmp(real, "/") ? real : "",
					    slash ? slash + 1 : url);
				abs = strbuf_detach(&sb, NULL);
				url = abs;
			}
			free(real);
			free(dir);
		}
	}
	ret = git_remote_create_with_fetchspec(&r, reg->repo, name, url, spec.buf);
	if (ret == GIT_EEXISTS)
		err = mreg_error_set(MREG_EEXISTS, "remote '%s' already exists", name);
	else if (ret < 0)
		err = mreg_error_git("cannot add remote");
	git_remote_free(r);
	free(abs);
	strbuf_release(&spec);
	return err;
}

int mreg_remote_remove(struct mreg_registry *reg, const char *name)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	struct strbuf glob = STRBUF_INIT;
	git_remote *r = NULL;
	int err;

	if ((err = check_remote_name(name)) < 0)
		return err;
	if (git_remote_lookup(&r, reg->repo, name) < 0)
		return mreg_error_set(MREG_ENOTFOUND, "no such remote '%s'", name);
	git_remote_free(r);
	if (git_remote_delete(reg->repo, name) < 0)
		return mreg_error_git("cannot remove remote");
	strbuf_addf(&glob, "refs/mreg-remotes/%s/*", name);
	if (!git_reference_iterator_glob_new(&it, reg->repo, glob.buf)) {
		while (!git_reference_next(&ref, it)) {
			git_reference_delete(ref);
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	strbuf_release(&glob);
	return 0;
}

int mreg_remote_list(struct mreg_registry *reg,
		     int (*fn)(const char *name, const char *url, void *payload),
		     void *payload)
{
	git_strarray names = { NULL, 0 };
	size_t i;
	int err = 0;

	if (git_remote_list(&names, reg->repo) < 0)
		return mreg_error_git("cannot list remotes");
	for (i = 0; i < names.count && !err; i++) {
		git_remote *r = NULL;

		if (git_remote_lookup(&r, reg->repo, names.strings[i]) < 0)
			continue;
		err = fn(names.strings[i], git_remote_url(r), payload);
		git_remote_free(r);
	}
	git_strarray_dispose(&names);
	return err;
}

/* ssh://[user@]host[:port]/path or [user@]host:path: the host and port. */
static void url_host_port(struct strbuf *host, int *port, const char *url)
{
	const char *p = url, *end;

	*port = 22;
	if (starts_with(p, "ssh://"))
		p += 6;
	if ((end = strchr(p, '@')) && (!strchr(p, '/') || end < strchr(p, '/')))
		p = end + 1;
	if (*p == '[') {
		end = strchr(p, ']');
		strbuf_add(host, p + 1, end ? (size_t)(end - p - 1) : strlen(p + 1));
		p = end ? end + 1 : p + strlen(p);
	} else {
		end = p + strcspn(p, ":/");
		strbuf_add(host, p, end - p);
		p = end;
	}
	if (starts_with(url, "ssh://") && *p == ':')
		*port = atoi(p + 1);
}

/* "|1|salt|hash" entries: HMAC-SHA1 of the host name keyed by the salt. */
static int hashed_match(const char *pattern, size_t len, const char *name)
{
	unsigned char salt[64], want[64], got[EVP_MAX_MD_SIZE];
	unsigned int glen = 0;
	const char *bar = memchr(pattern + 3, '|', len - 3);
	int sl, wl;

	if (!bar || bar - (pattern + 3) > 88 || (pattern + len) - (bar + 1) > 88)
		return 0;
	sl = EVP_DecodeBlock(salt, (const unsigned char *)pattern + 3, (int)(bar - pattern - 3));
	wl = EVP_DecodeBlock(want, (const unsigned char *)bar + 1, (int)(pattern + len - bar - 1));
	if (sl < 20 || wl < 20)
		return 0;
	HMAC(EVP_sha1(), salt, 20, (const unsigned char *)name, strlen(name), got, &glen);
	return glen == 20 && !memcmp(got, want, 20);
}

static int host_matches(const char *field, size_t len, const char *name)
{
	const char *p = field, *end = field + len;

	if (len > 3 && starts_with(field, "|1|"))
		return hashed_match(field, len, name);
	while (p < end) {
		const char *comma = memchr(p, ',', end - p);
		size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);

		if (n == strlen(name) && !memcmp(p, name, n))
			return 1;
		p += n + 1;
	}
	return 0;
}

/* 1 if known_hosts lists `name` with this key blob; 0 if not. */
static int known_host(const char *file, const char *name, const char *blob, size_t bloblen)
{
	struct strbuf text = STRBUF_INIT;
	char *b64 = xmalloc(4 * ((bloblen + 2) / 3) + 1);
	const char *line;
	int found = 0;

	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)blob, (int)bloblen);
	if (strbuf_read_file(&text, file, 16 * 1024 * 1024) < 0)
		goto done;
	for (line = text.buf; line && *line && !found; ) {
		const char *eol = strchr(line, '\n'), *sp1, *sp2;
		size_t llen = eol ? (size_t)(eol - line) : strlen(line);

		sp1 = memchr(line, ' ', llen);
		sp2 = sp1 ? memchr(sp1 + 1, ' ', llen - (sp1 + 1 - line)) : NULL;
		if (*line != '#' && *line != '@' && sp1 && sp2 &&
		    host_matches(line, sp1 - line, name)) {
			const char *k = sp2 + 1;
			size_t klen = llen - (k - line);

			klen = strcspn(k, " \r\n") < klen ? strcspn(k, " \r\n") : klen;
			found = klen == strlen(b64) && !memcmp(k, b64, klen);
		}
		line = eol ? eol + 1 : NULL;
	}
done:
	strbuf_release(&text);
	free(b64);
	return found;
}

int remote_certificate_check(git_cert *cert, int valid, const char *host, void *payload)
{
	struct remote_ctx *ctx = payload;
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	const char *env = getenv("MREG_SSH_KNOWN_HOSTS");
	struct strbuf file = STRBUF_INIT, name = STRBUF_INIT, hostname = STRBUF_INIT;
	int port, ok = 0;

	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return valid ? 0 : GIT_ECERTIFICATE;
	if (!(hk->type & GIT_CERT_SSH_RAW)) {
		mreg_error_set(MREG_EBADSIG, "the ssh host key of '%s' cannot be checked", host);
		return GIT_EUSER;
	}
	url_host_port(&hostname, &port, ctx->url);
	if (port == 22)
		strbuf_addstr(&name, hostname.buf);
	else
		strbuf_addf(&name, "[%s]:%d", hostname.buf, port);
	if (env && *env)
		strbuf_addstr(&file, env);
	else
		strbuf_addf(&file, "%s/.ssh/known_hosts", getenv("HOME") ? getenv("HOME") : "");
	ok = known_host(file.buf, name.buf, hk->hostkey, hk->hostkey_len);
	if (!ok) {
		struct strbuf scan = STRBUF_INIT;

		strbuf_addstr(&scan, "ssh-keyscan ");
		if (port != 22)
			strbuf_addf(&scan, "-p %d ", port);
		mreg_error_set(MREG_EBADSIG,
			       "the host key of '%s' is not in %s; check it and add it "
			       "(%s%s >> %s)", name.buf, file.buf, scan.buf, hostname.buf,
			       file.buf);
		ctx->said = 1;
		strbuf_release(&scan);
	}
	strbuf_release(&file);
	strbuf_release(&name);
	strbuf_release(&hostname);
	return ok ? 0 : GIT_EUSER;
}

int remote_credentials(git_credential **out, const char *url, const char *user_from_url,
		       unsigned int allowed, void *payload)
{
	struct remote_ctx *ctx = payload;
	const char *user = user_from_url ? user_from_url : getenv("USER");
	const char *key = getenv("MREG_SSH_KEY");
	struct strbuf priv = STRBUF_INIT, pub = STRBUF_INIT;
	int r;

	if (!user)
		user = "git";
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY) || ctx->attempts++ > 1) {
		mreg_error_set(MREG_EBADSIG, "cannot authenticate to '%s'", url);
		ctx->said = 1;
		return GIT_EUSER;
	}
	/* First the agent, then a key file ($MREG_SSH_KEY or ~/.ssh/id_ed25519). */
	if (ctx->attempts == 1 && getenv("SSH_AUTH_SOCK") && !key)
		return git_credential_ssh_key_from_agent(out, user);
	if (key && *key)
		strbuf_addstr(&priv, key);
	else
		strbuf_addf(&priv, "%s/.ssh/id_ed25519", getenv("HOME") ? getenv("HOME") : "");
	strbuf_addf(&pub, "%s.pub", priv.buf);
	r = git_credential_ssh_key_new(out, user, pub.buf, priv.buf, NULL);
	strbuf_release(&priv);
	strbuf_release(&pub);
	return r;
}

void remote_callbacks(git_remote_callbacks *cb, struct remote_ctx *ctx)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = remote_credentials;
	cb->certificate_check = remote_certificate_check;
	cb->payload = ctx;
}

/* libgit2's error, unless a callback of ours already said why. */
int remote_error(struct remote_ctx *ctx, const char *what)
{
	const git_error *e = git_error_last();

	if (ctx->said || (e && e->klass == GIT_ERROR_CALLBACK && *mreg_error_last()))
		return mreg_error_code() ? mreg_error_code() : MREG_EIO;
	return mreg_error_set(MREG_EIO, "%s '%s': %s", what, ctx->url,
			      e && e->message ? e->message : "failed");
}
