/* mreg fetch: fetch, verify, and fast-forward local refs. */
#include "common.h"
#include "parse-options.h"
#include "util-sync.h"

static const char *const fetch_usage[] = {
	"mreg fetch [--no-artifacts] [--quiet] [REMOTE]",
	NULL
};

int cmd_fetch(int argc, const char **argv, struct mreg_registry *reg)
{
	return sync_cmd(argc, argv, reg, 0, fetch_usage);
}

