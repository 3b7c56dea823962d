/*
 * test-sign: drives libmreg's signing layer from shell tests.
 *
 *   test-sign sign KEYFILE NAMESPACE <msg >sig
 *   test-sign sign-agent PUBKEY NAMESPACE <msg >sig   (PUBKEY: line or file)
 *   test-sign verify NAMESPACE SIGFILE <msg           (prints the signer)
 *   test-sign keygen PATH [COMMENT]
 *   test-sign pubkey KEYFILE
 *   test-sign fingerprint KEYFILE
 *
 * Exits 0 on success, 1 with "error: ..." on stderr on failure, 129 on
 * bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mreg/sign.h"
#include "strbuf.h"

static const char usage_text[] =
	"usage: test-sign sign KEYFILE NAMESPACE <msg >sig\n"
	"   or: test-sign sign-agent PUBKEY NAMESPACE <msg >sig\n"
	"   or: test-sign verify NAMESPACE SIGFILE <msg\n"
	"   or: test-sign keygen PATH [COMMENT]\n"
	"   or: test-sign pubkey KEYFILE\n"
	"   or: test-sign fingerprint KEYFILE\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return 129;
}

static int fail(void)
{
	fprintf(stderr, "error: %s\n", mreg_error_last());
	return 1;
}

static int read_stdin(struct strbuf *sb)
{
	if (strbuf_read_fd(sb, 0, (size_t)1 << 30) < 0) {
		perror("error: cannot read stdin");
		return -1;
	}
	return 0;
}

static int cmd_sign(int agent, const char *keyspec, const char *ns)
{
	struct strbuf msg = STRBUF_INIT;
	struct mreg_key *key = NULL;
	char *sig = NULL;
	size_t len = 0;
	int ret = 1;

	if (read_stdin(&msg) < 0)
		goto done;
	if ((agent ? mreg_key_from_agent(&key, keyspec)
		   : mreg_key_load(&key, keyspec)) < 0 ||
	    mreg_sshsig_sign(&sig, &len, key, ns, msg.buf, msg.len) < 0) {
		fail();
		goto done;
	}
	fwrite(sig, 1, len, stdout);
	ret = 0;
done:
	free(sig);
	mreg_key_free(key);
	strbuf_release(&msg);
	return ret;
}

static int cmd_verify(const char *ns, const char *sigfile)
{
	struct strbuf msg = STRBUF_INIT, sig = STRBUF_INIT;
	char *signer = NULL;
	int ret = 1;

	if (read_stdin(&msg) < 0)
		goto done;
	if (strbuf_read_file(&sig, sigfile, 1 << 20) < 0) {
		fprintf(stderr, "error: cannot read '%s'\n", sigfile);
		goto done;
	}
	if (mreg_sshsig_verify(&signer, sig.buf, sig.len, ns,
			       msg.buf, msg.len) < 0) {
		fail();
		goto done;
	}
	printf("%s\n", signer);
	ret = 0;
done:
	free(signer);
	strbuf_release(&msg);
	strbuf_release(&sig);
	return ret;
}

static int cmd_keygen(const char *path, const char *comment)
{
	struct mreg_key *key = NULL;
	int ret = 1;

	if (mreg_key_generate(&key) < 0 || mreg_key_save(key, path, comment) < 0)
		fail();
	else
		ret = 0;
	mreg_key_free(key);
	return ret;
}

static int cmd_show(const char *path, int fingerprint)
{
	struct mreg_key *key = NULL;
	char *s = NULL;
	int ret = 1;

	if (mreg_key_load(&key, path) < 0 ||
	    (fingerprint ? mreg_key_fingerprint(&s, key)
			 : mreg_key_public_line(&s, key, NULL)) < 0) {
		fail();
	} else {
		printf("%s\n", s);
		ret = 0;
	}
	free(s);
	mreg_key_free(key);
	return ret;
}

int main(int argc, const char **argv)
{
	int ret;

	if (argc < 2)
		return usage();
	if (mreg_global_init() < 0)
		return fail();
	if (!strcmp(argv[1], "sign") && argc == 4)
		ret = cmd_sign(0, argv[2], argv[3]);
	else if (!strcmp(argv[1], "sign-agent") && argc == 4)
		ret = cmd_sign(1, argv[2], argv[3]);
	else if (!strcmp(argv[1], "verify") && argc == 4)
		ret = cmd_verify(argv[2], argv[3]);
	else if (!strcmp(argv[1], "keygen") && (argc == 3 || argc == 4))
		ret = cmd_keygen(argv[2], argc == 4 ? argv[3] : NULL);
	else if (!strcmp(argv[1], "pubkey") && argc == 3)
		ret = cmd_show(argv[2], 0);
	else if (!strcmp(argv[1], "fingerprint") && argc == 3)
		ret = cmd_show(argv[2], 1);
	else
		ret = usage();
	mreg_global_shutdown();
	if (!ret && (fflush(stdout) || ferror(stdout))) {
		perror("error: cannot write stdout");
		ret = 1;
	}
	return ret;
}
