/*
 * internal.h: what every libmreg source file shares and that must not leak
 * into the public headers (libgit2 types, the registry's insides).
 */
#ifndef MREG_INTERNAL_H
#define MREG_INTERNAL_H

#include <errno.h>
#include <string.h>
#include <git2.h>

#include "mreg/mreg.h"
#include "mreg/registry.h"
#include "mreg/value.h"
#include "strbuf.h"
#include "util.h"

struct mreg_registry {
	git_repository *repo;
	char *dir;		/* the registry directory, no trailing slash */
	char *artifacts;	/* dir/artifacts */
	char *tmp;		/* dir/tmp */
};

/* Sets the error from libgit2's last error, prefixed by `what`. */
int mreg_error_git(const char *what);
/* Sets "what 'path': strerror(errno)" with `code`. */
int mreg_error_errno(int code, const char *what, const char *path);

/* The kind a plain YAML scalar's text resolves to (core schema); value.c. */
enum mreg_value_kind mreg_value_resolve(const char *text);

/*
 * Sets error `code` with "FILE:LINE:COLUMN: " (the position of `v` in
 * `file`) before the message, and returns `code`.
 */
int value_error(int code, const char *file, const struct mreg_value *v,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The committer identity for a new commit: config user.name/user.email. */
int mreg_signature_now(git_signature **out, struct mreg_registry *reg);

#endif
