#include "parse-options.h"
#include "common.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int help_exit_status = 129;

void print_usage(void *out, const char *const *usage, const struct option *opts)
{
	FILE *fp = out;
	const struct option *o;
	size_t i;

	for (i = 0; usage[i]; i++)
		fprintf(fp, "%s%s\n", i ? "   or: " : "usage: ", usage[i]);
	if (opts->type != OPT_END_)
		fputc('\n', fp);
	for (o = opts; o->type != OPT_END_; o++) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addstr(&sb, "    ");
		if (o->short_name)
			strbuf_addf(&sb, "-%c", o->short_name);
		if (o->short_name && o->long_name)
			strbuf_addstr(&sb, ", ");
		if (o->long_name)
			strbuf_addf(&sb, "--%s", o->long_name);
		if (o->argh)
			strbuf_addf(&sb, " %s", o->argh);
		if (sb.len < 26)
			fprintf(fp, "%-26s%s\n", sb.buf, o->help);
		else
			fprintf(fp, "%s\n%26s%s\n", sb.buf, "", o->help);
		strbuf_release(&sb);
	}
}

void usage_with_options(const char *const *usage, const struct option *opts)
{
	print_usage(stderr, usage, opts);
	exit(129);
}

static void set_value(const struct option *o, const char *arg,
		      const char *const *usage, const struct option *opts)
{
	char *end;
	long v;

	switch (o->type) {
	case OPT_BOOL_:
		*(int *)o->value = 1;
		break;
	case OPT_STRING_:
		*(const char **)o->value = arg;
		break;
	case OPT_INT_:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || end == arg || v < INT_MIN || v > INT_MAX) {
			error("option '%s' expects a whole number, not '%s'",
			      o->long_name ? o->long_name : "", arg);
			usage_with_options(usage, opts);
		}
		*(int *)o->value = (int)v;
		break;
	default:
		break;
	}
}

static const struct option *find_long(const struct option *opts, const char *name,
				      size_t len)
{
	const struct option *o;

	for (o = opts; o->type != OPT_END_; o++)
		if (o->long_name && strlen(o->long_name) == len &&
		    !strncmp(o->long_name, name, len))
			return o;
	return NULL;
}

static const struct option *find_short(const struct option *opts, int c)
{
	const struct option *o;

	for (o = opts; o->type != OPT_END_; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

int parse_options(int argc, const char **argv, const struct option *opts,
		  const char *const *usage)
{
	int i, nr = 0, only_args = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct option *o;

		if (only_args || a[0] != '-' || !a[1]) {
			argv[nr++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_usage(stdout, usage, opts);
			fflush(stdout);
			exit(help_exit_status);
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			o = find_long(opts, name, len);
			if (!o) {
				error("unknown option '%s'", a);
				usage_with_options(usage, opts);
			}
			if (o->type == OPT_BOOL_) {
				if (eq) {
					error("option '--%s' takes no value", o->long_name);
					usage_with_options(usage, opts);
				}
				set_value(o, NULL, usage, opts);
			} else if (eq) {
				set_value(o, eq + 1, usage, opts);
			} else if (i + 1 < argc) {
				set_value(o, argv[++i], usage, opts);
			} else {
				error("option '--%s' requires a value", o->long_name);
				usage_with_options(usage, opts);
			}
			continue;
		}
		/* a cluster of short options: -qv, -mMSG, -m MSG */
		for (a++; *a; a++) {
			o = find_short(opts, *a);
			if (!o) {
				error("unknown switch '%c'", *a);
				usage_with_options(usage, opts);
			}
			if (o->type == OPT_BOOL_) {
				set_value(o, NULL, usage, opts);
				continue;
			}
			if (a[1]) {
				set_value(o, a + 1, usage, opts);
			} else if (i + 1 < argc) {
				set_value(o, argv[++i], usage, opts);
			} else {
				error("switch '%c' requires a value", *a);
				usage_with_options(usage, opts);
			}
			break;
		}
	}
	argv[nr] = NULL;
	return nr;
}
