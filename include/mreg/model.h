/*
 * model.h: registering model versions and reading them back.
 *
 * A model version NAME@VERSION is the commit at refs/mreg/models/NAME/VERSION
 * whose tree holds the canonical bundle.yaml, model.yaml, metrics.yaml,
 * card.md and every file of the bundle up to 1 MiB; larger files live in
 * the artifact store (store.h).  The bundle digest, "sha256:<hex>" of
 * bundle.yaml, is the version's identity.  Versions are immutable: a ref is
 * created once and never moved.
 */
#ifndef MREG_MODEL_H
#define MREG_MODEL_H

#include <stdint.h>
#include "mreg/mreg.h"
#include "mreg/store.h"
#include "mreg/value.h"

struct mreg_registry;

/* One file of a bundle: the artifact (or a shard of it) or a component. */
struct mreg_file {
	char *kind;		/* "artifact" or the component kind */
	char *name;		/* the component's name where a kind has several; or NULL */
	char *version;		/* the component's version; NULL for the artifact */
	char *path;		/* its path in the bundle; NULL when external */
	char *uri;		/* where an external file lives; NULL otherwise */
	char sha256[MREG_HEX_SHA256 + 1];
	uint64_t size;
	int has_size;		/* 0 for an external file registered without a size */
};

/* 1 when the file's bytes live in the artifact store rather than in git. */
int mreg_file_in_store(const struct mreg_file *f);

struct mreg_model {
	char *name, *version;
	char *ref;		/* "NAME@VERSION" */
	char digest[7 + MREG_HEX_SHA256 + 1];	/* "sha256:<hex>" */
	char commit[41];	/* the git commit holding the bundle tree */
	int64_t time;		/* when it was registered, seconds since the epoch */
	char *owner;
	char *status;		/* lifecycle state from the status chain */
	struct mreg_value *doc;	/* the parsed bundle.yaml */
	size_t nr_files;
	struct mreg_file *files;
};

void mreg_model_free(struct mreg_model *m);

struct mreg_register_options {
	const char *version;	/* overrides the manifest's model_version */
	const char *message;	/* why it was registered, kept in the commit */
	mreg_progress_fn progress;	/* hashing large files */
	void *payload;
};

/*
 * Validates the manifest at `path` (errors name file:line:column), stores
 * its files, writes the bundle and creates NAME@VERSION with its status
 * chain in state `candidate`, all or nothing.  MREG_EEXISTS if the version
 * is already registered (the original is untouched).
 */
int mreg_model_register(struct mreg_model **out, struct mreg_registry *reg,
			const char *path, const struct mreg_register_options *opts);

/*
 * Finds a version by NAME@VERSION, a unique bare VERSION or
 * sha256:<7 or more hex digits>, reads and checks its bundle.yaml against
 * the recorded digest.  MREG_ENOTFOUND, MREG_EAMBIGUOUS, MREG_ECORRUPT.
 */
int mreg_model_lookup(struct mreg_model **out, struct mreg_registry *reg,
		      const char *spec);

/* A version in a listing: what can be read without loading its bundle. */
struct mreg_model_summary {
	const char *name, *version, *owner, *status;
	const char *digest;
	int64_t time;
};

/*
 * Calls `fn` for every version (of `name` if not NULL), newest first.
 * A non-zero return from `fn` stops the walk and is returned.
 */
int mreg_model_list(struct mreg_registry *reg, const char *name,
		    int (*fn)(const struct mreg_model_summary *s, void *payload),
		    void *payload);

/* The file of `m` at `path` (bundle paths and the four generated files). */
const struct mreg_file *mreg_model_file(const struct mreg_model *m, const char *path);

/*
 * Writes the bytes at `path` in the bundle (a bundle file or bundle.yaml,
 * model.yaml, metrics.yaml, card.md) to `fd`, verifying them.  For a file
 * in the artifact store the whole file is re-hashed before the first byte
 * is written.  MREG_ENOTFOUND for no such path, MREG_ECORRUPT on mismatch.
 */
int mreg_model_cat(struct mreg_registry *reg, const struct mreg_model *m,
		   const char *path, int fd, mreg_progress_fn progress, void *payload);

/*
 * Materializes the bundle under `dir` for serving: every file re-hashed.
 * The bundle is written to a temporary directory beside `dir` and renamed
 * into place, so a failure leaves no partial `dir`.  An existing `dir` is
 * replaced only with `force`.
 */
int mreg_model_export(struct mreg_registry *reg, const struct mreg_model *m,
		      const char *dir, int force,
		      mreg_progress_fn progress, void *payload);

#endif
