/* mreg init: create a registry, as git init creates a repository. */
#include "common.h"
#include "parse-options.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const init_usage[] = {
	"mreg init [--quiet] [DIR]",
	NULL
};

int cmd_init(int argc, const char **argv, struct mreg_registry *unused)
{
	int quiet = 0, created = 0, err;
	const char *explicit_dir = getenv("MREG_DIR");
	struct mreg_registry *reg = NULL;
	struct strbuf dir = STRBUF_INIT;
	struct option opts[] = {
		OPT_BOOL('q', "quiet", &quiet, "print nothing but errors"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, init_usage);
	if (argc > 1)
		usage_with_options(init_usage, opts);
	/* -R DIR and $MREG_DIR name the registry directory itself, like --git-dir. */
	if (explicit_dir && *explicit_dir && !argc)
		strbuf_addstr(&dir, explicit_dir);
	else
		strbuf_addf(&dir, "%s/.mreg", argc ? argv[0] : ".");
	if ((err = mreg_registry_init(&reg, dir.buf, &created)) < 0)
		die("%s", mreg_error_last());
	if (!quiet && !opt_quiet)
		printf("%s mreg registry in %s/\n",
		       created ? "Initialized empty" : "Reinitialized existing",
		       mreg_registry_path(reg));
	mreg_registry_free(reg);
	strbuf_release(&dir);
	return finish_stdout(0);
}
