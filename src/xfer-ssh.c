/*
 * The ssh side of artifact transport (xfer.c): remote URLs, which name a
 * directory here or a host and path there, and the ssh client that runs
 * `mreg serve PATH` on the far side, with its command line (that of
 * Documentation/technical/serve-protocol.adoc), its pipes, on which xfer.c
 * speaks the protocol, and SIGPIPE, ignored while it runs.
 */
#include "internal.h"
#include "xfer-ssh.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- remote URLs -------------------------------------------------------- */

void xfer_url_release(struct xfer_url *u)
{
	free(u->host);
	free(u->port);
	free(u->path);
}

/* host[:port] or [v6]:port after the user, into u->host (with `user`) and u->port. */
static int parse_hostport(struct xfer_url *u, const char *user,
			  size_t user_len, const char *hp, size_t len,
			  const char *url)
{
	struct strbuf host = STRBUF_INIT;
	const char *colon, *end = hp + len;
	size_t i;

	if (len && *hp == '[') {
		const char *close = memchr(hp, ']', len);

		if (!close)
			return mreg_error_set(MREG_EINVALID, "bad remote URL '%s'", url);
		strbuf_add(&host, hp + 1, close - hp - 1);
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
		if (!colon && close + 1 != end) {
			strbuf_release(&host);
			return mreg_error_set(MREG_EINVALID, "bad remote URL '%s'", url);
		}
	} else {
		colon = memchr(hp, ':', len);
		strbuf_add(&host, hp, colon ? (size_t)(colon - hp) : len);
	}
	if (colon) {
		u->port = xstrndup(colon + 1, end - colon - 1);
		for (i = 0; u->port[i]; i++)
			if (u->port[i] < '0' || u->port[i] > '9')
				break;
		if (!i || u->port[i] || atoi(u->port) < 1 || atoi(u->port) > 65535 ||
		    strlen(u->port) > 5) {
			strbuf_release(&host);
			return mreg_error_set(MREG_EINVALID, "bad port in remote URL '%s'", url);
		}
	}
	if (!host.len) {
		strbuf_release(&host);
		return mreg_error_set(MREG_EINVALID, "no host in remote URL '%s'", url);
	}
	if (user_len) {
		struct strbuf full = STRBUF_INIT;

		strbuf_add(&full, user, user_len);
		strbuf_addbuf(&full, &host);
		strbuf_release(&host);
		host = full;
	}
	/* ssh would take "-oProxyCommand=..." for an option. */
	if (host.buf[0] == '-') {
		strbuf_release(&host);
		return mreg_error_set(MREG_EINVALID, "strange host name in remote URL '%s'", url);
	}
	u->host = strbuf_detach(&host, NULL);
	return 0;
}

static int parse_ssh_url(struct xfer_url *u, const char *rest, const char *url)
{
	const char *slash = strchr(rest, '/'), *at;
	size_t auth;

	if (!slash || !slash[1])
		return mreg_error_set(MREG_EINVALID, "no path in remote URL '%s'", url);
	auth = slash - rest;
	at = memchr(rest, '@', auth);
	while (at && memchr(at + 1, '@', auth - (at + 1 - rest)))
		at = memchr(at + 1, '@', auth - (at + 1 - rest));
	/* ssh://host/~/dir and ssh://host/~user/dir are relative to a home */
	u->path = xstrdup(starts_with(slash, "/~") ? slash + 1 : slash);
	if (!at)
		return parse_hostport(u, NULL, 0, rest, auth, url);
	return parse_hostport(u, rest, at + 1 - rest, at + 1,
			      auth - (at + 1 - rest), url);
}

int xfer_url_parse(struct xfer_url *u, const char *url)
{
	static const char *const ssh_schemes[] = { "ssh://", "git+ssh://", "ssh+git://" };
	const char *p, *colon = NULL, *at;
	int bracket = 0;
	size_t i;

	memset(u, 0, sizeof(*u));
	if (!*url)
		return mreg_error_set(MREG_EINVALID, "empty remote URL");
	if (starts_with(url, "file://")) {
		if (!url[7])
			return mreg_error_set(MREG_EINVALID, "no path in remote URL '%s'", url);
		u->path = xstrdup(url + 7);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(ssh_schemes); i++)
		if (starts_with(url, ssh_schemes[i]))
			return parse_ssh_url(u, url + strlen(ssh_schemes[i]), url);
	if (strstr(url, "://")) {
		if (starts_with(url, "git://") || starts_with(url, "http://") ||
		    starts_with(url, "https://"))
			return mreg_error_set(MREG_EINVALID,
					      "this remote carries no artifacts (use --no-artifacts, "
					      "or an ssh or path remote)");
		return mreg_error_set(MREG_EINVALID, "unsupported remote URL '%s'", url);
	}
	/* scp-like [user@]host:path, when a colon comes before any slash */
	for (p = url; *p && *p != '/' && !colon; p++) {
		if (*p == '[')
			bracket = 1;
		else if (*p == ']')
			bracket = 0;
		else if (*p == ':' && !bracket)
			colon = p;
	}
	if (!colon) {
		u->path = xstrdup(url);
		return 0;
	}
	u->path = xstrdup(colon[1] ? colon + 1 : ".");
	at = memchr(url, '@', colon - url);
	if (!at)
		return parse_hostport(u, NULL, 0, url, colon - url, url);
	/* user@[v6]:path: the brackets go, there is no port */
	return parse_hostport(u, url, at + 1 - url, at + 1, colon - at - 1, url);
}

