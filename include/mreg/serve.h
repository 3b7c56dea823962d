/*
 * serve.h: the far end of artifact transport, run by `mreg serve DIR`
 * (over ssh, the way git runs git-upload-pack).
 *
 * The protocol is in Documentation/technical/serve-protocol.adoc: the
 * client asks which objects the far side has, sends the ones it lacks and
 * fetches the ones it wants; every object received is hashed whole before
 * it is linked into the store, and an interrupted upload is kept in
 * tmp/partial-<sha256> so that the next one resumes where it stopped.
 */
#ifndef MREG_SERVE_H
#define MREG_SERVE_H

#include "mreg/mreg.h"

/*
 * Serves the store at `dir` (a registry made by `mreg init`, or a bare git
 * repository: artifacts/ and tmp/ are created on the first upload; a
 * leading "~/" is $HOME), reading requests from `in_fd` and writing
 * answers to `out_fd`, which receives nothing but the protocol.
 *
 * Returns 0 when the client said `quit` or went away between requests.
 * A malformed request is answered with an `error` line and ends the
 * session with MREG_EINVALID; a client that hangs up within an upload, or
 * a failure to write, ends it with MREG_EIO.  SIGPIPE is ignored while it
 * runs.
 */
int mreg_serve(const char *dir, int in_fd, int out_fd);

#endif
