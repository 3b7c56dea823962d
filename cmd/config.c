/* mreg config: read and write the registry's options (its git config). */
#include "common.h"
#include "parse-options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const config_usage[] = {
	"mreg config get KEY",
	"mreg config set KEY VALUE",
	"mreg config unset KEY",
	"mreg config list",
	NULL
};

static int print_entry(const char *key, const char *value, void *payload)
{
	printf("%s=%s\n", key, value ? value : "");
	return 0;
}

int cmd_config(int argc, const char **argv, struct mreg_registry *reg)
{
	struct option opts[] = { OPT_END() };
	const char *sub;
	char *value = NULL;
	int err;

	argc = parse_options(argc, argv, opts, config_usage);
	if (!argc)
		usage_with_options(config_usage, opts);
	sub = argv[0];
	if (!strcmp(sub, "get") && argc == 2) {
		if ((err = mreg_config_get(&value, reg, argv[1])) < 0)
			return err == MREG_ENOTFOUND ? EXIT_NO : error_lib(err);
		printf("%s\n", value);
		free(value);
	} else if (!strcmp(sub, "set") && argc == 3) {
		if ((err = mreg_config_set(reg, argv[1], argv[2])) < 0)
			return error_lib(err);
	} else if (!strcmp(sub, "unset") && argc == 2) {
		if ((err = mreg_config_unset(reg, argv[1])) < 0)
			return error_lib(err);
	} else if (!strcmp(sub, "list") && argc == 1) {
		if ((err = mreg_config_foreach(reg, print_entry, NULL)) < 0)
			return error_lib(err);
	} else {
		error("unknown or incomplete config command '%s'", sub);
		usage_with_options(config_usage, opts);
	}
	return finish_stdout(0);
}
