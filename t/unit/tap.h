/*
 * tap.h: the Test Anything Protocol for unit tests in C.  Include it in
 * one t/unit/NAME.c; results go to stdout, and main() ends with
 * `return done_testing();`, which is 0 only if every test passed and the
 * plan (if any) was met.
 */
#ifndef MREG_TAP_H
#define MREG_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_planned = -1, tap_run, tap_failed;

/* Announces `n` tests; without a plan, done_testing() prints one. */
static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

/* Prints a diagnostic line: "# ..." */
static inline void diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* One test: passes if `cond`; returns `cond` so callers can add detail. */
static inline int ok(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

/* Shows a string in a diagnostic with its newlines and tabs visible. */
static inline void tap_show(const char *what, const char *s)
{
	fputs("#   ", stdout);
	fputs(what, stdout);
	if (!s) {
		fputs("NULL\n", stdout);
		return;
	}
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", stdout);
		else if (*s == '\t')
			fputs("\\t", stdout);
		else
			putchar(*s);
	}
	fputs("'\n", stdout);
}

/* Passes if both strings are equal (or both NULL); shows them if not. */
static inline int is_str(const char *got, const char *expected,
			 const char *name)
{
	int same = got && expected ? !strcmp(got, expected) : got == expected;

	if (!ok(same, "%s", name)) {
		tap_show("     got: ", got);
		tap_show("expected: ", expected);
	}
	return same;
}

static inline int is_int(long long got, long long expected, const char *name)
{
	if (!ok(got == expected, "%s", name))
		diag("  got %lld, expected %lld", got, expected);
	return got == expected;
}

/* Ends the run: the exit status for main(). */
static inline int done_testing(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_run);
	else if (tap_planned != tap_run)
		diag("planned %d tests but ran %d", tap_planned, tap_run);
	if (tap_failed)
		diag("failed %d of %d tests", tap_failed, tap_run);
	return tap_failed || (tap_planned >= 0 && tap_planned != tap_run);
}

#endif
