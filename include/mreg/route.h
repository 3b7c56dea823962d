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

/* A percentage as the route file writes it: "10%", "0.5%" (len >= 32). */
void mreg_percent_format(char *buf, size_t len, double v);

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



/*
 * mreg_route_resolve() for the registry directory `dir`, without starting
 * libgit2, when the route's head and its objects are loose (as mreg writes
 * them); every object's SHA-1 is checked.  0 with `*ref` and `digest`
 * set; 1 when only mreg_route_resolve() can answer (packed objects, no
 * such route, an empty slot); negative for a corrupt object.
 */
int mreg_route_resolve_direct(char **ref, char *digest, const char *dir,
			      const char *name, const char *stage);

/*
 * Route moves.  Each is one signed commit on refs/mreg/routes/<route>,
 * put in place by compare-and-swap together with the status chains of
 * the versions it moves: all of it or none.  MREG_EMODIFIED ("route
 * moved, retry") when another move won; MREG_EDENIED when the policy or
 * the lifecycle refuses.  On success `*out` (if not NULL) is the new head.
 */

/* Puts version `spec` in `stage` (NULL: production); `percent` < 0: default. */
int mreg_route_promote(struct mreg_route **out, struct mreg_registry *reg,
		       const char *route, const char *spec, const char *stage,
		       double percent, const char *reason);

/*
 * Puts `to` (NULL: the previous production version) back in production,
 * as a new commit; the version it replaces becomes rolled_back.
 */
int mreg_route_rollback(struct mreg_route **out, struct mreg_registry *reg,
			const char *route, const char *to, const char *reason);

/* Changes the canary's share of traffic. */
int mreg_route_set_traffic(struct mreg_route **out, struct mreg_registry *reg,
			   const char *route, double percent, const char *reason);

/* Empties every slot; the history stays. */
int mreg_route_retire(struct mreg_route **out, struct mreg_registry *reg,
		      const char *route, const char *reason);

/* Calls `fn` with the head of every route, by name. */
int mreg_route_list(struct mreg_registry *reg,
		    int (*fn)(const struct mreg_route *r, void *payload), void *payload);

/* One commit of a route's history, as `mreg log` shows it. */
struct mreg_route_entry {
	const struct mreg_route *route;	/* the route file of this commit */
	const char *stage;	/* the slot it moved: production, canary, shadow, all */
	const char *from, *to;	/* NAME@VERSION before and after, or NULL */
	const char *signer;	/* principal, or "(unsigned)" ... */
	int verified;		/* the signature verifies against the policy */
	const char *const *approvers;	/* NULL-terminated principals */
};

/* Walks a route's history newest first, checking each signature. */
int mreg_route_history(struct mreg_registry *reg, const char *route,
		       int (*fn)(const struct mreg_route_entry *e, void *payload),
		       void *payload);
#endif
