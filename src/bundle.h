/*
 * bundle.h: the canonical bundle document (bundle.yaml) and the views
 * derived from it (model.yaml, metrics.yaml, card.md).  The format is
 * Documentation/technical/store.adoc.
 */
#ifndef MREG_BUNDLE_H
#define MREG_BUNDLE_H

#include "mreg/model.h"
#include "mreg/value.h"

#define BUNDLE_FORMAT "1"

/* A deep copy of `v` with every map sorted by key: canonical order. */
struct mreg_value *bundle_canonical(const struct mreg_value *v);

/* The value tree of one file entry, as bundle.yaml writes it. */
struct mreg_value *bundle_file_value(const struct mreg_file *f);

/* Reads the file entries back out of a bundle document. */
int bundle_files(struct mreg_file **out, size_t *nr, const struct mreg_value *doc);
void bundle_files_free(struct mreg_file *files, size_t nr);

/* The generated views, NUL-terminated, for the caller to free. */
char *bundle_model_yaml(const struct mreg_value *doc);
char *bundle_metrics_yaml(const struct mreg_value *doc);
/* NULL when the bundle has no card. */
char *bundle_card_md(const struct mreg_value *doc);

#endif
