/*
 * tempfile.h: the one way mreg writes a file that must appear whole or not
 * at all.  A tempfile is created with mkstemp in the directory it will live
 * in (or in the registry's tmp/), written, fsynced, then renamed or linked
 * into place, and the directory fsynced.  Tempfiles still open when the
 * process exits or is killed by a catchable signal are unlinked.
 */
#ifndef MREG_TEMPFILE_H
#define MREG_TEMPFILE_H

struct tempfile {
	int fd;
	char *path;
	struct tempfile *next;	/* the list the exit handler walks */
};

/* Creates `<dir>/<prefix>XXXXXX` with mode `mode`; NULL with errno on failure. */
struct tempfile *tempfile_create(const char *dir, const char *prefix, int mode);

/* fsync, close and rename over `dest` (atomic), then fsync dest's directory. */
int tempfile_rename(struct tempfile *t, const char *dest);

/*
 * fsync, close and link to `dest`, then unlink the tempfile.  An existing
 * `dest` is left alone and reported by returning 1: objects named by their
 * content are the same whoever wrote them first.
 */
int tempfile_link(struct tempfile *t, const char *dest);

/* Removes the file (if still there) and frees `t`; NULL is fine. */
void tempfile_delete(struct tempfile *t);

/* Registers the handlers; called once by mreg_global_init(). */
void tempfile_setup(void);

#endif
