/* mreg remote: the registries this one syncs with. */
#include "common.h"
#include "parse-options.h"
#include "mreg/remote.h"

#include <stdio.h>
#include <string.h>

static const char *const remote_usage[] = {
	"mreg remote add NAME URL",
	"mreg remote remove NAME",
	"mreg remote list [-v]",
	NULL
};

static int print_remote(const char *name, const char *url, void *payload)
{
	if (*(int *)payload)
		printf("%s\t%s\n", name, url);
	else
		printf("%s\n", name);
	return 0;
}

int cmd_remote(int argc, const char **argv, struct mreg_registry *reg)
{
	int verbose = 0, err = 0;
	struct option opts[] = {
		OPT_BOOL('v', "verbose", &verbose, "show each remote's URL"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, remote_usage);
	if (!argc)
		usage_with_options(remote_usage, opts);
	if (!strcmp(argv[0], "add") && argc == 3)
		err = mreg_remote_add(reg, argv[1], argv[2]);
	else if ((!strcmp(argv[0], "remove") || !strcmp(argv[0], "rm")) && argc == 2)
		err = mreg_remote_remove(reg, argv[1]);
	else if (!strcmp(argv[0], "list") && argc == 1)
		err = mreg_remote_list(reg, print_remote, &verbose);
	else {
		error("unknown or incomplete remote command '%s'", argv[0]);
		usage_with_options(remote_usage, opts);
	}
	if (err < 0)
		return error_lib(err);
	return finish_stdout(0);
}
