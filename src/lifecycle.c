/*
 * Moving versions through their lifecycle by hand (`mreg status`),
 * approving them (`mreg approve`), and reading their history.
 */
#include "internal.h"
#include "approval.h"
#include "chain.h"
#include "policy.h"
#include "status.h"
#include "mreg/model.h"
#include "mreg/name.h"
#include "mreg/route.h"
#include "mreg/status.h"

#include <stdlib.h>

/* States that only route moves set: promote, rollback. */
static const char *const route_states[] = {
	"shadow", "canary", "production", "rolled_back",
};

int status_advance(struct ref_move *move, struct strbuf *refname,
		   struct mreg_registry *reg, const char *name, const char *version,
		   const char *action, const char *state, const char *reason,
		   const struct status_file *files, size_t nr_files, struct signer *s)
{
	struct status_head head;
	struct status_facts f;
	int err;

	if ((err = status_head_read(&head, reg, name, version)) < 0)
		return err;
	if (strcmp(head.state, state) &&
	    !mreg_status_transition_allowed(head.state, state)) {
		char *next = mreg_status_successors(head.state);

		err = mreg_error_set(MREG_EDENIED,
				     "%s@%s cannot move from %s to %s; from %s it may go to: %s",
				     name, version, head.state, state, head.state, next);
		free(next);
		goto done;
	}
	memset(&f, 0, sizeof(f));
	f.name = name;
	f.version = version;
	f.digest = head.digest;
	f.owner = head.owner;
	f.registered = head.registered;
	f.action = action;
	f.from = head.state;
	f.state = state;
	f.reason = reason;
	f.seq = head.seq + 1;
	f.prev = &head.id;
	f.policy = s->policy->commit;
	memset(move, 0, sizeof(*move));
	strbuf_reset(refname);
	strbuf_addf(refname, "refs/mreg/status/%s/%s", name, version);
	move->name = refname->buf;
	move->old = head.id;
	err = status_commit(&move->new, reg, &f, files, nr_files, s);
done:
	status_head_release(&head);
	return err;
}

static int moved(int err, const char *what)
{
	if (err == MREG_EMODIFIED)
		return mreg_error_set(MREG_EMODIFIED, "%s moved meanwhile, retry", what);
	return err;
}

struct in_use {
	const char *ref;
	struct strbuf where;
};

static int serving(const struct mreg_route *r, void *payload)
{
	struct in_use *u = payload;
	const struct mreg_route_slot *slots[] = { &r->production, &r->canary, &r->shadow };
	static const char *const names[] = { "production", "canary", "shadow" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(slots); i++)
		if (slots[i]->ref && !strcmp(slots[i]->ref, u->ref))
			strbuf_addf(&u->where, "%s%s of route '%s'", u->where.len ? ", " : "",
				    names[i], r->name);
	return 0;
}

/* A version a route still serves cannot be retired under it. */
static int check_unused(struct mreg_registry *reg, const char *ref, const char *state)
{
	struct in_use u;
	int err;

	u.ref = ref;
	strbuf_init(&u.where, 0);
	if (!(err = mreg_route_list(reg, serving, &u)) && u.where.len)
		err = mreg_error_set(MREG_EDENIED, "%s serves %s; move the route first, then "
				     "mark it %s", ref, u.where.buf, state);
	strbuf_release(&u.where);
	return err;
}

int mreg_status_set(struct mreg_registry *reg, const char *spec,
		    const char *state, const char *reason)
{
	struct mreg_model *m = NULL;
	struct signer s;
	struct ref_move move;
	struct strbuf ref = STRBUF_INIT, log = STRBUF_INIT;
	const char *who;
	size_t i;
	int err;

	memset(&s, 0, sizeof(s));
	if (!mreg_status_valid(state))
		return mreg_error_set(MREG_EINVALID, "unknown state '%s'", state);
	for (i = 0; i < ARRAY_SIZE(route_states); i++)
		if (!strcmp(state, route_states[i]))
			return mreg_error_set(MREG_EINVALID,
					      "a version becomes %s by a route move: use 'mreg %s'",
					      state, strcmp(state, "rolled_back") ? "promote" : "rollback");
	if ((err = mreg_model_lookup(&m, reg, spec)) < 0 ||
	    (err = signer_open(&s, reg, 0)) < 0 ||
	    (err = signer_allowed(&who, &s, "status", NULL, state)) < 0)
		goto done;
	if (!strcmp(m->status, state)) {
		err = mreg_error_set(MREG_EDENIED, "%s is already %s", m->ref, state);
		goto done;
	}
	if ((!strcmp(state, "deprecated") || !strcmp(state, "archived")) &&
	    (err = check_unused(reg, m->ref, state)) < 0)
		goto done;
	if ((err = status_advance(&move, &ref, reg, m->name, m->version, "status", state,
				  reason, NULL, 0, &s)) < 0)
		goto done;
	strbuf_addf(&log, "status %s %s", m->ref, state);
	err = moved(refs_move(reg, &move, 1, s.sig, log.buf), "the status chain");
done:
	strbuf_release(&ref);
	strbuf_release(&log);
	signer_release(&s);
	mreg_model_free(m);
	return err;
}

