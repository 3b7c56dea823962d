/*
 * name.h: the names mreg turns into refs and paths.  Every name is checked
 * here before anything is written (DESIGN §1).
 */
#ifndef MREG_NAME_H
#define MREG_NAME_H

#define MREG_NAME_MAX 128

/*
 * Model names, versions, route names, component kinds:
 * [A-Za-z0-9][A-Za-z0-9._-]*, at most 128 bytes, no "..", not ending in
 * ".lock" or ".".  `what` names the thing in the message ("model name").
 * Returns 0 or MREG_EINVALID.
 */
int mreg_name_check(const char *what, const char *name);

/*
 * Paths inside a bundle: relative, '/'-separated, no empty, "." or ".."
 * components, no control bytes or backslashes, at most 4096 bytes.
 */
int mreg_path_check(const char *what, const char *path);

#endif
