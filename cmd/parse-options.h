/*
 * parse-options.h: git-style option parsing for the commands.  Options and
 * arguments may be mixed; "--" ends options.  `-h` prints the usage and
 * the option table and exits 129, as does any unknown option.
 */
#ifndef MREG_PARSE_OPTIONS_H
#define MREG_PARSE_OPTIONS_H

enum opt_type { OPT_END_, OPT_BOOL_, OPT_STRING_, OPT_INT_ };

struct option {
	enum opt_type type;
	int short_name;
	const char *long_name;
	void *value;
	const char *argh;	/* the value's name in help, e.g. "FILE" */
	const char *help;
};

#define OPT_BOOL(s, l, v, h) { OPT_BOOL_, (s), (l), (v), NULL, (h) }
#define OPT_STRING(s, l, v, a, h) { OPT_STRING_, (s), (l), (v), (a), (h) }
#define OPT_INT(s, l, v, a, h) { OPT_INT_, (s), (l), (v), (a), (h) }
#define OPT_END() { OPT_END_, 0, NULL, NULL, NULL, NULL }

/*
 * Parses argv[1..] (argv[0] is the command name), storing option values and
 * leaving the remaining arguments in argv[0..return value).  Exits 129 on
 * a usage error.
 */
int parse_options(int argc, const char **argv, const struct option *opts,
		  const char *const *usage);

/* The exit status of -h: 129 as in git, 0 under `mreg help CMD`. */
extern int help_exit_status;

/* Prints the usage and options to stderr and exits 129. */
void usage_with_options(const char *const *usage, const struct option *opts)
	__attribute__((noreturn));

/* Prints the usage and options to `fp` (stdout for -h). */
void print_usage(void *fp, const char *const *usage, const struct option *opts);

#endif
