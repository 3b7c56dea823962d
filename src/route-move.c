/*
 * Moving routes: promote, rollback, set-traffic, retire.  Each move reads
 * the head, writes the next signed commit, and puts it in place with the
 * status chains it changes in one compare-and-swap transaction.
 */
#include "internal.h"
#include "approval.h"
#include "chain.h"
#include "policy.h"
#include "route.h"
#include "status.h"
#include "mreg/model.h"
#include "mreg/name.h"
#include "mreg/store.h"

#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_CANARY_TRAFFIC 1.0
#define DEFAULT_SHADOW_SAMPLE 5.0
#define MAX_STATUS_MOVES 2

struct move {
	struct mreg_registry *reg;
	const char *name;
	struct signer s;
	git_oid head;		/* zero for a new route */
	struct mreg_route *old;	/* NULL for a new route */
	struct mreg_route next;
	const char *stage;	/* the stage the policy checks */
	struct status_step {
		char *name, *version, *state;
	} steps[MAX_STATUS_MOVES];
	size_t nr_steps;
	struct approvals approvals;
};

static void move_release(struct move *mv)
{
	size_t i;

	signer_release(&mv->s);
	mreg_route_free(mv->old);
	route_release(&mv->next);
	for (i = 0; i < mv->nr_steps; i++) {
		free(mv->steps[i].name);
		free(mv->steps[i].version);
		free(mv->steps[i].state);
	}
	approvals_release(&mv->approvals);
}

/* Reads the head (if any) and starts the next route file from it. */
static int move_start(struct move *mv, struct mreg_registry *reg, const char *name,
		      const char *action, const char *reason, int must_exist)
{
	int err;

	memset(mv, 0, sizeof(*mv));
	mv->reg = reg;
	mv->name = name;
	if ((err = mreg_name_check("route name", name)) < 0 ||
	    (err = signer_open(&mv->s, reg, 0)) < 0)
		return err;
	err = route_head(&mv->head, reg, name);
	if (err == MREG_ENOTFOUND && !must_exist) {
		err = 0;
		memset(&mv->head, 0, sizeof(mv->head));
		memcpy(mv->next.prev, "0000000000000000000000000000000000000000", 41);
	} else if (err < 0) {
		return err;
	} else {
		mv->old = xcalloc(1, sizeof(*mv->old));
		if ((err = route_read_commit(mv->old, reg, &mv->head)) < 0)
			return err;
		if (strcmp(mv->old->name, name))
			return mreg_error_set(MREG_ECORRUPT,
					      "route '%s' holds the file of route '%s'",
					      name, mv->old->name);
		memcpy(mv->next.prev, mv->old->commit, 41);
		mv->next.seq = mv->old->seq;
		route_slot_copy(&mv->next.production, &mv->old->production);
		route_slot_copy(&mv->next.canary, &mv->old->canary);
		route_slot_copy(&mv->next.shadow, &mv->old->shadow);
		route_slot_copy(&mv->next.previous, &mv->old->previous);
	}
	mv->next.seq++;
	mv->next.name = xstrdup(name);
	mv->next.action = xstrdup(action);
	mv->next.policy = xstrdup(mv->s.policy->commit);
	mv->next.reason = xstrdup(reason && *reason ? reason : action);
	return 0;
}

static void add_step(struct move *mv, const struct mreg_model *m, const char *state)
{
	struct status_step *st;

	if (!strcmp(m->status, state) || mv->nr_steps == MAX_STATUS_MOVES)
		return;
	st = &mv->steps[mv->nr_steps++];
	st->name = xstrdup(m->name);
	st->version = xstrdup(m->version);
	st->state = xstrdup(state);
}

/* The version may serve: not retired or refused, and every byte present. */
static int check_servable(struct mreg_registry *reg, const struct mreg_model *m,
			  const char *stage)
{
	static const char *const dead[] = { "rejected", "deprecated", "archived", "rolled_back" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dead); i++)
		if (!strcmp(m->status, dead[i]))
			return mreg_error_set(MREG_EDENIED, "%s is %s and cannot be promoted",
					      m->ref, m->status);
	if (!strcmp(stage, "production") && !strcmp(m->status, "candidate"))
		return mreg_error_set(MREG_EDENIED,
				      "%s is a candidate; production needs it validated "
				      "(mreg gate --record, or mreg status %s validated)",
				      m->ref, m->ref);
	for (i = 0; i < m->nr_files; i++)
		if (mreg_file_in_store(&m->files[i]) &&
		    !mreg_store_has(reg, m->files[i].sha256, m->files[i].size))
			return mreg_error_set(MREG_ECORRUPT,
					      "%s cannot serve: artifact %s is missing from the store",
					      m->ref, m->files[i].sha256);
	return 0;
}

