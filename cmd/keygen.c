/* mreg keygen: make an Ed25519 signing key in OpenSSH format. */
#include "common.h"
#include "parse-options.h"
#include "mreg/policy.h"
#include "mreg/sign.h"
#include "mreg/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static const char *const keygen_usage[] = {
	"mreg keygen [-f FILE] [-C COMMENT]",
	NULL
};

/*
 * The first key of a registry that trusts none yet is its owner's: pin
 * it now rather than at the first signed write, as init would have done
 * had the key existed then.
 */
static void pin_if_first(struct mreg_registry *reg, const char *line)
{
	char commit[41], *text = NULL;

	/* With no policy yet, the policy is the implicit one: no text. */
	if (trust_root_count(reg) || mreg_policy_get(&text, commit, reg) < 0 || text) {
		free(text);
		mreg_error_clear();
		return;
	}
	if (mreg_trust_root_pin(reg, line) < 0)
		die("%s", mreg_error_last());
	fprintf(stderr, "Pinned it as the registry's trust root (mreg.trustRoot)\n");
}

int cmd_keygen(int argc, const char **argv, struct mreg_registry *unused)
{
	const char *file = NULL, *comment = NULL;
	struct mreg_key *key = NULL;
	struct mreg_registry *reg = NULL;
	struct strbuf path = STRBUF_INIT, dir = STRBUF_INIT;
	char *line = NULL, *fp = NULL, *have = NULL;
	int err;
	struct option opts[] = {
		OPT_STRING('f', "file", &file, "FILE",
			   "where to write the private key (default ~/.config/mreg/id_ed25519)"),
		OPT_STRING('C', "comment", &comment, "COMMENT",
			   "the key's comment (default: your email)"),
		OPT_END()
	};

	argc = parse_options(argc, argv, opts, keygen_usage);
	if (argc)
		usage_with_options(keygen_usage, opts);
	if (file) {
		const char *slash = strrchr(file, '/');

		strbuf_addstr(&path, file);
		if (slash && slash != file) {
			strbuf_add(&dir, file, slash - file);
			if (mkdir_p(dir.buf) < 0)
				die("cannot create '%s': %s", dir.buf, strerror(errno));
		}
	} else {
		const char *home = getenv("HOME");

		if (!home)
			die("HOME is not set; use -f FILE");
		strbuf_addf(&dir, "%s/.config/mreg", home);
		if (mkdir_p(dir.buf) < 0)
			die("cannot create '%s'", dir.buf);
		chmod(dir.buf, 0700);
		strbuf_addf(&path, "%s/id_ed25519", dir.buf);
	}
	/* Inside a registry, the key becomes the user's signing key there. */
	if (mreg_registry_discover(&reg, getenv("MREG_DIR"), NULL) < 0)
		reg = NULL;
	if (!comment && reg && mreg_config_get(&have, reg, "user.email") == 0)
		comment = have;
	if ((err = mreg_key_generate(&key)) < 0 ||
	    (err = mreg_key_save(key, path.buf, comment ? comment : "")) < 0 ||
	    (err = mreg_key_public_line(&line, key, comment ? comment : "")) < 0 ||
	    (err = mreg_key_fingerprint(&fp, key)) < 0)
		die("%s", mreg_error_last());
	printf("%s\n", line);
	fprintf(stderr, "Wrote %s (fingerprint %s) and %s.pub\n", path.buf, fp, path.buf);
	free(have);
	have = NULL;
	/* No usable key yet here: this one becomes it (by absolute path). */
	if (reg && mreg_signing_fingerprint(&have, reg) == MREG_ENOTFOUND) {
		char *abs = realpath(path.buf, NULL);

		if (mreg_config_set(reg, "user.signingkey", abs ? abs : path.buf) < 0)
			die("%s", mreg_error_last());
		fprintf(stderr, "Set user.signingkey in %s\n", mreg_registry_path(reg));
		free(abs);
		pin_if_first(reg, line);
	}
	free(have);
	free(line);
	free(fp);
	mreg_key_free(key);
	mreg_registry_free(reg);
	strbuf_release(&path);
	strbuf_release(&dir);
	return finish_stdout(0);
}