/* --- the command line --------------------------------------------------- */

static void argv_push(char ***argv, size_t *nr, size_t *alloc, char *arg)
{
	ALLOC_GROW(*argv, *nr + 2, *alloc);
	(*argv)[(*nr)++] = arg;
	(*argv)[*nr] = NULL;
}

/* $MREG_SSH_OPTIONS: words split on blanks, with '...', "..." and \ as in sh. */
static int split_options(char ***argv, size_t *nr, size_t *alloc, const char *s)
{
	struct strbuf word = STRBUF_INIT;
	int in_word = 0;
	char q = 0;

	for (; *s; s++) {
		char c = *s;

		if (q == '\'' && c != '\'') {
			strbuf_addch(&word, c);
		} else if (q == '"' && c != '"') {
			if (c == '\\' && s[1] && strchr("\"\\$`", s[1]))
				c = *++s;
			strbuf_addch(&word, c);
		} else if (q) {
			q = 0;
		} else if (c == '\'' || c == '"') {
			q = c;
			in_word = 1;
		} else if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word)
				argv_push(argv, nr, alloc, strbuf_detach(&word, NULL));
			in_word = 0;
		} else {
			if (c == '\\' && s[1])
				c = *++s;
			strbuf_addch(&word, c);
			in_word = 1;
		}
	}
	if (q) {
		strbuf_release(&word);
		return mreg_error_set(MREG_EINVALID, "unterminated quote in $MREG_SSH_OPTIONS");
	}
	if (in_word)
		argv_push(argv, nr, alloc, strbuf_detach(&word, NULL));
	strbuf_release(&word);
	return 0;
}

/* `s` in single quotes for the far side's shell. */
static void sq_quote(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '!')
			strbuf_addf(sb, "'\\%c'", *s);
		else
			strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '\'');
}

/* `-o OPTION`, taking `opt`. */
static void push_option(char ***argv, size_t *nr, size_t *alloc, char *opt)
{
	argv_push(argv, nr, alloc, xstrdup("-o"));
	argv_push(argv, nr, alloc, opt);
}

/*
 * `-o NAME="FILE"`.  ssh reads the value as a line of its configuration,
 * in which a blank would make two file names of one and %-tokens are
 * expanded: hence the quotes, the backslashes and the doubled `%`.  (A
 * file given to `-i` is expanded too, and cannot be escaped.)
 */
static void push_file_option(char ***argv, size_t *nr, size_t *alloc,
			     const char *name, const char *file)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s=\"", name);
	for (; *file; file++) {
		if (*file == '"' || *file == '\\')
			strbuf_addch(&sb, '\\');
		else if (*file == '%')
			strbuf_addch(&sb, '%');
		strbuf_addch(&sb, *file);
	}
	strbuf_addch(&sb, '"');
	push_option(argv, nr, alloc, strbuf_detach(&sb, NULL));
}

/*
 * The key and the known_hosts file that libgit2's ssh transport uses for
 * the refs (remote.c), so that one setting serves both channels: that key
 * rather than the agent's, and only a host listed in that file with its
 * key, as remote.c checks it (not the system's file, no prompt, nothing
 * added to the file).
 */
static void push_key_options(char ***argv, size_t *nr, size_t *alloc)
{
	const char *key = getenv("MREG_SSH_KEY");
	const char *known = getenv("MREG_SSH_KNOWN_HOSTS");

	if (key && *key) {
		push_file_option(argv, nr, alloc, "IdentityFile", key);
		push_option(argv, nr, alloc, xstrdup("IdentitiesOnly=yes"));
	}
	if (known && *known) {
		push_file_option(argv, nr, alloc, "UserKnownHostsFile", known);
		push_option(argv, nr, alloc, xstrdup("GlobalKnownHostsFile=/dev/null"));
		push_option(argv, nr, alloc, xstrdup("StrictHostKeyChecking=yes"));
	}
}

