/* route.h: the route file and the pieces route moves are made of. */
#ifndef MREG_ROUTE_INTERNAL_H
#define MREG_ROUTE_INTERNAL_H

#include "internal.h"
#include "mreg/route.h"

/* Frees what `r` holds (not `r`). */
void route_release(struct mreg_route *r);

/* Parses a `route` file (Documentation/technical/route-format.adoc). */
int route_parse(struct mreg_route *r, const char *text, size_t len);
/* Writes the canonical `route` file. */
void route_format(struct strbuf *sb, const struct mreg_route *r);
/* Fills `r` from the route file and headers of commit `id`. */
int route_read_commit(struct mreg_route *r, struct mreg_registry *reg, const git_oid *id);
/* The head commit of a route; MREG_ENOTFOUND for none. */
int route_head(git_oid *id, struct mreg_registry *reg, const char *name);

/* The slot of `stage` (NULL: production); NULL for no such stage. */
const struct mreg_route_slot *route_slot(const struct mreg_route *r, const char *stage);
int route_slot_name_ok(const char *stage);
/* Empties a slot. */
void route_slot_clear(struct mreg_route_slot *s);
void route_slot_copy(struct mreg_route_slot *dst, const struct mreg_route_slot *src);
void route_slot_set(struct mreg_route_slot *dst, const char *ref, const char *digest,
		    double percent);
/* "5", "5%", "0.5%" -> 0..100 */
int route_parse_percent(double *out, const char *s);

#endif
