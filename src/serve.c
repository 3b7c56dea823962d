/*
 * The far end of artifact transport: a store at a path, objects received
 * into tmp/partial-<sha256> and hashed before they are linked, and the
 * loop of `mreg serve` (Documentation/technical/serve-protocol.adoc).
 * A path remote uses the same store functions from xfer.c directly.
 */
#include "internal.h"
#include "mreg/serve.h"
#include "xfer.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#define REHASH_BUF (256 * 1024)

/* --- a store at a path ------------------------------------------------- */

static int is_git_dir(const char *dir)
{
	struct strbuf p = STRBUF_INIT;
	struct stat st;
	int ok;

	strbuf_addf(&p, "%s/objects", dir);
	ok = !stat(p.buf, &st) && S_ISDIR(st.st_mode);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/HEAD", dir);
	ok = ok && !stat(p.buf, &st);
	strbuf_release(&p);
	return ok;
}

int xfer_store_open(struct mreg_registry **out, const char *dir)
{
	struct mreg_registry *reg;
	struct strbuf path = STRBUF_INIT;
	char *abs;

	*out = NULL;
	strbuf_addstr(&path, dir);
	while (path.len > 1 && path.buf[path.len - 1] == '/')
		strbuf_setlen(&path, path.len - 1);
	if (!is_git_dir(path.buf)) {
		strbuf_addstr(&path, "/.git");
		if (!is_git_dir(path.buf)) {
			strbuf_release(&path);
			return mreg_error_set(MREG_ENOTFOUND,
					      "'%s' is not an mreg registry or a git repository",
					      dir);
		}
	}
	abs = realpath(path.buf, NULL);
	reg = xcalloc(1, sizeof(*reg));
	reg->dir = abs ? abs : strbuf_detach(&path, NULL);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/artifacts", reg->dir);
	reg->artifacts = strbuf_detach(&path, NULL);
	strbuf_addf(&path, "%s/tmp", reg->dir);
	reg->tmp = strbuf_detach(&path, NULL);
	*out = reg;
	return 0;
}

static char *partial_path(struct mreg_registry *reg, const char *sha256)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/partial-%s", reg->tmp, sha256);
	return strbuf_detach(&sb, NULL);
}

enum xfer_state xfer_store_state(struct mreg_registry *reg, const char *sha256,
				 uint64_t size, uint64_t *partial)
{
	char *path;
	struct stat st;
	enum xfer_state state = XFER_MISSING;

	*partial = 0;
	if (mreg_store_has(reg, sha256, size))
		return XFER_PRESENT;
	path = partial_path(reg, sha256);
	if (!stat(path, &st) && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size <= size) {
		state = XFER_PARTIAL;
		*partial = st.st_size;
	}
	free(path);
	return state;
}

/* --- receiving an object ----------------------------------------------- */

/*
 * Opens and locks the file at `path`; retries when the file it locked was
 * unlinked meanwhile (a receiver that just finished it), so that two
 * receivers never both believe they own the name.
 */
static int open_locked(int *out, const char *path, const char *sha256)
{
	struct stat a, b;
	int tries, fd = -1;

	for (tries = 0; tries < 8; tries++) {
		struct flock fl;

		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return mreg_error_errno(MREG_EIO, "cannot open", path);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) < 0) {
			int e = errno;

			close(fd);
			if (e == EACCES || e == EAGAIN)
				return mreg_error_set(MREG_ELOCKED,
						      "artifact %s is being received by another process",
						      sha256);
			errno = e;
			return mreg_error_errno(MREG_EIO, "cannot lock", path);
		}
		if (!fstat(fd, &a) && !stat(path, &b) &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			*out = fd;
			return 0;
		}
		close(fd);
	}
	return mreg_error_set(MREG_ELOCKED, "artifact %s is being received by another process",
			      sha256);
}

int xfer_partial_open(struct xfer_partial *p, struct mreg_registry *reg,
		      const char *sha256, uint64_t size)
{
	struct stat st;
	int err;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->reg = reg;
	p->size = size;
	memcpy(p->sha256, sha256, MREG_HEX_SHA256 + 1);
	if (mkdir_p(reg->tmp) < 0)
		return mreg_error_errno(MREG_EIO, "cannot create", reg->tmp);
	if (mkdir_p(reg->artifacts) < 0)
		return mreg_error_errno(MREG_EIO, "cannot create", reg->artifacts);
	p->path = partial_path(reg, sha256);
	if ((err = open_locked(&p->fd, p->path, sha256)) < 0)
		return err;
	if (fstat(p->fd, &st) < 0)
		return mreg_error_errno(MREG_EIO, "cannot stat", p->path);
	p->have = st.st_size;
	/* Longer than the object: not a prefix of it, whatever it is. */
	if (p->have > size) {
		if (ftruncate(p->fd, 0) < 0)
			return mreg_error_errno(MREG_EIO, "cannot truncate", p->path);
		p->have = 0;
	}
	p->md = EVP_MD_CTX_new();
	if (!p->md || !EVP_DigestInit_ex(p->md, EVP_sha256(), NULL))
		return mreg_error_set(MREG_ERROR, "cannot start SHA-256");
	return 0;
}

