/* mreg push: send artifacts, then the refs that moved, to a remote. */
#include "common.h"
#include "parse-options.h"
#include "util-sync.h"

static const char *const push_usage[] = {
	"mreg push [--no-artifacts] [--quiet] [REMOTE]",
	NULL
};

int cmd_push(int argc, const char **argv, struct mreg_registry *reg)
{
	return sync_cmd(argc, argv, reg, 1, push_usage);
}

