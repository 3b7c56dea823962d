/*
 * YAML in and out of the value.h tree, on libyaml's event API.
 *
 * Reading is strict on purpose: a manifest that libyaml would accept but
 * that means something surprising (a repeated key, an alias, a custom tag)
 * is refused with its file, line and column.  Writing is canonical: the
 * bytes are hashed into bundle digests, so the same tree must always give
 * the same text.
 */
#include "internal.h"
#include "mreg/value.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define YAML_FILE_LIMIT (16 * 1024 * 1024)
/* Deeper nesting than any real manifest, shallow enough for the C stack. */
#define YAML_MAX_DEPTH 256
#define CORE_TAG "tag:yaml.org,2002:"

struct reader {
	yaml_parser_t parser;
	const char *filename;
	const char *buf;
	size_t len;
};

static int error_at(struct reader *r, size_t line, size_t column,
		    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int error_at(struct reader *r, size_t line, size_t column,
		    const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	int err;

	strbuf_addf(&sb, "%s:%zu:%zu: ", r->filename, line + 1, column + 1);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	err = mreg_error_set(MREG_EINVALID, "%s", sb.buf);
	strbuf_release(&sb);
	return err;
}

#define ERROR_AT(r, ev, ...) \
	error_at((r), (ev)->start_mark.line, (ev)->start_mark.column, \
		 __VA_ARGS__)

/* libyaml's reader errors carry a byte offset instead of a mark. */
static int reader_error(struct reader *r)
{
	size_t i, end = r->parser.problem_offset, line = 0, column = 0;

	if (end > r->len)
		end = r->len;
	for (i = 0; i < end; i++) {
		if (r->buf[i] == '\n') {
			line++;
			column = 0;
		} else if (((unsigned char)r->buf[i] & 0xC0) != 0x80) {
			column++;	/* columns count characters */
		}
	}
	return error_at(r, line, column, "%s", r->parser.problem);
}

static int syntax_error(struct reader *r)
{
	yaml_parser_t *p = &r->parser;

	if (p->error == YAML_MEMORY_ERROR)
		return mreg_error_set(MREG_ERROR, "%s: out of memory",
				      r->filename);
	if (p->error == YAML_READER_ERROR)
		return reader_error(r);
	if (!p->context)
		return error_at(r, p->problem_mark.line, p->problem_mark.column,
				"%s", p->problem);
	return error_at(r, p->problem_mark.line, p->problem_mark.column,
			"%s (%s at %zu:%zu)", p->problem, p->context,
			p->context_mark.line + 1, p->context_mark.column + 1);
}

/* On failure `ev` is left zeroed (libyaml clears it first). */
static int next(struct reader *r, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&r->parser, ev))
		return syntax_error(r);
	return 0;
}

static struct mreg_value *new_at(enum mreg_value_kind kind, const char *text,
				 const yaml_event_t *ev)
{
	struct mreg_value *v = mreg_value_new(kind, text);

	v->line = ev->start_mark.line + 1;
	v->column = ev->start_mark.column + 1;
	return v;
}

/* "tag:yaml.org,2002:str" reads better as "!!str". */
static int tag_error(struct reader *r, const yaml_event_t *ev, const char *tag)
{
	if (starts_with(tag, CORE_TAG))
		return ERROR_AT(r, ev, "tag '!!%s' is not supported here",
				tag + strlen(CORE_TAG));
	return ERROR_AT(r, ev, "tag '%s' is not supported", tag);
}

/* The kind of a scalar with an explicit core tag, which must fit. */
static int tagged_kind(enum mreg_value_kind *out, struct reader *r,
		       const yaml_event_t *ev, const char *tag,
		       const char *text)
{
	static const struct {
		const char *name;
		enum mreg_value_kind kind;
	} core[] = {
		{ "str", MREG_VALUE_STRING },
		{ "null", MREG_VALUE_NULL },
		{ "bool", MREG_VALUE_BOOL },
		{ "int", MREG_VALUE_INT },
		{ "float", MREG_VALUE_FLOAT },
	};
	const char *name;
	size_t i;

	if (!starts_with(tag, CORE_TAG))
		return tag_error(r, ev, tag);
	name = tag + strlen(CORE_TAG);
	for (i = 0; i < ARRAY_SIZE(core); i++) {
		if (strcmp(name, core[i].name))
			continue;
		*out = core[i].kind;
		if (*out == MREG_VALUE_STRING ||
		    mreg_value_resolve(text) == *out)
			return 0;
		return ERROR_AT(r, ev, "'%s' is not a valid !!%s", text, name);
	}
	return tag_error(r, ev, tag);
}

