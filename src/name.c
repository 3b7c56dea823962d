#include "internal.h"
#include "mreg/name.h"

static int name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static const char *printable(const char *s, struct strbuf *sb)
{
	for (; *s && sb->len < 80; s++) {
		unsigned char c = *s;

		if (c < 0x20 || c == 0x7f)
			strbuf_addf(sb, "\\x%02x", c);
		else
			strbuf_addch(sb, c);
	}
	if (*s)
		strbuf_addstr(sb, "...");
	return sb->buf;
}

static int bad_name(const char *what, const char *name, const char *why)
{
	struct strbuf sb = STRBUF_INIT;
	int err = mreg_error_set(MREG_EINVALID, "invalid %s '%s': %s", what,
				 printable(name, &sb), why);

	strbuf_release(&sb);
	return err;
}

int mreg_name_check(const char *what, const char *name)
{
	size_t len = strlen(name), i;

	if (!len)
		return mreg_error_set(MREG_EINVALID, "invalid %s '': it is empty", what);
	if (len > MREG_NAME_MAX)
		return bad_name(what, name, "longer than 128 bytes");
	if (!name_char(name[0]) || name[0] == '.' || name[0] == '_' || name[0] == '-')
		return bad_name(what, name, "must start with a letter or digit");
	for (i = 0; i < len; i++)
		if (!name_char(name[i]))
			return bad_name(what, name,
					"only letters, digits, '.', '_' and '-' are allowed");
	if (strstr(name, ".."))
		return bad_name(what, name, "'..' is not allowed");
	if (ends_with(name, ".lock") || ends_with(name, "."))
		return bad_name(what, name, "must not end in '.lock' or '.'");
	return 0;
}

int mreg_path_check(const char *what, const char *path)
{
	const char *p = path, *slash;
	size_t len = strlen(path);

	if (!len)
		return mreg_error_set(MREG_EINVALID, "invalid %s '': it is empty", what);
	if (len > 4096)
		return bad_name(what, path, "longer than 4096 bytes");
	if (path[0] == '/')
		return bad_name(what, path, "must be relative to the manifest");
	for (; *p; p++) {
		unsigned char c = *p;

		if (c < 0x20 || c == 0x7f || c == '\\')
			return bad_name(what, path,
					"control characters and '\\' are not allowed");
	}
	for (p = path; ; p = slash + 1) {
		size_t n;

		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (!n || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return bad_name(what, path,
					"empty, '.' and '..' components are not allowed");
		if (n == 4 && !memcmp(p, ".git", 4))
			return bad_name(what, path, "'.git' is not allowed");
		if (!slash)
			break;
	}
	return 0;
}
