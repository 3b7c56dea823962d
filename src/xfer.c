/*
 * Artifact transport, the near end (DESIGN §5): to a path remote by the
 * store functions of serve.c, over ssh by the protocol of
 * Documentation/technical/serve-protocol.adoc with `mreg serve` on the far
 * side.  Also the protocol's framing, which serve.c shares.  Remote URLs
 * and the ssh client itself are in xfer-ssh.c; this file speaks on its
 * pipes.
 */
#include "internal.h"
#include "xfer.h"
#include "xfer-ssh.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BUF (64 * 1024)
/*
 * `have` questions in flight.  Their answers (under 100 bytes each) must
 * fit in the pipe back to us, or both sides could block writing.
 */
#define HAVE_WINDOW 128

/* --- framing ------------------------------------------------------------ */

void xfer_reader_init(struct xfer_reader *r, int fd)
{
	r->fd = fd;
	r->buf = xmalloc(READ_BUF);
	r->start = r->end = 0;
	r->eof = 0;
}

void xfer_reader_release(struct xfer_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

int xfer_reader_has_line(const struct xfer_reader *r)
{
	return r->end > r->start && memchr(r->buf + r->start, '\n', r->end - r->start);
}

static ssize_t read_fd(struct xfer_reader *r, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(r->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		r->eof = 1;
	return n;
}

int xfer_read_line(struct xfer_reader *r, struct strbuf *line)
{
	for (;;) {
		char *lf = r->end > r->start
			? memchr(r->buf + r->start, '\n', r->end - r->start) : NULL;
		ssize_t n;

		if (lf) {
			size_t len = lf - (r->buf + r->start);

			if (len >= XFER_LINE_MAX)
				break;
			if (memchr(r->buf + r->start, '\0', len))
				return mreg_error_set(MREG_EINVALID, "a line holds a NUL byte");
			strbuf_reset(line);
			strbuf_add(line, r->buf + r->start, len);
			r->start += len + 1;
			return 1;
		}
		if (r->end - r->start >= XFER_LINE_MAX)
			break;
		if (r->start) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		n = read_fd(r, r->buf + r->end, READ_BUF - r->end);
		if (n < 0)
			return mreg_error_set(MREG_EIO, "cannot read: %s", strerror(errno));
		if (!n)
			return r->end > r->start
				? mreg_error_set(MREG_EIO, "the input ends within a line") : 0;
		r->end += n;
	}
	return mreg_error_set(MREG_EINVALID, "a line is longer than %d bytes",
			      XFER_LINE_MAX - 1);
}

ssize_t xfer_read_some(struct xfer_reader *r, void *buf, size_t len)
{
	if (r->end > r->start) {
		size_t n = r->end - r->start < len ? r->end - r->start : len;

		memcpy(buf, r->buf + r->start, n);
		r->start += n;
		return n;
	}
	return read_fd(r, buf, len);
}

void xfer_writer_init(struct xfer_writer *w, int fd)
{
	w->fd = fd;
	w->out = xcalloc(1, sizeof(*w->out));
	strbuf_init(w->out, 0);
}

void xfer_writer_release(struct xfer_writer *w)
{
	if (w->out)
		strbuf_release(w->out);
	free(w->out);
	w->out = NULL;
}

void xfer_write_line(struct xfer_writer *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(w->out, fmt, ap);
	va_end(ap);
	strbuf_addch(w->out, '\n');
}

int xfer_flush(struct xfer_writer *w)
{
	int err = 0;

	if (w->out->len && write_all(w->fd, w->out->buf, w->out->len) < 0)
		err = errno == EPIPE
			? mreg_error_set(MREG_EIO, "the other side hung up")
			: mreg_error_set(MREG_EIO, "cannot write: %s", strerror(errno));
	strbuf_reset(w->out);
	return err;
}

int xfer_write_raw(struct xfer_writer *w, const void *buf, size_t len)
{
	int err = xfer_flush(w);

	if (!err && write_all(w->fd, buf, len) < 0)
		err = errno == EPIPE
			? mreg_error_set(MREG_EIO, "the other side hung up")
			: mreg_error_set(MREG_EIO, "cannot write: %s", strerror(errno));
	return err;
}

int xfer_valid_name(const char *s)
{
	return strlen(s) == MREG_HEX_SHA256 && is_hex(s, MREG_HEX_SHA256);
}

int xfer_parse_size(uint64_t *out, const char *s)
{
	uint64_t v = 0;
	const char *p;

	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 19)
		return -1;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v > (uint64_t)XFER_SIZE_MAX)
		return -1;
	*out = v;
	return 0;
}