int xfer_partial_seek(struct xfer_partial *p, uint64_t offset)
{
	char *buf = NULL;
	uint64_t done = 0;
	int err = 0;

	if (offset > p->have) {
		err = mreg_error_set(MREG_EINVALID,
				     "cannot resume artifact %s at byte %llu: only %llu are kept",
				     p->sha256, (unsigned long long)offset,
				     (unsigned long long)p->have);
		goto done;
	}
	if (offset < p->have && ftruncate(p->fd, offset) < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot truncate", p->path);
		goto done;
	}
	p->have = offset;
	buf = xmalloc(REHASH_BUF);
	while (done < offset) {
		size_t want = offset - done < REHASH_BUF ? offset - done : REHASH_BUF;
		ssize_t n = pread(p->fd, buf, want, done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? mreg_error_errno(MREG_EIO, "cannot read", p->path)
				    : mreg_error_set(MREG_EIO, "'%s' shrank while it was read",
						     p->path);
			goto done;
		}
		EVP_DigestUpdate(p->md, buf, n);
		done += n;
	}
	if (lseek(p->fd, offset, SEEK_SET) < 0)
		err = mreg_error_errno(MREG_EIO, "cannot seek in", p->path);
done:
	free(buf);
	return err;
}

int xfer_partial_receive(struct xfer_partial *p, struct xfer_reader *in,
			 uint64_t n, char *buf, const char *from,
			 mreg_progress_fn progress, void *payload)
{
	if (n > p->size - p->have)
		return mreg_error_set(MREG_EINVALID,
				      "%llu more bytes would run past the end of artifact %s",
				      (unsigned long long)n, p->sha256);
	p->taken = 0;
	while (n) {
		size_t want = n < XFER_CHUNK ? n : XFER_CHUNK;
		ssize_t got = xfer_read_some(in, buf, want);

		if (got < 0)
			return mreg_error_set(MREG_EIO, "cannot read from %s: %s",
					      from, strerror(errno));
		if (!got)
			return mreg_error_set(MREG_EIO,
					      "%s hung up in the middle of artifact %s "
					      "(%llu of %llu bytes kept to resume from)",
					      from, p->sha256,
					      (unsigned long long)p->have,
					      (unsigned long long)p->size);
		p->taken += got;
		if (write_all(p->fd, buf, got) < 0)
			return mreg_error_errno(MREG_EIO, "cannot write", p->path);
		EVP_DigestUpdate(p->md, buf, got);
		p->have += got;
		n -= got;
		if (progress)
			progress(p->have, p->size, payload);
	}
	return 0;
}

/* Links the verified file into place; a wrong-sized object there is replaced. */
static int link_object(struct xfer_partial *p, const char *dest)
{
	char *dir = xstrndup(dest, strrchr(dest, '/') - dest);
	struct stat st;
	int err = 0;

	if (mkdir_p(dir) < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot create", dir);
		goto done;
	}
	if (link(p->path, dest) < 0) {
		if (errno != EEXIST) {
			err = mreg_error_errno(MREG_EIO, "cannot store artifact", dest);
			goto done;
		}
		if ((stat(dest, &st) < 0 || (uint64_t)st.st_size != p->size) &&
		    rename(p->path, dest) < 0) {
			err = mreg_error_errno(MREG_EIO, "cannot repair", dest);
			goto done;
		}
	}
	unlink(p->path);
	if (fsync_dir(dir) < 0 || fsync_dir(p->reg->tmp) < 0)
		err = mreg_error_errno(MREG_EIO, "cannot sync", dir);
done:
	free(dir);
	return err;
}

int xfer_partial_finish(struct xfer_partial *p)
{
	unsigned char md[32];
	char hex[MREG_HEX_SHA256 + 1];
	char *dest = NULL;
	int err;

	if (p->have != p->size)
		return mreg_error_set(MREG_EINVALID, "artifact %s is incomplete: %llu of %llu bytes",
				      p->sha256, (unsigned long long)p->have,
				      (unsigned long long)p->size);
	EVP_DigestFinal_ex(p->md, md, NULL);
	hex_encode(hex, md, 32);
	if (strcmp(hex, p->sha256)) {
		unlink(p->path);
		return mreg_error_set(MREG_ECORRUPT,
				      "artifact %s was received corrupt: its bytes hash to %s; discarded",
				      p->sha256, hex);
	}
	if (fchmod(p->fd, 0444) < 0 || fsync(p->fd) < 0)
		return mreg_error_errno(MREG_EIO, "cannot sync", p->path);
	dest = mreg_store_path(p->reg, p->sha256);
	err = link_object(p, dest);
	free(dest);
	return err;
}

