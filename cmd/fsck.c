/* mreg fsck: check everything, list each problem, exit 1 if any. */
#include "common.h"
#include "parse-options.h"
#include "util-progress.h"
#include "mreg/fsck.h"

#include <stdio.h>

static const char *const fsck_usage[] = {
	"mreg fsck [--full] [--quiet]",
	NULL
};

static void report(const char *object, const char *problem, void *payload)
{
	struct progress *p = payload;

	progress_stop(p);
	printf("%s: %s\n", object, problem);
}

static void warn(const char *object, const char *problem, void *payload)
{
	warning("%s: %s", object, problem);
}

int cmd_fsck(int argc, const char **argv, struct mreg_registry *reg)
{
	int full = 0, quiet = 0, err;
	size_t problems = 0;
	struct progress prog = { "Checking artifacts", -1, 0 };
	struct option opts[] = {
		OPT_BOOL(0, "full", &full,
			 "also re-hash every object in the artifact store, referenced or not"),
		OPT_BOOL('q', "quiet", &quiet, "no progress"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, fsck_usage);
	if (argc)
		usage_with_options(fsck_usage, opts);
	opt_quiet |= quiet;
	err = mreg_fsck(&problems, reg, full ? MREG_FSCK_FULL : 0, report, warn,
			show_progress() ? progress_update : NULL, &prog);
	progress_stop(&prog);
	if (err < 0)
		return error_lib(err);
	if (problems)
		fprintf(stderr, "error: %zu problem%s found\n", problems,
			problems == 1 ? "" : "s");
	return finish_stdout(problems ? EXIT_NO : EXIT_OK);
}