/* --- sessions ----------------------------------------------------------- */

struct xfer {
	char *url;
	struct mreg_registry *far;	/* a path remote's store */
	struct xfer_ssh ssh;		/* else the ssh client */
	char *buf;			/* XFER_CHUNK */
	int broken;			/* framing lost: no more requests */
	int fail_code;
	struct strbuf fail_msg;
};

/*
 * The session cannot go on (the far side is gone, or we lost the
 * framing): set the message, naming the remote, and keep it for
 * xfer_close().
 */
__attribute__((format(printf, 3, 4)))
static int lost(struct xfer *x, int code, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	x->broken = 1;
	x->fail_code = code;
	strbuf_reset(&x->fail_msg);
	strbuf_addf(&x->fail_msg, "remote '%s' %s", x->url, sb.buf);
	strbuf_release(&sb);
	return mreg_error_set(code, "%s", x->fail_msg.buf);
}

/* Like lost(), keeping the message already set. */
static int lost_here(struct xfer *x, int code)
{
	x->broken = 1;
	x->fail_code = code;
	strbuf_reset(&x->fail_msg);
	strbuf_addstr(&x->fail_msg, mreg_error_last());
	return code;
}

static int read_answer(struct xfer *x, struct strbuf *line)
{
	int r = xfer_read_line(&x->ssh.in, line);

	if (!r)
		return lost(x, MREG_EIO, "hung up unexpectedly");
	if (r < 0)
		return lost(x, MREG_EIO, "sent a bad answer: %s", mreg_error_last());
	return 0;
}

static int send_lines(struct xfer *x)
{
	if (xfer_flush(&x->ssh.out) < 0)
		return lost(x, MREG_EIO, "hung up unexpectedly");
	return 0;
}

static int greet(struct xfer *x)
{
	struct strbuf line = STRBUF_INIT, why = STRBUF_INIT;
	char want[32];
	int r = xfer_read_line(&x->ssh.in, &line), err = 0;

	snprintf(want, sizeof(want), "mreg-serve %d", XFER_PROTOCOL_VERSION);
	if (r > 0 && !strcmp(line.buf, want))
		goto done;
	if (r > 0 && starts_with(line.buf, "error "))
		err = mreg_error_set(MREG_ERROR, "remote '%s': %s", x->url, line.buf + 6);
	else if (r > 0 && starts_with(line.buf, "mreg-serve "))
		err = mreg_error_set(MREG_ERROR, "remote '%s' speaks %.40s; we speak %s",
				     x->url, line.buf, want);
	else if (r > 0)
		err = mreg_error_set(MREG_ERROR, "remote '%s' is not mreg serve: it said '%.80s'",
				     x->url, line.buf);
	xfer_ssh_finish(&x->ssh, &why);
	/* ssh exits 255 for its own failures, and has said why on stderr. */
	if (!err && x->ssh.exit_code == 255)
		err = mreg_error_set(MREG_EIO, "cannot reach remote '%s' over ssh (%s); "
				     "ssh says why above", x->url, why.buf);
	else if (!err)
		err = mreg_error_set(MREG_EIO, "remote '%s' hung up before it greeted us (%s); "
				     "is mreg installed there (see $MREG_SERVE_COMMAND)?",
				     x->url, why.len ? why.buf : "it exited");
done:
	strbuf_release(&line);
	strbuf_release(&why);
	return err;
}

int xfer_open(struct xfer **out, const char *url)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	struct xfer_url u;
	int err;

	*out = NULL;
	x->url = xstrdup(url);
	strbuf_init(&x->fail_msg, 0);
	if ((err = xfer_url_parse(&u, url)) < 0)
		goto done;
	if (!u.host) {
		err = xfer_store_open(&x->far, u.path);
		if (err == MREG_ENOTFOUND)
			err = mreg_error_set(err, "remote '%s' is not an mreg registry or a git repository",
					     url);
		goto done;
	}
	if ((err = xfer_ssh_start(&x->ssh, &u)) < 0)
		goto done;
	err = greet(x);
done:
	xfer_url_release(&u);
	if (err < 0) {
		mreg_registry_free(x->far);
		strbuf_release(&x->fail_msg);
		free(x->ssh.prog);
		free(x->url);
		free(x);
		return err;
	}
	x->buf = xmalloc(XFER_CHUNK);
	*out = x;
	return 0;
}

const char *xfer_url(const struct xfer *x)
{
	return x->url;
}

