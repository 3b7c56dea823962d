/*
 * mreg: the command dispatcher, the entry point of mreg-core.so, which the
 * mreg executable (cmd/mreg.c) loads and calls with its whole command
 * line.  Global options, then a command from the sorted table below, which
 * gets the registry opened for it when it needs one.  A command's return
 * value is the exit status.
 */
#include "common.h"
#include "parse-options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NEED_REGISTRY = 1 };

struct command {
	const char *name;
	int (*fn)(int, const char **, struct mreg_registry *);
	int flags;
	const char *summary;
};

/* Sorted by name: help lists them in this order. */
static const struct command commands[] = {
	{ "approve", cmd_approve, NEED_REGISTRY, "Approve a version for a stage of a route" },
	{ "cat", cmd_cat, NEED_REGISTRY, "Write one verified file of a bundle to stdout" },
	{ "clone", cmd_clone, 0, "Copy a registry, verified, and pin its trust root" },
	{ "config", cmd_config, NEED_REGISTRY, "Get and set registry options" },
	{ "diff", cmd_diff, NEED_REGISTRY, "Show two model versions side by side" },
	{ "export", cmd_export, NEED_REGISTRY, "Write a verified bundle to a directory" },
	{ "fetch", cmd_fetch, NEED_REGISTRY, "Fetch, verify and fast-forward from a remote" },
	{ "fsck", cmd_fsck, NEED_REGISTRY, "Check the registry's refs, bundles and artifacts" },
	{ "gate", cmd_gate, NEED_REGISTRY, "Check a candidate version against its gates" },
	{ "help", cmd_help, 0, "Show help for mreg or one of its commands" },
	{ "init", cmd_init, 0, "Create an empty registry" },
	{ "keygen", cmd_keygen, 0, "Make an Ed25519 signing key" },
	{ "list", cmd_list, NEED_REGISTRY, "List model versions" },
	{ "log", cmd_log, NEED_REGISTRY, "Show route history with verified signatures" },
	{ "policy", cmd_policy, NEED_REGISTRY, "Show or set who may do what" },
	{ "promote", cmd_promote, NEED_REGISTRY, "Move a route to a model version" },
	{ "pull", cmd_pull, NEED_REGISTRY, "Fetch, verify and fast-forward (as fetch)" },
	{ "push", cmd_push, NEED_REGISTRY, "Send artifacts, then refs, to a remote" },
	{ "register", cmd_register, NEED_REGISTRY, "Register a model bundle from a manifest" },
	{ "remote", cmd_remote, NEED_REGISTRY, "Add, remove and list remotes" },
	{ "resolve", cmd_resolve, NEED_REGISTRY, "Print the version a route serves" },
	{ "rollback", cmd_rollback, NEED_REGISTRY, "Put a route's previous version back" },
	{ "route", cmd_route, NEED_REGISTRY, "List, show, retire routes; set canary traffic" },
	{ "serve", cmd_serve, 0, "Serve a registry's artifacts over stdin and stdout" },
	{ "show", cmd_show, NEED_REGISTRY, "Show every part of a model version" },
	{ "status", cmd_status, NEED_REGISTRY, "Show or move a version's lifecycle state" },
	{ "verify", cmd_verify, NEED_REGISTRY, "Check every signed chain from its root" },
};

static const char *const mreg_usage[] = {
	"mreg [-R DIR | --registry DIR] [--quiet] <command> [<args>]",
	"mreg --version",
	NULL
};

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void list_commands(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: %s\n   or: %s\n\nCommands:\n", mreg_usage[0], mreg_usage[1]);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(fp, "   %-12s%s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\nSee 'mreg help <command>' or 'man mreg-<command>' for more.\n");
}

int cmd_help(int argc, const char **argv, struct mreg_registry *reg)
{
	const struct command *c;
	const char *help_argv[] = { NULL, "-h", NULL };

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: mreg help [COMMAND]\n");
		fflush(stdout);
		return EXIT_USAGE;
	}
	if (argc < 2) {
		list_commands(stdout);
		return finish_stdout(0);
	}
	c = find_command(argv[1]);
	if (!c) {
		error("'%s' is not an mreg command; see 'mreg help'", argv[1]);
		return EXIT_USAGE;
	}
	/* `mreg help CMD` is `mreg CMD -h`, but a successful one. */
	help_argv[0] = c->name;
	help_exit_status = 0;
	return c->fn(2, help_argv, reg);
}

const char mreg_core_version[] = MREG_VERSION;

int mreg_main(int argc, const char **argv)
{
	const char *registry = NULL;
	const struct command *c;
	struct mreg_registry *reg = NULL;
	int i, err, status;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-R") || !strcmp(a, "--registry")) {
			if (++i >= argc) {
				error("option '%s' requires a value", a);
				list_commands(stderr);
				return EXIT_USAGE;
			}
			registry = argv[i];
		} else if (starts_with(a, "--registry=")) {
			registry = a + strlen("--registry=");
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			opt_quiet = 1;
		} else if (!strcmp(a, "--version")) {
			printf("mreg version %s\n", MREG_VERSION);
			return finish_stdout(0);
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			list_commands(stdout);
			return finish_stdout(0);
		} else {
			error("unknown option '%s'", a);
			list_commands(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		list_commands(stderr);
		return EXIT_USAGE;
	}
	c = find_command(argv[i]);
	if (!c) {
		error("'%s' is not an mreg command; see 'mreg help'", argv[i]);
		return EXIT_USAGE;
	}
	argc -= i;
	argv += i;
	if ((err = mreg_global_init()) < 0)
		die("%s", mreg_error_last());
	/* -h needs no registry: let the command print its usage first. */
	if ((c->flags & NEED_REGISTRY) && !(argc == 2 && !strcmp(argv[1], "-h")) &&
	    (err = mreg_registry_discover(&reg, registry, NULL)) < 0)
		die("%s", mreg_error_last());
	if (!(c->flags & NEED_REGISTRY) && registry)
		setenv("MREG_DIR", registry, 1);
	status = c->fn(argc, argv, reg);
	mreg_registry_free(reg);
	mreg_global_shutdown();
	return status;
}
