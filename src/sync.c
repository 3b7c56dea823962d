/*
 * Sync: fetch (download into refs/mreg-remotes/<remote>/, fetch the
 * artifacts the new versions need, verify every chain that would move,
 * then fast-forward local refs in one transaction) and clone (a new
 * registry, its trust root pinned, then a fetch), and what push shares
 * with them.  Push (artifacts first, then the refs that moved, never
 * forced) is in sync-push.c.
 */
#define _XOPEN_SOURCE 700
#include "internal.h"
#include "chain.h"
#include "remote.h"
#include "sync.h"
#include "verify.h"
#include "xfer.h"
#include "mreg/model.h"
#include "mreg/remote.h"
#include "mreg/name.h"
#include "mreg/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

void sync_pack_refs(git_repository *repo)
{
	git_refdb *refdb = NULL;

	if (!git_repository_refdb(&refdb, repo))
		git_refdb_compress(refdb);
	git_refdb_free(refdb);
}

void reflist_release(struct reflist *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void reflist_add(struct reflist *l, const char *name, const git_oid *id)
{
	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	l->v[l->nr].name = xstrdup(name);
	l->v[l->nr++].id = *id;
}

static int refval_order(const void *a, const void *b)
{
	return strcmp(((const struct refval *)a)->name, ((const struct refval *)b)->name);
}

void reflist_sort(struct reflist *l)
{
	if (l->nr)
		qsort(l->v, l->nr, sizeof(*l->v), refval_order);
}

const git_oid *reflist_find(const struct reflist *l, const char *name)
{
	struct refval key, *hit;

	if (!l->nr)
		return NULL;
	key.name = (char *)name;
	hit = bsearch(&key, l->v, l->nr, sizeof(*l->v), refval_order);
	return hit ? &hit->id : NULL;
}

int sync_list_refs(struct reflist *out, struct mreg_registry *reg, const char *prefix)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	struct strbuf glob = STRBUF_INIT;
	size_t plen = strlen(prefix);

	memset(out, 0, sizeof(*out));
	strbuf_addf(&glob, "%s*", prefix);
	if (git_reference_iterator_glob_new(&it, reg->repo, glob.buf) < 0) {
		strbuf_release(&glob);
		return mreg_error_git("cannot read refs");
	}
	while (!git_reference_next(&ref, it)) {
		const git_oid *id = git_reference_target(ref);

		if (id && starts_with(git_reference_name(ref), prefix))
			reflist_add(out, git_reference_name(ref) + plen, id);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	strbuf_release(&glob);
	reflist_sort(out);
	return 0;
}

void sync_report_ref(mreg_sync_report_fn fn, void *payload, const char *ref,
		     const char *status, const git_oid *old, const git_oid *new,
		     const char *message)
{
	struct mreg_sync_ref r;
	char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
	struct strbuf full = STRBUF_INIT;

	if (!fn)
		return;
	strbuf_addf(&full, "refs/mreg/%s", ref);
	memset(&r, 0, sizeof(r));
	r.ref = full.buf;
	r.status = status;
	if (old && !git_oid_is_zero(old))
		r.old_id = git_oid_tostr(a, sizeof(a), old);
	if (new && !git_oid_is_zero(new))
		r.new_id = git_oid_tostr(b, sizeof(b), new);
	r.message = message;
	fn(&r, payload);
	strbuf_release(&full);
}

int sync_parse_ref(enum chain_kind *kind, int *model, char **name, char **version,
		   const char *ref)
{
	const char *rest, *slash;

	*name = *version = NULL;
	*model = 0;
	if (!strcmp(ref, "policy")) {
		*kind = CHAIN_POLICY;
		return 1;
	}
	if (starts_with(ref, "routes/")) {
		*kind = CHAIN_ROUTE;
		*name = xstrdup(ref + 7);
		return !mreg_name_check("route name", *name);
	}
	if (!starts_with(ref, "status/") && !starts_with(ref, "models/"))
		return 0;
	*kind = CHAIN_STATUS;
	*model = starts_with(ref, "models/");
	rest = ref + 7;
	slash = strchr(rest, '/');
	if (!slash || strchr(slash + 1, '/'))
		return 0;
	*name = xstrndup(rest, slash - rest);
	*version = xstrdup(slash + 1);
	return !mreg_name_check("model name", *name) &&
	       !mreg_name_check("model version", *version);
}

void plan_release(struct plan *p)
{
	size_t i;

	reflist_release(&p->before);
	reflist_release(&p->staged);
	reflist_release(&p->local);
	for (i = 0; i < p->nr_moves; i++)
		strbuf_release(&p->names[i]);
	free(p->names);
	free(p->moves);
	strbuf_release(&p->prefix);
}

static void plan_move(struct plan *p, const char *ref, const git_oid *old, const git_oid *new)
{
	ALLOC_GROW(p->moves, p->nr_moves + 1, p->alloc_moves);
	ALLOC_GROW(p->names, p->nr_moves + 1, p->alloc_names);
	strbuf_init(&p->names[p->nr_moves], 0);
	strbuf_addf(&p->names[p->nr_moves], "refs/mreg/%s", ref);
	memset(&p->moves[p->nr_moves], 0, sizeof(p->moves[0]));
	if (old)
		p->moves[p->nr_moves].old = *old;
	p->moves[p->nr_moves].new = *new;
	p->moves[p->nr_moves].name = p->names[p->nr_moves].buf;
	p->nr_moves++;
}

static void refuse(struct plan *p, const char *ref, const char *status,
		   const git_oid *old, const git_oid *new, const char *msg)
{
	p->refused++;
	sync_report_ref(p->fn, p->payload, ref, status, old, new, msg);
}

static int download(struct mreg_registry *reg, const char *remote, const char *url)
{
	git_remote *r = NULL;
	git_fetch_options fo;
	struct remote_ctx ctx = { url, 0, NULL, 0 };
	int err = 0;

	if (git_remote_lookup(&r, reg->repo, remote) < 0)
		return mreg_error_set(MREG_ENOTFOUND, "no such remote '%s'", remote);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	remote_callbacks(&fo.callbacks, &ctx);
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	mreg_error_clear();
	if (git_remote_fetch(r, NULL, &fo, "mreg fetch") < 0)
		err = remote_error(&ctx, "cannot fetch from");
	git_remote_free(r);
	return err;
}

int sync_remote_url(char **out, struct mreg_registry *reg, const char *remote)
{
	git_remote *r = NULL;

	*out = NULL;
	if (mreg_name_check("remote name", remote) < 0)
		return MREG_EINVALID;
	if (git_remote_lookup(&r, reg->repo, remote) < 0)
		return mreg_error_set(MREG_ENOTFOUND, "no such remote '%s'", remote);
	*out = xstrdup(git_remote_url(r));
	git_remote_free(r);
	return 0;
}

char *sync_local_path(const char *url)
{
	if (starts_with(url, "file://"))
		return xstrdup(url + 7);
	if (strstr(url, "://"))
		return NULL;
	/* scp-like host:path has its colon before any slash */
	if (strchr(url, ':') && (!strchr(url, '/') || strchr(url, ':') < strchr(url, '/')))
		return NULL;
	return xstrdup(url);
}

/* The artifacts that new versions need and we lack, fetched and re-hashed. */
static int fetch_artifacts(struct plan *p, const char *url,
			   const struct mreg_sync_options *opts)
{
	struct xfer *x = NULL;
	size_t i, j;
	int err = 0;

	for (i = 0; i < p->staged.nr && !err; i++) {
		const char *ref = p->staged.v[i].name;
		struct mreg_model *m = NULL;
		enum chain_kind kind;
		char *name, *version;
		int model;

		if (!sync_parse_ref(&kind, &model, &name, &version, ref) || !model ||
		    reflist_find(&p->local, ref)) {
			free(name);
			free(version);
			continue;
		}
		/* A version that cannot be read is refused when its chain is verified. */
		if (model_load_at(&m, p->reg, p->prefix.buf, name, version) < 0)
			goto next;
		for (j = 0; j < m->nr_files && !err; j++) {
			const struct mreg_file *f = &m->files[j];

			if (!mreg_file_in_store(f) || mreg_store_has(p->reg, f->sha256, f->size))
				continue;
			if (opts->no_artifacts)
				continue;
			if (!x && (err = xfer_open(&x, url)) < 0)
				break;
			err = xfer_get(x, p->reg, f->sha256, f->size, opts->progress, opts->payload);
		}
next:
		mreg_model_free(m);
		free(name);
		free(version);
	}
	if (x) {
		int e = xfer_close(x);

		if (!err)
			err = e;
	}
	return err;
}

static void classify_one(struct plan *p, const struct refval *s)
{
	const git_oid *now = &s->id;
	const git_oid *was = reflist_find(&p->before, s->name);
	const git_oid *loc = reflist_find(&p->local, s->name);
	struct strbuf msg = STRBUF_INIT, full = STRBUF_INIT;
	enum chain_kind kind;
	char *name = NULL, *version = NULL, *why = NULL, bad[GIT_OID_HEXSZ + 1];
	char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
	int model;

	if (!sync_parse_ref(&kind, &model, &name, &version, s->name))
		goto done;
	git_oid_tostr(b, sizeof(b), now);
	if (was && !chain_reaches(p->reg, now, was)) {
		strbuf_addf(&msg, "the remote rewound it: it was at %s, and %s does not contain it",
			    git_oid_tostr(a, sizeof(a), was), b);
		refuse(p, s->name, "refused", was, now, msg.buf);
		goto done;
	}
	if (loc && git_oid_equal(loc, now))
		goto done;
	if (model) {
		struct mreg_model *here = NULL, *there = NULL;

		struct strbuf status = STRBUF_INIT;

		strbuf_addf(&status, "status/%s/%s", name, version);
		if (!loc && !reflist_find(&p->staged, status.buf)) {
			/* Its status chain vouches for it: the signed register. */
			refuse(p, s->name, "refused", NULL, now,
			       "a version without a status chain: nothing vouches for it");
		} else if (!loc) {
			plan_move(p, s->name, NULL, now);
			sync_report_ref(p->fn, p->payload, s->name, "new", NULL, now, NULL);
		} else if (model_load_at(&here, p->reg, "refs/mreg/", name, version) < 0 ||
			   model_load_at(&there, p->reg, p->prefix.buf, name, version) < 0 ||
			   strcmp(here->digest, there->digest)) {
			strbuf_addf(&msg, "%s@%s is %s here and %s there: versions are immutable",
				    name, version, here ? here->digest : "unreadable",
				    there ? there->digest : "unreadable");
			refuse(p, s->name, "conflict", loc, now, msg.buf);
		}
		mreg_model_free(here);
		mreg_model_free(there);
		strbuf_release(&status);
		goto done;
	}
	if (loc && chain_reaches(p->reg, loc, now)) {
		sync_report_ref(p->fn, p->payload, s->name, "behind", loc, now,
				"the remote is behind; push to bring it up to date");
		goto done;
	}
	if (loc && !chain_reaches(p->reg, now, loc)) {
		strbuf_addf(&msg, "diverged: here %s, there %s; nothing was merged",
			    git_oid_tostr(a, sizeof(a), loc), b);
		refuse(p, s->name, "conflict", loc, now, msg.buf);
		goto done;
	}
	strbuf_addf(&full, "%s%s", p->prefix.buf, s->name);
	if (verify_chain_at(&why, bad, p->reg, p->prefix.buf, kind, full.buf, name, version,
			    p->no_artifacts) < 0) {
		strbuf_addf(&msg, "%s%s%s%s", *bad ? "commit " : "", bad, *bad ? ": " : "",
			    why ? why : mreg_error_last());
		refuse(p, s->name, "refused", loc, now, msg.buf);
		goto done;
	}
	plan_move(p, s->name, loc, now);
	sync_report_ref(p->fn, p->payload, s->name, loc ? "updated" : "new", loc, now, NULL);
done:
	free(why);
	free(name);
	free(version);
	strbuf_release(&msg);
	strbuf_release(&full);
}

/* Puts the remote-tracking refs back as they were: a refused fetch must refuse again. */
static void restore_staged(struct plan *p)
{
	struct strbuf name = STRBUF_INIT;
	git_reference *ref = NULL;
	size_t i;

	for (i = 0; i < p->staged.nr; i++) {
		const git_oid *was = reflist_find(&p->before, p->staged.v[i].name);

		strbuf_reset(&name);
		strbuf_addf(&name, "%s%s", p->prefix.buf, p->staged.v[i].name);
		if (was) {
			git_reference_create(&ref, p->reg->repo, name.buf, was, 1, "mreg fetch: refused");
			git_reference_free(ref);
		} else if (!git_reference_lookup(&ref, p->reg->repo, name.buf)) {
			git_reference_delete(ref);
			git_reference_free(ref);
		}
	}
	for (i = 0; i < p->before.nr; i++)
		if (!reflist_find(&p->staged, p->before.v[i].name)) {
			strbuf_reset(&name);
			strbuf_addf(&name, "%s%s", p->prefix.buf, p->before.v[i].name);
			git_reference_create(&ref, p->reg->repo, name.buf, &p->before.v[i].id, 1,
					     "mreg fetch: refused");
			git_reference_free(ref);
		}
	strbuf_release(&name);
}

int sync_signature(git_signature **out, struct mreg_registry *reg)
{
	if (!mreg_signature_now(out, reg))
		return 0;
	return git_signature_now(out, "mreg", "mreg@localhost") < 0
		? mreg_error_git("cannot make a reflog identity") : 0;
}

/* Verifies what was downloaded and moves local refs; all or none. */
static int integrate(struct plan *p, const char *url, const struct mreg_sync_options *opts)
{
	git_signature *sig = NULL;
	size_t i, pass;
	int err;

	p->no_artifacts = opts->no_artifacts;
	if ((err = sync_list_refs(&p->staged, p->reg, p->prefix.buf)) < 0 ||
	    (err = sync_list_refs(&p->local, p->reg, "refs/mreg/")) < 0 ||
	    (err = fetch_artifacts(p, url, opts)) < 0)
		goto done;
	/* The policy first: the chains after it are checked against it. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < p->staged.nr; i++)
			if (!strcmp(p->staged.v[i].name, "policy") == !pass)
				classify_one(p, &p->staged.v[i]);
	if (p->refused)
		goto done;
	if (!p->nr_moves || (err = sync_signature(&sig, p->reg)) < 0)
		goto done;
	err = refs_move_batched(p->reg, p->moves, p->nr_moves, sig, "mreg fetch");
	if (!err && p->nr_moves >= MANY_REFS)
		sync_pack_refs(p->reg->repo);
	if (err == MREG_EMODIFIED)
		err = mreg_error_set(MREG_EMODIFIED, "%s; nothing was changed, fetch again",
				     mreg_error_last());
done:
	/*
	 * Whatever stopped us, the remote-tracking refs go back to what we
	 * had accepted: the next fetch must meet the same refusals.
	 */
	if (err < 0 || p->refused)
		restore_staged(p);
	git_signature_free(sig);
	return err;
}

int plan_start(struct plan *p, struct mreg_registry *reg, const char *remote,
	       mreg_sync_report_fn fn, void *payload)
{
	memset(p, 0, sizeof(*p));
	p->reg = reg;
	p->remote = remote;
	p->fn = fn;
	p->payload = payload;
	strbuf_init(&p->prefix, 0);
	strbuf_addf(&p->prefix, "refs/mreg-remotes/%s/", remote);
	return sync_list_refs(&p->before, reg, p->prefix.buf);
}

int mreg_fetch(size_t *refused, struct mreg_registry *reg, const char *remote,
	       const struct mreg_sync_options *opts, mreg_sync_report_fn fn, void *payload)
{
	struct plan p;
	char *url = NULL;
	int err;

	*refused = 0;
	if ((err = sync_remote_url(&url, reg, remote)) < 0)
		return err;
	if (!(err = plan_start(&p, reg, remote, fn, payload))) {
		err = download(reg, remote, url);
		if (!err)
			err = integrate(&p, url, opts);
		else if (!sync_list_refs(&p.staged, reg, p.prefix.buf))
			restore_staged(&p);
	}
	*refused = p.refused;
	plan_release(&p);
	free(url);
	return err;
}

/*
 * The key that signed the root commit of the chain at `ref`, and its
 * committer's email (to name the principal); 1 if it is unsigned.
 */
static int root_signer(struct mreg_pubkey *key, struct strbuf *email,
		       struct mreg_registry *reg, const char *ref)
{
	git_oid id;
	git_commit *c = NULL;
	int r;

	if (git_reference_name_to_id(&id, reg->repo, ref) < 0)
		return mreg_error_git("cannot read ref");
	while (!git_commit_lookup(&c, reg->repo, &id) && git_commit_parentcount(c)) {
		id = *git_commit_parent_id(c, 0);
		git_commit_free(c);
		c = NULL;
	}
	strbuf_reset(email);
	if (c && git_commit_committer(c)->email &&
	    !strpbrk(git_commit_committer(c)->email, " \t\",<>"))
		strbuf_addstr(email, git_commit_committer(c)->email);
	git_commit_free(c);
	r = chain_check_commit(key, reg, &id) < 0 ? 1 : 0;
	return r;
}

/*
 * Trust on first use for a clone: the one key that signed the roots of
 * the remote's chains (the first policy's, if there is a policy).
 */
static int pin_root_signer(char **pinned, struct plan *p)
{
	struct reflist staged;
	struct mreg_pubkey key, first;
	struct strbuf email = STRBUF_INIT, first_email = STRBUF_INIT;
	size_t i, keys = 0;
	int err, r;

	if ((err = sync_list_refs(&staged, p->reg, p->prefix.buf)) < 0)
		return err;
	for (i = 0; i < staged.nr && !err; i++) {
		struct strbuf ref = STRBUF_INIT;
		int is_policy = !strcmp(staged.v[i].name, "policy");

		if (reflist_find(&staged, "policy") && !is_policy)
			continue;
		if (!is_policy && !starts_with(staged.v[i].name, "routes/") &&
		    !starts_with(staged.v[i].name, "status/"))
			continue;
		strbuf_addf(&ref, "%s%s", p->prefix.buf, staged.v[i].name);
		r = root_signer(&key, &email, p->reg, ref.buf);
		strbuf_release(&ref);
		if (r < 0) {
			err = r;
		} else if (!r && (!keys || !mreg_pubkey_equal(&key, &first))) {
			if (keys++)
				err = mreg_error_set(MREG_EINVALID,
						     "several keys sign the roots of this registry's history; "
						     "say which to trust with --trust-root FILE");
			first = key;
			strbuf_reset(&first_email);
			strbuf_addbuf(&first_email, &email);
		}
	}
	reflist_release(&staged);
	strbuf_release(&email);
	if (err >= 0 && keys &&
	    (err = trust_root_add(p->reg, &first, first_email.len ? first_email.buf : NULL)) >= 0)
		err = mreg_pubkey_fingerprint(pinned, &first);
	strbuf_release(&first_email);
	return err;
}

int mreg_clone(struct mreg_registry **out, char **pinned, const char *url,
	       const char *dir, const char *trust_root_file,
	       const struct mreg_sync_options *opts, mreg_sync_report_fn fn, void *payload)
{
	struct strbuf top = STRBUF_INIT, regdir = STRBUF_INIT;
	struct mreg_registry *reg = NULL;
	struct stat st;
	struct plan p;
	int err, created_top, created;

	*out = NULL;
	*pinned = NULL;
	memset(&p, 0, sizeof(p));
	strbuf_init(&p.prefix, 0);
	if (dir) {
		strbuf_addstr(&top, dir);
	} else {
		/* like git clone: the last component, less .git or .mreg */
		const char *base;

		strbuf_addstr(&top, url);
		while (top.len > 1 && top.buf[top.len - 1] == '/')
			strbuf_setlen(&top, top.len - 1);
		if (ends_with(top.buf, "/.mreg"))
			strbuf_setlen(&top, top.len - 6);
		base = strrchr(top.buf, '/');
		base = base ? base + 1 : top.buf;
		if (strchr(base, ':'))
			base = strchr(base, ':') + 1;
		memmove(top.buf, base, strlen(base) + 1);
		strbuf_setlen(&top, strlen(top.buf));
		if (ends_with(top.buf, ".git"))
			strbuf_setlen(&top, top.len - 4);
		if (!top.len || !strcmp(top.buf, ".") || !strcmp(top.buf, ".."))
			strbuf_addstr(&top, "registry");
	}
	strbuf_addf(&regdir, "%s/.mreg", top.buf);
	{
		char *path = sync_local_path(url);
		int missing = path && stat(path, &st) < 0;

		free(path);
		if (missing) {
			err = mreg_error_set(MREG_ENOTFOUND, "no repository at '%s'", url);
			goto done;
		}
	}
	if (!lstat(regdir.buf, &st)) {
		err = mreg_error_set(MREG_EEXISTS, "'%s' already exists", regdir.buf);
		goto done;
	}
	created_top = lstat(top.buf, &st) < 0;
	if ((err = mreg_registry_init(&reg, regdir.buf, &created)) < 0 ||
	    (err = mreg_remote_add(reg, "origin", url)) < 0 ||
	    (err = plan_start(&p, reg, "origin", fn, payload)) < 0 ||
	    (err = download(reg, "origin", url)) < 0)
		goto fail;
	err = trust_root_file ? mreg_trust_root_pin_file(pinned, reg, trust_root_file)
			      : pin_root_signer(pinned, &p);
	if (err < 0 || (err = integrate(&p, url, opts)) < 0)
		goto fail;
	if (p.refused) {
		err = mreg_error_set(MREG_EBADSIG, "%zu ref%s of '%s' did not verify; nothing was cloned",
				     p.refused, p.refused == 1 ? "" : "s", url);
		goto fail;
	}
	*out = reg;
	reg = NULL;
	goto done;
fail:
	mreg_registry_free(reg);
	reg = NULL;
	remove_tree(created_top ? top.buf : regdir.buf);
	free(*pinned);
	*pinned = NULL;
done:
	plan_release(&p);
	strbuf_release(&top);
	strbuf_release(&regdir);
	return err;
}
