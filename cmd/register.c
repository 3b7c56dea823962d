/* mreg register: store a bundle from a manifest as a new, immutable version. */
#include "common.h"
#include "parse-options.h"
#include "util-progress.h"
#include "mreg/model.h"
#include "mreg/status.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const register_usage[] = {
	"mreg register [--version V] [-m MSG] [--quiet] MANIFEST",
	NULL
};

int cmd_register(int argc, const char **argv, struct mreg_registry *reg)
{
	const char *version = NULL, *message = NULL;
	int quiet = 0, err;
	size_t roots;
	struct mreg_model *m = NULL;
	struct mreg_register_options ro = { 0 };
	struct progress prog = { "Storing artifacts", -1, 0 };
	struct option opts[] = {
		OPT_STRING(0, "version", &version, "V",
			   "register as this version (default: the manifest's model_version, else NAME_YYYYMMDD_NNN)"),
		OPT_STRING('m', "message", &message, "MSG", "why this version was registered"),
		OPT_BOOL('q', "quiet", &quiet, "no progress"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, register_usage);
	if (argc != 1)
		usage_with_options(register_usage, opts);
	opt_quiet |= quiet;
	ro.version = version;
	ro.message = message;
	if (show_progress()) {
		ro.progress = progress_update;
		ro.payload = &prog;
	}
	roots = trust_root_count(reg);
	err = mreg_model_register(&m, reg, argv[0], &ro);
	progress_stop(&prog);
	/* A refused registration is fatal (128), whatever the cause. */
	if (err < 0) {
		error("%s", mreg_error_last());
		return EXIT_FATAL;
	}
	report_pinned(reg, roots);
	{
		char *fp = NULL;

		if (mreg_signing_fingerprint(&fp, reg) == MREG_ENOTFOUND)
			warning("%s was registered unsigned: there is no signing key, so "
				"'mreg verify' will refuse its history; run 'mreg keygen' "
				"before registering", m->ref);
		free(fp);
	}
	printf("%s %s\n", m->ref, m->digest);
	mreg_model_free(m);
	return finish_stdout(0);
}
