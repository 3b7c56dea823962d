/* mreg export: materialize a verified bundle in a directory for serving. */
#include "common.h"
#include "parse-options.h"
#include "util-progress.h"
#include "mreg/model.h"

#include <stdio.h>

static const char *const export_usage[] = {
	"mreg export [--force] [--quiet] REF DIR",
	NULL
};

int cmd_export(int argc, const char **argv, struct mreg_registry *reg)
{
	int force = 0, quiet = 0, err;
	struct mreg_model *m = NULL;
	struct progress prog = { "Verifying artifacts", -1, 0 };
	struct option opts[] = {
		OPT_BOOL('f', "force", &force, "replace DIR if it exists"),
		OPT_BOOL('q', "quiet", &quiet, "no progress"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, export_usage);
	if (argc != 2)
		usage_with_options(export_usage, opts);
	opt_quiet |= quiet;
	if ((err = mreg_model_lookup(&m, reg, argv[0])) < 0)
		return error_lib(err);
	err = mreg_model_export(reg, m, argv[1], force,
				show_progress() ? progress_update : NULL, &prog);
	progress_stop(&prog);
	if (err < 0) {
		mreg_model_free(m);
		return error_lib(err);
	}
	printf("%s %s %s\n", m->ref, m->digest, argv[1]);
	mreg_model_free(m);
	return finish_stdout(0);
}
