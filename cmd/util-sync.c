/* util-sync: what push, fetch, pull and clone share: the report of each ref. */
#include "common.h"
#include "util-sync.h"
#include "parse-options.h"
#include "util-progress.h"
#include "mreg/remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sync_report(const struct mreg_sync_ref *r, void *payload)
{
	struct sync_state *st = payload;
	int bad = !strcmp(r->status, "refused") || !strcmp(r->status, "rejected") ||
		  !strcmp(r->status, "conflict");

	if (!bad)
		st->moved++;
	if (st->quiet && !bad)
		return;
	printf("%-10s %s", r->status, r->ref);
	if (r->old_id && r->new_id)
		printf(" %.12s..%.12s", r->old_id, r->new_id);
	else if (r->new_id)
		printf(" %.12s", r->new_id);
	if (r->message)
		printf(": %s", r->message);
	putchar('\n');
}

int sync_cmd(int argc, const char **argv, struct mreg_registry *reg, int push,
		    const char *const *usage)
{
	struct mreg_sync_options so;
	struct sync_state st = { 0, 0 };
	struct progress prog = { "Artifacts", -1, 0 };
	size_t bad = 0;
	int err;
	struct option opts[] = {
		OPT_BOOL(0, "no-artifacts", &so.no_artifacts,
			 "leave artifact bytes behind (registries whose artifacts live at artifact_uri)"),
		OPT_BOOL('q', "quiet", &st.quiet, "report only what went wrong"),
		OPT_END()
	};

	memset(&so, 0, sizeof(so));
	argc = parse_options(argc, argv, opts, usage);
	if (argc > 1)
		usage_with_options(usage, opts);
	opt_quiet |= st.quiet;
	if (show_progress()) {
		so.progress = progress_update;
		so.payload = &prog;
	}
	err = push ? mreg_push(&bad, reg, argc ? argv[0] : "origin", &so, sync_report, &st)
		   : mreg_fetch(&bad, reg, argc ? argv[0] : "origin", &so, sync_report, &st);
	progress_stop(&prog);
	if (err < 0)
		return error_lib(err);
	if (bad) {
		fprintf(stderr, "error: %zu ref%s %s; %s\n", bad, bad == 1 ? "" : "s",
			push ? "not pushed" : "refused",
			push ? "fetch, check, and push again"
			     : "nothing local changed");
		return finish_stdout(EXIT_NO);
	}
	if (!st.moved && !st.quiet)
		printf("Everything up to date\n");
	return finish_stdout(0);
}

