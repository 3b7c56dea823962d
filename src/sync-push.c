/*
 * Push: the refs that moved here, never forced.  Each is compared with the
 * remote's first: one it holds ahead of ours is for fetch, one it moved
 * since our last fetch is refused, and if any is refused nothing is
 * pushed.  Then the artifacts the versions need, then the refs; a path
 * remote moves its refs by compare-and-swap (see local_cas).
 */
#include "internal.h"
#include "chain.h"
#include "remote.h"
#include "sync.h"
#include "xfer.h"
#include "mreg/model.h"
#include "mreg/remote.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct push_state {
	struct plan *p;
	const char *prefix;	/* where the refs go there: refs/mreg/ or incoming */
	struct reflist rejected;
};

static int push_update(const char *refname, const char *status, void *payload)
{
	struct remote_ctx *ctx = payload;
	struct push_state *ps = ctx->push;
	struct strbuf msg = STRBUF_INIT;
	const char *name = refname;
	git_oid zero;

	if (!status)
		return 0;
	memset(&zero, 0, sizeof(zero));
	/* Named as here, under refs/mreg/, whatever namespace it went to. */
	if (starts_with(name, ps->prefix))
		name += strlen(ps->prefix);
	reflist_add(&ps->rejected, name, &zero);
	strbuf_addf(&msg, "the remote refused it (%s): fetch and retry", status);
	sync_report_ref(ps->p->fn, ps->p->payload, name, "rejected", NULL, NULL, msg.buf);
	strbuf_release(&msg);
	return 0;
}

static int by_sha(const void *a, const void *b)
{
	return strcmp(((const struct xfer_object *)a)->sha256,
		      ((const struct xfer_object *)b)->sha256);
}

/*
 * The artifacts of the versions to push that the far side lacks: one
 * batch of questions (pipelined over ssh), then the missing bytes.
 */
static int push_artifacts(struct plan *p, const char *url, const struct reflist *cand,
			  const struct mreg_sync_options *opts)
{
	struct xfer *x = NULL;
	struct xfer_object *objs = NULL;
	size_t nr = 0, alloc = 0, i, j, uniq = 0;
	int err = 0;

	for (i = 0; i < cand->nr && !err; i++) {
		struct mreg_model *m = NULL;
		enum chain_kind kind;
		char *name, *version;
		int model;

		if (sync_parse_ref(&kind, &model, &name, &version, cand->v[i].name) && model &&
		    !(err = model_load_at(&m, p->reg, "refs/mreg/", name, version)))
			for (j = 0; j < m->nr_files; j++) {
				if (!mreg_file_in_store(&m->files[j]))
					continue;
				ALLOC_GROW(objs, nr + 1, alloc);
				memset(&objs[nr], 0, sizeof(objs[nr]));
				memcpy(objs[nr].sha256, m->files[j].sha256, sizeof(objs[nr].sha256));
				objs[nr++].size = m->files[j].size;
			}
		mreg_model_free(m);
		free(name);
		free(version);
	}
	if (err < 0 || !nr)
		goto done;
	qsort(objs, nr, sizeof(*objs), by_sha);
	for (i = 0; i < nr; i++)
		if (!uniq || strcmp(objs[uniq - 1].sha256, objs[i].sha256))
			objs[uniq++] = objs[i];
	if ((err = xfer_open(&x, url)) < 0 || (err = xfer_has_many(x, objs, uniq)) < 0)
		goto done;
	for (i = 0; i < uniq && !err; i++)
		if (objs[i].state != XFER_PRESENT)
			err = xfer_put(x, p->reg, objs[i].sha256, objs[i].size, opts->progress,
				       opts->payload);
done:
	if (x) {
		int e = xfer_close(x);

		if (!err)
			err = e;
	}
	free(objs);
	return err;
}

/*
 * libgit2's push to a local repository moves refs without comparing
 * them with what they were, so two racing pushes could both "win".  We
 * push to a private namespace there instead, then move the real refs
 * ourselves, compare-and-swap, all or none, as receive-pack would.
 */
