/*
 * sync.h: what sync.c (fetch, clone) and sync-push.c share: the lists of
 * refs a sync compares, the plan of a fetch, and what each side says of
 * a ref it moved or would not move.
 */
#ifndef MREG_SYNC_H
#define MREG_SYNC_H

#include "internal.h"
#include "verify.h"
#include "mreg/remote.h"

struct ref_move;

/*
 * After moving this many refs at once, pack them: thousands of loose refs
 * make every listing, and every later push, open thousands of files.
 */
#define MANY_REFS 256
void sync_pack_refs(git_repository *repo);

struct refval {
	char *name;
	git_oid id;
};

struct reflist {
	struct refval *v;
	size_t nr, alloc;
};

void reflist_release(struct reflist *l);
void reflist_add(struct reflist *l, const char *name, const git_oid *id);
/* Sorted by name once filled, so that lookups are a binary search. */
void reflist_sort(struct reflist *l);
/* The id of `name` in a sorted list; NULL if it is not there. */
const git_oid *reflist_find(const struct reflist *l, const char *name);
/* Every direct ref under `prefix`, names without the prefix, sorted. */
int sync_list_refs(struct reflist *out, struct mreg_registry *reg, const char *prefix);

/* Tells `fn`, if any, what became of `ref` (under refs/mreg/). */
void sync_report_ref(mreg_sync_report_fn fn, void *payload, const char *ref,
		     const char *status, const git_oid *old, const git_oid *new,
		     const char *message);

/*
 * "routes/x" -> kind and names (the caller frees them); 0 if it is not a
 * ref mreg syncs.  `*model` is 1 for a version, models/NAME/VERSION.
 */
int sync_parse_ref(enum chain_kind *kind, int *model, char **name, char **version,
		   const char *ref);

/*
 * A sync with `remote`: its refs as we last saw them (before), as just
 * fetched (staged), ours (local); for a fetch, the moves it will make and
 * how many refs it refused.
 */
struct plan {
	struct mreg_registry *reg;
	const char *remote;
	struct strbuf prefix;	/* refs/mreg-remotes/<remote>/ */
	struct reflist before, staged, local;
	struct ref_move *moves;
	struct strbuf *names;	/* moves[i].name points into names[i] */
	size_t nr_moves, alloc_moves, alloc_names;
	size_t refused;
	int no_artifacts;
	mreg_sync_report_fn fn;
	void *payload;
};

/* Starts a plan for `remote`; `before` gets its remote-tracking refs. */
int plan_start(struct plan *p, struct mreg_registry *reg, const char *remote,
	       mreg_sync_report_fn fn, void *payload);
void plan_release(struct plan *p);

/* The URL of the remote named `remote`; the caller frees it. */
int sync_remote_url(char **out, struct mreg_registry *reg, const char *remote);
/* The directory of a path or file:// remote; NULL for a network one. */
char *sync_local_path(const char *url);

/* The identity of the reflog entries a sync writes. */
int sync_signature(git_signature **out, struct mreg_registry *reg);

#endif
