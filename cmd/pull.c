/* mreg pull: the same as fetch; mreg never merges chains (DESIGN 5). */
#include "common.h"
#include "parse-options.h"
#include "util-sync.h"

static const char *const pull_usage[] = {
	"mreg pull [--no-artifacts] [--quiet] [REMOTE]",
	NULL
};

int cmd_pull(int argc, const char **argv, struct mreg_registry *reg)
{
	return sync_cmd(argc, argv, reg, 0, pull_usage);
}

