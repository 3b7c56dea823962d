/* mreg rollback: put the previous production version back, as a new commit. */
#include "common.h"
#include "parse-options.h"
#include "mreg/route.h"

static const char *const rollback_usage[] = {
	"mreg rollback [--to REF] [-m REASON] ROUTE",
	NULL
};

int cmd_rollback(int argc, const char **argv, struct mreg_registry *reg)
{
	const char *to = NULL, *reason = NULL;
	struct mreg_route *r = NULL;
	size_t roots;
	int err;
	struct option opts[] = {
		OPT_STRING(0, "to", &to, "REF", "the version to serve (default: the previous production one)"),
		OPT_STRING('m', "message", &reason, "REASON", "why, kept in the route's history"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, rollback_usage);
	if (argc != 1)
		usage_with_options(rollback_usage, opts);
	roots = trust_root_count(reg);
	if ((err = mreg_route_rollback(&r, reg, argv[0], to, reason)) < 0)
		return error_lib(err);
	report_pinned(reg, roots);
	print_route_move(r);
	mreg_route_free(r);
	return finish_stdout(0);
}
