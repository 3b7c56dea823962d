/* progress.h: "Hashing: 45% (450/1000 MiB)" on stderr, when it is a terminal. */
#ifndef MREG_CMD_PROGRESS_H
#define MREG_CMD_PROGRESS_H

#include <stdint.h>

struct progress {
	const char *title;
	int last_percent;
	int shown;
};

/* An mreg_progress_fn; `payload` is a struct progress. */
void progress_update(uint64_t done, uint64_t total, void *payload);
/* Ends the progress line if one was shown. */
void progress_stop(struct progress *p);

#endif
