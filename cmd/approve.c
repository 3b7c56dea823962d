/* mreg approve: a signed yes to promoting a version to a stage of a route. */
#include "common.h"
#include "parse-options.h"
#include "mreg/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *const approve_usage[] = {
	"mreg approve [--stage S] [--role ROLE] [--expires DATE] [-m NOTE] ROUTE REF",
	NULL
};

int cmd_approve(int argc, const char **argv, struct mreg_registry *reg)
{
	const char *stage = "production", *role = NULL, *expires = NULL, *note = NULL;
	int64_t until;
	size_t roots;
	int err;
	struct option opts[] = {
		OPT_STRING(0, "stage", &stage, "S", "production (default), canary or shadow"),
		OPT_STRING(0, "role", &role, "ROLE", "in which capacity (ml_owner, product_owner, ...)"),
		OPT_STRING(0, "expires", &expires, "DATE",
			   "when the approval lapses (default: 7 days from now)"),
		OPT_STRING('m', "message", &note, "NOTE", "a note kept with the approval"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, approve_usage);
	if (argc != 2)
		usage_with_options(approve_usage, opts);
	if (expires) {
		if (parse_iso_time(&until, expires) < 0)
			die("invalid date '%s': use 2026-07-09 or 2026-07-09T00:00:00Z", expires);
	} else {
		until = (int64_t)time(NULL) + 7 * 24 * 3600;
	}
	roots = trust_root_count(reg);
	if ((err = mreg_approve(reg, argv[0], argv[1], stage, role, note, until)) < 0)
		return error_lib(err);
	report_pinned(reg, roots);
	{
		char when[32];

		format_time(when, sizeof(when), until);
		printf("approved %s for %s of %s until %s\n", argv[1], stage, argv[0], when);
	}
	return finish_stdout(0);
}
