/*
 * The serving path without starting libgit2.  `mreg resolve` runs often
 * and must be quick, and most of its time used to go to starting libgit2
 * (its TLS library reads the system's CA bundle).  A route's head is one
 * ref, one commit, one tree and one blob; when they are loose, as mreg
 * writes them, they are read here directly: zlib, and the SHA-1 of every
 * object checked against its name, so nothing is taken on trust that
 * libgit2 would have checked.  Anything else (packed objects, a symbolic
 * ref) is left to the ordinary path.
 */
#include "internal.h"
#include "route.h"
#include "mreg/name.h"
#include "mreg/route.h"

#include <fcntl.h>
#include <nettle/sha1.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#define DIRECT_LIMIT (1024 * 1024)	/* route objects are small */

/* 1 when the answer must come from the ordinary path. */
#define NOT_HERE 1

static int read_small(struct strbuf *out, const char *path)
{
	if (strbuf_read_file(out, path, DIRECT_LIMIT) < 0)
		return errno == ENOENT ? NOT_HERE : mreg_error_errno(MREG_EIO, "cannot read", path);
	return 0;
}

/* The id refs/mreg/routes/NAME holds: loose, else in packed-refs. */
static int read_ref(char *hex, const char *dir, const char *name)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, want = STRBUF_INIT;
	const char *line;
	int err;

	strbuf_addf(&path, "%s/refs/mreg/routes/%s", dir, name);
	err = read_small(&text, path.buf);
	if (!err) {
		strbuf_rtrim(&text);
		if (text.len != GIT_OID_HEXSZ || !is_hex(text.buf, GIT_OID_HEXSZ))
			err = NOT_HERE;	/* a symbolic ref, or something odd: not ours to judge */
		else
			memcpy(hex, text.buf, GIT_OID_HEXSZ + 1);
		goto done;
	}
	if (err != NOT_HERE)
		goto done;
	strbuf_reset(&path);
	strbuf_reset(&text);
	strbuf_addf(&path, "%s/packed-refs", dir);
	if (strbuf_read_file(&text, path.buf, 256 * 1024 * 1024) < 0)
		goto done;	/* NOT_HERE: the ordinary path says there is no route */
	strbuf_addf(&want, " refs/mreg/routes/%s\n", name);
	for (line = text.buf; line && *line; ) {
		const char *eol = strchr(line, '\n');

		if (eol && (size_t)(eol + 1 - line) == GIT_OID_HEXSZ + want.len &&
		    !memcmp(line + GIT_OID_HEXSZ, want.buf, want.len) &&
		    is_hex(line, GIT_OID_HEXSZ)) {
			memcpy(hex, line, GIT_OID_HEXSZ);
			hex[GIT_OID_HEXSZ] = '\0';
			err = 0;
			break;
		}
		line = eol ? eol + 1 : NULL;
	}
done:
	strbuf_release(&path);
	strbuf_release(&text);
	strbuf_release(&want);
	return err;
}

