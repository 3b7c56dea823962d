/*
 * Finding, creating and opening registries.  A registry is a bare git
 * repository managed with libgit2 plus two directories of mreg's own.
 */
#include "internal.h"
#include "tempfile.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* What `mreg init` writes into the config, and why (DESIGN §2). */
static const struct { const char *key, *value; } init_config[] = {
	/* libgit2 writes no reflog for refs/mreg/... in a bare repo otherwise */
	{ "core.logAllRefUpdates", "always" },
	/* libgit2 1.5 reads its big-file threshold from pack.deltaCacheSize */
	{ "pack.deltaCacheSize", "1" },
	{ "core.bigFileThreshold", "1m" },
	{ "pack.window", "0" },
	{ "mreg.formatVersion", "1" },
};

static int is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static char *absolute(const char *path)
{
	char *r = realpath(path, NULL);

	return r ? r : xstrdup(path);
}

static int looks_like_registry(const char *dir)
{
	struct strbuf p = STRBUF_INIT;
	int ok;

	strbuf_addf(&p, "%s/artifacts", dir);
	ok = is_dir(p.buf);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/objects", dir);
	ok = ok && is_dir(p.buf);
	strbuf_release(&p);
	return ok;
}

static struct mreg_registry *registry_new(git_repository *repo, const char *dir)
{
	struct mreg_registry *reg = xcalloc(1, sizeof(*reg));
	struct strbuf p = STRBUF_INIT;

	reg->repo = repo;
	reg->dir = absolute(dir);
	strbuf_addf(&p, "%s/artifacts", reg->dir);
	reg->artifacts = strbuf_detach(&p, NULL);
	strbuf_addf(&p, "%s/tmp", reg->dir);
	reg->tmp = strbuf_detach(&p, NULL);
	return reg;
}

int mreg_registry_init(struct mreg_registry **out, const char *dir, int *created)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	struct mreg_registry *reg = NULL;
	git_repository_init_options opts;
	size_t i;
	int err = 0;

	*out = NULL;
	*created = !looks_like_registry(dir);
	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	opts.description = "mreg model registry\n";
	if (git_repository_init_ext(&repo, dir, &opts) < 0) {
		err = mreg_error_git("cannot create registry");
		goto done;
	}
	if (git_repository_config(&cfg, repo) < 0) {
		err = mreg_error_git("cannot read registry config");
		goto done;
	}
	for (i = 0; i < ARRAY_SIZE(init_config); i++)
		if (git_config_set_string(cfg, init_config[i].key,
					  init_config[i].value) < 0) {
			err = mreg_error_git("cannot write registry config");
			goto done;
		}
	reg = registry_new(repo, dir);
	repo = NULL;
	if (mkdir_p(reg->artifacts) < 0 || mkdir_p(reg->tmp) < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot create", reg->artifacts);
		goto done;
	}
	*out = reg;
	reg = NULL;
done:
	git_config_free(cfg);
	git_repository_free(repo);
	mreg_registry_free(reg);
	return err;
}

int mreg_registry_open(struct mreg_registry **out, const char *dir)
{
	git_repository *repo = NULL;

	*out = NULL;
	if (!looks_like_registry(dir))
		return mreg_error_set(MREG_ENOTFOUND,
				      "not an mreg registry: '%s'", dir);
	if (git_repository_open_bare(&repo, dir) < 0)
		return mreg_error_git("cannot open registry");
	*out = registry_new(repo, dir);
	return 0;
}

/* 1 if `dir` is listed in $MREG_CEILING_DIRECTORIES (colon-separated). */
static int is_ceiling(const char *dir)
{
	const char *list = getenv("MREG_CEILING_DIRECTORIES"), *p;
	size_t n = strlen(dir);

	for (p = list; p && *p; ) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);

		while (len > 1 && p[len - 1] == '/')
			len--;
		if (len == n && !strncmp(p, dir, n))
			return 1;
		p = colon ? colon + 1 : NULL;
	}
	return 0;
}

int mreg_registry_locate(char **out, const char *explicit_dir, const char *start)
{
	const char *env = getenv("MREG_DIR");
	struct strbuf cur = STRBUF_INIT, probe = STRBUF_INIT;
	int err = 0;

	*out = NULL;
	if (explicit_dir || (env && *env)) {
		const char *dir = explicit_dir ? explicit_dir : env;

		if (!looks_like_registry(dir))
			return mreg_error_set(MREG_ENOTFOUND, "not an mreg registry: '%s'", dir);
		*out = xstrdup(dir);
		return 0;
	}
	{
		char *abs = absolute(start ? start : ".");

		strbuf_addstr(&cur, abs);
		free(abs);
	}
	for (;;) {
		char *slash;

		strbuf_reset(&probe);
		strbuf_addf(&probe, "%s%s.mreg",
			    strcmp(cur.buf, "/") ? cur.buf : "",
			    "/");
		if (looks_like_registry(probe.buf)) {
			*out = strbuf_detach(&probe, NULL);
			goto done;
		}
		slash = strrchr(cur.buf, '/');
		if (!slash || cur.len <= 1)
			break;
		strbuf_setlen(&cur, slash == cur.buf ? 1 : (size_t)(slash - cur.buf));
		/* like git's ceilings: never look into one */
		if (is_ceiling(cur.buf))
			break;
	}
	err = mreg_error_set(MREG_ENOTFOUND,
			     "not in an mreg registry (or any parent up to /); "
			     "run 'mreg init' or use -R DIR");
done:
	strbuf_release(&cur);
	strbuf_release(&probe);
	return err;
}

