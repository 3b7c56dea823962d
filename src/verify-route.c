/*
 * The route chain's rules, for mreg verify (verify.c walks the chains and
 * holds the checks every kind of commit gets).  A route commit names this
 * route in canonical form, continues its parent's seq and prev, names a
 * policy no older than its parent's, changes only what its action
 * changes, and was allowed it by that policy; a promotion to a stage that
 * needs them carries its quorum of approvals and a recorded passing gate,
 * and a rollback to a version that never served production here is a
 * promotion.  Every version it names must check out.
 */
#include "internal.h"
#include "approval.h"
#include "policy.h"
#include "route.h"
#include "status.h"
#include "verify.h"

#include <stdlib.h>

static const char zero_id[] = "0000000000000000000000000000000000000000";

static int slot_moved(const struct mreg_route_slot *now, const struct mreg_route_slot *then)
{
	const char *a = then ? then->ref : NULL, *b = now->ref;

	return (!a) != (!b) || (a && b && strcmp(a, b));
}

/*
 * A route commit may change only what its action changes: set-traffic
 * the canary's share, rollback production, retire everything, promote one
 * slot (emptying the canary or shadow slot it graduated from, and moving
 * the old production version to previous-production).  `*stage` is the
 * stage the policy must allow.  Nothing else can be smuggled in.
 */
static int check_shape(struct walk *w, const git_oid *id, const struct mreg_route *r,
		       const struct mreg_route *prev, const char **stage)
{
	static const char *const names[] = { "production", "canary", "shadow" };
	const struct mreg_route_slot *now[3], *then[3];
	int moved[3], target = -1;
	size_t i;

	for (i = 0; i < 3; i++) {
		now[i] = route_slot(r, names[i]);
		then[i] = prev ? route_slot(prev, names[i]) : NULL;
		moved[i] = slot_moved(now[i], then[i]);
	}
	*stage = "production";
	if (!strcmp(r->action, "retire")) {
		if (r->production.ref || r->canary.ref || r->shadow.ref || r->previous.ref)
			return walk_fail(w, id, "a retire that leaves a slot filled");
		return 0;
	}
	if (!strcmp(r->action, "set-traffic")) {
		*stage = "canary";
		for (i = 0; i < 3; i++)
			if (moved[i])
				return walk_fail(w, id, "a set-traffic that moves %s", names[i]);
		if (slot_moved(&r->previous, prev ? &prev->previous : NULL))
			return walk_fail(w, id, "a set-traffic that moves previous-production");
		if (!r->canary.ref || (then[2] && now[2]->ref && now[2]->percent != then[2]->percent))
			return walk_fail(w, id, "a set-traffic that changes more than the canary's traffic");
		return 0;
	}
	if (!strcmp(r->action, "rollback")) {
		if (!moved[0] || !r->production.ref || moved[1] || moved[2])
			return walk_fail(w, id, "a rollback that changes more than production");
		return 0;
	}
	/* promote: exactly one slot gets a new version */
	for (i = 0; i < 3; i++)
		if (moved[i] && now[i]->ref) {
			if (target >= 0)
				return walk_fail(w, id, "a promotion that fills both %s and %s",
						 names[target], names[i]);
			target = (int)i;
		}
	if (target < 0)
		return walk_fail(w, id, "a promotion that promotes nothing");
	for (i = 0; i < 3; i++)
		if (moved[i] && !now[i]->ref &&
		    (!then[i] || strcmp(then[i]->ref, now[target]->ref)))
			return walk_fail(w, id, "a promotion that empties %s", names[i]);
	if (slot_moved(&r->previous, prev ? &prev->previous : NULL) &&
	    (target || !r->previous.ref || !then[0] || !then[0]->ref ||
	     strcmp(r->previous.ref, then[0]->ref)))
		return walk_fail(w, id, "a promotion that rewrites previous-production");
	*stage = names[target];
	return 0;
}

/* 1 if the newest gate recorded for `ref` (NAME@VERSION) by `when` passed. */
static int gate_passed_before(struct verifier *v, const char *ref, int64_t when)
{
	const char *at = strchr(ref, '@');
	char *name;
	int passed;

	if (!at)
		return 0;
	name = xstrndup(ref, at - ref);
	passed = status_gate_passed(v->reg, v->prefix, name, at + 1, when);
	free(name);
	return passed;
}

/* 1 if `ref` is one of the `nr` strings of `l`. */
static int listed(char **l, size_t nr, const char *ref)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strcmp(l[i], ref))
			return 1;
	return 0;
}

