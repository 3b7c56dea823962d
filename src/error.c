/*
 * The last error, kept per thread: the library sets it where a failure is
 * detected and the CLI prints it.
 */
#include "internal.h"
#include "tempfile.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_msg[1024];
static _Thread_local int last_code;

int mreg_error_set(int code, const char *fmt, ...)
{
	char buf[sizeof(last_msg)];
	va_list ap;

	/* Through a copy: callers may pass the last message as an argument. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memcpy(last_msg, buf, sizeof(buf));
	last_code = code;
	return code;
}

const char *mreg_error_last(void)
{
	return last_msg;
}

int mreg_error_code(void)
{
	return last_code;
}

void mreg_error_clear(void)
{
	last_msg[0] = '\0';
	last_code = 0;
}

int mreg_error_git(const char *what)
{
	const git_error *e = git_error_last();

	return mreg_error_set(MREG_EGIT, "%s: %s", what,
			      e && e->message ? e->message : "libgit2 error");
}

int mreg_error_errno(int code, const char *what, const char *path)
{
	return mreg_error_set(code, "%s '%s': %s", what, path, strerror(errno));
}

int mreg_global_init(void)
{
	if (git_libgit2_init() < 0)
		return mreg_error_git("cannot start libgit2");
	/* Never let a ref write through without fsync: the registry must survive a crash. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	tempfile_setup();
	return 0;
}

void mreg_global_shutdown(void)
{
	git_libgit2_shutdown();
}
