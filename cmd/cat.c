/* mreg cat: one verified file of a bundle to stdout. */
#include "common.h"
#include "parse-options.h"
#include "mreg/model.h"

#include <stdio.h>
#include <unistd.h>

static const char *const cat_usage[] = {
	"mreg cat REF PATH",
	NULL
};

int cmd_cat(int argc, const char **argv, struct mreg_registry *reg)
{
	struct option opts[] = { OPT_END() };
	struct mreg_model *m = NULL;
	int err;

	argc = parse_options(argc, argv, opts, cat_usage);
	if (argc != 2)
		usage_with_options(cat_usage, opts);
	if ((err = mreg_model_lookup(&m, reg, argv[0])) < 0)
		return error_lib(err);
	fflush(stdout);
	err = mreg_model_cat(reg, m, argv[1], 1, NULL, NULL);
	mreg_model_free(m);
	if (err < 0)
		return error_lib(err);
	return finish_stdout(0);
}
