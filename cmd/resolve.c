/* mreg resolve: the serving path, ROUTE to the version it serves. */
#include "common.h"
#include "util-json.h"
#include "parse-options.h"
#include "mreg/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const resolve_usage[] = {
	"mreg resolve [--stage S] [--json] ROUTE",
	NULL
};

/* One list for both ways, so that a usage error reads the same. */
#define RESOLVE_OPTIONS(stage, json) \
	OPT_STRING(0, "stage", (stage), "S", \
		   "production (default), canary, shadow or previous-production"), \
	OPT_BOOL(0, "json", (json), "{\"route\", \"stage\", \"ref\", \"digest\"}"), \
	OPT_END()

static int print_resolved(const char *route, const char *stage, const char *ref,
			  const char *digest, int json)
{
	if (json) {
		json_t *j = json_object();

		json_object_set_new(j, "route", json_string(route));
		json_object_set_new(j, "stage", json_string(stage ? stage : "production"));
		json_object_set_new(j, "ref", json_string(ref));
		json_object_set_new(j, "digest", json_string(digest));
		json_print(j);
	} else {
		printf("%s %s\n", ref, digest);
	}
	return finish_stdout(0);
}

int resolve_direct(int argc, const char **argv, const char *registry)
{
	const char *stage = NULL, **copy;
	char *dir = NULL, *ref = NULL, digest[72];
	int json = 0, status = -1, i, r;
	struct option opts[] = { RESOLVE_OPTIONS(&stage, &json) };

	/* Anything unusual (-h, errors) goes the ordinary way. */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return -1;
	copy = xcalloc(argc + 1, sizeof(*copy));
	memcpy(copy, argv, argc * sizeof(*copy));
	argc = parse_options(argc, copy, opts, resolve_usage);
	if (argc == 1 && !mreg_registry_locate(&dir, registry, NULL)) {
		r = mreg_route_resolve_direct(&ref, digest, dir, copy[0], stage);
		if (!r)
			status = print_resolved(copy[0], stage, ref, digest, json);
		else if (r < 0)
			status = error_lib(r);
	}
	mreg_error_clear();
	free(ref);
	free(dir);
	free(copy);
	return status;
}

int cmd_resolve(int argc, const char **argv, struct mreg_registry *reg)
{
	const char *stage = NULL;
	char *ref = NULL, digest[72];
	int json = 0, err;
	struct option opts[] = { RESOLVE_OPTIONS(&stage, &json) };

	argc = parse_options(argc, argv, opts, resolve_usage);
	if (argc != 1)
		usage_with_options(resolve_usage, opts);
	if ((err = mreg_route_resolve(&ref, digest, reg, argv[0], stage)) < 0)
		return error_lib(err);
	err = print_resolved(argv[0], stage, ref, digest, json);
	free(ref);
	return err;
}
