/*
 * route.h: routes, the refs serving code follows (DESIGN §3).
 *
 * refs/mreg/routes/<route> is a linear chain of signed commits, one per
 * promote, rollback, set-traffic or retire; each commit's tree holds the
 * canonical `route` file (Documentation/technical/route-format.adoc).
 * Reading a route is the serving path and is kept cheap: one ref, one
 * commit, one blob.
 */
#ifndef MREG_ROUTE_H
#define MREG_ROUTE_H

#include <stdint.h>
#include "mreg/mreg.h"

struct mreg_registry;

/* One slot of a route; `ref` is NULL when the slot is empty. */
struct mreg_route_slot {
	char *ref;		/* NAME@VERSION */
	char digest[7 + 64 + 1];	/* sha256:<hex> */
	double percent;		/* canary traffic or shadow sample, 0..100 */
};

struct mreg_route {
	char *name;
	unsigned long seq;
	char commit[41];
	char prev[41];		/* the parent commit, or 40 zeros */
	char *action;		/* promote, rollback, retire, set-traffic */
	struct mreg_route_slot production, canary, shadow, previous;
	char *policy;		/* the policy commit in force, or NULL */
	char *reason;
	int64_t time;		/* committer time */
	char *author;		/* "Name <email>" of who proposed */
	char *committer;	/* of who applied */
};

void mreg_route_free(struct mreg_route *r);

/* The route's head: MREG_ENOTFOUND if there is no such route. */
int mreg_route_read(struct mreg_route **out, struct mreg_registry *reg,
		    const char *name);

/*
 * The serving path: the version active in `stage` ("production" when
 * NULL; "canary", "shadow", "previous-production") of route `name`.
 * `*ref` (NAME@VERSION, the caller frees it) and `digest` (72 bytes) are
 * set; MREG_ENOTFOUND if the route or the slot is empty.
 */
int mreg_route_resolve(char **ref, char *digest, struct mreg_registry *reg,
		       const char *name, const char *stage);

#endif
