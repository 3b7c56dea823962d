/*
 * test-xfer: drives libmreg's artifact transport (src/xfer.c and
 * src/xfer-ssh.c) from shell tests.
 *
 *   test-xfer store REGISTRY FILE             (prints "SHA256 SIZE")
 *   test-xfer has URL SHA256 SIZE             (prints yes or no)
 *   test-xfer has-many URL <"SHA256 SIZE" lines
 *                                             (prints "SHA256 yes|no|partial N")
 *   test-xfer put URL REGISTRY SHA256 SIZE
 *   test-xfer get URL REGISTRY SHA256 SIZE
 *   test-xfer push URL REGISTRY               (every object the far side lacks;
 *                                              prints "sent SHA256" for each)
 *
 * Exits 0 on success, 1 with "error: ..." on stderr on failure (of the
 * request or of the session's end), 129 on bad usage.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mreg/registry.h"
#include "mreg/store.h"
#include "strbuf.h"
#include "util.h"
#include "xfer.h"

static const char usage_text[] =
	"usage: test-xfer store REGISTRY FILE\n"
	"   or: test-xfer has URL SHA256 SIZE\n"
	"   or: test-xfer has-many URL <list\n"
	"   or: test-xfer put URL REGISTRY SHA256 SIZE\n"
	"   or: test-xfer get URL REGISTRY SHA256 SIZE\n"
	"   or: test-xfer push URL REGISTRY\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return 129;
}

static int fail(void)
{
	fprintf(stderr, "error: %s\n", mreg_error_last());
	return 1;
}

static int parse_size(uint64_t *out, const char *s)
{
	if (xfer_parse_size(out, s) < 0)
		return mreg_error_set(MREG_EINVALID, "bad size '%s'", s);
	return 0;
}

static int cmd_store(const char *dir, const char *file)
{
	struct mreg_registry *reg = NULL;
	char hex[MREG_HEX_SHA256 + 1];
	uint64_t size = 0;
	int fd, ret = 1;

	fd = open(file, O_RDONLY);
	if (fd < 0) {
		perror("error: cannot open file");
		return 1;
	}
	if (mreg_registry_open(&reg, dir) < 0 ||
	    mreg_store_put_fd(hex, &size, reg, fd, NULL, 0, NULL, NULL) < 0) {
		fail();
		goto done;
	}
	printf("%s %llu\n", hex, (unsigned long long)size);
	ret = 0;
done:
	close(fd);
	mreg_registry_free(reg);
	return ret;
}

/* Every object of the near store, as xfer_objects. */
struct list {
	struct xfer_object *v;
	size_t nr, alloc;
};

static int add_object(const char *name, uint64_t size, void *payload)
{
	struct list *l = payload;

	if (!xfer_valid_name(name))
		return 0;
	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	memset(&l->v[l->nr], 0, sizeof(l->v[l->nr]));
	memcpy(l->v[l->nr].sha256, name, MREG_HEX_SHA256 + 1);
	l->v[l->nr++].size = size;
	return 0;
}

static int read_list(struct list *l)
{
	char line[256], name[MREG_HEX_SHA256 + 1];
	unsigned long long size;

	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "%64s %llu", name, &size) != 2)
			return mreg_error_set(MREG_EINVALID, "bad line '%s'", line);
		add_object(name, size, l);
	}
	return 0;
}

static int run(struct xfer *x, int argc, const char **argv)
{
	struct mreg_registry *reg = NULL;
	struct list l = { NULL, 0, 0 };
	uint64_t size;
	size_t i;
	int yes, err = 0;

	if (!strcmp(argv[1], "has")) {
		if ((err = parse_size(&size, argv[4])) < 0 ||
		    (err = xfer_has(x, argv[3], size, &yes)) < 0)
			return err;
		puts(yes ? "yes" : "no");
		return 0;
	}
	if (!strcmp(argv[1], "has-many")) {
		if ((err = read_list(&l)) < 0 ||
		    (err = xfer_has_many(x, l.v, l.nr)) < 0)
			goto done;
		for (i = 0; i < l.nr; i++) {
			if (l.v[i].state == XFER_PARTIAL)
				printf("%s partial %llu\n", l.v[i].sha256,
				       (unsigned long long)l.v[i].partial);
			else
				printf("%s %s\n", l.v[i].sha256,
				       l.v[i].state == XFER_PRESENT ? "yes" : "no");
		}
		goto done;
	}
	if ((err = mreg_registry_open(&reg, argv[3])) < 0)
		goto done;
	if (!strcmp(argv[1], "push")) {
		if ((err = mreg_store_foreach(reg, add_object, &l)) < 0 ||
		    (err = xfer_has_many(x, l.v, l.nr)) < 0)
			goto done;
		for (i = 0; i < l.nr; i++) {
			if (l.v[i].state == XFER_PRESENT)
				continue;
			if ((err = xfer_put(x, reg, l.v[i].sha256, l.v[i].size,
					    NULL, NULL)) < 0)
				goto done;
			printf("sent %s\n", l.v[i].sha256);
		}
		goto done;
	}
	if ((err = parse_size(&size, argv[5])) < 0)
		goto done;
	if (!strcmp(argv[1], "put"))
		err = xfer_put(x, reg, argv[4], size, NULL, NULL);
	else
		err = xfer_get(x, reg, argv[4], size, NULL, NULL);
done:
	free(l.v);
	mreg_registry_free(reg);
	return err;
}

int main(int argc, const char **argv)
{
	struct xfer *x = NULL;
	int err, cerr;

	if (argc < 2)
		return usage();
	if (mreg_global_init() < 0)
		return fail();
	if (!strcmp(argv[1], "store"))
		return argc == 4 ? cmd_store(argv[2], argv[3]) : usage();
	if (!((!strcmp(argv[1], "has") && argc == 5) ||
	      (!strcmp(argv[1], "has-many") && argc == 3) ||
	      (!strcmp(argv[1], "push") && argc == 4) ||
	      ((!strcmp(argv[1], "put") || !strcmp(argv[1], "get")) && argc == 6)))
		return usage();
	if (xfer_open(&x, argv[2]) < 0)
		return fail();
	if ((err = run(x, argc, argv)) < 0)
		fail();
	cerr = xfer_close(x);
	if (cerr < 0 && !err)
		fail();
	if (fflush(stdout) || ferror(stdout))
		return 1;
	return err < 0 || cerr < 0;
}
