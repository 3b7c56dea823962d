/*
 * manifest.h: reading and validating the manifest a user writes
 * (Documentation/mreg-manifest.adoc) into the list of files to store and
 * the canonical bundle document.  Everything is checked before anything
 * is written.
 */
#ifndef MREG_MANIFEST_H
#define MREG_MANIFEST_H

#include "internal.h"
#include "mreg/model.h"

struct manifest_file {
	struct mreg_file f;	/* sha256/size filled in once stored */
	char *source;		/* the file on disk; NULL when external */
	int expect_sha256;	/* the manifest gave a sha256 to check */
	char *where;		/* "FILE:LINE:COL" of the entry, for messages */
	git_oid blob;		/* once stored, when it is kept in git */
};

struct manifest {
	char *file;		/* the manifest's path as given */
	struct mreg_value *doc;
	const char *name;	/* lent from doc */
	const char *version;	/* lent from doc; NULL if not given */
	size_t nr_files;
	struct manifest_file *files;
};

int manifest_load(struct manifest **out, const char *path);
void manifest_free(struct manifest *m);

/*
 * The canonical bundle document for the manifest once its files are
 * stored: fixed key order at the top, every other map sorted, every file
 * with its sha256 and size (Documentation/technical/store.adoc).
 */
struct mreg_value *manifest_bundle(const struct manifest *m, const char *version);

/* The bundle paths that the bundle itself uses and files must not. */
int manifest_reserved_path(const char *path);

#endif
