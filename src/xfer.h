/*
 * xfer.h: artifact transport between two registries (DESIGN §5).
 *
 * The near end is a registry opened with mreg_registry_open(); the far end
 * is named by a remote URL.  A path or file:// remote is a directory on
 * this machine (a registry or a bare git repository, maybe without
 * artifacts/ yet), read and written directly.  An ssh remote runs
 * `mreg serve PATH` on the far side and speaks the protocol of
 * Documentation/technical/serve-protocol.adoc over its stdin and stdout.
 *
 * Every byte that arrives, on either side, is hashed before the object is
 * linked into a store, and an interrupted transfer leaves its bytes in
 * tmp/partial-<sha256> on the receiving side, from which the next
 * transfer of that object resumes.  Memory does not grow with the size of
 * an object.
 *
 * The environment: $MREG_SSH_COMMAND replaces `ssh` as the program run
 * (looked up in PATH, no arguments); $MREG_SSH_OPTIONS adds options to it,
 * split on blanks with sh-like quoting ('...', "...", \); $MREG_SSH_KEY
 * and $MREG_SSH_KNOWN_HOSTS, which libgit2's transport uses for the refs,
 * become options too (that key, not the agent's; only hosts listed in
 * that file), after those of $MREG_SSH_OPTIONS, which win; and
 * $MREG_SERVE_COMMAND (default "mreg serve") is what the far side's shell
 * runs, followed by the quoted path.
 *
 * The second half of this header is shared with serve.c (the far end) and
 * is not for other callers.
 */
#ifndef MREG_XFER_H
#define MREG_XFER_H

#include <stdint.h>
#include <sys/types.h>
#include "mreg/store.h"

struct mreg_registry;
struct strbuf;

struct xfer;

/*
 * Starts a session with the far side named by `url`: a plain path or
 * file://PATH, ssh://[user@]host[:port]/path or scp-like [user@]host:path.
 * git://, http:// and https:// carry no artifacts: MREG_EINVALID.  Over
 * ssh, the far side's failure to start (no such directory, no mreg) is
 * reported with its message.  Over ssh, SIGPIPE is ignored until
 * xfer_close(), and a far side that hangs up is an error naming the remote.
 */
int xfer_open(struct xfer **out, const char *url);

/* What the far side holds of one object. */
enum xfer_state {
	XFER_MISSING = 0,
	XFER_PRESENT,		/* whole, linked into its store */
	XFER_PARTIAL		/* `partial` bytes kept from an interrupted put */
};

struct xfer_object {
	char sha256[MREG_HEX_SHA256 + 1];
	uint64_t size;
	enum xfer_state state;	/* set by xfer_has_many() */
	uint64_t partial;	/* with XFER_PARTIAL: the bytes kept */
};

/* 1 in `*yes` if the far side holds the object whole, else 0. */
int xfer_has(struct xfer *x, const char *sha256, uint64_t size, int *yes);

/*
 * Asks about `nr` objects at once, setting each one's `state` and
 * `partial`.  Over ssh the questions are pipelined (a window of them in
 * flight), so the cost is a few round trips, not `nr`.
 */
int xfer_has_many(struct xfer *x, struct xfer_object *objs, size_t nr);

/*
 * Sends the object from the store of `reg` to the far side, resuming a
 * partial upload the far side kept; an object already there is success.
 * If a resumed upload does not hash right, the far side discards it and
 * it is sent once more whole.  `progress` sees bytes of `size`, counting
 * the bytes that were already there.
 */
int xfer_put(struct xfer *x, struct mreg_registry *reg, const char *sha256,
	     uint64_t size, mreg_progress_fn progress, void *payload);

/*
 * Fetches the object into the store of `reg`, resuming from
 * `<registry>/tmp/partial-<sha256>`; an object already stored is success.
 * The whole object is hashed before it is linked; a resumed download that
 * does not hash right is discarded and fetched once more whole.
 * MREG_ENOTFOUND if the far side does not have it.
 */
int xfer_get(struct xfer *x, struct mreg_registry *reg, const char *sha256,
	     uint64_t size, mreg_progress_fn progress, void *payload);

/*
 * Ends the session and frees `x` (NULL is fine): says goodbye, waits for
 * ssh, restores SIGPIPE.  An error if the far side failed or exited
 * non-zero, even when every request had succeeded.  A request that failed
 * in a way that ended the session (the far side hung up, or answered out
 * of turn) makes every later request and xfer_close() fail again with the
 * same code and message; other failures (a missing or corrupt object, a
 * refused upload) leave the session usable.
 */
int xfer_close(struct xfer *x);

/* The URL the session was opened with, lent. */
const char *xfer_url(const struct xfer *x);

