/*
 * Reading routes back: the list of routes, and a route's history with
 * every signature checked, for `mreg log` and `mreg route show`.
 */
#include "internal.h"
#include "approval.h"
#include "chain.h"
#include "policy.h"
#include "route.h"

#include <stdlib.h>

int mreg_route_list(struct mreg_registry *reg,
		    int (*fn)(const struct mreg_route *r, void *payload), void *payload)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	char **names = NULL;
	size_t nr = 0, alloc = 0, i;
	int err = 0, r;

	if (git_reference_iterator_glob_new(&it, reg->repo, "refs/mreg/routes/*") < 0)
		return mreg_error_git("cannot read routes");
	while (!(r = git_reference_next(&ref, it))) {
		ALLOC_GROW(names, nr + 1, alloc);
		names[nr++] = xstrdup(git_reference_name(ref) + strlen("refs/mreg/routes/"));
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	for (i = 0; i < nr && !err; i++) {
		struct mreg_route *rt = NULL;

		if ((err = mreg_route_read(&rt, reg, names[i])) < 0)
			break;
		err = fn(rt, payload);
		mreg_route_free(rt);
	}
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	return err;
}

/* Policies by commit, so a long history parses each once. */
struct policy_cache {
	struct policy *p[8];
	size_t nr;
};

static const struct policy *cached_policy(struct policy_cache *pc,
					  struct mreg_registry *reg, const char *hex)
{
	struct policy *p = NULL;
	size_t i;

	for (i = 0; i < pc->nr; i++)
		if (!strcmp(pc->p[i]->commit, hex ? hex : ""))
			return pc->p[i];
	if (policy_load(&p, reg, hex) < 0)
		return NULL;
	if (pc->nr == ARRAY_SIZE(pc->p)) {
		policy_free(pc->p[0]);
		memmove(pc->p, pc->p + 1, sizeof(pc->p[0]) * (pc->nr - 1));
		pc->nr--;
	}
	pc->p[pc->nr++] = p;
	return p;
}

static void policy_cache_release(struct policy_cache *pc)
{
	size_t i;

	for (i = 0; i < pc->nr; i++)
		policy_free(pc->p[i]);
	pc->nr = 0;
}

/* What a commit changed: the stage it moved, and from which version to which. */
static void describe(struct mreg_route_entry *e, const struct mreg_route *older)
{
	static const char *const stages[] = { "production", "canary", "shadow" };
	const struct mreg_route *r = e->route;
	size_t i;

	e->stage = "production";
	e->from = older ? older->production.ref : NULL;
	e->to = r->production.ref;
	if (!strcmp(r->action, "retire")) {
		e->stage = "all";
		return;
	}
	if (!strcmp(r->action, "set-traffic"))
		e->stage = "canary";
	for (i = 0; i < ARRAY_SIZE(stages); i++) {
		const struct mreg_route_slot *now = route_slot(r, stages[i]);
		const struct mreg_route_slot *then = older ? route_slot(older, stages[i]) : NULL;
		const char *a = then ? then->ref : NULL, *b = now->ref;

		if ((!a) != (!b) || (a && b && strcmp(a, b)) ||
		    (i == 1 && !strcmp(r->action, "set-traffic"))) {
			e->stage = stages[i];
			e->from = a;
			e->to = b;
			return;
		}
	}
}

struct chain_item {
	git_oid id;
	struct mreg_route r;
};

/* The whole chain, root first. */
static int read_chain(struct chain_item **out, size_t *nr, struct mreg_registry *reg,
		      const char *name)
{
	struct chain_item *items = NULL;
	size_t n = 0, alloc = 0, i;
	git_oid id;
	int err;

	*out = NULL;
	*nr = 0;
	if ((err = route_head(&id, reg, name)) < 0)
		return err;
	for (;;) {
		git_commit *c = NULL;

		ALLOC_GROW(items, n + 1, alloc);
		memset(&items[n], 0, sizeof(items[n]));
		items[n].id = id;
		if ((err = route_read_commit(&items[n++].r, reg, &id)) < 0)
			break;
		if (git_commit_lookup(&c, reg->repo, &id) < 0) {
			err = mreg_error_git("cannot read route");
			break;
		}
		if (!git_commit_parentcount(c)) {
			git_commit_free(c);
			break;
		}
		id = *git_commit_parent_id(c, 0);
		git_commit_free(c);
	}
	for (i = 0; i < n / 2; i++) {
		struct chain_item t = items[i];

		items[i] = items[n - 1 - i];
		items[n - 1 - i] = t;
	}
	*out = items;
	*nr = n;
	return err;
}

int mreg_route_history(struct mreg_registry *reg, const char *route,
		       int (*fn)(const struct mreg_route_entry *e, void *payload),
		       void *payload)
{
	struct chain_item *items = NULL;
	struct policy_cache pc;
	size_t nr = 0, i, j;
	int err;

	memset(&pc, 0, sizeof(pc));
	if ((err = read_chain(&items, &nr, reg, route)) < 0)
		goto done;
	for (i = nr; i-- > 0 && !err; ) {
		struct mreg_route_entry e;
		const struct policy *p = cached_policy(&pc, reg, items[i].r.policy);
		struct mreg_pubkey key;
		const struct policy_principal *pr = NULL;
		struct approvals ap;
		const char **names = NULL;
		struct strbuf who = STRBUF_INIT;
		git_commit *c = NULL;
		git_tree *tree = NULL;

		memset(&e, 0, sizeof(e));
		memset(&ap, 0, sizeof(ap));
		e.route = &items[i].r;
		describe(&e, i ? &items[i - 1].r : NULL);
		if (chain_check_commit(&key, reg, &items[i].id) < 0) {
			strbuf_addstr(&who, strstr(mreg_error_last(), "not signed")
					    ? "(unsigned)" : "(bad signature)");
		} else if (!p || !(pr = policy_principal_for(p, &key, items[i].r.time))) {
			char *fp = NULL;

			mreg_pubkey_fingerprint(&fp, &key);
			strbuf_addf(&who, "(unknown key %s)", fp ? fp : "?");
			free(fp);
		} else {
			strbuf_addstr(&who, pr->name);
			e.verified = 1;
		}
		e.signer = who.buf;
		if (p && !git_commit_lookup(&c, reg->repo, &items[i].id) &&
		    !git_commit_tree(&tree, c) && strcmp(e.stage, "all") &&
		    route_slot(e.route, e.stage)->ref)
			approvals_in_tree(&ap, reg, tree, route, e.stage,
					  route_slot(e.route, e.stage)->digest, p,
					  items[i].r.time, 0);
		names = xcalloc(ap.nr + 1, sizeof(*names));
		for (j = 0; j < ap.nr; j++)
			names[j] = ap.a[j].principal;
		e.approvers = names;
		err = fn(&e, payload);
		free(names);
		approvals_release(&ap);
		git_tree_free(tree);
		git_commit_free(c);
		strbuf_release(&who);
	}
done:
	for (i = 0; i < nr; i++)
		route_release(&items[i].r);
	free(items);
	policy_cache_release(&pc);
	return err;
}
