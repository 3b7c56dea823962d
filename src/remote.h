/* remote.h: what fetch, push and clone share about connections. */
#ifndef MREG_REMOTE_INTERNAL_H
#define MREG_REMOTE_INTERNAL_H

#include "internal.h"

struct remote_ctx {
	const char *url;
	int attempts;	/* credentials tried: libgit2 asks again after a failure */
	void *push;	/* the push in progress, for push_update_reference */
	int said;	/* a callback of ours set the error: keep its message */
};

void remote_callbacks(git_remote_callbacks *cb, struct remote_ctx *ctx);
int remote_credentials(git_credential **out, const char *url, const char *user_from_url,
		       unsigned int allowed, void *payload);
int remote_certificate_check(git_cert *cert, int valid, const char *host, void *payload);
/* Sets the error for a failed libgit2 network call. */
int remote_error(struct remote_ctx *ctx, const char *what);

#endif
