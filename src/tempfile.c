#include "tempfile.h"
#include "strbuf.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct tempfile *active;

static void unlink_all(void)
{
	struct tempfile *t;

	for (t = active; t; t = t->next)
		if (t->path)
			unlink(t->path);
}

static void on_signal(int sig)
{
	unlink_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

void tempfile_setup(void)
{
	static int done;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT };
	size_t i;

	if (done)
		return;
	done = 1;
	atexit(unlink_all);
	for (i = 0; i < ARRAY_SIZE(sigs); i++) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

static void forget(struct tempfile *t)
{
	struct tempfile **p;

	for (p = &active; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
}

struct tempfile *tempfile_create(const char *dir, const char *prefix, int mode)
{
	struct strbuf path = STRBUF_INIT;
	struct tempfile *t;
	int fd;

	strbuf_addf(&path, "%s/%sXXXXXX", dir, prefix);
	fd = mkstemp(path.buf);
	if (fd < 0) {
		strbuf_release(&path);
		return NULL;
	}
	if (fchmod(fd, mode) < 0) {
		int e = errno;

		unlink(path.buf);
		close(fd);
		strbuf_release(&path);
		errno = e;
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->fd = fd;
	t->path = strbuf_detach(&path, NULL);
	t->next = active;
	active = t;
	return t;
}

static int finish(struct tempfile *t)
{
	int ret = 0;

	if (t->fd >= 0) {
		if (fsync(t->fd) < 0)
			ret = -1;
		if (close(t->fd) < 0)
			ret = -1;
		t->fd = -1;
	}
	return ret;
}

static int fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int ret;

	if (!slash)
		return fsync_dir(".");
	dir = xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
	ret = fsync_dir(dir);
	free(dir);
	return ret;
}

int tempfile_rename(struct tempfile *t, const char *dest)
{
	if (finish(t) < 0 || rename(t->path, dest) < 0)
		return -1;
	free(t->path);
	t->path = NULL;
	return fsync_parent(dest);
}

int tempfile_link(struct tempfile *t, const char *dest)
{
	int exists = 0;

	if (finish(t) < 0)
		return -1;
	if (link(t->path, dest) < 0) {
		if (errno != EEXIST)
			return -1;
		exists = 1;
	}
	unlink(t->path);
	free(t->path);
	t->path = NULL;
	if (!exists && fsync_parent(dest) < 0)
		return -1;
	return exists;
}

void tempfile_delete(struct tempfile *t)
{
	if (!t)
		return;
	forget(t);
	if (t->fd >= 0)
		close(t->fd);
	if (t->path)
		unlink(t->path);
	free(t->path);
	free(t);
}