static int read_scalar(struct mreg_value **out, struct reader *r,
		       const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	enum mreg_value_kind kind = MREG_VALUE_STRING;
	int err;

	/* "\0" in a quoted scalar would silently cut our C string short */
	if (memchr(text, '\0', ev->data.scalar.length))
		return ERROR_AT(r, ev, "NUL characters are not supported");
	if (tag) {
		if ((err = tagged_kind(&kind, r, ev, tag, text)) < 0)
			return err;
	} else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		kind = mreg_value_resolve(text);
	}
	*out = new_at(kind, text, ev);
	return 0;
}

/* What no node may be: an alias, anchored, or nested without end. */
static int check_node(struct reader *r, const yaml_event_t *ev, int depth)
{
	const yaml_char_t *anchor = NULL;

	if (ev->type == YAML_SCALAR_EVENT)
		anchor = ev->data.scalar.anchor;
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		anchor = ev->data.sequence_start.anchor;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		anchor = ev->data.mapping_start.anchor;
	if (ev->type == YAML_ALIAS_EVENT || anchor)
		return ERROR_AT(r, ev, "anchors and aliases are not supported");
	if (depth > YAML_MAX_DEPTH)
		return ERROR_AT(r, ev, "nested more than %d levels deep",
				YAML_MAX_DEPTH);
	return 0;
}

static int read_node(struct mreg_value **out, struct reader *r,
		     yaml_event_t *ev, int depth);

