/*
 * util.h: allocation helpers that abort on out-of-memory, and small
 * string and file helpers shared by libmreg and the CLI.
 */
#ifndef MREG_UTIL_H
#define MREG_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grows `*arr` (of `*alloc` elements) to hold at least `nr` elements. */
#define ALLOC_GROW(arr, nr, alloc) do { \
	if ((size_t)(nr) > (alloc)) { \
		size_t a_ = (alloc) < 8 ? 8 : (alloc) * 2; \
		while (a_ < (size_t)(nr)) \
			a_ *= 2; \
		(arr) = xrealloc((arr), a_ * sizeof(*(arr))); \
		(alloc) = a_; \
	} \
} while (0)

int starts_with(const char *s, const char *prefix);
int ends_with(const char *s, const char *suffix);

/* read()/write() that retry on EINTR and short transfers. */
ssize_t xread(int fd, void *buf, size_t len);
int write_all(int fd, const void *buf, size_t len);

/* fsync a directory so that a rename or link in it is durable. */
int fsync_dir(const char *dir);

/* mkdir -p with mode 0777 & ~umask; existing directories are fine. */
int mkdir_p(const char *path);

/* Removes `path` and all under it, quietly, as rm -rf; symlinks are not followed. */
void remove_tree(const char *path);
/* Removes the empty directories at and under `path`; files stay. */
void remove_empty_dirs(const char *path);

/* Lower-case hex of `len` bytes into `out` (2 * len + 1 bytes). */
void hex_encode(char *out, const unsigned char *in, size_t len);

/* 1 if `s` is `n` characters of lower-case hex, else 0. */
int is_hex(const char *s, size_t n);

/* Wipes memory that held key material; the compiler may not drop it. */
void secure_zero(void *p, size_t n);

/* How many files a batch may hold open at once: half the spare fd limit, at most 128. */
size_t open_file_budget(void);

/* "2026-07-02" or "2026-07-02T03:00:00Z" (UTC) to seconds; -1 if neither. */
int parse_iso_time(int64_t *out, const char *s);
/* Seconds to "2026-07-02T03:00:00Z"; `len` of 21 or more. */
void format_iso_time(char *buf, size_t len, int64_t t);

#endif
