/*
 * mreg serve: the far end of artifact transport, run by `mreg push` and
 * `mreg fetch` over ssh.  Standard output carries the protocol and nothing
 * else; diagnostics go to standard error.
 */
#include "common.h"
#include "parse-options.h"
#include "mreg/serve.h"

#include <stdio.h>
#include <unistd.h>

static const char *const serve_usage[] = {
	"mreg serve DIR",
	NULL
};

int cmd_serve(int argc, const char **argv, struct mreg_registry *unused)
{
	struct option opts[] = { OPT_END() };
	int err;

	argc = parse_options(argc, argv, opts, serve_usage);
	if (argc != 1)
		usage_with_options(serve_usage, opts);
	if ((err = mreg_serve(argv[0], STDIN_FILENO, STDOUT_FILENO)) < 0)
		die("%s", mreg_error_last());
	return 0;
}
