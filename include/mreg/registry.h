/*
 * registry.h: finding, creating and opening a registry, and its config.
 *
 * A registry is a directory (".mreg" by default) that is a bare git
 * repository plus mreg's artifact store (artifacts/) and in-flight writes
 * (tmp/).  See Documentation/technical/store.adoc.
 */
#ifndef MREG_REGISTRY_H
#define MREG_REGISTRY_H

#include "mreg/mreg.h"

struct mreg_registry;

/*
 * Creates the registry directory `dir` (the directory itself, like
 * `git init --bare`) or brings an existing one up to date.  `*created` is
 * set to 1 for a new registry and 0 for an existing one.
 */
int mreg_registry_init(struct mreg_registry **out, const char *dir, int *created);

/* Opens the registry directory `dir`; MREG_ENOTFOUND if it is not one. */
int mreg_registry_open(struct mreg_registry **out, const char *dir);

/*
 * Finds the registry the way git finds .git: `explicit_dir` (from -R) if
 * given, else $MREG_DIR, else ".mreg" in `start` and each parent.
 */
int mreg_registry_discover(struct mreg_registry **out, const char *explicit_dir,
			   const char *start);

/* Where mreg_registry_discover() would look: the directory, not opened. */
int mreg_registry_locate(char **out, const char *explicit_dir, const char *start);

void mreg_registry_free(struct mreg_registry *reg);

/* The registry directory (absolute), lent. */
const char *mreg_registry_path(const struct mreg_registry *reg);

/* Config: the registry's git config, over the user's global git config. */
int mreg_config_get(char **out, struct mreg_registry *reg, const char *key);
int mreg_config_set(struct mreg_registry *reg, const char *key, const char *value);
int mreg_config_unset(struct mreg_registry *reg, const char *key);

/* Calls `fn` for each config entry, in the order git reads them. */
int mreg_config_foreach(struct mreg_registry *reg,
			int (*fn)(const char *key, const char *value, void *payload),
			void *payload);

#endif