/* --- shared with serve.c ------------------------------------------------ */

#define XFER_PROTOCOL_VERSION 1
#define XFER_LINE_MAX 1024		/* a protocol line, LF included */
#define XFER_CHUNK (1024 * 1024)	/* the one payload buffer */
#define XFER_SIZE_MAX INT64_MAX		/* sizes and offsets must fit off_t */

/* Buffered reading of lines and payloads from one fd. */
struct xfer_reader {
	int fd;
	char *buf;
	size_t start, end;
	int eof;		/* the input ended or failed */
};

void xfer_reader_init(struct xfer_reader *r, int fd);
void xfer_reader_release(struct xfer_reader *r);
/* 1 if a whole line is already buffered (reading it will not block). */
int xfer_reader_has_line(const struct xfer_reader *r);
/*
 * Reads one line into `line`, without its LF: 1, or 0 at end of input
 * before any byte of it.  MREG_EINVALID for a line of XFER_LINE_MAX bytes
 * or more or one holding a NUL, MREG_EIO for a read error or an input
 * that ends within a line.
 */
int xfer_read_line(struct xfer_reader *r, struct strbuf *line);
/* Up to `len` payload bytes: what is buffered, else one read(); 0 at EOF. */
ssize_t xfer_read_some(struct xfer_reader *r, void *buf, size_t len);

/* Buffered writing of lines; payloads go straight to the fd. */
struct xfer_writer {
	int fd;
	struct strbuf *out;
};

void xfer_writer_init(struct xfer_writer *w, int fd);
void xfer_writer_release(struct xfer_writer *w);
void xfer_write_line(struct xfer_writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Writes out the buffered lines; MREG_EIO (EPIPE: the reader went away). */
int xfer_flush(struct xfer_writer *w);
/* Flushes, then writes `len` bytes. */
int xfer_write_raw(struct xfer_writer *w, const void *buf, size_t len);

/* 1 if `s` is exactly 64 lower-case hex digits. */
int xfer_valid_name(const char *s);
/* Parses a decimal size or offset: digits only, no leading zero, <= XFER_SIZE_MAX. */
int xfer_parse_size(uint64_t *out, const char *s);

/*
 * A store at `dir`, a registry or a bare git repository (`dir/.git` if
 * `dir` is a work tree), without libgit2: only its artifacts/ and tmp/
 * are used, and neither need exist yet.  MREG_ENOTFOUND if `dir` is not a
 * git directory.  Freed with mreg_registry_free().
 */
int xfer_store_open(struct mreg_registry **out, const char *dir);

/* What `reg` holds of the object; `*partial` is set for XFER_PARTIAL. */
enum xfer_state xfer_store_state(struct mreg_registry *reg, const char *sha256,
				 uint64_t size, uint64_t *partial);

/*
 * An object being received into tmp/partial-<sha256>, which is locked
 * (fcntl) while open so that two receivers never write into one file.
 */
struct xfer_partial {
	struct mreg_registry *reg;
	char sha256[MREG_HEX_SHA256 + 1];
	uint64_t size;
	uint64_t have;		/* bytes in the file */
	uint64_t taken;		/* bytes the last receive took from its input */
	int fd;
	char *path;
	void *md;		/* the running SHA-256 of bytes 0..have */
};

/*
 * Opens (creating it, and tmp/ and artifacts/) and locks the partial file,
 * setting `have` to the bytes kept in it.  MREG_ELOCKED if another
 * process is receiving the object.
 */
int xfer_partial_open(struct xfer_partial *p, struct mreg_registry *reg,
		      const char *sha256, uint64_t size);
/*
 * Continues at `offset` (at most `have`): drops what follows it and
 * hashes the bytes before it again.
 */
int xfer_partial_seek(struct xfer_partial *p, uint64_t offset);
/*
 * Copies `n` bytes from `in` into the file, never past `size`; `buf` is a
 * scratch buffer of XFER_CHUNK bytes.  MREG_EIO naming `from` if the input
 * ends early (`in->eof` is then set), the bytes that came being kept.
 */
int xfer_partial_receive(struct xfer_partial *p, struct xfer_reader *in,
			 uint64_t n, char *buf, const char *from,
			 mreg_progress_fn progress, void *payload);
/*
 * With all `size` bytes in: checks their hash and links the file into the
 * store as artifacts/ab/cd/<sha256>, mode 0444.  If the hash is wrong the
 * file is removed and MREG_ECORRUPT returned.
 */
int xfer_partial_finish(struct xfer_partial *p);
/* Unlocks and closes; the file stays, for a later resume.  NULL-safe. */
void xfer_partial_release(struct xfer_partial *p);

#endif