static int read_seq(struct mreg_value **out, struct reader *r,
		    const yaml_event_t *start, int depth)
{
	const char *tag = (const char *)start->data.sequence_start.tag;
	struct mreg_value *seq = NULL, *item;
	yaml_event_t ev;
	int err;

	if (tag && strcmp(tag, CORE_TAG "seq"))
		return tag_error(r, start, tag);
	seq = new_at(MREG_VALUE_SEQ, NULL, start);
	for (;;) {
		if ((err = next(r, &ev)) < 0)
			goto done;
		if (ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if ((err = read_node(&item, r, &ev, depth + 1)) < 0)
			goto done;
		mreg_value_push(seq, item);
	}
	yaml_event_delete(&ev);
	*out = seq;
	seq = NULL;
done:
	mreg_value_free(seq);
	return err;
}

/*
 * An open-addressing set of a map's keys while it is read, so that
 * duplicate keys are found in linear time even in a huge mapping.
 */
struct key_index {
	size_t *slot;		/* 1 + the key's position in the map; 0: free */
	size_t size;		/* a power of two */
};

static size_t hash_key(const char *s)
{
	size_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static size_t *find_slot(const struct key_index *ki,
			 const struct mreg_value *map, const char *key)
{
	size_t i = hash_key(key) & (ki->size - 1);

	while (ki->slot[i] && strcmp(map->keys[ki->slot[i] - 1], key))
		i = (i + 1) & (ki->size - 1);
	return &ki->slot[i];
}

/* 1 if `map` has `key` already; else 0, and `key` is taken as its next. */
static int key_seen(struct key_index *ki, const struct mreg_value *map,
		    const char *key)
{
	size_t *slot, i;

	if (2 * (map->nr + 1) > ki->size) {
		free(ki->slot);
		ki->size = ki->size ? 2 * ki->size : 16;
		ki->slot = xcalloc(ki->size, sizeof(*ki->slot));
		for (i = 0; i < map->nr; i++)
			*find_slot(ki, map, map->keys[i]) = i + 1;
	}
	slot = find_slot(ki, map, key);
	if (*slot)
		return 1;
	*slot = map->nr + 1;
	return 0;
}

/* Reads the key event `ev` (and frees it) into `*out`, a new string. */
static int read_key(char **out, struct reader *r, yaml_event_t *ev,
		    struct key_index *ki, const struct mreg_value *map)
{
	struct mreg_value *key = NULL;
	int err;

	*out = NULL;
	if ((err = check_node(r, ev, 0)) < 0)
		goto done;
	if (ev->type != YAML_SCALAR_EVENT) {
		err = ERROR_AT(r, ev, "a mapping key must be a scalar");
		goto done;
	}
	if ((err = read_scalar(&key, r, ev)) < 0)
		goto done;
	if (key_seen(ki, map, key->text)) {
		err = ERROR_AT(r, ev, "duplicate key '%s'", key->text);
		goto done;
	}
	*out = key->text;
	key->text = NULL;
done:
	mreg_value_free(key);
	yaml_event_delete(ev);
	return err;
}

/* mreg_value_set() without its search: read_key() has looked already. */
static void append(struct mreg_value *map, char *key, struct mreg_value *item)
{
	if (map->nr + 1 > map->alloc) {
		size_t alloc = map->alloc;

		ALLOC_GROW(map->items, map->nr + 1, alloc);
		map->keys = xrealloc(map->keys, alloc * sizeof(*map->keys));
		map->alloc = alloc;
	}
	map->keys[map->nr] = key;
	map->items[map->nr++] = item;
}

static int read_map(struct mreg_value **out, struct reader *r,
		    const yaml_event_t *start, int depth)
{
	const char *tag = (const char *)start->data.mapping_start.tag;
	struct key_index ki = { NULL, 0 };
	struct mreg_value *map = NULL, *item;
	yaml_event_t ev;
	char *key = NULL;
	int err;

	if (tag && strcmp(tag, CORE_TAG "map"))
		return tag_error(r, start, tag);
	map = new_at(MREG_VALUE_MAP, NULL, start);
	for (;;) {
		if ((err = next(r, &ev)) < 0)
			goto done;
		if (ev.type == YAML_MAPPING_END_EVENT)
			break;
		if ((err = read_key(&key, r, &ev, &ki, map)) < 0 ||
		    (err = next(r, &ev)) < 0 ||
		    (err = read_node(&item, r, &ev, depth + 1)) < 0)
			goto done;
		append(map, key, item);
		key = NULL;
	}
	yaml_event_delete(&ev);
	*out = map;
	map = NULL;
done:
	free(key);
	free(ki.slot);
	mreg_value_free(map);
	return err;
}

/* Reads the node that starts with `ev`, and frees `ev`. */
static int read_node(struct mreg_value **out, struct reader *r,
		     yaml_event_t *ev, int depth)
{
	int err;

	*out = NULL;
	if ((err = check_node(r, ev, depth)) < 0)
		;
	else if (ev->type == YAML_SCALAR_EVENT)
		err = read_scalar(out, r, ev);
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		err = read_seq(out, r, ev, depth);
	else
		err = read_map(out, r, ev, depth);
	yaml_event_delete(ev);
	return err;
}

/* STREAM-START, then nothing or one document, then STREAM-END. */
static int read_stream(struct mreg_value **out, struct reader *r)
{
	struct mreg_value *root = NULL;
	yaml_event_t ev;
	int err, type;

	if ((err = next(r, &ev)) < 0)
		goto done;
	yaml_event_delete(&ev);
	if ((err = next(r, &ev)) < 0)
		goto done;
	type = ev.type;
	yaml_event_delete(&ev);
	if (type == YAML_STREAM_END_EVENT) {
		root = mreg_value_new(MREG_VALUE_MAP, NULL);
		goto done;
	}
	if ((err = next(r, &ev)) < 0 ||
	    (err = read_node(&root, r, &ev, 0)) < 0 ||
	    (err = next(r, &ev)) < 0)	/* DOCUMENT-END */
		goto done;
	yaml_event_delete(&ev);
	if ((err = next(r, &ev)) < 0)
		goto done;
	if (ev.type != YAML_STREAM_END_EVENT)
		err = ERROR_AT(r, &ev, "only one document is allowed");
	yaml_event_delete(&ev);
done:
	if (err < 0) {
		mreg_value_free(root);
		root = NULL;
	}
	*out = root;
	return err;
}

int mreg_yaml_parse(struct mreg_value **out, const char *buf, size_t len,
		    const char *filename)
{
	struct reader r;
	int err;

	*out = NULL;
	if (!yaml_parser_initialize(&r.parser))
		return mreg_error_set(MREG_ERROR, "%s: out of memory",
				      filename);
	r.filename = filename;
	r.buf = buf ? buf : "";
	r.len = buf ? len : 0;
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)r.buf,
				     r.len);
	err = read_stream(out, &r);
	/* "---" alone is a document whose root is an empty plain scalar */
	if (!err && (*out)->kind == MREG_VALUE_NULL && !*(*out)->text) {
		free((*out)->text);
		(*out)->text = NULL;
		(*out)->kind = MREG_VALUE_MAP;
	}
	yaml_parser_delete(&r.parser);
	return err;
}

