/*
 * mreg.h: the common part of libmreg's public API.
 *
 * Conventions that hold for every header under include/mreg/:
 *
 * - Functions return 0 on success or a negative `enum mreg_error`; the
 *   message that explains the failure is read with mreg_error_last().
 * - Out parameters come first and are named `out`.  A result handed back
 *   through `**out` belongs to the caller, who releases it with the
 *   matching `_free()`; a returned `const T *` is lent and lives as long as
 *   the object it came from.
 * - `_init()` never allocates, `_release()` frees what a struct holds,
 *   `_free()` frees the contents and the struct; all of them accept NULL.
 *
 * libmreg never prints data and never exits; the CLI in cmd/ does both.
 */
#ifndef MREG_MREG_H
#define MREG_MREG_H

#include <stddef.h>
#include <stdint.h>

#define MREG_VERSION "0.1.0"

/* Sizes up to this are stored as git blobs; larger ones in the artifact store. */
#define MREG_BLOB_LIMIT (1024 * 1024)

enum mreg_error {
	MREG_OK = 0,
	MREG_ERROR = -1,	/* generic failure */
	MREG_ENOTFOUND = -3,	/* no such registry, ref, version, file */
	MREG_EEXISTS = -4,	/* an object that must be new already exists */
	MREG_EAMBIGUOUS = -5,	/* a short name or digest matches several */
	MREG_ELOCKED = -6,	/* another process holds the lock */
	MREG_EMODIFIED = -7,	/* compare-and-swap lost: the ref moved */
	MREG_EINVALID = -8,	/* bad input: names, YAML, options */
	MREG_EBADSIG = -9,	/* a signature does not verify */
	MREG_ECORRUPT = -10,	/* stored bytes do not hash to their name */
	MREG_EIO = -11,		/* the operating system said no */
	MREG_EGIT = -12,	/* libgit2 failed */
	MREG_EDENIED = -13	/* the policy or the lifecycle says no */
};

/*
 * Records the message for the error being returned and returns `code`, so
 * that a failing path reads `return mreg_error_set(MREG_EINVALID, ...)`.
 */
int mreg_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The message of the last error on this thread ("" when there is none). */
const char *mreg_error_last(void);

/* The code of the last error on this thread. */
int mreg_error_code(void);

void mreg_error_clear(void);

/* Starts libmreg (libgit2, OpenSSL); call once before anything else. */
int mreg_global_init(void);
void mreg_global_shutdown(void);

#endif
