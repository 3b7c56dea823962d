/*
 * remote.h: sharing a registry through any git remote (DESIGN §5).
 *
 * Metadata moves with libgit2: the refs under refs/mreg/ only.  Artifacts move first on
 * push (so a ref never names bytes the remote lacks) and are fetched
 * before anything is accepted; every received byte is re-hashed.  A fetch
 * lands in refs/mreg-remotes/<remote>/, is verified there (signatures
 * against the pinned trust roots and the policy chain, seq/prev, fast-
 * forward only for routes, status and policy, immutable versions) and
 * only then moves local refs, all or none.
 */
#ifndef MREG_REMOTE_H
#define MREG_REMOTE_H

#include "mreg/mreg.h"
#include "mreg/store.h"

struct mreg_registry;

int mreg_remote_add(struct mreg_registry *reg, const char *name, const char *url);
int mreg_remote_remove(struct mreg_registry *reg, const char *name);
int mreg_remote_list(struct mreg_registry *reg,
		     int (*fn)(const char *name, const char *url, void *payload),
		     void *payload);

struct mreg_sync_options {
	int no_artifacts;	/* leave artifact bytes behind (artifact_uri registries) */
	mreg_progress_fn progress;	/* artifact bytes */
	void *payload;
};

/* What happened to one ref. */
struct mreg_sync_ref {
	const char *ref;	/* refs/mreg/... */
	const char *status;	/* new, updated, up-to-date, behind, pushed,
				   refused, rejected, conflict */
	const char *old_id, *new_id;	/* hex, or NULL */
	const char *message;	/* why, for refused/rejected/conflict/behind */
};

typedef void (*mreg_sync_report_fn)(const struct mreg_sync_ref *r, void *payload);

/*
 * Fetches `remote`, verifies, and fast-forwards local refs.  `*refused`
 * counts refs refused (a rewound or forged chain, a version whose digest
 * differs, diverged routes); when it is not 0, no local ref moved.
 */
int mreg_fetch(size_t *refused, struct mreg_registry *reg, const char *remote,
	       const struct mreg_sync_options *opts, mreg_sync_report_fn fn, void *payload);

/*
 * Sends the artifacts the remote lacks, then pushes every ref that moved,
 * never forcing: a route the remote moved since our last fetch is
 * rejected ("fetch and retry").  `*rejected` counts those.
 */
int mreg_push(size_t *rejected, struct mreg_registry *reg, const char *remote,
	      const struct mreg_sync_options *opts, mreg_sync_report_fn fn, void *payload);

/*
 * init + remote add origin + fetch.  The trust root is the key(s) in
 * `trust_root_file`, or else the one key that signed the root of the
 * remote's history, returned in `*pinned` (its fingerprint, for the user
 * to compare out of band; the caller frees it).  A failed clone removes
 * what it created.
 */
int mreg_clone(struct mreg_registry **out, char **pinned, const char *url,
	       const char *dir, const char *trust_root_file,
	       const struct mreg_sync_options *opts, mreg_sync_report_fn fn, void *payload);

#endif
