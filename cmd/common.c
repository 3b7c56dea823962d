/* Diagnostics and exit statuses shared by the commands. */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int opt_quiet;

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, prefix);
	strbuf_vaddf(&sb, fmt, ap);
	strbuf_addch(&sb, '\n');
	fflush(stdout);
	fputs(sb.buf, stderr);
	strbuf_release(&sb);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("fatal: ", fmt, ap);
	va_end(ap);
	exit(EXIT_FATAL);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

int exit_status_for(int code)
{
	switch (code) {
	case MREG_ENOTFOUND:
	case MREG_EBADSIG:
	case MREG_EDENIED:
		return EXIT_NO;
	default:
		return EXIT_FATAL;
	}
}

int error_lib(int code)
{
	error("%s", mreg_error_last());
	return exit_status_for(code);
}

void die_lib(int code)
{
	exit(error_lib(code));
}

int show_progress(void)
{
	return !opt_quiet && isatty(2);
}

int finish_stdout(int status)
{
	if (fflush(stdout) || ferror(stdout))
		die("cannot write to standard output");
	return status;
}

void format_time(char *buf, size_t len, int64_t t)
{
	format_iso_time(buf, len, t);
}