void xfer_partial_release(struct xfer_partial *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	EVP_MD_CTX_free(p->md);
	p->md = NULL;
	free(p->path);
	p->path = NULL;
}

/* --- the server -------------------------------------------------------- */

struct server {
	struct mreg_registry *reg;
	struct xfer_reader in;
	struct xfer_writer out;
	char *buf;		/* XFER_CHUNK */
};

/* An `error` line: one line, printable, short enough for any client. */
static void reply_error(struct server *s, const char *msg)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_addstr(&sb, msg);
	if (sb.len > XFER_LINE_MAX - 16)
		strbuf_setlen(&sb, XFER_LINE_MAX - 16);
	for (i = 0; i < sb.len; i++)
		if ((unsigned char)sb.buf[i] < 0x20 || sb.buf[i] == 0x7f)
			sb.buf[i] = '?';
	xfer_write_line(&s->out, "error %s", sb.buf);
	strbuf_release(&sb);
}

/* Ends the session over a malformed request; the message is the reply. */
static int refuse(struct server *s, int code)
{
	struct strbuf msg = STRBUF_INIT;

	strbuf_addstr(&msg, mreg_error_last());
	reply_error(s, msg.buf);
	xfer_flush(&s->out);
	mreg_error_set(code, "%s", msg.buf);
	strbuf_release(&msg);
	return code;
}

/* Splits at single spaces; -1 for an empty field or more than `max`. */
static int split(char *line, char **field, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *sp = strchr(p, ' ');

		if (n == max || sp == p || !*p)
			return -1;
		field[n++] = p;
		if (!sp)
			return n;
		*sp = '\0';
		p = sp + 1;
	}
}

/* Checks NAME SIZE [OFFSET]; sets the error and returns it otherwise. */
static int parse_request(char **field, int nr, uint64_t *size, uint64_t *offset)
{
	if (!xfer_valid_name(field[1]))
		return mreg_error_set(MREG_EINVALID, "bad artifact name '%.80s'", field[1]);
	if (xfer_parse_size(size, field[2]) < 0)
		return mreg_error_set(MREG_EINVALID, "bad size '%.40s'", field[2]);
	*offset = 0;
	if (nr > 3 && xfer_parse_size(offset, field[3]) < 0)
		return mreg_error_set(MREG_EINVALID, "bad offset '%.40s'", field[3]);
	if (*offset > *size)
		return mreg_error_set(MREG_EINVALID, "offset %llu is past the end (%llu bytes)",
				      (unsigned long long)*offset,
				      (unsigned long long)*size);
	return 0;
}

static void do_have(struct server *s, const char *sha256, uint64_t size)
{
	uint64_t partial;

	switch (xfer_store_state(s->reg, sha256, size, &partial)) {
	case XFER_PRESENT:
		xfer_write_line(&s->out, "have %s yes", sha256);
		break;
	case XFER_PARTIAL:
		xfer_write_line(&s->out, "have %s partial %llu", sha256,
				(unsigned long long)partial);
		break;
	default:
		xfer_write_line(&s->out, "have %s no", sha256);
	}
}

/* Reads and drops a payload that will not be stored. */
static int drain(struct server *s, uint64_t n)
{
	while (n) {
		ssize_t got = xfer_read_some(&s->in, s->buf,
					     n < XFER_CHUNK ? n : XFER_CHUNK);

		if (got <= 0)
			return mreg_error_set(MREG_EIO, "the client hung up within an upload");
		n -= got;
	}
	return 0;
}

static int do_put(struct server *s, const char *sha256, uint64_t size,
		  uint64_t offset)
{
	struct xfer_partial p;
	int err = 0;

	memset(&p, 0, sizeof(p));
	p.fd = -1;
	if (mreg_store_has(s->reg, sha256, size)) {
		/* Objects are immutable: a second copy is success. */
		if ((err = drain(s, size - offset)) < 0)
			goto done;
		xfer_write_line(&s->out, "ok %s", sha256);
		goto done;
	}
	if ((err = xfer_partial_open(&p, s->reg, sha256, size)) < 0 ||
	    (err = xfer_partial_seek(&p, offset)) < 0) {
		reply_error(s, mreg_error_last());
		err = drain(s, size - offset);
		goto done;
	}
	err = xfer_partial_receive(&p, &s->in, size - offset, s->buf,
				   "the client", NULL, NULL);
	if (err < 0 && s->in.eof)
		goto done;	/* the client is gone; the bytes stay */
	if (err < 0) {
		reply_error(s, mreg_error_last());
		err = drain(s, size - offset - p.taken);
		goto done;
	}
	if (xfer_partial_finish(&p) < 0)
		reply_error(s, mreg_error_last());
	else
		xfer_write_line(&s->out, "ok %s", sha256);
done:
	xfer_partial_release(&p);
	return err;
}