int xfer_close(struct xfer *x)
{
	struct strbuf line = STRBUF_INIT, why = STRBUF_INIT;
	int err = 0;

	if (!x)
		return 0;
	if (x->ssh.pid > 0) {
		if (!x->broken) {
			xfer_write_line(&x->ssh.out, "quit");
			if (!(err = send_lines(x)) && !(err = read_answer(x, &line)) &&
			    strcmp(line.buf, "bye"))
				err = lost(x, MREG_EIO, "said '%.80s' to quit", line.buf);
		}
		if (xfer_ssh_finish(&x->ssh, &why) < 0 && !x->broken)
			err = lost(x, MREG_EIO, "failed: %s", why.buf);
	}
	if (x->broken)
		err = mreg_error_set(x->fail_code, "%s", x->fail_msg.buf);
	mreg_registry_free(x->far);
	strbuf_release(&line);
	strbuf_release(&why);
	strbuf_release(&x->fail_msg);
	free(x->buf);
	free(x->ssh.prog);
	free(x->url);
	free(x);
	return err;
}

/* --- asking ------------------------------------------------------------ */

static int check_object(const char *sha256, uint64_t size)
{
	if (!xfer_valid_name(sha256))
		return mreg_error_set(MREG_EINVALID, "bad artifact name '%.80s'", sha256);
	if (size > (uint64_t)XFER_SIZE_MAX)
		return mreg_error_set(MREG_EINVALID, "artifact %s is too large", sha256);
	return 0;
}

static int parse_have(struct xfer *x, struct xfer_object *o, const char *line)
{
	const char *p = line;
	uint64_t n;

	if (starts_with(p, "have ") && !strncmp(p + 5, o->sha256, MREG_HEX_SHA256) &&
	    p[5 + MREG_HEX_SHA256] == ' ') {
		p += 6 + MREG_HEX_SHA256;
		o->partial = 0;
		if (!strcmp(p, "yes")) {
			o->state = XFER_PRESENT;
			return 0;
		}
		if (!strcmp(p, "no")) {
			o->state = XFER_MISSING;
			return 0;
		}
		if (starts_with(p, "partial ") && !xfer_parse_size(&n, p + 8) &&
		    n <= o->size) {
			o->state = XFER_PARTIAL;
			o->partial = n;
			return 0;
		}
	}
	if (starts_with(line, "error "))
		return lost(x, MREG_ERROR, "refused a question: %s", line + 6);
	return lost(x, MREG_EIO, "gave an unexpected answer '%.80s'", line);
}

int xfer_has_many(struct xfer *x, struct xfer_object *objs, size_t nr)
{
	struct strbuf line = STRBUF_INIT;
	size_t i, sent = 0, got = 0;
	int err = 0;

	for (i = 0; i < nr; i++)
		if ((err = check_object(objs[i].sha256, objs[i].size)) < 0)
			return err;
	if (x->far) {
		for (i = 0; i < nr; i++)
			objs[i].state = xfer_store_state(x->far, objs[i].sha256,
							 objs[i].size, &objs[i].partial);
		return 0;
	}
	if (x->broken)
		return mreg_error_set(x->fail_code, "%s", x->fail_msg.buf);
	while (got < nr) {
		if (sent < nr && sent - got <= HAVE_WINDOW / 2) {
			for (; sent < nr && sent - got < HAVE_WINDOW; sent++)
				xfer_write_line(&x->ssh.out, "have %s %llu", objs[sent].sha256,
						(unsigned long long)objs[sent].size);
			if ((err = send_lines(x)) < 0)
				goto done;
		}
		if ((err = read_answer(x, &line)) < 0 ||
		    (err = parse_have(x, &objs[got], line.buf)) < 0)
			goto done;
		got++;
	}
done:
	strbuf_release(&line);
	return err;
}

static int ask_one(struct xfer *x, struct xfer_object *o, const char *sha256,
		   uint64_t size)
{
	int err;

	memset(o, 0, sizeof(*o));
	if ((err = check_object(sha256, size)) < 0)
		return err;
	memcpy(o->sha256, sha256, MREG_HEX_SHA256 + 1);
	o->size = size;
	return xfer_has_many(x, o, 1);
}

int xfer_has(struct xfer *x, const char *sha256, uint64_t size, int *yes)
{
	struct xfer_object o;
	int err = ask_one(x, &o, sha256, size);

	*yes = !err && o.state == XFER_PRESENT;
	return err;
}

/* --- sending and fetching ---------------------------------------------- */