static int build_argv(char ***out, const char *prog, const struct xfer_url *u)
{
	const char *opts = getenv("MREG_SSH_OPTIONS");
	const char *serve = getenv("MREG_SERVE_COMMAND");
	struct strbuf cmd = STRBUF_INIT;
	char **argv = NULL;
	size_t nr = 0, alloc = 0;
	int err = 0;

	argv_push(&argv, &nr, &alloc, xstrdup(prog));
	if (u->port) {
		argv_push(&argv, &nr, &alloc, xstrdup("-p"));
		argv_push(&argv, &nr, &alloc, xstrdup(u->port));
	}
	/* Before ours: ssh keeps the first value it is given for an option. */
	if (opts && (err = split_options(&argv, &nr, &alloc, opts)) < 0)
		goto done;
	push_key_options(&argv, &nr, &alloc);
	/* Nobody could answer a prompt: fail instead of waiting. */
	if (!isatty(STDIN_FILENO))
		push_option(&argv, &nr, &alloc, xstrdup("BatchMode=yes"));
	argv_push(&argv, &nr, &alloc, xstrdup(u->host));
	strbuf_addf(&cmd, "%s ", serve && *serve ? serve : "mreg serve");
	sq_quote(&cmd, u->path);
	argv_push(&argv, &nr, &alloc, strbuf_detach(&cmd, NULL));
done:
	*out = argv;
	return err;
}

static void free_argv(char **argv)
{
	size_t i;

	for (i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* --- running it --------------------------------------------------------- */

static int sigpipe_users;
static struct sigaction sigpipe_saved;

static void ignore_sigpipe(void)
{
	struct sigaction ign;

	if (sigpipe_users++)
		return;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &sigpipe_saved);
}

static void restore_sigpipe(void)
{
	if (sigpipe_users && !--sigpipe_users)
		sigaction(SIGPIPE, &sigpipe_saved, NULL);
}

static void cloexec(int fd)
{
	fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

/* Child: stdin from `in`, stdout to `out`, then exec; errno to `report`. */
static void run_child(char **argv, int in, int out, int report)
{
	int e;

	if (out == STDIN_FILENO)
		out = dup(out);
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0)
		_exit(127);
	if (in != STDIN_FILENO && in != STDOUT_FILENO)
		close(in);
	if (out != STDIN_FILENO && out != STDOUT_FILENO)
		close(out);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	/* _exit: the parent's atexit handlers would remove its tempfiles */
	_exit(127);
}

static int spawn(struct xfer_ssh *s, char **argv)
{
	int to[2] = { -1, -1 }, from[2] = { -1, -1 }, report[2] = { -1, -1 };
	int e = 0, err = 0;
	ssize_t n;

	if (pipe(to) < 0 || pipe(from) < 0 || pipe(report) < 0) {
		err = mreg_error_set(MREG_EIO, "cannot make a pipe: %s", strerror(errno));
		goto done;
	}
	cloexec(to[1]);
	cloexec(from[0]);
	cloexec(report[0]);
	cloexec(report[1]);
	s->pid = fork();
	if (s->pid < 0) {
		err = mreg_error_set(MREG_EIO, "cannot fork: %s", strerror(errno));
		goto done;
	}
	if (!s->pid)
		run_child(argv, to[0], from[1], report[1]);
	close(report[1]);
	report[1] = -1;
	do
		n = read(report[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == sizeof(e)) {
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
		err = mreg_error_set(MREG_EIO, "cannot run '%s': %s", argv[0], strerror(e));
		goto done;
	}
	xfer_writer_init(&s->out, to[1]);
	xfer_reader_init(&s->in, from[0]);
	to[1] = from[0] = -1;
done:
	if (to[0] >= 0)
		close(to[0]);
	if (from[1] >= 0)
		close(from[1]);
	if (to[1] >= 0)
		close(to[1]);
	if (from[0] >= 0)
		close(from[0]);
	if (report[0] >= 0)
		close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
	return err;
}

/* Closes our ends and waits for ssh; 0 if it exited 0, else why not in `why`. */
static int reap(struct xfer_ssh *s, struct strbuf *why)
{
	int status = 0;
	pid_t r;

	if (s->out.out) {
		close(s->out.fd);
		xfer_writer_release(&s->out);
	}
	if (s->in.buf) {
		close(s->in.fd);
		xfer_reader_release(&s->in);
	}
	if (s->pid <= 0)
		return 0;
	do
		r = waitpid(s->pid, &status, 0);
	while (r < 0 && errno == EINTR);
	s->pid = 0;
	if (r < 0)
		strbuf_addf(why, "cannot wait for '%s': %s", s->prog, strerror(errno));
	else if (WIFSIGNALED(status))
		strbuf_addf(why, "'%s' was killed by signal %d", s->prog, WTERMSIG(status));
	else if ((s->exit_code = WEXITSTATUS(status)) != 0)
		strbuf_addf(why, "'%s' exited with status %d", s->prog, s->exit_code);
	return why->len ? -1 : 0;
}

int xfer_ssh_start(struct xfer_ssh *s, const struct xfer_url *u)
{
	const char *prog = getenv("MREG_SSH_COMMAND");
	char **argv = NULL;
	int err;

	s->prog = xstrdup(prog && *prog ? prog : "ssh");
	if ((err = build_argv(&argv, s->prog, u)) < 0)
		goto done;
	ignore_sigpipe();
	if ((err = spawn(s, argv)) < 0)
		restore_sigpipe();
done:
	free_argv(argv);
	return err;
}

int xfer_ssh_finish(struct xfer_ssh *s, struct strbuf *why)
{
	int err = reap(s, why);

	restore_sigpipe();
	return err;
}