/* A recorded passing gate on the version's status chain, if the policy asks. */
static int need_gate(struct move *mv, const struct mreg_model *m, const char *stage)
{
	if (!policy_requires_gate(mv->s.policy, mv->name, stage) ||
	    status_gate_passed(mv->reg, "refs/mreg/", m->name, m->version, -1))
		return 0;
	return mreg_error_set(MREG_EDENIED,
			      "%s of route '%s' needs the newest recorded gate of %s to pass "
			      "(mreg gate --record %s ...)", stage, mv->name, m->ref, m->ref);
}

/* Gathers the approvals the policy asks for; fewer is a refusal. */
static int need_approvals(struct move *mv, const struct mreg_model *m, const char *stage)
{
	unsigned need = policy_required_approvals(mv->s.policy, mv->name, stage);
	struct strbuf who = STRBUF_INIT;
	size_t i;
	int err;

	if (!need)
		return 0;
	if ((err = approvals_collect(&mv->approvals, mv->reg, m->name, m->version,
				     mv->name, stage, m->digest, mv->s.policy,
				     mv->s.sig->when.time)) < 0)
		return err;
	if (mv->approvals.nr >= need)
		return 0;
	for (i = 0; i < mv->approvals.nr; i++)
		strbuf_addf(&who, "%s%s", i ? ", " : "", mv->approvals.a[i].principal);
	err = mreg_error_set(MREG_EDENIED,
			     "%s of route '%s' needs %u approval%s of %s; it has %zu%s%s%s "
			     "(mreg approve %s %s --stage %s)",
			     stage, mv->name, need, need == 1 ? "" : "s", m->ref,
			     mv->approvals.nr, who.len ? " (" : "", who.buf, who.len ? ")" : "",
			     mv->name, m->ref, stage);
	strbuf_release(&who);
	return err;
}

static int write_route_commit(git_oid *out, struct move *mv)
{
	struct strbuf file = STRBUF_INIT, msg = STRBUF_INIT, path = STRBUF_INIT;
	git_index *idx = NULL;
	git_oid tree;
	size_t i;
	int err = 0;

	route_format(&file, &mv->next);
	strbuf_addf(&msg, "%s %s: seq %lu\n\n%s\n", mv->next.action, mv->name,
		    mv->next.seq, mv->next.reason);
	if (git_index_new(&idx) < 0) {
		err = mreg_error_git("cannot write route");
		goto done;
	}
	for (i = 0; i <= 2 * mv->approvals.nr && !err; i++) {
		const struct approval *a = i ? &mv->approvals.a[(i - 1) / 2] : NULL;
		const char *data = !a ? file.buf : i % 2 ? a->statement : a->sig;
		git_index_entry e;

		strbuf_reset(&path);
		if (!a)
			strbuf_addstr(&path, "route");
		else
			strbuf_addf(&path, "approvals/%s.%s", a->keyhex,
				    i % 2 ? "statement" : "sig");
		memset(&e, 0, sizeof(e));
		e.mode = GIT_FILEMODE_BLOB;
		e.path = path.buf;
		if (git_blob_create_from_buffer(&e.id, mv->reg->repo, data,
						a ? strlen(data) : file.len) < 0 ||
		    git_index_add(idx, &e) < 0)
			err = mreg_error_git("cannot write route");
	}
	if (!err && git_index_write_tree_to(&tree, idx, mv->reg->repo) < 0)
		err = mreg_error_git("cannot write route");
	if (!err)
		err = chain_commit(out, mv->reg, &tree, mv->old ? &mv->head : NULL,
				   mv->s.sig, mv->s.sig, msg.buf, mv->s.key);
done:
	git_index_free(idx);
	strbuf_release(&file);
	strbuf_release(&msg);
	strbuf_release(&path);
	return err;
}

/* Writes the route commit and the status commits, then moves all refs at once. */
static int move_finish(struct mreg_route **out, struct move *mv)
{
	struct ref_move moves[1 + MAX_STATUS_MOVES];
	struct strbuf refs[1 + MAX_STATUS_MOVES];
	struct strbuf reason = STRBUF_INIT;
	const char *who;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(refs); i++)
		strbuf_init(&refs[i], 0);
	memset(moves, 0, sizeof(moves));
	if ((err = signer_allowed(&who, &mv->s, "promote", mv->name, mv->stage)) < 0)
		goto done;
	strbuf_addf(&refs[0], "refs/mreg/routes/%s", mv->name);
	moves[0].name = refs[0].buf;
	moves[0].old = mv->head;
	if ((err = write_route_commit(&moves[0].new, mv)) < 0)
		goto done;
	strbuf_addf(&reason, "%s of route %s (seq %lu): %s", mv->next.action, mv->name,
		    mv->next.seq, mv->next.reason);
	for (i = 0; i < mv->nr_steps; i++)
		if ((err = status_advance(&moves[1 + i], &refs[1 + i], mv->reg,
					  mv->steps[i].name, mv->steps[i].version, "route",
					  mv->steps[i].state, reason.buf, NULL, 0, &mv->s)) < 0)
			goto done;
	err = refs_move(mv->reg, moves, 1 + mv->nr_steps, mv->s.sig, reason.buf);
	if (err == MREG_EMODIFIED)
		err = mreg_error_set(MREG_EMODIFIED, "route '%s' moved, retry", mv->name);
	else if (err == MREG_ELOCKED)
		/* Another mreg is moving it right now: it will have moved. */
		err = mreg_error_set(MREG_ELOCKED, "route '%s' moved, retry (%s)", mv->name,
				     mreg_error_last());
	if (!err && out)
		err = mreg_route_read(out, mv->reg, mv->name);