/* Opens the object of the near store, checking its size. */
static int open_local(int *fd, struct mreg_registry *reg, const char *sha256,
		      uint64_t size)
{
	char *path = mreg_store_path(reg, sha256);
	struct stat st;
	int err = 0;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		err = errno == ENOENT
			? mreg_error_set(MREG_ECORRUPT, "artifact %s is missing from the store", sha256)
			: mreg_error_errno(MREG_EIO, "cannot read artifact", path);
	else if (fstat(*fd, &st) < 0 || (uint64_t)st.st_size != size)
		err = mreg_error_set(MREG_ECORRUPT, "artifact %s is corrupt: %llu bytes, expected %llu",
				     sha256, (unsigned long long)st.st_size,
				     (unsigned long long)size);
	free(path);
	return err;
}

/*
 * Copies `fd` into the far store's partial file, from where that file
 * ends (`*offset`).
 */
static int put_path(struct xfer *x, int fd, const char *from, const char *sha256,
		    uint64_t size, uint64_t *offset, mreg_progress_fn progress,
		    void *payload)
{
	struct xfer_partial p;
	struct xfer_reader r;
	int err;

	xfer_reader_init(&r, fd);
	if (!(err = xfer_partial_open(&p, x->far, sha256, size)) &&
	    !(err = xfer_partial_seek(&p, *offset = p.have))) {
		if (lseek(fd, p.have, SEEK_SET) < 0)
			err = mreg_error_errno(MREG_EIO, "cannot seek in", from);
		else if (!(err = xfer_partial_receive(&p, &r, size - p.have, x->buf,
						      from, progress, payload)))
			err = xfer_partial_finish(&p);
	}
	xfer_partial_release(&p);
	xfer_reader_release(&r);
	return err;
}

static int put_ssh(struct xfer *x, int fd, const char *sha256, uint64_t size,
		   uint64_t offset, mreg_progress_fn progress, void *payload)
{
	struct strbuf line = STRBUF_INIT;
	uint64_t left = size - offset;
	int err = 0;

	if (lseek(fd, offset, SEEK_SET) < 0)
		return mreg_error_set(MREG_EIO, "cannot seek in artifact %s: %s",
				      sha256, strerror(errno));
	xfer_write_line(&x->ssh.out, "put %s %llu %llu", sha256, (unsigned long long)size,
			(unsigned long long)offset);
	/* Past the header the length is promised: any failure ends the session. */
	while (left) {
		ssize_t n = xread(fd, x->buf, left < XFER_CHUNK ? left : XFER_CHUNK);

		if (n <= 0) {
			mreg_error_set(MREG_EIO, "cannot read artifact %s: %s", sha256,
				       n < 0 ? strerror(errno) : "it shrank");
			err = lost_here(x, MREG_EIO);
			goto done;
		}
		if (xfer_write_raw(&x->ssh.out, x->buf, n) < 0) {
			err = lost(x, MREG_EIO, "hung up during the upload of artifact %s",
				   sha256);
			goto done;
		}
		left -= n;
		if (progress)
			progress(size - left, size, payload);
	}
	if ((err = send_lines(x)) < 0 || (err = read_answer(x, &line)) < 0)
		goto done;
	if (starts_with(line.buf, "ok ") && !strcmp(line.buf + 3, sha256))
		goto done;
	if (starts_with(line.buf, "error "))
		err = mreg_error_set(MREG_ERROR, "remote '%s' refused artifact %s: %s",
				     x->url, sha256, line.buf + 6);
	else
		err = lost(x, MREG_EIO, "gave an unexpected answer '%.80s'", line.buf);
done:
	strbuf_release(&line);
	return err;
}

int xfer_put(struct xfer *x, struct mreg_registry *reg, const char *sha256,
	     uint64_t size, mreg_progress_fn progress, void *payload)
{
	struct xfer_object o;
	char *from = NULL;
	int fd = -1, attempt, err;

	if ((err = ask_one(x, &o, sha256, size)) < 0)
		return err;
	if (o.state == XFER_PRESENT)
		return 0;
	if ((err = open_local(&fd, reg, sha256, size)) < 0)
		goto done;
	from = mreg_store_path(reg, sha256);
	for (attempt = 0; attempt < 2; attempt++) {
		uint64_t offset = o.state == XFER_PARTIAL ? o.partial : 0;

		if (x->far)
			err = put_path(x, fd, from, sha256, size, &offset,
				       progress, payload);
		else
			err = put_ssh(x, fd, sha256, size, offset, progress, payload);
		/*
		 * A resumed upload that failed: the bytes the far side kept
		 * may not have been the start of this object (it discards
		 * them when they do not hash right), so ask and send again.
		 */
		if (!err || !offset || x->broken ||
		    (err != MREG_ECORRUPT && err != MREG_ERROR))
			break;
		if ((err = ask_one(x, &o, sha256, size)) < 0 || o.state == XFER_PRESENT)
			break;
	}
done:
	if (fd >= 0)
		close(fd);
	free(from);
	return err;
}

