/* mreg verify: check the signed chains; exit 1 naming the first bad commit. */
#include "common.h"
#include "util-json.h"
#include "parse-options.h"
#include "mreg/verify.h"

#include <stdio.h>
#include <string.h>

static const char *const verify_usage[] = {
	"mreg verify [--json] [--quick] [--all | ROUTE | REF]",
	NULL
};

struct state {
	json_t *json;
	int quiet;
};

static void one(const struct mreg_verify_result *r, void *payload)
{
	struct state *st = payload;

	if (st->json) {
		json_t *j = json_object();

		json_object_set_new(j, "ref", json_string(r->ref));
		json_object_set_new(j, "commits", json_integer((json_int_t)r->commits));
		json_object_set_new(j, "passed", json_boolean(r->passed));
		json_object_set_new(j, "bad_commit", r->bad_commit ? json_string(r->bad_commit)
								    : json_null());
		json_object_set_new(j, "message", r->message ? json_string(r->message)
							     : json_null());
		json_array_append_new(st->json, j);
		return;
	}
	if (r->passed)
		printf("ok %s (%zu commit%s)\n", r->ref, r->commits, r->commits == 1 ? "" : "s");
	else
		printf("BAD %s: %s%s%s%s\n", r->ref, r->bad_commit ? "commit " : "",
		       r->bad_commit ? r->bad_commit : "", r->bad_commit ? ": " : "",
		       r->message);
}

int cmd_verify(int argc, const char **argv, struct mreg_registry *reg)
{
	struct state st = { NULL, 0 };
	enum mreg_verify_what what = MREG_VERIFY_ALL;
	size_t failed = 0;
	unsigned flags = 0;
	int json = 0, all = 0, quick = 0, err;
	struct option opts[] = {
		OPT_BOOL(0, "json", &json, "{\"passed\", \"chains\": [...]} (see mreg-verify(1))"),
		OPT_BOOL(0, "all", &all, "every chain (the default)"),
		OPT_BOOL(0, "quick", &quick,
			 "check artifacts are present with their size, without re-hashing them"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, verify_usage);
	if (argc > 1 || (argc && all))
		usage_with_options(verify_usage, opts);
	/* NAME@VERSION, a digest or a version is a REF; anything else names a route. */
	if (argc)
		what = strchr(argv[0], '@') || starts_with(argv[0], "sha256:")
			? MREG_VERIFY_VERSION : MREG_VERIFY_ROUTE;
	if (quick)
		flags |= MREG_VERIFY_QUICK;
	if (json)
		st.json = json_array();
	err = mreg_verify(&failed, reg, what, argc ? argv[0] : NULL, flags, one, &st);
	if (err == MREG_ENOTFOUND && what == MREG_VERIFY_ROUTE)
		err = mreg_verify(&failed, reg, MREG_VERIFY_VERSION, argv[0], flags, one, &st);
	if (err < 0) {
		json_decref(st.json);
		return error_lib(err);
	}
	if (json) {
		json_t *doc = json_object();

		json_object_set_new(doc, "passed", json_boolean(!failed));
		json_object_set_new(doc, "chains", st.json);
		json_print(doc);
	} else if (failed) {
		fprintf(stderr, "error: %zu chain%s did not verify\n", failed,
			failed == 1 ? "" : "s");
	}
	return finish_stdout(failed ? EXIT_NO : EXIT_OK);
}