int mreg_yaml_load(struct mreg_value **out, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	int fd, err;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mreg_error_errno(errno == ENOENT || errno == ENOTDIR ?
					MREG_ENOTFOUND : MREG_EIO,
					"cannot read", path);
	if (fstat(fd, &st) < 0) {
		err = mreg_error_errno(MREG_EIO, "cannot read", path);
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		err = mreg_error_errno(MREG_EINVALID, "cannot read", path);
		goto done;
	}
	if (st.st_size > YAML_FILE_LIMIT)
		errno = EFBIG;
	if (st.st_size > YAML_FILE_LIMIT ||
	    strbuf_read_fd(&sb, fd, YAML_FILE_LIMIT) < 0) {
		/* strbuf_read_fd() says EFBIG too, when a pipe runs long */
		err = mreg_error_errno(errno == EFBIG ?
				       MREG_EINVALID : MREG_EIO,
				       "cannot read", path);
		goto done;
	}
	err = mreg_yaml_parse(out, sb.buf, sb.len, path);
done:
	close(fd);
	strbuf_release(&sb);
	return err;
}

static int is_blankz(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || !c;
}

/*
 * The length of the character at `p` if libyaml counts it printable and
 * not a line break (its IS_PRINTABLE and IS_BREAK), else 0.  Characters
 * beyond the BMP are not printable to libyaml: they get escaped.
 */
static size_t printable_width(const unsigned char *p)
{
	if (p[0] < 0x80)
		return p[0] >= 0x20 && p[0] <= 0x7E;
	if (p[0] == 0xC2)
		return p[1] >= 0xA0 ? 2 : 0;
	if (p[0] > 0xC2 && p[0] < 0xE0)
		return 2;
	if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
		return 0;	/* LS and PS break lines */
	if ((p[0] >= 0xE0 && p[0] < 0xED) || p[0] == 0xEE)
		return 3;
	if (p[0] == 0xED)
		return p[1] < 0xA0 ? 3 : 0;
	if (p[0] == 0xEF && !(p[1] == 0xBB && p[2] == 0xBF) &&
	    !(p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF)))
		return 3;
	return 0;
}

/*
 * Whether libyaml would write `s` plain in block context, following its
 * yaml_emitter_analyze_scalar().  When it would not, it quietly falls
 * back to single quotes; canonical output wants double quotes instead,
 * so we must ask for them ourselves.
 */
static int plain_allowed(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, w, n = strlen(s);

	if (!n || starts_with(s, "---") || starts_with(s, "...") ||
	    strchr("#,[]{}&*!|>'\"%@`", *s) ||
	    (strchr("?:-", *s) && is_blankz(p[1])) ||
	    s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i += w) {
		if (p[i] == ':' && is_blankz(p[i + 1]))
			return 0;
		if (p[i] == '#' && i && p[i - 1] == ' ')
			return 0;
		if (!(w = printable_width(p + i)))
			return 0;
	}
	return 1;
}

