/*
 * mreg init: create a registry, as git init creates a repository, and
 * pin its trust root: the keys of --trust-root FILE, else the user's
 * signing key when there is one, else (trust on first use) whichever key
 * signs the first write.
 */
#include "common.h"
#include "parse-options.h"
#include "mreg/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const init_usage[] = {
	"mreg init [--trust-root FILE] [--quiet] [DIR]",
	NULL
};

static void pin_trust_root(struct mreg_registry *reg, const char *file, int created,
			   int quiet)
{
	char *pinned = NULL;
	int err;

	if (file) {
		if (mreg_trust_root_pin_file(&pinned, reg, file) < 0)
			die("%s", mreg_error_last());
		if (!quiet)
			fprintf(stderr, "Pinned %s from %s as the registry's trust root "
				"(mreg.trustRoot)\n", pinned, file);
	} else if (created) {
		err = mreg_trust_root_pin_signer(&pinned, reg);
		if (err == MREG_ENOTFOUND) {
			if (!quiet)
				fprintf(stderr, "hint: no signing key to pin as the trust root yet; "
					"run 'mreg keygen' here, or the first signed write pins its key\n");
		} else if (err < 0) {
			warning("no trust root pinned: %s", mreg_error_last());
		} else if (!quiet) {
			fprintf(stderr, "Pinned your key %s as the registry's trust root "
				"(mreg.trustRoot)\n", pinned);
		}
	}
	mreg_error_clear();
	free(pinned);
}

int cmd_init(int argc, const char **argv, struct mreg_registry *unused)
{
	int quiet = 0, created = 0, err;
	const char *explicit_dir = getenv("MREG_DIR"), *trust_root = NULL;
	struct mreg_registry *reg = NULL;
	struct strbuf dir = STRBUF_INIT;
	struct option opts[] = {
		OPT_STRING(0, "trust-root", &trust_root, "FILE",
			   "pin the keys in FILE (public keys or allowed_signers)"),
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
	/* The common mistake, caught before anything is created. */
	if (trust_root && access(trust_root, R_OK) < 0)
		die("cannot read '%s': %s", trust_root, strerror(errno));
	if ((err = mreg_registry_init(&reg, dir.buf, &created)) < 0)
		die("%s", mreg_error_last());
	if (!quiet && !opt_quiet)
		printf("%s mreg registry in %s/\n",
		       created ? "Initialized empty" : "Reinitialized existing",
		       mreg_registry_path(reg));
	pin_trust_root(reg, trust_root, created, quiet || opt_quiet);
	mreg_registry_free(reg);
	strbuf_release(&dir);
	return finish_stdout(0);
}
