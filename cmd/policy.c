/* mreg policy: show, set the policy, and print its allowed signers. */
#include "common.h"
#include "parse-options.h"
#include "mreg/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const policy_usage[] = {
	"mreg policy show",
	"mreg policy set [-m MSG] FILE",
	"mreg policy signers [--stage S]",
	NULL
};

int cmd_policy(int argc, const char **argv, struct mreg_registry *reg)
{
	const char *msg = NULL, *stage = NULL;
	char *text = NULL, commit[41];
	size_t roots;
	int err;
	struct option opts[] = {
		OPT_STRING('m', "message", &msg, "MSG", "why the policy changes"),
		OPT_STRING(0, "stage", &stage, "S", "only the principals who may promote to S"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, policy_usage);
	if (!argc)
		usage_with_options(policy_usage, opts);
	if (!strcmp(argv[0], "show") && argc == 1) {
		if ((err = mreg_policy_get(&text, commit, reg)) < 0)
			return error_lib(err);
		if (text) {
			fputs(text, stdout);
		} else {
			printf("# no policy yet: the pinned trust roots may do everything,\n"
			       "# and nothing needs approval.  Trust roots:\n");
			if ((err = mreg_policy_signers(&text, reg, NULL)) < 0)
				return error_lib(err);
			printf("%s", text);
		}
	} else if (!strcmp(argv[0], "set") && argc == 2) {
		roots = trust_root_count(reg);
		if ((err = mreg_policy_set(reg, argv[1], msg)) < 0)
			return error_lib(err);
		report_pinned(reg, roots);
		if ((err = mreg_policy_get(&text, commit, reg)) < 0)
			return error_lib(err);
		printf("policy %s\n", commit);
	} else if (!strcmp(argv[0], "signers") && argc == 1) {
		if ((err = mreg_policy_signers(&text, reg, stage)) < 0)
			return error_lib(err);
		fputs(text, stdout);
	} else {
		error("unknown or incomplete policy command '%s'", argv[0]);
		usage_with_options(policy_usage, opts);
	}
	free(text);
	return finish_stdout(0);
}
