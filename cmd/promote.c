/* mreg promote: put a version in a stage of a route, as a signed commit. */
#include "common.h"
#include "parse-options.h"
#include "mreg/route.h"

#include <stdio.h>
#include <string.h>

static const char *const promote_usage[] = {
	"mreg promote [--stage S] [--traffic PCT] [--sample PCT] [-m REASON] ROUTE REF",
	NULL
};

int cmd_promote(int argc, const char **argv, struct mreg_registry *reg)
{
	const char *stage = NULL, *traffic = NULL, *sample = NULL, *reason = NULL;
	struct mreg_route *r = NULL;
	double pct = -1;
	size_t roots = 0;
	int err;
	struct option opts[] = {
		OPT_STRING(0, "stage", &stage, "S", "production (default), canary or shadow"),
		OPT_STRING(0, "traffic", &traffic, "PCT", "canary share of traffic (default 1%)"),
		OPT_STRING(0, "sample", &sample, "PCT", "shadow sample of traffic (default 5%)"),
		OPT_STRING('m', "message", &reason, "REASON", "why, kept in the route's history"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, promote_usage);
	if (argc != 2)
		usage_with_options(promote_usage, opts);
	if (traffic && sample)
		die("--traffic is for canary and --sample for shadow; give one");
	if (traffic && stage && strcmp(stage, "canary"))
		die("--traffic goes with --stage canary");
	if (sample && stage && strcmp(stage, "shadow"))
		die("--sample goes with --stage shadow");
	if (!stage && traffic)
		stage = "canary";
	if (!stage && sample)
		stage = "shadow";
	if ((traffic || sample) && parse_percent(&pct, traffic ? traffic : sample) < 0)
		die("%s", mreg_error_last());
	roots = trust_root_count(reg);
	if ((err = mreg_route_promote(&r, reg, argv[0], argv[1], stage, pct, reason)) < 0)
		return error_lib(err);
	report_pinned(reg, roots);
	print_route_move(r);
	mreg_route_free(r);
	return finish_stdout(0);
}