static int do_get(struct server *s, const char *sha256, uint64_t size,
		  uint64_t offset)
{
	char *path = mreg_store_path(s->reg, sha256);
	uint64_t left = size - offset;
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			xfer_write_line(&s->out, "missing %s", sha256);
		else
			reply_error(s, strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != size) {
		mreg_error_set(MREG_ECORRUPT, "artifact %s has %llu bytes, not %llu",
			       sha256, (unsigned long long)st.st_size,
			       (unsigned long long)size);
		reply_error(s, mreg_error_last());
		goto done;
	}
	if (lseek(fd, offset, SEEK_SET) < 0) {
		reply_error(s, strerror(errno));
		goto done;
	}
	xfer_write_line(&s->out, "data %s %llu", sha256, (unsigned long long)left);
	if ((err = xfer_flush(&s->out)) < 0)
		goto done;
	/* Past the header the length is promised: a short read ends the session. */
	while (left) {
		ssize_t n = xread(fd, s->buf, left < XFER_CHUNK ? left : XFER_CHUNK);

		if (n <= 0) {
			err = n < 0 ? mreg_error_errno(MREG_EIO, "cannot read", path)
				    : mreg_error_set(MREG_ECORRUPT, "artifact '%s' shrank", path);
			goto done;
		}
		if ((err = xfer_write_raw(&s->out, s->buf, n)) < 0)
			goto done;
		left -= n;
	}
done:
	if (fd >= 0)
		close(fd);
	free(path);
	return err;
}

/* One request; 1 after `quit`. */
static int dispatch(struct server *s, char *line)
{
	char *field[4], *copy = xstrdup(line);
	int nr = split(line, field, 4);
	uint64_t size, offset;
	int err;

	if (nr == 1 && !strcmp(field[0], "quit")) {
		xfer_write_line(&s->out, "bye");
		err = 1;
	} else if (nr == 3 && !strcmp(field[0], "have")) {
		if ((err = parse_request(field, nr, &size, &offset)) < 0)
			err = refuse(s, err);
		else
			do_have(s, field[1], size);
	} else if (nr == 4 && (!strcmp(field[0], "put") || !strcmp(field[0], "get"))) {
		if ((err = parse_request(field, nr, &size, &offset)) < 0)
			err = refuse(s, err);
		else if (field[0][0] == 'p')
			err = do_put(s, field[1], size, offset);
		else
			err = do_get(s, field[1], size, offset);
	} else {
		mreg_error_set(MREG_EINVALID, "bad request '%.80s'", copy);
		err = refuse(s, MREG_EINVALID);
	}
	free(copy);
	return err;
}

static int serve_loop(struct server *s)
{
	struct strbuf line = STRBUF_INIT;
	int err = 0, r;

	xfer_write_line(&s->out, "mreg-serve %d", XFER_PROTOCOL_VERSION);
	for (;;) {
		/* Answers go out before we would wait: pipelined questions batch. */
		if (!xfer_reader_has_line(&s->in) && (err = xfer_flush(&s->out)) < 0)
			break;
		r = xfer_read_line(&s->in, &line);
		if (r < 0) {
			err = r == MREG_EINVALID ? refuse(s, r) : r;
			break;
		}
		if (!r)
			break;
		if ((r = dispatch(s, line.buf)) != 0) {
			err = r < 0 ? r : xfer_flush(&s->out);
			break;
		}
	}
	strbuf_release(&line);
	return err;
}

static int open_dir(struct mreg_registry **out, const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	const char *home = getenv("HOME");
	int err;

	if (starts_with(dir, "~/") && home && *home) {
		strbuf_addf(&sb, "%s/%s", home, dir + 2);
		dir = sb.buf;
	}
	err = xfer_store_open(out, dir);
	strbuf_release(&sb);
	return err;
}

int mreg_serve(const char *dir, int in_fd, int out_fd)
{
	struct server s;
	struct sigaction ign, old;
	int err;

	memset(&s, 0, sizeof(s));
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	xfer_reader_init(&s.in, in_fd);
	xfer_writer_init(&s.out, out_fd);
	if ((err = open_dir(&s.reg, dir)) < 0) {
		refuse(&s, err);
		goto done;
	}
	s.buf = xmalloc(XFER_CHUNK);
	err = serve_loop(&s);
done:
	free(s.buf);
	xfer_reader_release(&s.in);
	xfer_writer_release(&s.out);
	mreg_registry_free(s.reg);
	sigaction(SIGPIPE, &old, NULL);
	return err;
}