static int local_cas(struct plan *p, const char *dir, const struct reflist *cand,
		     const struct reflist *theirs)
{
	struct mreg_registry far;
	struct ref_move *moves = xcalloc(cand->nr ? cand->nr : 1, sizeof(*moves));
	struct strbuf *names = xcalloc(cand->nr ? cand->nr : 1, sizeof(*names));
	git_signature *sig = NULL;
	size_t i;
	int err;

	memset(&far, 0, sizeof(far));
	far.dir = (char *)dir;
	if (git_repository_open_bare(&far.repo, dir) < 0) {
		err = mreg_error_git("cannot open the remote");
		goto done;
	}
	for (i = 0; i < cand->nr; i++) {
		const git_oid *t = reflist_find(theirs, cand->v[i].name);

		strbuf_init(&names[i], 0);
		strbuf_addf(&names[i], "refs/mreg/%s", cand->v[i].name);
		moves[i].name = names[i].buf;
		if (t)
			moves[i].old = *t;
		moves[i].new = cand->v[i].id;
	}
	if (!(err = sync_signature(&sig, p->reg)))
		err = refs_move_batched(&far, moves, cand->nr, sig, "mreg push");
	if (!err && cand->nr >= MANY_REFS)
		sync_pack_refs(far.repo);
done:
	for (i = 0; i < cand->nr; i++)
		strbuf_release(&names[i]);
	free(names);
	free(moves);
	git_signature_free(sig);
	git_repository_free(far.repo);
	return err;
}

/*
 * The private namespace goes, whatever became of the push: the refs in it
 * either moved into refs/mreg/ or must not.
 */
static void drop_incoming(const char *dir, const char *incoming, const struct reflist *cand)
{
	struct strbuf path = STRBUF_INIT;
	git_repository *far = NULL;
	git_reference *ref = NULL;
	size_t i;

	if (git_repository_open_bare(&far, dir) < 0)
		return;
	for (i = 0; i < cand->nr; i++) {
		struct strbuf in = STRBUF_INIT;

		strbuf_addf(&in, "%s%s", incoming, cand->v[i].name);
		if (!git_reference_lookup(&ref, far, in.buf))
			git_reference_delete(ref);
		git_reference_free(ref);
		ref = NULL;
		strbuf_release(&in);
	}
	git_repository_free(far);
	/* libgit2 leaves the directories; refs/mreg-incoming/ itself stays for other pushes. */
	strbuf_addf(&path, "%s/%s", dir, incoming);
	remove_empty_dirs(path.buf);
	strbuf_release(&path);
}

static int remote_refs(struct reflist *out, git_remote *r, struct remote_ctx *ctx)
{
	git_remote_callbacks cb;
	const git_remote_head **heads;
	size_t n, i;

	memset(out, 0, sizeof(*out));
	remote_callbacks(&cb, ctx);
	mreg_error_clear();
	if (git_remote_connect(r, GIT_DIRECTION_PUSH, &cb, NULL, NULL) < 0 ||
	    git_remote_ls(&heads, &n, r) < 0)
		return remote_error(ctx, "cannot connect to");
	for (i = 0; i < n; i++)
		if (starts_with(heads[i]->name, "refs/mreg/"))
			reflist_add(out, heads[i]->name + 10, &heads[i]->oid);
	git_remote_disconnect(r);
	reflist_sort(out);
	return 0;
}

