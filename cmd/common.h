/*
 * common.h: what every command shares: diagnostics, exit codes, the
 * command prototypes and the global options.
 */
#ifndef MREG_COMMON_H
#define MREG_COMMON_H

#include "mreg/mreg.h"
#include "mreg/registry.h"
#include "strbuf.h"
#include "util.h"

/* Exit statuses (DESIGN §7). */
enum {
	EXIT_OK = 0,
	EXIT_NO = 1,		/* the answer is no: gate failed, not found */
	EXIT_FATAL = 128,	/* bad input, I/O, corrupt store */
	EXIT_USAGE = 129
};

/* Prints "fatal: ..." and exits 128. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Prints "error: ..." and returns -1. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints libmreg's last error as "error: ..." and returns the exit status it maps to. */
int error_lib(int code);
/* Prints libmreg's last error as "fatal: ..." and exits with its status. */
void die_lib(int code) __attribute__((noreturn));
/* The exit status for a libmreg error code. */
int exit_status_for(int code);

/* Global options, set by cmd/builtin.c before the command runs. */
extern int opt_quiet;
/* 1 when progress should be shown: stderr is a terminal and not --quiet. */
int show_progress(void);

/* ISO 8601 UTC: 2026-07-02T03:00:00Z */
void format_time(char *buf, size_t len, int64_t t);

/* Ends a command: checks stdout was written whole, returns `status`. */
int finish_stdout(int status);

#define CMD(name) int cmd_##name(int argc, const char **argv, struct mreg_registry *reg)
CMD(init);
CMD(config);
CMD(register);
CMD(show);
CMD(list);
CMD(export);
CMD(cat);
CMD(fsck);
CMD(help);
CMD(keygen);
CMD(promote);
CMD(rollback);
CMD(route);
CMD(resolve);
CMD(status);
CMD(approve);
CMD(policy);
CMD(log);
CMD(verify);
CMD(serve);
CMD(remote);
CMD(push);
CMD(fetch);
CMD(pull);
CMD(clone);
CMD(gate);
CMD(diff);

struct mreg_route;

/*
 * resolve's fast path, tried by the mreg executable before it loads
 * mreg-core.so: the exit status, or -1 when the ordinary command must
 * answer.
 */
int resolve_direct(int argc, const char **argv, const char *registry);

/*
 * mreg-core.so's entry point, called with the whole command line, and
 * the version it was built as, which the executable checks first.
 */
int mreg_main(int argc, const char **argv);
extern const char mreg_core_version[];

/* "5", "5%", "0.5%" -> 0..100; MREG_EINVALID otherwise. */
int parse_percent(double *out, const char *s);
/* The number of pinned trust roots (0 on error). */
size_t trust_root_count(struct mreg_registry *reg);
/* Says so on stderr when a signed write just pinned the first trust root. */
void report_pinned(struct mreg_registry *reg, size_t before);
/* "ROUTE seq N: production REF DIGEST ..." for a route's new head. */
void print_route_move(const struct mreg_route *r);
/* The percentage as short as it reads back: "5%", "0.5%". */
void print_percent(double v);

#endif
