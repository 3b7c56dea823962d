/* Diagnostics and exit statuses shared by the commands. */
#include "common.h"
#include "mreg/route.h"
#include "mreg/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int parse_percent(double *out, const char *s)
{
	char *end;
	double v;

	v = strtod(s, &end);
	if (*end == '%')
		end++;
	if (end == s || *end || !(v >= 0 && v <= 100))
		return mreg_error_set(MREG_EINVALID,
				      "invalid percentage '%s': use a number from 0 to 100", s);
	*out = v;
	return 0;
}

size_t trust_root_count(struct mreg_registry *reg)
{
	size_t n = 0;

	if (mreg_trust_root_count(&n, reg) < 0)
		return 0;
	return n;
}

void report_pinned(struct mreg_registry *reg, size_t before)
{
	char *fp = NULL;

	if (before || !trust_root_count(reg) || mreg_signing_fingerprint(&fp, reg) < 0)
		return;
	fprintf(stderr, "Pinned your key %s as the registry's trust root "
		"(mreg.trustRoot); it signs the first policy\n", fp);
	free(fp);
}

void print_percent(double v)
{
	char buf[64];

	mreg_percent_format(buf, sizeof(buf), v);
	fputs(buf, stdout);
}

void print_route_move(const struct mreg_route *r)
{
	printf("%s seq %lu %s:", r->name, r->seq, r->action);
	if (r->production.ref)
		printf(" production %s", r->production.ref);
	if (r->canary.ref) {
		printf("%s canary %s at ", r->production.ref ? "," : "", r->canary.ref);
		print_percent(r->canary.percent);
	}
	if (r->shadow.ref) {
		printf("%s shadow %s sampling ",
		       r->production.ref || r->canary.ref ? "," : "", r->shadow.ref);
		print_percent(r->shadow.percent);
	}
	if (!r->production.ref && !r->canary.ref && !r->shadow.ref)
		printf(" (empty)");
	putchar('\n');
}
