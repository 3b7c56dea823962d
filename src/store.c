/*
 * The artifact store: raw bytes named by their SHA-256, beside the git
 * repository (DESIGN §2).  Every transfer goes through one fixed buffer and
 * hashes while it copies, so memory does not grow with the artifact.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "mreg/store.h"
#include "tempfile.h"

#include <dirent.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#define STORE_BUF (1024 * 1024)

void mreg_sha256_hex(char *hex, const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	hex_encode(hex, md, 32);
}

char *mreg_store_path(struct mreg_registry *reg, const char *hex)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/%.2s/%.2s/%s", reg->artifacts, hex, hex + 2, hex);
	return strbuf_detach(&sb, NULL);
}

/*
 * Copying a large file is three jobs: read, hash, write.  The hash runs
 * in a second thread on the buffer the copy has just written, so a copy
 * costs about max(hash, read + write) rather than their sum, in the same
 * fixed memory (PIPE_BUFS buffers).  Writeback starts as the copy goes,
 * so the final fsync has little left to wait for.
 */
#define PIPE_BUFS 4
#define PIPE_MIN (8 * STORE_BUF)

struct pipeline {
	unsigned char *buf[PIPE_BUFS];
	size_t len[PIPE_BUFS];
	int full[PIPE_BUFS];	/* written, waiting for the hasher */
	int done;		/* no more buffers will come */
	EVP_MD_CTX *ctx;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *hasher(void *arg)
{
	struct pipeline *p = arg;
	size_t i;

	for (i = 0; ; i = (i + 1) % PIPE_BUFS) {
		pthread_mutex_lock(&p->mu);
		while (!p->full[i] && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->full[i]) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		pthread_mutex_unlock(&p->mu);
		EVP_DigestUpdate(p->ctx, p->buf[i], p->len[i]);
		pthread_mutex_lock(&p->mu);
		p->full[i] = 0;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

static void start_writeback(int fd, uint64_t off, size_t len)
{
#ifdef SYNC_FILE_RANGE_WRITE
	sync_file_range(fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE);
#else
	(void)fd, (void)off, (void)len;
#endif
}

/* The threaded copy; the caller set up and will finish `ctx`. */
static int stream_pipelined(uint64_t *size, EVP_MD_CTX *ctx, int in, int out,
			    const char *what, uint64_t total,
			    mreg_progress_fn progress, void *payload)
{
	struct pipeline p;
	pthread_t th;
	uint64_t done = 0;
	size_t i, slot;
	int err = 0;

	memset(&p, 0, sizeof(p));
	p.ctx = ctx;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	for (i = 0; i < PIPE_BUFS; i++)
		p.buf[i] = xmalloc(STORE_BUF);
	if (pthread_create(&th, NULL, hasher, &p)) {
		err = mreg_error_set(MREG_ERROR, "cannot start a thread");
		goto free_bufs;
	}
	for (slot = 0; ; slot = (slot + 1) % PIPE_BUFS) {
		ssize_t n;

		pthread_mutex_lock(&p.mu);
		while (p.full[slot])
			pthread_cond_wait(&p.cv, &p.mu);
		pthread_mutex_unlock(&p.mu);
		n = xread(in, p.buf[slot], STORE_BUF);
		if (n < 0) {
			err = mreg_error_errno(MREG_EIO, "cannot read", what);
			break;
		}
		if (!n)
			break;
		if (write_all(out, p.buf[slot], n) < 0) {
			err = mreg_error_set(MREG_EIO, "cannot write '%s': %s", what,
					     strerror(errno));
			break;
		}
		start_writeback(out, done, n);
		done += n;
		pthread_mutex_lock(&p.mu);
		p.len[slot] = n;
		p.full[slot] = 1;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		if (progress)
			progress(done, total, payload);
	}
	pthread_mutex_lock(&p.mu);
	p.done = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	pthread_join(th, NULL);
	*size = done;
free_bufs:
	for (i = 0; i < PIPE_BUFS; i++)
		free(p.buf[i]);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	return err;
}

/*
 * Streams `in` to `out` (when out >= 0) through fixed buffers, hashing.
 * On a read error the message names `what`.
 */
static int stream(char *hex, uint64_t *size, int in, int out, const char *what,
		  uint64_t total, mreg_progress_fn progress, void *payload)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = NULL, md[32];
	uint64_t done = 0;
	int err = 0;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		err = mreg_error_set(MREG_ERROR, "cannot start SHA-256");
		goto done;
	}
	posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (out >= 0 && total >= PIPE_MIN) {
		if ((err = stream_pipelined(&done, ctx, in, out, what, total,
					    progress, payload)) < 0)
			goto done;
		goto finish;
	}
	buf = xmalloc(STORE_BUF);
	for (;;) {
		ssize_t n = xread(in, buf, STORE_BUF);

		if (n < 0) {
			err = mreg_error_errno(MREG_EIO, "cannot read", what);
			goto done;
		}
		if (!n)
			break;
		EVP_DigestUpdate(ctx, buf, n);
		if (out >= 0 && write_all(out, buf, n) < 0) {
			err = mreg_error_set(MREG_EIO, "cannot write '%s': %s",
					     what, strerror(errno));
			goto done;
		}
		done += n;
		if (progress)
			progress(done, total, payload);
	}
finish:
	EVP_DigestFinal_ex(ctx, md, NULL);
	hex_encode(hex, md, 32);
	*size = done;
done:
	EVP_MD_CTX_free(ctx);
	free(buf);
	return err;
}

/* Makes artifacts/ab/cd/ for `path` (the object's final path). */
static int make_fanout(const char *path)
{
	char *dir = xstrndup(path, strrchr(path, '/') - path);
	int ret = mkdir_p(dir);

	free(dir);
	return ret;
}

int mreg_store_put_fd(char *hex, uint64_t *size, struct mreg_registry *reg,
		      int fd, const char *expect, uint64_t expected_total,
		      mreg_progress_fn progress, void *payload)
{
	struct tempfile *t;
	char *dest = NULL;
	int err;

	t = tempfile_create(reg->tmp, "artifact-", 0444);
	if (!t)
		return mreg_error_errno(MREG_EIO, "cannot create a temporary file in",
					reg->tmp);
	if ((err = stream(hex, size, fd, t->fd, t->path, expected_total,
			  progress, payload)) < 0)
		goto done;
	if (expect && strcmp(expect, hex)) {
		err = mreg_error_set(MREG_EINVALID, "its bytes hash to %s, not %s",
				     hex, expect);
		goto done;
	}
	dest = mreg_store_path(reg, hex);
	if (make_fanout(dest) < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot create directory for", dest);
		goto done;
	}
	/*
	 * Into place even when the object is there already: the copy just
	 * written was hashed on the way and is known good, while the one there
	 * may have been damaged since (fsck and verify find that; this
	 * mends it), and the copy has been paid for.  Readers holding the old
	 * file open keep it.
	 */
	if (tempfile_rename(t, dest) < 0)
		err = mreg_error_errno(MREG_EIO, "cannot store artifact", dest);
done:
	tempfile_delete(t);
	free(dest);
	return err;
}

int mreg_store_has(struct mreg_registry *reg, const char *hex, uint64_t size)
{
	char *path = mreg_store_path(reg, hex);
	struct stat st;
	int ok = !stat(path, &st) && S_ISREG(st.st_mode) &&
		 (uint64_t)st.st_size == size;

	free(path);
	return ok;
}

static int open_object(int *fd, struct mreg_registry *reg, const char *hex,
		       uint64_t size)
{
	char *path = mreg_store_path(reg, hex);
	struct stat st;
	int err = 0;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		err = errno == ENOENT
			? mreg_error_set(MREG_ECORRUPT, "artifact %s is missing from the store", hex)
			: mreg_error_errno(MREG_EIO, "cannot read artifact", path);
	} else if (fstat(*fd, &st) < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot read artifact", path);
	} else if ((uint64_t)st.st_size != size) {
		err = mreg_error_set(MREG_ECORRUPT,
				     "artifact %s is corrupt: %llu bytes, expected %llu",
				     hex, (unsigned long long)st.st_size,
				     (unsigned long long)size);
	}
	if (err < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	free(path);
	return err;
}

static int copy_checked(struct mreg_registry *reg, const char *hex, uint64_t size,
			int out, mreg_progress_fn progress, void *payload)
{
	char got[MREG_HEX_SHA256 + 1];
	uint64_t n = 0;
	int fd, err;

	if ((err = open_object(&fd, reg, hex, size)) < 0)
		return err;
	err = stream(got, &n, fd, out, hex, size, progress, payload);
	close(fd);
	if (err < 0)
		return err;
	if (n != size || strcmp(got, hex))
		return mreg_error_set(MREG_ECORRUPT,
				      "artifact %s is corrupt: its bytes hash to %s",
				      hex, got);
	return 0;
}

int mreg_store_verify(struct mreg_registry *reg, const char *hex, uint64_t size,
		      mreg_progress_fn progress, void *payload)
{
	return copy_checked(reg, hex, size, -1, progress, payload);
}

int mreg_store_copy(struct mreg_registry *reg, const char *hex, uint64_t size,
		    int out_fd, mreg_progress_fn progress, void *payload)
{
	return copy_checked(reg, hex, size, out_fd, progress, payload);
}

static int walk(const char *dir, int depth,
		int (*fn)(const char *name, uint64_t size, void *payload),
		void *payload)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : mreg_error_errno(MREG_EIO, "cannot read", dir);
	while (!err && (de = readdir(d))) {
		struct strbuf p = STRBUF_INIT;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		strbuf_addf(&p, "%s/%s", dir, de->d_name);
		if (lstat(p.buf, &st) < 0)
			err = mreg_error_errno(MREG_EIO, "cannot stat", p.buf);
		else if (depth < 2 && S_ISDIR(st.st_mode))
			err = walk(p.buf, depth + 1, fn, payload);
		else
			err = fn(de->d_name, S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0,
				 payload);
		strbuf_release(&p);
	}
	closedir(d);
	return err;
}

int mreg_store_foreach(struct mreg_registry *reg,
		       int (*fn)(const char *name, uint64_t size, void *payload),
		       void *payload)
{
	return walk(reg->artifacts, 0, fn, payload);
}
