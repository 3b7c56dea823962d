/*
 * mreg: the executable.  It answers `mreg resolve`, the serving path,
 * itself from the route's loose objects (src/route-direct.c), and leaves
 * every other command to mreg-core.so, which it loads only then.  The
 * core links libgit2, OpenSSL and libyaml, and merely loading those takes
 * longer than resolving a route does; a process that only resolves pays
 * for zlib, nettle and jansson.  See "The serving path" in
 * Documentation/technical/route-format.adoc.
 */
#include "common.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MREG_CORE_PATH
#define MREG_CORE_PATH "/usr/local/lib/mreg/mreg-core.so"
#endif

/*
 * mreg-core.so beside the executable, as in the build tree, else where
 * `make install` put it.  /proc/self/exe names the real file, so a
 * symbolic link to mreg finds the right core.
 */
static void core_path(struct strbuf *path)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			strbuf_add(path, exe, slash + 1 - exe);
			strbuf_addstr(path, "mreg-core.so");
			if (!access(path->buf, F_OK))
				return;
			strbuf_reset(path);
		}
	}
	strbuf_addstr(path, MREG_CORE_PATH);
}

static int run_core(int argc, const char **argv)
{
	struct strbuf path = STRBUF_INIT;
	int (*core_main)(int, const char **);
	const char *version;
	void *core;

	core_path(&path);
	/* Never closed: the commands run until exit, and sanitizers want it so. */
	if (!(core = dlopen(path.buf, RTLD_LAZY | RTLD_LOCAL)))
		die("cannot load the mreg commands: %s", dlerror());
	version = dlsym(core, "mreg_core_version");
	if (!version || strcmp(version, MREG_VERSION))
		die("%s is not mreg %s's (it is %s); reinstall mreg", path.buf,
		    MREG_VERSION, version ? version : "not mreg's at all");
	*(void **)&core_main = dlsym(core, "mreg_main");
	if (!core_main)
		die("%s has no entry point: %s", path.buf, dlerror());
	strbuf_release(&path);
	return core_main(argc, argv);
}

int main(int argc, const char **argv)
{
	const char *registry = NULL;
	int i, status;

	/* Global options as mreg_main reads them; anything odd is its to judge. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if ((!strcmp(argv[i], "-R") || !strcmp(argv[i], "--registry")) && i + 1 < argc)
			registry = argv[++i];
		else if (starts_with(argv[i], "--registry="))
			registry = argv[i] + strlen("--registry=");
		else if (strcmp(argv[i], "-q") && strcmp(argv[i], "--quiet"))
			break;
	}
	if (i < argc && !strcmp(argv[i], "resolve") &&
	    (status = resolve_direct(argc - i, argv + i, registry)) >= 0)
		return status;
	return run_core(argc, argv);
}