static const char *const stages[] = { "production", "canary", "shadow" };

int stage_check(const char *stage)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(stages); i++)
		if (!strcmp(stages[i], stage))
			return 0;
	return mreg_error_set(MREG_EINVALID,
			      "unknown stage '%s' (production, canary or shadow)", stage);
}

int mreg_approve(struct mreg_registry *reg, const char *route, const char *spec,
		 const char *stage, const char *role, const char *note,
		 int64_t expires)
{
	struct mreg_model *m = NULL;
	struct signer s;
	struct ref_move move;
	struct strbuf st = STRBUF_INIT, ref = STRBUF_INIT, reason = STRBUF_INIT;
	struct strbuf p1 = STRBUF_INIT, p2 = STRBUF_INIT;
	struct status_file files[2];
	char *sig = NULL, keyhex[65], when[32];
	const char *who;
	size_t siglen;
	int err;

	memset(&s, 0, sizeof(s));
	if ((err = mreg_name_check("route name", route)) < 0 ||
	    (err = stage_check(stage)) < 0 ||
	    (role && (err = mreg_name_check("role", role)) < 0) ||
	    (err = mreg_model_lookup(&m, reg, spec)) < 0 ||
	    (err = signer_open(&s, reg, 0)) < 0 ||
	    (err = signer_allowed(&who, &s, "approve", route, stage)) < 0)
		goto done;
	if (expires <= s.sig->when.time) {
		err = mreg_error_set(MREG_EINVALID, "the approval would expire before it is made");
		goto done;
	}
	format_iso_time(when, sizeof(when), expires);
	strbuf_addf(&st, "mreg-approval 1\nroute %s\nstage %s\nmodel %s\ndigest %s\n"
		    "role %s\nexpires %s\nprincipal %s\n", route, stage, m->ref, m->digest,
		    role ? role : "approver", when, who);
	strbuf_addstr(&st, "note ");
	for (; note && *note; note++)
		strbuf_addch(&st, *note == '\n' ? ' ' : *note);
	strbuf_addch(&st, '\n');
	if ((err = mreg_sshsig_sign(&sig, &siglen, s.key, MREG_SIGN_NAMESPACE_APPROVAL,
				    st.buf, st.len)) < 0)
		goto done;
	hex_encode(keyhex, s.pub.ed25519, sizeof(s.pub.ed25519));
	strbuf_addf(&p1, "approvals/%s.statement", keyhex);
	strbuf_addf(&p2, "approvals/%s.sig", keyhex);
	files[0].path = p1.buf;
	files[0].data = st.buf;
	files[0].len = st.len;
	files[1].path = p2.buf;
	files[1].data = sig;
	files[1].len = siglen;
	strbuf_addf(&reason, "%s approves %s for %s %s as %s until %s", who, m->ref,
		    route, stage, role ? role : "approver", when);
	if ((err = status_advance(&move, &ref, reg, m->name, m->version, "approve",
				  m->status, reason.buf, files, 2, &s)) < 0)
		goto done;
	err = moved(refs_move(reg, &move, 1, s.sig, reason.buf), "the status chain");
done:
	free(sig);
	strbuf_release(&st);
	strbuf_release(&ref);
	strbuf_release(&reason);
	strbuf_release(&p1);
	strbuf_release(&p2);
	signer_release(&s);
	mreg_model_free(m);
	return err;
}

int mreg_signing_fingerprint(char **out, struct mreg_registry *reg)
{
	struct mreg_key *key = NULL;
	int err;

	*out = NULL;
	if ((err = signing_key_load(&key, reg)) < 0)
		return err;
	err = mreg_key_fingerprint(out, key);
	mreg_key_free(key);
	return err;
}