/* Reads the far side's answer to `get` and the bytes into `p`. */
static int get_ssh(struct xfer *x, struct xfer_partial *p,
		   mreg_progress_fn progress, void *payload)
{
	struct strbuf line = STRBUF_INIT, from = STRBUF_INIT;
	uint64_t n = 0, left = p->size - p->have;
	const char *rest;
	int err;

	xfer_write_line(&x->ssh.out, "get %s %llu %llu", p->sha256,
			(unsigned long long)p->size, (unsigned long long)p->have);
	if ((err = send_lines(x)) < 0 || (err = read_answer(x, &line)) < 0)
		goto done;
	rest = line.buf + 5 + MREG_HEX_SHA256;
	if (starts_with(line.buf, "missing ") && !strcmp(line.buf + 8, p->sha256)) {
		err = mreg_error_set(MREG_ENOTFOUND, "remote '%s' has no artifact %s",
				     x->url, p->sha256);
		goto done;
	}
	if (starts_with(line.buf, "error ")) {
		err = mreg_error_set(MREG_ERROR, "remote '%s' cannot send artifact %s: %s",
				     x->url, p->sha256, line.buf + 6);
		goto done;
	}
	if (!starts_with(line.buf, "data ") || line.len < 6 + MREG_HEX_SHA256 ||
	    strncmp(line.buf + 5, p->sha256, MREG_HEX_SHA256) || *rest != ' ' ||
	    xfer_parse_size(&n, rest + 1) < 0 || n != left) {
		err = lost(x, MREG_EIO, "gave an unexpected answer '%.80s'", line.buf);
		goto done;
	}
	strbuf_addf(&from, "remote '%s'", x->url);
	if ((err = xfer_partial_receive(p, &x->ssh.in, n, x->buf, from.buf,
					progress, payload)) < 0)
		lost_here(x, err);	/* the rest of the payload is still coming */
done:
	strbuf_release(&line);
	strbuf_release(&from);
	return err;
}

static int get_path(struct xfer *x, struct xfer_partial *p,
		    mreg_progress_fn progress, void *payload)
{
	struct strbuf from = STRBUF_INIT;
	struct xfer_reader r;
	char *buf = xmalloc(XFER_CHUNK);
	int fd = -1, err;

	r.buf = NULL;
	if ((err = open_local(&fd, x->far, p->sha256, p->size)) < 0) {
		if (fd < 0 && err == MREG_ECORRUPT)
			err = mreg_error_set(MREG_ENOTFOUND, "remote '%s' has no artifact %s",
					     x->url, p->sha256);
		goto done;
	}
	if (lseek(fd, p->have, SEEK_SET) < 0) {
		err = mreg_error_set(MREG_EIO, "cannot seek in artifact %s: %s",
				     p->sha256, strerror(errno));
		goto done;
	}
	strbuf_addf(&from, "remote '%s'", x->url);
	xfer_reader_init(&r, fd);
	err = xfer_partial_receive(p, &r, p->size - p->have, buf, from.buf,
				   progress, payload);
done:
	xfer_reader_release(&r);
	if (fd >= 0)
		close(fd);
	free(buf);
	strbuf_release(&from);
	return err;
}

int xfer_get(struct xfer *x, struct mreg_registry *reg, const char *sha256,
	     uint64_t size, mreg_progress_fn progress, void *payload)
{
	struct xfer_partial p;
	int attempt, err;

	if ((err = check_object(sha256, size)) < 0)
		return err;
	if (mreg_store_has(reg, sha256, size))
		return 0;
	if (x->broken)
		return mreg_error_set(x->fail_code, "%s", x->fail_msg.buf);
	for (attempt = 0; attempt < 2; attempt++) {
		uint64_t offset = 0;

		if (!(err = xfer_partial_open(&p, reg, sha256, size)) &&
		    !(err = xfer_partial_seek(&p, offset = p.have))) {
			err = x->far ? get_path(x, &p, progress, payload)
				     : get_ssh(x, &p, progress, payload);
			if (!err)
				err = xfer_partial_finish(&p);
		}
		xfer_partial_release(&p);
		/* Kept bytes that were not the start of it: fetch it whole. */
		if (err != MREG_ECORRUPT || !offset)
			break;
	}
	if (err == MREG_ECORRUPT) {
		char *msg = xstrdup(mreg_error_last());

		err = mreg_error_set(err, "remote '%s' sent a corrupt copy: %s", x->url, msg);
		free(msg);
	}
	return err;
}