static int emitted(yaml_emitter_t *e, int initialized, yaml_event_t *ev)
{
	/* libyaml refuses to build a scalar event from invalid UTF-8 */
	if (!initialized)
		return mreg_error_set(MREG_EINVALID, "cannot write YAML: %s",
				      "a string is not valid UTF-8");
	if (!yaml_emitter_emit(e, ev))
		return mreg_error_set(MREG_ERROR, "cannot write YAML: %s",
				      e->problem ? e->problem :
				      "out of memory");
	return 0;
}

static int emit_scalar(yaml_emitter_t *e, enum mreg_value_kind kind,
		       const char *text)
{
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
	yaml_event_t ev;
	size_t len;

	if (kind == MREG_VALUE_NULL)
		text = "null";
	else if (kind == MREG_VALUE_STRING)
		style = mreg_value_resolve(text) == MREG_VALUE_STRING &&
			plain_allowed(text) ? YAML_PLAIN_SCALAR_STYLE :
			YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (mreg_value_resolve(text) != kind)
		/* written plain it would read back as something else */
		return mreg_error_set(MREG_EINVALID,
				      "cannot write '%s' as %s", text,
				      mreg_value_kind_name(kind));
	len = strlen(text);
	if (len > INT_MAX)
		return mreg_error_set(MREG_EINVALID,
				      "cannot write %zu bytes as one string",
				      len);
	return emitted(e, yaml_scalar_event_initialize(&ev, NULL, NULL,
			(yaml_char_t *)text, (int)len, 1, 1, style), &ev);
}

static int emit_node(yaml_emitter_t *e, const struct mreg_value *v)
{
	yaml_event_t ev;
	size_t i;
	int err;

	if (!v)
		return emit_scalar(e, MREG_VALUE_NULL, NULL);
	if (mreg_value_is_scalar(v))
		return emit_scalar(e, v->kind, v->text);
	if (v->kind == MREG_VALUE_SEQ)
		err = emitted(e, yaml_sequence_start_event_initialize(&ev,
				NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE), &ev);
	else
		err = emitted(e, yaml_mapping_start_event_initialize(&ev,
				NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE), &ev);
	for (i = 0; !err && i < v->nr; i++) {
		if (v->kind == MREG_VALUE_MAP &&
		    (err = emit_scalar(e, MREG_VALUE_STRING, v->keys[i])) < 0)
			break;
		err = emit_node(e, v->items[i]);
	}
	if (err)
		return err;
	if (v->kind == MREG_VALUE_SEQ)
		return emitted(e, yaml_sequence_end_event_initialize(&ev), &ev);
	return emitted(e, yaml_mapping_end_event_initialize(&ev), &ev);
}

static int write_out(void *data, unsigned char *buf, size_t size)
{
	strbuf_add(data, buf, size);
	return 1;
}

int mreg_yaml_emit(char **out, size_t *len, const struct mreg_value *v)
{
	struct strbuf sb = STRBUF_INIT;
	yaml_emitter_t e;
	yaml_event_t ev;
	int err;

	*out = NULL;
	if (len)
		*len = 0;
	if (!yaml_emitter_initialize(&e))
		return mreg_error_set(MREG_ERROR, "cannot write YAML: %s",
				      "out of memory");
	yaml_emitter_set_output(&e, write_out, &sb);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);	/* never fold a line */
	yaml_emitter_set_indent(&e, 2);
	yaml_emitter_set_break(&e, YAML_LN_BREAK);
	/* implicit start and end: no "---", no "..." */
	if ((err = emitted(&e, yaml_stream_start_event_initialize(&ev,
				YAML_UTF8_ENCODING), &ev)) < 0 ||
	    (err = emitted(&e, yaml_document_start_event_initialize(&ev,
				NULL, NULL, NULL, 1), &ev)) < 0 ||
	    (err = emit_node(&e, v)) < 0 ||
	    (err = emitted(&e, yaml_document_end_event_initialize(&ev, 1),
			   &ev)) < 0 ||
	    (err = emitted(&e, yaml_stream_end_event_initialize(&ev),
			   &ev)) < 0)
		goto done;
	*out = strbuf_detach(&sb, len);
done:
	yaml_emitter_delete(&e);
	strbuf_release(&sb);
	return err;
}