static int history_one(struct mreg_registry *reg, const git_oid *id, git_commit *c,
		       int (*fn)(const struct mreg_status_entry *e, void *payload),
		       void *payload)
{
	struct mreg_status_entry e;
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	struct strbuf text = STRBUF_INIT;
	char *seq = NULL, *action = NULL, *from = NULL, *state = NULL, *reason = NULL;
	char *policy = NULL, *signer = NULL, hex[GIT_OID_HEXSZ + 1];
	int ok, err;

	git_oid_tostr(hex, sizeof(hex), id);
	if (git_commit_tree(&tree, c) < 0 || git_tree_entry_bypath(&te, tree, "status") < 0 ||
	    git_blob_lookup(&blob, reg->repo, git_tree_entry_id(te)) < 0) {
		err = mreg_error_set(MREG_ECORRUPT, "status commit %s has no status file", hex);
		goto done;
	}
	strbuf_add(&text, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	seq = status_field(text.buf, "seq");
	action = status_field(text.buf, "action");
	from = status_field(text.buf, "from");
	state = status_field(text.buf, "state");
	reason = status_field(text.buf, "reason");
	policy = status_field(text.buf, "policy");
	signer = policy_signer_name(&ok, reg, id, policy, git_commit_time(c));
	memset(&e, 0, sizeof(e));
	e.seq = seq ? (unsigned)strtoul(seq, NULL, 10) : 0;
	e.action = action ? action : "register";
	e.from = from ? from : "?";
	e.state = state ? state : "?";
	e.reason = reason ? reason : "";
	e.signer = signer;
	e.time = git_commit_time(c);
	e.commit = hex;
	err = fn(&e, payload);
done:
	free(seq);
	free(action);
	free(from);
	free(state);
	free(reason);
	free(policy);
	free(signer);
	strbuf_release(&text);
	git_blob_free(blob);
	git_tree_entry_free(te);
	git_tree_free(tree);
	return err;
}

int mreg_status_history(struct mreg_registry *reg, const char *spec,
			int (*fn)(const struct mreg_status_entry *e, void *payload),
			void *payload)
{
	struct mreg_model *m = NULL;
	struct status_head head;
	git_oid id;
	int err;

	if ((err = mreg_model_lookup(&m, reg, spec)) < 0)
		return err;
	if ((err = status_head_read(&head, reg, m->name, m->version)) < 0)
		goto done;
	id = head.id;
	status_head_release(&head);
	for (;;) {
		git_commit *c = NULL;

		if (git_commit_lookup(&c, reg->repo, &id) < 0) {
			err = mreg_error_git("cannot read status");
			break;
		}
		err = history_one(reg, &id, c, fn, payload);
		if (err || !git_commit_parentcount(c)) {
			git_commit_free(c);
			break;
		}
		id = *git_commit_parent_id(c, 0);
		git_commit_free(c);
	}
done:
	mreg_model_free(m);
	return err;
}

int mreg_status_record_gate(struct mreg_registry *reg, const struct mreg_model *m,
			    int passed, const char *result_json, const char *reason)
{
	struct signer s;
	struct ref_move move;
	struct strbuf ref = STRBUF_INIT, log = STRBUF_INIT;
	struct status_file file;
	const char *who, *state;
	char *current = NULL;
	int err;

	memset(&s, 0, sizeof(s));
	if ((err = mreg_status_get(&current, reg, m->name, m->version)) < 0)
		return err;
	state = !strcmp(current, "candidate") ? (passed ? "validated" : "rejected") : current;
	if ((err = signer_open(&s, reg, 0)) < 0 ||
	    (err = signer_allowed(&who, &s, "status", NULL, state)) < 0)
		goto done;
	file.path = "gate.json";
	file.data = result_json;
	file.len = strlen(result_json);
	if ((err = status_advance(&move, &ref, reg, m->name, m->version, "gate", state,
				  reason, &file, 1, &s)) < 0)
		goto done;
	strbuf_addf(&log, "gate %s: %s", m->ref, reason);
	err = moved(refs_move(reg, &move, 1, s.sig, log.buf), "the status chain");
done:
	free(current);
	strbuf_release(&ref);
	strbuf_release(&log);
	signer_release(&s);
	return err;
}
