/*
 * Unit tests for sign.h: known-answer tests against signatures made by
 * ssh-keygen (OpenSSH 9.2) from the fixed keys below, the refusals a user
 * relies on (other namespace, changed bytes, open permissions, encrypted
 * or non-Ed25519 keys, overwriting a key), and key generation round trips.
 * t3000 checks the same against a live ssh-keygen, ssh-agent and git.
 */
#include "mreg/mreg.h"
#include "mreg/sign.h"
#include "tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ssh-keygen -t ed25519 -N '' -C unit@mreg */
static const char openssh_key[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	"QyNTUxOQAAACBsZGIR3/ioGZxMYmO/808aKGojWgfhN/ZBgu8tdklbhwAAAJCjJhI9oyYS\n"
	"PQAAAAtzc2gtZWQyNTUxOQAAACBsZGIR3/ioGZxMYmO/808aKGojWgfhN/ZBgu8tdklbhw\n"
	"AAAECuxnKUpbnRQfmAzA18JvmujGkrAasreHIMIDgynlHiUWxkYhHf+KgZnExiY7/zTxoo\n"
	"aiNaB+E39kGC7y12SVuHAAAACXVuaXRAbXJlZwECAwQ=\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char openssh_pub[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGxkYhHf+KgZnExiY7/zTxooaiNaB+E39kGC7y12SVuH";
static const char openssh_fp[] = "SHA256:F0wSvQOw5SkYsKThNXExOxZE/4pIWlbe2aGp0t5U5ng";

static const char msg[] = "hello\n";

/* ssh-keygen -Y sign -f key -n git, of msg */
static const char git_sig[] =
	"-----BEGIN SSH SIGNATURE-----\n"
	"U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgbGRiEd/4qBmcTGJjv/NPGihqI1\n"
	"oH4Tf2QYLvLXZJW4cAAAADZ2l0AAAAAAAAAAZzaGE1MTIAAABTAAAAC3NzaC1lZDI1NTE5\n"
	"AAAAQDKeveYe6b/znLLv4VX4frBZGOq4fRlazxC/SYJe0JXgY1XJrMvLydlCpBJCdY+9Wt\n"
	"sCX+cnFIr/epeilTt/QA8=\n"
	"-----END SSH SIGNATURE-----\n";

/* the same with -O hashalg=sha256 */
static const char sha256_sig[] =
	"-----BEGIN SSH SIGNATURE-----\n"
	"U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgbGRiEd/4qBmcTGJjv/NPGihqI1\n"
	"oH4Tf2QYLvLXZJW4cAAAADZ2l0AAAAAAAAAAZzaGEyNTYAAABTAAAAC3NzaC1lZDI1NTE5\n"
	"AAAAQAR6hazOTfkOQk2KBWvXaNr8E51mY0I/WtUtBrg46AvyhhZjjLr3GHZ4US2mGrSCuv\n"
	"qn6DQf7xhbtwbM+X7QrQs=\n"
	"-----END SSH SIGNATURE-----\n";

/* ssh-keygen -t ed25519 -N pass */
static const char encrypted_key[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABCvMAm7S9\n"
	"MI1SwoQwcdyLwNAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIMyoXAymTBiOxbAW\n"
	"hMJwjTUfqgezCe0zzU01rAmfCj0AAAAAkFZBiG5L7nKi3f+m1QY9ljqrCxSHG8dnWmSDHM\n"
	"z80Rey6OKz2AsQi1UJulUy4WBOBReM6lPusPixvrdDzJt/O1Gi0NaCm7sKLpExbkPCV1lc\n"
	"By++mDjLvVAkLkXncDQ2jSdWy24Ilk7bA9F5gklSPi0aBcCLon/jC8s/XomPHjxBlDImMa\n"
	"j8VM+W6Ekn/rkuZg==\n"
	"-----END OPENSSH PRIVATE KEY-----\n";

/* openssl genpkey -algorithm ed25519; public key from `openssl pkey -pubout` */
static const char pkcs8_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIBeRzbtpVsifxUzIyZ0A9TBA4v6cKjs3djYpy0mNQGfZ\n"
	"-----END PRIVATE KEY-----\n";
static const char pkcs8_pub[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOzhF/jjMf4kkTtEvH6JeXGm3CTplCAuw7kz8GU9Iwgb";

/* openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 */
static const char ec_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFhXCp1S/VxedxgJe\n"
	"QrEBu9BfQSBnAY7js2H7Qay3sTWhRANCAASx4lkbFlzMzy2yQYKmUK6DUwkCaPHS\n"
	"xIKYM0ZU4BrF7mMm9Pissu/MHEst3lg8wHoiKVrA7mQMV26XYAOCEWih\n"
	"-----END PRIVATE KEY-----\n";

static char tmpdir[] = "/tmp/mreg-unit-sign.XXXXXX";

/* The path of `name` in tmpdir, in a static buffer. */
static const char *tmp_path(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

/* Writes `text` to tmpdir/name with `mode`; returns the path. */
static const char *fixture(const char *name, const char *text, mode_t mode)
{
	const char *path = tmp_path(name);
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) < 0)
		diag("cannot write fixture %s", path);
	if (fd >= 0)
		close(fd);
	return path;
}

static int verify(const char *sig, const char *ns, const char *m)
{
	mreg_error_clear();
	return mreg_sshsig_verify(NULL, sig, strlen(sig), ns, m, strlen(m));
}

static void test_known_answers(void)
{
	struct mreg_key *key = NULL;
	char *line = NULL, *fp = NULL, *sig = NULL, *signer = NULL;
	size_t len = 0;

	if (!ok(!mreg_key_load(&key, fixture("key", openssh_key, 0600)),
		"loads an OpenSSH key")) {
		diag("%s", mreg_error_last());
		return;
	}
	mreg_key_public_line(&line, key, "");
	is_str(line, openssh_pub, "public key line");
	free(line);
	mreg_key_public_line(&line, key, NULL);
	is_str(line, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGxkYhHf+KgZnExiY7/"
	       "zTxooaiNaB+E39kGC7y12SVuH unit@mreg", "with the key's comment");
	mreg_key_fingerprint(&fp, key);
	is_str(fp, openssh_fp, "fingerprint as ssh-keygen -l prints it");

	ok(!mreg_sshsig_sign(&sig, &len, key, "git", msg, strlen(msg)),
	   "signs");
	is_str(sig, git_sig, "signature is ssh-keygen's, byte for byte");
	is_int(len, strlen(git_sig), "length returned");

	ok(!mreg_sshsig_verify(&signer, git_sig, strlen(git_sig), "git",
			       msg, strlen(msg)), "verifies ssh-keygen's signature");
	is_str(signer, openssh_pub, "and names the signer");
	ok(!verify(sha256_sig, "git", msg), "accepts hash algorithm sha256");

	free(sig);
	sig = NULL;
	is_int(mreg_sshsig_sign(&sig, NULL, key, "", msg, 1), MREG_EINVALID,
	       "refuses an empty namespace");
	free(line);
	free(fp);
	free(sig);
	free(signer);
	mreg_key_free(key);
}

static void test_refusals(void)
{
	char *bad;
	size_t n = strlen(git_sig);

	is_int(verify(git_sig, "mreg-approval", msg), MREG_EBADSIG,
	       "a git signature is not an approval");
	ok(strstr(mreg_error_last(), "namespace 'git', not 'mreg-approval'") != NULL,
	   "message names both namespaces");
	is_int(verify(git_sig, "gi", msg), MREG_EBADSIG, "nor a prefix namespace");
	is_int(verify(git_sig, "git", "hello\r\n"), MREG_EBADSIG,
	       "a changed message is refused");
	ok(strstr(mreg_error_last(), "does not match") != NULL,
	   "message says it does not match");

	bad = strdup(git_sig);
	bad[n - 40] = bad[n - 40] == 'A' ? 'B' : 'A';	/* in the signature */
	is_int(verify(bad, "git", msg), MREG_EBADSIG, "a changed signature is refused");
	free(bad);

	is_int(verify("", "git", msg), MREG_EBADSIG, "empty text");
	is_int(verify("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n", "git", msg),
	       MREG_EBADSIG, "no END line");
	is_int(verify("-----BEGIN SSH SIGNATURE-----\nU1N*U0lH\n"
		      "-----END SSH SIGNATURE-----\n", "git", msg),
	       MREG_EBADSIG, "bad base64");
	is_int(verify("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n"
		      "-----END SSH SIGNATURE-----\n", "git", msg),
	       MREG_EBADSIG, "truncated blob");
	bad = malloc(n + 8);
	memcpy(bad, git_sig, n);
	memcpy(bad + n, "trailer", 8);
	is_int(verify(bad, "git", msg), MREG_EBADSIG, "text after the armor");
	free(bad);
}

static void test_key_files(void)
{
	struct mreg_key *key = NULL;
	char *line = NULL, *sig = NULL;
	size_t len;

	is_int(mreg_key_load(&key, fixture("open", openssh_key, 0644)),
	       MREG_EINVALID, "a key others can read is refused");
	ok(strstr(mreg_error_last(), "permissions 0644 for '") &&
	   strstr(mreg_error_last(), "/open' are too open"),
	   "message as ssh's: permissions 0644 ... are too open");
	is_int(mreg_key_load(&key, fixture("enc", encrypted_key, 0600)),
	       MREG_EINVALID, "an encrypted key is refused");
	ok(strstr(mreg_error_last(), "is encrypted; load it into ssh-agent") != NULL,
	   "and the message points to ssh-agent");
	is_int(mreg_key_load(&key, fixture("ec", ec_key, 0600)), MREG_EINVALID,
	       "a P-256 key is refused");
	is_int(mreg_key_load(&key, fixture("pub", openssh_pub, 0600)),
	       MREG_EINVALID, "a public key is not a private key");
	is_int(mreg_key_load(&key, tmp_path("missing")), MREG_ENOTFOUND,
	       "a missing file is not found");

	if (!ok(!mreg_key_load(&key, fixture("pem", pkcs8_key, 0600)),
		"loads a PKCS#8 Ed25519 key"))
		return;
	mreg_key_public_line(&line, key, NULL);
	is_str(line, pkcs8_pub, "its public key is the one OpenSSL derives");
	ok(!mreg_sshsig_sign(&sig, &len, key, "mreg-approval", msg, 3) &&
	   !verify(sig, "mreg-approval", "hel"), "signs and verifies");
	is_int(verify(sig, "git", "hel"), MREG_EBADSIG,
	       "an approval is never a git signature");
	free(line);
	free(sig);
	mreg_key_free(key);
}

static void test_generate(void)
{
	struct mreg_key *key = NULL, *back = NULL;
	struct mreg_pubkey a, b;
	char *line = NULL, *back_line = NULL, path[256], pubpath[300];
	struct stat st;
	FILE *f;
	char text[256] = "";

	if (!ok(!mreg_key_generate(&key), "generates a key"))
		return;
	snprintf(path, sizeof(path), "%s", tmp_path("gen"));
	snprintf(pubpath, sizeof(pubpath), "%s.pub", path);
	ok(!mreg_key_save(key, path, "gen@mreg"), "saves it");
	ok(!stat(path, &st) && (st.st_mode & 0777) == 0600, "mode 0600");
	is_int(mreg_key_save(key, path, NULL), MREG_EEXISTS,
	       "never overwrites a key");
	ok(!mreg_key_load(&back, path), "loads it back");
	mreg_key_pubkey(&a, key);
	if (back)
		mreg_key_pubkey(&b, back);
	ok(back && mreg_pubkey_equal(&a, &b), "the same key");
	mreg_key_public_line(&line, key, "gen@mreg");
	if (back)
		mreg_key_public_line(&back_line, back, NULL);
	is_str(back_line, line, "comment kept in the key file");
	f = fopen(pubpath, "r");
	if (f) {
		if (!fgets(text, sizeof(text), f))
			text[0] = '\0';
		fclose(f);
	}
	text[strcspn(text, "\n")] = '\0';
	is_str(text, line, ".pub holds the public line");

	free(line);
	line = NULL;
	mreg_key_public_line(&line, key, "");
	ok(!mreg_pubkey_parse(&b, line) && mreg_pubkey_equal(&a, &b),
	   "parses its own public line");
	unlink(path);
	is_int(mreg_key_save(key, path, NULL), MREG_EEXISTS,
	       "refuses when only the .pub exists");
	ok(access(path, F_OK) < 0, "and leaves no private key behind");
	unlink(pubpath);
	free(line);
	free(back_line);
	mreg_key_free(key);
	mreg_key_free(back);
}

static void test_pubkey_parse(void)
{
	struct mreg_pubkey a, b;
	char *s = NULL;

	ok(!mreg_pubkey_parse(&a, openssh_pub), "parses a public key");
	ok(!mreg_pubkey_parse(&b, "  ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAIGxkYhHf"
			      "+KgZnExiY7/zTxooaiNaB+E39kGC7y12SVuH a comment\n") &&
	   mreg_pubkey_equal(&a, &b), "with blanks and a comment");
	mreg_pubkey_format(&s, &a);
	is_str(s, openssh_pub, "formats it back");
	free(s);
	mreg_pubkey_fingerprint(&s, &a);
	is_str(s, openssh_fp, "fingerprint");
	free(s);
	ok(!mreg_pubkey_parse(&b, pkcs8_pub) && !mreg_pubkey_equal(&a, &b),
	   "different keys differ");
	is_int(mreg_pubkey_parse(&b, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ"),
	       MREG_EINVALID, "ssh-rsa is refused");
	is_int(mreg_pubkey_parse(&b, "ssh-ed25519 AAAA*AAA"), MREG_EINVALID,
	       "bad base64 is refused");
	is_int(mreg_pubkey_parse(&b, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGxk"),
	       MREG_EINVALID, "a truncated key is refused");
	is_int(mreg_pubkey_parse(&b, "ssh-ed25519"), MREG_EINVALID,
	       "no key at all");
}

static void test_agent(void)
{
	struct mreg_key *key = NULL;

	unsetenv("SSH_AUTH_SOCK");
	is_int(mreg_key_from_agent(&key, openssh_pub), MREG_ENOTFOUND,
	       "no agent without SSH_AUTH_SOCK");
	setenv("SSH_AUTH_SOCK", tmp_path("no-such-socket"), 1);
	is_int(mreg_key_from_agent(&key, openssh_pub), MREG_EIO,
	       "an agent socket that is not there");
	is_int(mreg_key_from_agent(&key, "ssh-rsa AAAA"), MREG_EINVALID,
	       "not an Ed25519 public key");
	unsetenv("SSH_AUTH_SOCK");
}

int main(void)
{
	const char *names[] = { "key", "open", "enc", "ec", "pub", "pem" };
	size_t i;

	if (!mkdtemp(tmpdir)) {
		printf("Bail out! cannot make %s\n", tmpdir);
		return 1;
	}
	mreg_global_init();
	test_known_answers();
	test_refusals();
	test_key_files();
	test_generate();
	test_pubkey_parse();
	test_agent();
	mreg_global_shutdown();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tmp_path(names[i]));
	rmdir(tmpdir);
	return done_testing();
}