int verify_route(struct walk *w, const char *name)
{
	struct mreg_route prev, cur;
	struct strbuf file = STRBUF_INIT, canon = STRBUF_INIT;
	char **served = NULL;	/* versions that served production so far */
	size_t i, nr_served = 0, alloc_served = 0;
	int err = 0;

	memset(&prev, 0, sizeof(prev));
	for (i = 0; i < w->nr && !err; i++) {
		const git_oid *id = &w->ids[i];
		static const char *const allowed[] = { "route", NULL };
		git_commit *c = NULL;
		git_tree *tree = NULL;
		const struct policy *p = NULL;
		const char *stage;
		struct mreg_pubkey key;
		char prev_hex[GIT_OID_HEXSZ + 1];
		const struct mreg_route_slot *slots[4];
		size_t k;

		memset(&cur, 0, sizeof(cur));
		if (git_commit_lookup(&c, w->v->reg->repo, id) < 0 || git_commit_tree(&tree, c) < 0)
			err = walk_fail(w, id, "cannot read commit");
		else if (!(err = walk_check_tree(w, id, tree, allowed)) &&
			 route_read_commit(&cur, w->v->reg, id) < 0)
			err = walk_fail(w, id, "%s", mreg_error_last());
		if (err)
			goto next;
		if (i)
			git_oid_tostr(prev_hex, sizeof(prev_hex), &w->ids[i - 1]);
		else
			memcpy(prev_hex, zero_id, sizeof(prev_hex));
		if ((err = walk_check_signature(w, id, &key)) < 0)
			goto next;
		if (strcmp(cur.name, name)) {
			err = walk_fail(w, id, "is a commit of route '%s'", cur.name);
			goto next;
		}
		/* Only the canonical bytes: nothing added, nothing reordered. */
		strbuf_reset(&file);
		strbuf_reset(&canon);
		verify_read_file(&file, w->v->reg, tree, "route");
		route_format(&canon, &cur);
		if (strcmp(file.buf, canon.buf)) {
			err = walk_fail(w, id, "its route file is not in canonical form");
			goto next;
		}
		if (cur.seq != i + 1 || strcmp(cur.prev, prev_hex)) {
			err = walk_fail(w, id, "has seq %lu and prev %.12s, but it is commit %zu "
					"of the chain after %.12s", cur.seq, cur.prev, i + 1, prev_hex);
			goto next;
		}
		if ((err = walk_check_policy_order(w, id, cur.policy,
						   i ? prev.policy : zero_id)) < 0)
			goto next;
		if ((err = check_shape(w, id, &cur, i ? &prev : NULL, &stage)) < 0)
			goto next;
		if ((err = walk_check_allowed(w, id, &key, cur.policy, "promote", name, stage,
					      git_commit_time(c), &p)) < 0)
			goto next;
		/* A rollback to a version that never served here is a promotion. */
		if (!strcmp(cur.action, "promote") ||
		    (!strcmp(cur.action, "rollback") && cur.production.ref &&
		     !listed(served, nr_served, cur.production.ref))) {
			const struct mreg_route_slot *s = route_slot(&cur, stage);
			unsigned need = policy_required_approvals(p, name, stage);
			struct approvals ap;

			memset(&ap, 0, sizeof(ap));
			mreg_error_clear();	/* below, an error is this check's own */
			if (need && s->ref &&
			    (approvals_in_tree(&ap, w->v->reg, tree, name, stage, s->digest, p,
					       git_commit_time(c), 1) < 0 || ap.nr < need))
				err = walk_fail(w, id, "moves %s to %s with %zu valid approval%s; the policy asks for %u%s%s",
						s->ref, stage, ap.nr, ap.nr == 1 ? "" : "s", need,
						mreg_error_code() == MREG_EBADSIG ? ": " : "",
						mreg_error_code() == MREG_EBADSIG ? mreg_error_last() : "");
			approvals_release(&ap);
			if (!err && s->ref && policy_requires_gate(p, name, stage) &&
			    !gate_passed_before(w->v, s->ref, git_commit_time(c)))
				err = walk_fail(w, id, "moves %s to %s without a recorded passing gate, "
						"which its policy asks for", s->ref, stage);
			if (err)
				goto next;
		}
		slots[0] = &cur.production;
		slots[1] = &cur.canary;
		slots[2] = &cur.shadow;
		slots[3] = &cur.previous;
		for (k = 0; k < 4 && !err; k++)
			if (slots[k]->ref)
				err = walk_check_digest(w, id, slots[k]->ref, slots[k]->digest);
		if (!err && cur.production.ref && !listed(served, nr_served, cur.production.ref)) {
			ALLOC_GROW(served, nr_served + 1, alloc_served);
			served[nr_served++] = xstrdup(cur.production.ref);
		}
next:
		route_release(&prev);
		prev = cur;
		git_tree_free(tree);
		git_commit_free(c);
	}
	route_release(&prev);
	for (i = 0; i < nr_served; i++)
		free(served[i]);
	free(served);
	strbuf_release(&file);
	strbuf_release(&canon);
	return err;
}
