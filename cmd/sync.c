/* mreg push, fetch, pull, clone: sharing a registry through git remotes. */
#include "common.h"
#include "parse-options.h"
#include "progress.h"
#include "mreg/remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sync_state {
	int quiet;
	size_t moved;
};

static void report(const struct mreg_sync_ref *r, void *payload)
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

static const char *const push_usage[] = {
	"mreg push [--no-artifacts] [--quiet] [REMOTE]",
	NULL
};

static const char *const fetch_usage[] = {
	"mreg fetch [--no-artifacts] [--quiet] [REMOTE]",
	NULL
};

static const char *const pull_usage[] = {
	"mreg pull [--no-artifacts] [--quiet] [REMOTE]",
	NULL
};

static const char *const clone_usage[] = {
	"mreg clone [--trust-root FILE] [--no-artifacts] [--quiet] URL [DIR]",
	NULL
};

static int sync_cmd(int argc, const char **argv, struct mreg_registry *reg, int push,
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
	err = push ? mreg_push(&bad, reg, argc ? argv[0] : "origin", &so, report, &st)
		   : mreg_fetch(&bad, reg, argc ? argv[0] : "origin", &so, report, &st);
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

int cmd_push(int argc, const char **argv, struct mreg_registry *reg)
{
	return sync_cmd(argc, argv, reg, 1, push_usage);
}

int cmd_fetch(int argc, const char **argv, struct mreg_registry *reg)
{
	return sync_cmd(argc, argv, reg, 0, fetch_usage);
}

/* pull is fetch: verified, fast-forward only, never a merge (DESIGN §5). */
int cmd_pull(int argc, const char **argv, struct mreg_registry *reg)
{
	return sync_cmd(argc, argv, reg, 0, pull_usage);
}

int cmd_clone(int argc, const char **argv, struct mreg_registry *unused)
{
	struct mreg_sync_options so;
	struct mreg_registry *reg = NULL;
	struct sync_state st = { 1, 0 };
	struct progress prog = { "Artifacts", -1, 0 };
	const char *trust = NULL;
	char *pinned = NULL;
	int err;
	struct option opts[] = {
		OPT_STRING(0, "trust-root", &trust, "FILE",
			   "trust the public key(s) in FILE instead of the history's first signer"),
		OPT_BOOL(0, "no-artifacts", &so.no_artifacts, "leave artifact bytes behind"),
		OPT_BOOL('q', "quiet", &opt_quiet, "no progress"),
		OPT_END()
	};

	memset(&so, 0, sizeof(so));
	argc = parse_options(argc, argv, opts, clone_usage);
	if (argc < 1 || argc > 2)
		usage_with_options(clone_usage, opts);
	if (show_progress()) {
		so.progress = progress_update;
		so.payload = &prog;
	}
	err = mreg_clone(&reg, &pinned, argv[0], argc > 1 ? argv[1] : NULL, trust, &so,
			 report, &st);
	progress_stop(&prog);
	if (err < 0)
		return error_lib(err);
	printf("Cloned %s into %s\n", argv[0], mreg_registry_path(reg));
	if (pinned)
		printf("Trust root: %s\n"
		       "Compare this fingerprint with the registry owner's, out of band.\n",
		       pinned);
	else
		printf("The history is unsigned: no trust root was pinned.\n");
	free(pinned);
	mreg_registry_free(reg);
	return finish_stdout(0);
}