done:
	for (i = 0; i < ARRAY_SIZE(refs); i++)
		strbuf_release(&refs[i]);
	strbuf_release(&reason);
	return err;
}

int mreg_route_promote(struct mreg_route **out, struct mreg_registry *reg,
		       const char *route, const char *spec, const char *stage,
		       double percent, const char *reason)
{
	struct move mv;
	struct mreg_model *m = NULL;
	struct strbuf why = STRBUF_INIT;
	const char *who;
	int err;

	if (out)
		*out = NULL;
	if (!stage)
		stage = "production";
	if ((err = stage_check(stage)) < 0)
		return err;
	if (!strcmp(stage, "production") && percent >= 0)
		return mreg_error_set(MREG_EINVALID,
				      "production takes all traffic; --traffic is for canary, --sample for shadow");
	if (percent > 100)
		return mreg_error_set(MREG_EINVALID, "a percentage is from 0 to 100");
	if ((err = mreg_model_lookup(&m, reg, spec)) < 0)
		return err;
	strbuf_addf(&why, "%s", reason && *reason ? reason : "");
	if (!why.len)
		strbuf_addf(&why, "promote %s to %s", m->ref, stage);
	if ((err = move_start(&mv, reg, route, "promote", why.buf, 0)) < 0 ||
	    (err = check_servable(reg, m, stage)) < 0)
		goto done;
	mv.stage = stage;
	if ((err = signer_allowed(&who, &mv.s, "promote", route, stage)) < 0)
		goto done;
	if (!strcmp(stage, "production")) {
		if (mv.next.production.ref && !strcmp(mv.next.production.ref, m->ref)) {
			err = mreg_error_set(MREG_EINVALID, "%s already serves production of route '%s'",
					     m->ref, route);
			goto done;
		}
		if (mv.next.production.ref)
			route_slot_copy(&mv.next.previous, &mv.next.production);
		route_slot_set(&mv.next.production, m->ref, m->digest, 0);
		/* it graduates: its canary or shadow slot is done */
		if (mv.next.canary.ref && !strcmp(mv.next.canary.ref, m->ref))
			route_slot_clear(&mv.next.canary);
		if (mv.next.shadow.ref && !strcmp(mv.next.shadow.ref, m->ref))
			route_slot_clear(&mv.next.shadow);
	} else {
		if (mv.next.production.ref && !strcmp(mv.next.production.ref, m->ref)) {
			err = mreg_error_set(MREG_EINVALID, "%s already serves production of route '%s'",
					     m->ref, route);
			goto done;
		}
		route_slot_set(!strcmp(stage, "canary") ? &mv.next.canary : &mv.next.shadow,
			       m->ref, m->digest,
			       percent >= 0 ? percent : !strcmp(stage, "canary")
					? DEFAULT_CANARY_TRAFFIC : DEFAULT_SHADOW_SAMPLE);
	}
	/* A version that served production once may serve again after a rollback. */
	add_step(&mv, m, stage);
	if ((err = need_gate(&mv, m, stage)) < 0 ||
	    (err = need_approvals(&mv, m, stage)) < 0)
		goto done;
	err = move_finish(out, &mv);
done:
	move_release(&mv);
	mreg_model_free(m);
	strbuf_release(&why);
	return err;
}

/*
 * The production version before `target` became production: from the
 * newest commit of the chain in which `target` serves production; and
 * in `*served`, whether it ever served production on this route.
 */