/* A loose object: inflated, its SHA-1 checked, its header stripped. */
static int read_object(struct strbuf *out, const char *dir, const char *hex,
		       const char *type)
{
	struct strbuf path = STRBUF_INIT, raw = STRBUF_INIT, data = STRBUF_INIT;
	unsigned char md[SHA1_DIGEST_SIZE];
	char got[GIT_OID_HEXSZ + 1];
	struct sha1_ctx sha1;
	z_stream z;
	const char *nul;
	size_t hlen = strlen(type);
	int err, zr;

	strbuf_addf(&path, "%s/objects/%.2s/%s", dir, hex, hex + 2);
	if ((err = read_small(&raw, path.buf)) != 0)
		goto done;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK) {
		err = mreg_error_set(MREG_ERROR, "cannot start zlib");
		goto done;
	}
	z.next_in = (unsigned char *)raw.buf;
	z.avail_in = (uInt)raw.len;
	do {
		strbuf_grow(&data, 64 * 1024);
		z.next_out = (unsigned char *)data.buf + data.len;
		z.avail_out = (uInt)(data.alloc - data.len - 1);
		zr = inflate(&z, Z_NO_FLUSH);
		strbuf_setlen(&data, data.alloc - 1 - z.avail_out);
	} while (zr == Z_OK && data.len < DIRECT_LIMIT);
	inflateEnd(&z);
	if (zr != Z_STREAM_END) {
		err = mreg_error_set(MREG_ECORRUPT, "object %s does not inflate", hex);
		goto done;
	}
	sha1_init(&sha1);
	sha1_update(&sha1, data.len, (const uint8_t *)data.buf);
	sha1_digest(&sha1, sizeof(md), md);
	hex_encode(got, md, sizeof(md));
	nul = memchr(data.buf, '\0', data.len);
	if (strcmp(got, hex) || !nul) {
		err = mreg_error_set(MREG_ECORRUPT, "object %s is corrupt: it hashes to %s", hex, got);
		goto done;
	}
	if (strncmp(data.buf, type, hlen) || data.buf[hlen] != ' ' ||
	    strtoull(data.buf + hlen + 1, NULL, 10) != data.len - (nul + 1 - data.buf)) {
		err = NOT_HERE;	/* another type than expected: let libgit2 say so */
		goto done;
	}
	strbuf_add(out, nul + 1, data.len - (nul + 1 - data.buf));
done:
	strbuf_release(&path);
	strbuf_release(&raw);
	strbuf_release(&data);
	return err;
}

/* The id of the blob `route` in a tree object's bytes. */
static int tree_route(char *hex, const struct strbuf *tree)
{
	const char *p = tree->buf, *end = tree->buf + tree->len;

	while (p < end) {
		const char *sp = memchr(p, ' ', end - p);
		const char *nul = sp ? memchr(sp, '\0', end - sp) : NULL;

		if (!sp || !nul || end - nul < 21)
			return NOT_HERE;
		if (!strcmp(sp + 1, "route") && (sp - p == 6 && !memcmp(p, "100644", 6))) {
			hex_encode(hex, (const unsigned char *)nul + 1, 20);
			return 0;
		}
		p = nul + 21;
	}
	return NOT_HERE;
}

int mreg_route_resolve_direct(char **ref, char *digest, const char *dir, const char *name,
			      const char *stage)
{
	struct strbuf obj = STRBUF_INIT;
	struct mreg_route r;
	const struct mreg_route_slot *s;
	char hex[GIT_OID_HEXSZ + 1];
	int err;

	*ref = NULL;
	memset(&r, 0, sizeof(r));
	if (mreg_name_check("route name", name) < 0 || (stage && !route_slot_name_ok(stage)))
		return NOT_HERE;	/* the ordinary path explains */
	if ((err = read_ref(hex, dir, name)) != 0 ||
	    (err = read_object(&obj, dir, hex, "commit")) != 0)
		goto done;
	if (!starts_with(obj.buf, "tree ") || obj.len < 5 + GIT_OID_HEXSZ ||
	    !is_hex(obj.buf + 5, GIT_OID_HEXSZ)) {
		err = NOT_HERE;
		goto done;
	}
	memcpy(hex, obj.buf + 5, GIT_OID_HEXSZ);
	strbuf_reset(&obj);
	if ((err = read_object(&obj, dir, hex, "tree")) != 0 ||
	    (err = tree_route(hex, &obj)) != 0)
		goto done;
	strbuf_reset(&obj);
	if ((err = read_object(&obj, dir, hex, "blob")) != 0 ||
	    (err = route_parse(&r, obj.buf, obj.len)) < 0)
		goto done;
	s = route_slot(&r, stage);
	if (!s->ref) {
		err = NOT_HERE;	/* an empty slot: the ordinary path words the answer */
		goto done;
	}
	*ref = xstrdup(s->ref);
	memcpy(digest, s->digest, sizeof(s->digest));
done:
	route_release(&r);
	strbuf_release(&obj);
	return err;
}