int mreg_registry_discover(struct mreg_registry **out, const char *explicit_dir,
			   const char *start)
{
	char *dir = NULL;
	int err;

	*out = NULL;
	if ((err = mreg_registry_locate(&dir, explicit_dir, start)) < 0)
		return err;
	err = mreg_registry_open(out, dir);
	free(dir);
	return err;
}

void mreg_registry_free(struct mreg_registry *reg)
{
	if (!reg)
		return;
	git_repository_free(reg->repo);
	free(reg->dir);
	free(reg->artifacts);
	free(reg->tmp);
	free(reg);
}

const char *mreg_registry_path(const struct mreg_registry *reg)
{
	return reg->dir;
}

static int open_config(git_config **out, struct mreg_registry *reg, int writable)
{
	int r = writable ? git_repository_config(out, reg->repo)
			 : git_repository_config_snapshot(out, reg->repo);

	return r < 0 ? mreg_error_git("cannot read config") : 0;
}

static int check_key(const char *key)
{
	const char *dot = strchr(key, '.'), *last = strrchr(key, '.');

	if (!dot || dot == key || !last[1])
		return mreg_error_set(MREG_EINVALID,
				      "invalid config key '%s': use section.name", key);
	return 0;
}

int mreg_config_get(char **out, struct mreg_registry *reg, const char *key)
{
	git_config *cfg = NULL;
	git_buf buf = GIT_BUF_INIT;
	int err, r;

	*out = NULL;
	if ((err = check_key(key)) < 0 || (err = open_config(&cfg, reg, 0)) < 0)
		return err;
	r = git_config_get_string_buf(&buf, cfg, key);
	if (r == GIT_ENOTFOUND)
		err = mreg_error_set(MREG_ENOTFOUND, "no config value for '%s'", key);
	else if (r < 0)
		err = mreg_error_git("cannot read config");
	else
		*out = xstrdup(buf.ptr);
	git_buf_dispose(&buf);
	git_config_free(cfg);
	return err;
}

int mreg_config_set(struct mreg_registry *reg, const char *key, const char *value)
{
	git_config *cfg = NULL, *local = NULL;
	int err;

	if ((err = check_key(key)) < 0)
		return err;
	if ((err = open_config(&cfg, reg, 1)) < 0)
		return err;
	if (git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL) < 0 ||
	    git_config_set_string(local, key, value) < 0)
		err = mreg_error_git("cannot write config");
	git_config_free(local);
	git_config_free(cfg);
	return err;
}

int mreg_config_unset(struct mreg_registry *reg, const char *key)
{
	git_config *cfg = NULL, *local = NULL;
	int err, r;

	if ((err = check_key(key)) < 0)
		return err;
	if ((err = open_config(&cfg, reg, 1)) < 0)
		return err;
	if (git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL) < 0) {
		err = mreg_error_git("cannot write config");
	} else {
		r = git_config_delete_entry(local, key);
		if (r == GIT_ENOTFOUND)
			err = mreg_error_set(MREG_ENOTFOUND,
					     "no config value for '%s'", key);
		else if (r < 0)
			err = mreg_error_git("cannot write config");
	}
	git_config_free(local);
	git_config_free(cfg);
	return err;
}

int mreg_config_foreach(struct mreg_registry *reg,
			int (*fn)(const char *key, const char *value, void *payload),
			void *payload)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	int err, r;

	if ((err = open_config(&cfg, reg, 0)) < 0)
		return err;
	if (git_config_iterator_new(&it, cfg) < 0) {
		err = mreg_error_git("cannot read config");
		goto done;
	}
	while (!(r = git_config_next(&e, it)))
		if ((err = fn(e->name, e->value, payload)) != 0)
			goto done;
	if (r != GIT_ITEROVER)
		err = mreg_error_git("cannot read config");
done:
	git_config_iterator_free(it);
	git_config_free(cfg);
	return err;
}

int mreg_signature_now(git_signature **out, struct mreg_registry *reg)
{
	char *name = NULL, *email = NULL;
	int err = 0;

	if (mreg_config_get(&name, reg, "user.name") < 0 ||
	    mreg_config_get(&email, reg, "user.email") < 0) {
		err = mreg_error_set(MREG_EINVALID,
			"no identity: set it with 'mreg config set user.name NAME' "
			"and 'mreg config set user.email EMAIL'");
		goto done;
	}
	if (git_signature_now(out, name, email) < 0)
		err = mreg_error_git("invalid identity");
done:
	free(name);
	free(email);
	return err;
}
