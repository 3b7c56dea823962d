/*
 * store.h: the artifact store, where bytes too large for git live.
 *
 * artifacts/ab/cd/<sha256> holds the raw bytes whose SHA-256 is the file's
 * name, mode 0444.  Writes stream through a fixed buffer into tmp/, hashing
 * as they copy, are fsynced and then linked into place; reads re-hash every
 * byte.  Memory use never grows with the size of an artifact.
 */
#ifndef MREG_STORE_H
#define MREG_STORE_H

#include <stdint.h>
#include "mreg/mreg.h"

struct mreg_registry;

#define MREG_HEX_SHA256 64

/* Progress of long work: bytes done of `total` (0 when unknown). */
typedef void (*mreg_progress_fn)(uint64_t done, uint64_t total, void *payload);

/*
 * Copies everything readable from `fd` into the store.  `hex` receives the
 * SHA-256 (65 bytes with the NUL), `size` the byte count.  An object that
 * is already stored is success.  When `expect` (a hex SHA-256) is given and
 * the bytes hash otherwise, nothing is stored and MREG_EINVALID returned,
 * with `hex` still set to what they hashed to.
 */
int mreg_store_put_fd(char *hex, uint64_t *size, struct mreg_registry *reg,
		      int fd, const char *expect, uint64_t expected_total,
		      mreg_progress_fn progress, void *payload);

/* The path of the object (it may not exist); the caller frees it. */
char *mreg_store_path(struct mreg_registry *reg, const char *hex);

/* 1 if the object file exists with `size` bytes, 0 if not. */
int mreg_store_has(struct mreg_registry *reg, const char *hex, uint64_t size);

/*
 * Re-hashes the object.  MREG_ECORRUPT (naming it) if it is missing or
 * its size or hash is wrong.
 */
int mreg_store_verify(struct mreg_registry *reg, const char *hex, uint64_t size,
		      mreg_progress_fn progress, void *payload);

/*
 * Writes the object to `out_fd`, hashing as it goes; MREG_ECORRUPT if the
 * bytes do not hash to the name (the caller must then discard the output).
 */
int mreg_store_copy(struct mreg_registry *reg, const char *hex, uint64_t size,
		    int out_fd, mreg_progress_fn progress, void *payload);

/* Calls `fn` for every file under artifacts/, with its name and size. */
int mreg_store_foreach(struct mreg_registry *reg,
		       int (*fn)(const char *name, uint64_t size, void *payload),
		       void *payload);

/* SHA-256 of a buffer, as lower-case hex into `hex` (65 bytes). */
void mreg_sha256_hex(char *hex, const void *data, size_t len);

#endif