int mreg_push(size_t *rejected, struct mreg_registry *reg, const char *remote,
	      const struct mreg_sync_options *opts, mreg_sync_report_fn fn, void *payload)
{
	struct plan p;
	struct reflist theirs = { NULL, 0, 0 }, cand = { NULL, 0, 0 };
	git_remote *r = NULL;
	git_odb *odb = NULL;
	char *local = NULL;
	struct strbuf incoming = STRBUF_INIT;
	git_push_options po;
	struct push_state ps;
	struct remote_ctx ctx = { NULL, 0, NULL, 0 };
	char **specs = NULL;
	git_strarray arr;
	char *url = NULL;
	size_t i, batch;
	int err;

	*rejected = 0;
	if ((err = sync_remote_url(&url, reg, remote)) < 0)
		return err;
	ctx.url = url;
	ctx.attempts = 0;
	if ((err = plan_start(&p, reg, remote, fn, payload)) < 0 ||
	    (err = sync_list_refs(&p.local, reg, "refs/mreg/")) < 0)
		goto done;
	/* p.before: the remote-tracking refs, what we last saw there */
	if (git_remote_lookup(&r, reg->repo, remote) < 0) {
		err = mreg_error_set(MREG_ENOTFOUND, "no such remote '%s'", remote);
		goto done;
	}
	if ((err = remote_refs(&theirs, r, &ctx)) < 0 ||
	    git_repository_odb(&odb, reg->repo) < 0) {
		if (!err)
			err = mreg_error_git("cannot read objects");
		goto done;
	}
	for (i = 0; i < p.local.nr; i++) {
		const struct refval *l = &p.local.v[i];
		const git_oid *t = reflist_find(&theirs, l->name);
		const git_oid *seen = reflist_find(&p.before, l->name);
		enum chain_kind kind;
		char *name, *version;
		int model, ok = sync_parse_ref(&kind, &model, &name, &version, l->name);

		free(name);
		free(version);
		if (!ok || (t && git_oid_equal(t, &l->id)))
			continue;
		if (t && model) {
			sync_report_ref(fn, payload, l->name, "conflict", t, &l->id,
					"the remote holds another commit for this version");
			p.refused++;
		} else if (t && seen && git_oid_equal(seen, &l->id)) {
			/* Unchanged here since we last synced: only the remote moved. */
			sync_report_ref(fn, payload, l->name, "behind", &l->id, t,
					"the remote moved on; fetch to bring this registry up to date");
		} else if (t && git_odb_exists(odb, t) && chain_reaches(reg, t, &l->id)) {
			sync_report_ref(fn, payload, l->name, "behind", &l->id, t,
					"the remote is ahead; fetch to bring this registry up to date");
		} else if (t && !chain_reaches(reg, &l->id, t)) {
			sync_report_ref(fn, payload, l->name, "rejected", t, &l->id,
					"the remote moved it since your last fetch: fetch and retry");
			p.refused++;
		} else {
			reflist_add(&cand, l->name, &l->id);
		}
	}
	/* All or nothing: a version must not arrive without its route, nor half a move. */
	if (!cand.nr || p.refused)
		goto done;
	if (!opts->no_artifacts && (err = push_artifacts(&p, url, &cand, opts)) < 0)
		goto done;
	local = sync_local_path(url);
	if (local)
		strbuf_addf(&incoming, "refs/mreg-incoming/%ld-%lu/", (long)getpid(),
			    (unsigned long)time(NULL));
	else
		strbuf_addstr(&incoming, "refs/mreg/");
	specs = xcalloc(cand.nr, sizeof(*specs));
	for (i = 0; i < cand.nr; i++) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "refs/mreg/%s:%s%s", cand.v[i].name, incoming.buf,
			    cand.v[i].name);
		specs[i] = strbuf_detach(&sb, NULL);
	}
	arr.strings = specs;
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	memset(&ps, 0, sizeof(ps));
	ps.p = &p;
	ps.prefix = incoming.buf;
	ctx.attempts = 0;
	ctx.push = &ps;
	remote_callbacks(&po.callbacks, &ctx);
	po.callbacks.push_update_reference = push_update;
	mreg_error_clear();
	/* In batches: each push holds a lock file open per ref on a local remote. */
	batch = open_file_budget();
	for (i = 0; i < cand.nr; i += batch) {
		arr.strings = specs + i;
		arr.count = cand.nr - i < batch ? cand.nr - i : batch;
		if (git_remote_push(r, &arr, &po) < 0) {
			err = remote_error(&ctx, "cannot push to");
			reflist_release(&ps.rejected);
			goto done;
		}
	}
	p.refused += ps.rejected.nr;
	reflist_sort(&ps.rejected);
	if (local && ps.rejected.nr) {
		/* All or none: what did arrive there must not move alone. */
		for (i = 0; i < cand.nr; i++) {
			if (reflist_find(&ps.rejected, cand.v[i].name))
				continue;
			sync_report_ref(fn, payload, cand.v[i].name, "rejected",
					reflist_find(&theirs, cand.v[i].name), &cand.v[i].id,
					"another ref of this push was refused, so none moved");
			p.refused++;
		}
		reflist_release(&ps.rejected);
		goto done;
	}
	if (local && (err = local_cas(&p, local, &cand, &theirs)) < 0) {
		if (err != MREG_EMODIFIED && err != MREG_ELOCKED)
			goto done;
		/* Someone pushed first: nothing of ours moved there. */
		for (i = 0; i < cand.nr; i++)
			sync_report_ref(fn, payload, cand.v[i].name, "rejected",
					reflist_find(&theirs, cand.v[i].name), &cand.v[i].id,
					"the remote moved meanwhile: fetch and retry");
		p.refused += cand.nr;
		err = 0;
		goto done;
	}
	for (i = 0; i < cand.nr; i++) {
		struct strbuf name = STRBUF_INIT;
		git_reference *ref = NULL;

		if (reflist_find(&ps.rejected, cand.v[i].name))
			continue;
		strbuf_addf(&name, "%s%s", p.prefix.buf, cand.v[i].name);
		git_reference_create(&ref, reg->repo, name.buf, &cand.v[i].id, 1, "mreg push");
		git_reference_free(ref);
		strbuf_release(&name);
		sync_report_ref(fn, payload, cand.v[i].name, "pushed",
				reflist_find(&theirs, cand.v[i].name), &cand.v[i].id, NULL);
	}
	reflist_release(&ps.rejected);
done:
	if (local && specs)
		drop_incoming(local, incoming.buf, &cand);
	*rejected = p.refused;
	for (i = 0; specs && i < cand.nr; i++)
		free(specs[i]);
	free(specs);
	reflist_release(&theirs);
	reflist_release(&cand);
	free(local);
	strbuf_release(&incoming);
	git_odb_free(odb);
	git_remote_free(r);
	plan_release(&p);
	free(url);
	return err;
}
