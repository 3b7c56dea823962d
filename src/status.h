/*
 * status.h: the lifecycle status chain of a version,
 * refs/mreg/status/NAME/VERSION.  Each commit's tree holds one canonical
 * `status` file; its message repeats the facts a listing needs as trailers,
 * so `mreg list` reads one commit per version.  The format is in
 * Documentation/technical/store.adoc.
 */
#ifndef MREG_STATUS_H
#define MREG_STATUS_H

#include "internal.h"

struct signer;

struct status_facts {
	const char *name, *version, *digest, *owner;
	int64_t registered;	/* registration time */
	const char *action;	/* register, status, route, approve, gate */
	const char *from, *state, *reason;
	unsigned seq;
	const git_oid *prev;	/* NULL for the first commit */
	const char *policy;	/* the policy commit in force, hex; NULL: none */
};

/* A file to add to a status commit's tree (approvals, gate results). */
struct status_file {
	const char *path;
	const char *data;
	size_t len;
};

/*
 * Writes a status commit signed by `s` (no ref is moved) and returns its
 * id; `files` go into its tree beside `status`.
 */
int status_commit(git_oid *out, struct mreg_registry *reg,
		  const struct status_facts *facts, const struct status_file *files,
		  size_t nr_files, struct signer *s);

/* The head of a version's status chain. */
struct status_head {
	git_oid id;
	unsigned seq;
	char *state, *digest, *owner;
	int64_t registered;
};

int status_head_read(struct status_head *out, struct mreg_registry *reg,
		     const char *name, const char *version);
void status_head_release(struct status_head *h);

/*
 * 1 if the newest gate result recorded on the status chain of
 * NAME@VERSION under `prefix` ("refs/mreg/"), no later than `until`
 * (-1: any time), passed; 0 if it failed or there is none.
 */
int status_gate_passed(struct mreg_registry *reg, const char *prefix, const char *name,
		       const char *version, int64_t until);

/* Parses a status file's "key value" line; NULL if absent.  Caller frees. */
char *status_field(const char *text, const char *key);

/* The value of trailer `key` in a commit message, or NULL; caller frees. */
char *message_trailer(const char *msg, const char *key);

#endif

struct ref_move;

/* 0 for production, canary or shadow; MREG_EINVALID otherwise. */
int stage_check(const char *stage);

/*
 * Writes the next commit of the status chain of NAME@VERSION moving it to
 * `state` (checked against the lifecycle unless it is the current state)
 * and fills `move` to put it in place; `refname` holds the ref's name for
 * as long as `move` is used.
 */
int status_advance(struct ref_move *move, struct strbuf *refname,
		   struct mreg_registry *reg, const char *name, const char *version,
		   const char *action, const char *state, const char *reason,
		   const struct status_file *files, size_t nr_files, struct signer *s);
