#include "util-progress.h"
#include "common.h"

#include <stdio.h>

void progress_update(uint64_t done, uint64_t total, void *payload)
{
	struct progress *p = payload;
	int percent = total ? (int)(done * 100 / total) : -1;

	if (percent == p->last_percent && p->shown)
		return;
	p->last_percent = percent;
	p->shown = 1;
	if (total)
		fprintf(stderr, "\r%s: %3d%% (%llu/%llu MiB)", p->title, percent,
			(unsigned long long)(done >> 20),
			(unsigned long long)(total >> 20));
	else
		fprintf(stderr, "\r%s: %llu MiB", p->title,
			(unsigned long long)(done >> 20));
}

void progress_stop(struct progress *p)
{
	if (p->shown)
		fprintf(stderr, ", done.\n");
	p->shown = 0;
}
