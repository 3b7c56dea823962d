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

struct status_facts {
	const char *name, *version, *digest, *owner;
	int64_t registered;	/* registration time */
	const char *from, *state, *reason;
	unsigned seq;
	const git_oid *prev;	/* NULL for the first commit */
};

/* Writes a status commit (no ref is moved) and returns its id. */
int status_commit(git_oid *out, struct mreg_registry *reg,
		  const struct status_facts *facts, const git_signature *sig);

/* The value of trailer `key` in a commit message, or NULL; caller frees. */
char *message_trailer(const char *msg, const char *key);

#endif
