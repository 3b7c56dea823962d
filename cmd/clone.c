/* mreg clone: init, remote add, fetch, and pin the trust root. */
#include "common.h"
#include "parse-options.h"
#include "util-sync.h"
#include "util-progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const clone_usage[] = {
	"mreg clone [--trust-root FILE] [--no-artifacts] [--quiet] URL [DIR]",
	NULL
};

int cmd_clone(int argc, const char **argv, struct mreg_registry *unused)
{
	struct mreg_sync_options so;
	struct mreg_registry *reg = NULL;
	struct sync_state st = { 1, 0 };
	struct progress prog = { "Artifacts", -1, 0 };
	const char *trust = NULL;
	char *pinned = NULL;
	int err;
	struct option opts[] = {
		OPT_STRING(0, "trust-root", &trust, "FILE",
			   "trust the public key(s) in FILE instead of the history's first signer"),
		OPT_BOOL(0, "no-artifacts", &so.no_artifacts, "leave artifact bytes behind"),
		OPT_BOOL('q', "quiet", &opt_quiet, "no progress"),
		OPT_END()
	};

	memset(&so, 0, sizeof(so));
	argc = parse_options(argc, argv, opts, clone_usage);
	if (argc < 1 || argc > 2)
		usage_with_options(clone_usage, opts);
	if (show_progress()) {
		so.progress = progress_update;
		so.payload = &prog;
	}
	err = mreg_clone(&reg, &pinned, argv[0], argc > 1 ? argv[1] : NULL, trust, &so,
			 sync_report, &st);
	progress_stop(&prog);
	if (err < 0)
		return error_lib(err);
	printf("Cloned %s into %s\n", argv[0], mreg_registry_path(reg));
	if (pinned)
		printf("Trust root: %s\n"
		       "Compare this fingerprint with the registry owner's, out of band.\n",
		       pinned);
	else
		printf("The history is unsigned: no trust root was pinned.\n");
	free(pinned);
	mreg_registry_free(reg);
	return finish_stdout(0);
}
