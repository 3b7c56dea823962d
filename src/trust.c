/*
 * Trust roots: the keys pinned in a registry's own config
 * (mreg.trustRoot), where the trust of every signature starts.  They sign
 * the first policy, or, until there is one, every write.  They are pinned
 * by `mreg init` (the user's key, or --trust-root FILE), by the first
 * signed write when init had no key to pin, and by `mreg clone`.
 */
#include "chain.h"
#include "mreg/policy.h"
#include "mreg/status.h"

#include <stdlib.h>

struct roots {
	struct mreg_pubkey *keys;
	size_t nr, alloc;
};

static int add_root(const git_config_entry *e, void *payload)
{
	struct roots *r = payload;
	struct mreg_pubkey k;

	if (mreg_pubkey_parse(&k, e->value) < 0)
		return mreg_error_set(MREG_EINVALID,
				      "config mreg.trustroot is not a public key: '%s'",
				      e->value);
	ALLOC_GROW(r->keys, r->nr + 1, r->alloc);
	r->keys[r->nr++] = k;
	return 0;
}

int trust_roots(struct mreg_pubkey **out, size_t *nr, struct mreg_registry *reg)
{
	git_config *cfg = NULL;
	struct roots r = { NULL, 0, 0 };
	int err = 0, ret;

	*out = NULL;
	*nr = 0;
	if (local_config(&cfg, reg) < 0)
		return mreg_error_git("cannot read config");
	ret = git_config_get_multivar_foreach(cfg, "mreg.trustroot", NULL, add_root, &r);
	if (ret < 0 && ret != GIT_ENOTFOUND)
		err = ret == MREG_EINVALID ? ret : mreg_error_git("cannot read config");
	git_config_free(cfg);
	if (err < 0) {
		free(r.keys);
		return err;
	}
	*out = r.keys;
	*nr = r.nr;
	return 0;
}

static int root_pinned(struct mreg_registry *reg, const struct mreg_pubkey *key)
{
	struct mreg_pubkey *roots = NULL;
	size_t nr = 0, i;
	int found = 0;

	if (trust_roots(&roots, &nr, reg) < 0) {
		mreg_error_clear();	/* pinning says what is wrong */
		return 0;
	}
	for (i = 0; i < nr && !found; i++)
		found = !memcmp(roots[i].ed25519, key->ed25519, sizeof(key->ed25519));
	free(roots);
	return found;
}

/* Pins `key` unless it is pinned already. */
int trust_root_add(struct mreg_registry *reg, const struct mreg_pubkey *key,
		   const char *comment)
{
	git_config *cfg = NULL, *local = NULL;
	struct strbuf val = STRBUF_INIT;
	char *line = NULL;
	int err;

	if (root_pinned(reg, key))
		return 0;
	if ((err = mreg_pubkey_format(&line, key)) < 0)
		return err;
	strbuf_addstr(&val, line);
	if (comment && *comment)
		strbuf_addf(&val, " %s", comment);
	if (git_repository_config(&cfg, reg->repo) < 0 ||
	    git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL) < 0 ||
	    git_config_set_multivar(local, "mreg.trustroot", "^$", val.buf) < 0)
		err = mreg_error_git("cannot pin the trust root");
	git_config_free(local);
	git_config_free(cfg);
	strbuf_release(&val);
	free(line);
	return err;
}

int mreg_trust_root_count(size_t *out, struct mreg_registry *reg)
{
	struct mreg_pubkey *keys = NULL;
	int err = trust_roots(&keys, out, reg);

	free(keys);
	return err;
}

int mreg_trust_root_pin(struct mreg_registry *reg, const char *line)
{
	struct mreg_pubkey key;
	const char *s = strchr(line, ' ');
	int err;

	if ((err = mreg_pubkey_parse(&key, line)) < 0)
		return err;
	s = s ? strchr(s + 1, ' ') : NULL;
	return trust_root_add(reg, &key, s ? s + 1 : NULL);
}

/*
 * Every key of a file of public key lines or allowed_signers lines, all
 * read before any is pinned: a bad line pins nothing.
 */
int mreg_trust_root_pin_file(char **pinned, struct mreg_registry *reg, const char *file)
{
	struct strbuf text = STRBUF_INIT, fps = STRBUF_INIT;
	struct mreg_pubkey *keys = NULL;
	size_t nr = 0, alloc = 0, i;
	const char *line;
	int err = 0;

	*pinned = NULL;
	if (strbuf_read_file(&text, file, 1024 * 1024) < 0)
		return mreg_error_errno(errno == ENOENT ? MREG_ENOTFOUND : MREG_EIO,
					"cannot read", file);
	for (line = text.buf; line && *line && !err; ) {
		const char *eol = strchr(line, '\n');
		char *l = xstrndup(line, eol ? (size_t)(eol - line) : strlen(line));
		const char *k = strstr(l, "ssh-");

		/* a public key line, or an allowed_signers line (principal first) */
		if (*l && *l != '#' && k) {
			ALLOC_GROW(keys, nr + 1, alloc);
			if (mreg_pubkey_parse(&keys[nr++], k) < 0)
				err = mreg_error_set(MREG_EINVALID, "%s: %s", file, mreg_error_last());
		}
		free(l);
		line = eol ? eol + 1 : NULL;
	}
	if (!err && !nr)
		err = mreg_error_set(MREG_EINVALID, "%s holds no ssh-ed25519 key", file);
	for (i = 0; i < nr && !err; i++) {
		char *fp = NULL;

		if ((err = trust_root_add(reg, &keys[i], NULL)) >= 0 &&
		    (err = mreg_pubkey_fingerprint(&fp, &keys[i])) >= 0)
			strbuf_addf(&fps, "%s%s", i ? ", " : "", fp);
		free(fp);
	}
	if (!err)
		*pinned = strbuf_detach(&fps, NULL);
	free(keys);
	strbuf_release(&text);
	strbuf_release(&fps);
	return err;
}

int mreg_trust_root_pin_signer(char **fingerprint, struct mreg_registry *reg)
{
	struct mreg_key *key = NULL;
	struct mreg_pubkey pub;
	char *email = NULL;
	int err;

	*fingerprint = NULL;
	if ((err = signing_key_load(&key, reg)) < 0)
		return err;
	mreg_key_pubkey(&pub, key);
	if (mreg_config_get(&email, reg, "user.email") < 0)
		mreg_error_clear();	/* the comment is only a label */
	if ((err = trust_root_add(reg, &pub, email)) >= 0)
		err = mreg_key_fingerprint(fingerprint, key);
	free(email);
	mreg_key_free(key);
	return err;
}
