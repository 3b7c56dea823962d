/*
 * xfer-ssh.h: what xfer.c takes from xfer-ssh.c: the parts of a remote
 * URL, and the ssh client that runs `mreg serve` on the far side.  Not for
 * other callers; the URL forms and the environment are described in
 * xfer.h.
 */
#ifndef MREG_XFER_SSH_H
#define MREG_XFER_SSH_H

#include <sys/types.h>
#include "xfer.h"

struct strbuf;

struct xfer_url {
	char *host;	/* [user@]host for ssh, else NULL */
	char *port;
	char *path;
};

/*
 * Splits a remote URL (see xfer_open()); `u` is to be released, even
 * after a failure.  MREG_EINVALID for a malformed URL or one that carries
 * no artifacts.
 */
int xfer_url_parse(struct xfer_url *u, const char *url);
void xfer_url_release(struct xfer_url *u);

/* The ssh client, and our ends of its standard input and output. */
struct xfer_ssh {
	char *prog;			/* ssh, or $MREG_SSH_COMMAND */
	pid_t pid;
	int exit_code;			/* ssh's, once reaped; 255: ssh itself failed */
	struct xfer_reader in;
	struct xfer_writer out;
};

/*
 * Runs ssh to `u` (which has a host), with `mreg serve PATH` for the far
 * side's shell, and ignores SIGPIPE until xfer_ssh_finish().  `s` starts
 * zeroed; its `prog` is the caller's to free, even after a failure.
 */
int xfer_ssh_start(struct xfer_ssh *s, const struct xfer_url *u);
/*
 * Closes our ends of the pipes, waits for ssh and restores SIGPIPE: 0 if
 * ssh exited 0, else -1 with why not in `why`.  Once for each
 * xfer_ssh_start() that succeeded.
 */
int xfer_ssh_finish(struct xfer_ssh *s, struct strbuf *why);

#endif
