/* mreg resolve: the serving path, ROUTE to the version it serves. */
#include "common.h"
#include "util-json.h"
#include "parse-options.h"
#include "mreg/route.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const resolve_usage[] = {
	"mreg resolve [--stage S] [--json] ROUTE",
	NULL
};

int cmd_resolve(int argc, const char **argv, struct mreg_registry *reg)
{
	const char *stage = NULL;
	char *ref = NULL, digest[72];
	int json = 0, err;
	struct option opts[] = {
		OPT_STRING(0, "stage", &stage, "S",
			   "production (default), canary, shadow or previous-production"),
		OPT_BOOL(0, "json", &json, "{\"route\", \"stage\", \"ref\", \"digest\"}"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, resolve_usage);
	if (argc != 1)
		usage_with_options(resolve_usage, opts);
	if ((err = mreg_route_resolve(&ref, digest, reg, argv[0], stage)) < 0)
		return error_lib(err);
	if (json) {
		json_t *j = json_object();

		json_object_set_new(j, "route", json_string(argv[0]));
		json_object_set_new(j, "stage", json_string(stage ? stage : "production"));
		json_object_set_new(j, "ref", json_string(ref));
		json_object_set_new(j, "digest", json_string(digest));
		json_print(j);
	} else {
		printf("%s %s\n", ref, digest);
	}
	free(ref);
	return finish_stdout(0);
}