static int production_before(struct mreg_route_slot *out, struct move *mv,
			     const char *target, int *served)
{
	git_oid id = mv->head;
	int err = 0;

	route_slot_clear(out);
	*served = 0;
	for (;;) {
		struct mreg_route r;
		git_commit *c = NULL;
		int found;

		memset(&r, 0, sizeof(r));
		if ((err = route_read_commit(&r, mv->reg, &id)) < 0)
			break;
		found = r.production.ref && !strcmp(r.production.ref, target);
		if (found)
			*served = 1;
		if (found && r.previous.ref && strcmp(r.previous.ref, target))
			route_slot_copy(out, &r.previous);
		route_release(&r);
		if (found || git_commit_lookup(&c, mv->reg->repo, &id) < 0)
			break;
		if (!git_commit_parentcount(c)) {
			git_commit_free(c);
			break;
		}
		id = *git_commit_parent_id(c, 0);
		git_commit_free(c);
	}
	return err;
}

int mreg_route_rollback(struct mreg_route **out, struct mreg_registry *reg,
			const char *route, const char *to, const char *reason)
{
	struct move mv;
	struct mreg_model *target = NULL, *current = NULL;
	struct strbuf why = STRBUF_INIT;
	int err, served = 0;

	if (out)
		*out = NULL;
	strbuf_addstr(&why, reason && *reason ? reason : "rollback");
	if ((err = move_start(&mv, reg, route, "rollback", why.buf, 1)) < 0)
		goto done;
	mv.stage = "production";
	if (!mv.next.production.ref) {
		err = mreg_error_set(MREG_EINVALID, "route '%s' has no production version to roll back",
				     route);
		goto done;
	}
	if (!to && !mv.next.previous.ref) {
		err = mreg_error_set(MREG_EINVALID,
				     "route '%s' has no previous production version; use --to REF",
				     route);
		goto done;
	}
	if ((err = mreg_model_lookup(&target, reg, to ? to : mv.next.previous.ref)) < 0 ||
	    (err = mreg_model_lookup(&current, reg, mv.next.production.ref)) < 0)
		goto done;
	if (!strcmp(target->ref, current->ref)) {
		err = mreg_error_set(MREG_EINVALID, "%s already serves production of route '%s'",
				     target->ref, route);
		goto done;
	}
	if (strcmp(target->status, "production") &&
	    (err = check_servable(reg, target, "production")) < 0)
		goto done;
	if ((err = production_before(&mv.next.previous, &mv, target->ref, &served)) < 0)
		goto done;
	/* Back to what served before needs nobody; anything else is a promotion. */
	if (!served && ((err = need_gate(&mv, target, "production")) < 0 ||
			(err = need_approvals(&mv, target, "production")) < 0))
		goto done;
	if (mv.next.previous.ref && !strcmp(mv.next.previous.ref, current->ref))
		route_slot_clear(&mv.next.previous);
	route_slot_set(&mv.next.production, target->ref, target->digest, 0);
	add_step(&mv, current, "rolled_back");
	add_step(&mv, target, "production");
	err = move_finish(out, &mv);
done:
	move_release(&mv);
	mreg_model_free(target);
	mreg_model_free(current);
	strbuf_release(&why);
	return err;
}

int mreg_route_set_traffic(struct mreg_route **out, struct mreg_registry *reg,
			   const char *route, double percent, const char *reason)
{
	struct move mv;
	struct strbuf why = STRBUF_INIT;
	int err;

	if (out)
		*out = NULL;
	if (percent < 0 || percent > 100)
		return mreg_error_set(MREG_EINVALID, "a percentage is from 0 to 100");
	strbuf_addstr(&why, reason && *reason ? reason : "set canary traffic");
	if ((err = move_start(&mv, reg, route, "set-traffic", why.buf, 1)) < 0)
		goto done;
	mv.stage = "canary";
	if (!mv.next.canary.ref) {
		err = mreg_error_set(MREG_EINVALID, "route '%s' has no canary", route);
		goto done;
	}
	mv.next.canary.percent = percent;
	err = move_finish(out, &mv);
done:
	move_release(&mv);
	strbuf_release(&why);
	return err;
}

int mreg_route_retire(struct mreg_route **out, struct mreg_registry *reg,
		      const char *route, const char *reason)
{
	struct move mv;
	struct strbuf why = STRBUF_INIT;
	int err;

	if (out)
		*out = NULL;
	strbuf_addstr(&why, reason && *reason ? reason : "retire");
	if ((err = move_start(&mv, reg, route, "retire", why.buf, 1)) < 0)
		goto done;
	mv.stage = "production";
	if (!mv.next.production.ref && !mv.next.canary.ref && !mv.next.shadow.ref) {
		err = mreg_error_set(MREG_EINVALID, "route '%s' is retired already", route);
		goto done;
	}
	route_slot_clear(&mv.next.production);
	route_slot_clear(&mv.next.canary);
	route_slot_clear(&mv.next.shadow);
	route_slot_clear(&mv.next.previous);
	err = move_finish(out, &mv);
done:
	move_release(&mv);
	strbuf_release(&why);
	return err;
}
