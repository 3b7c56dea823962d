/*
 * verify.h: the chain checks of `mreg verify`, for reuse where chains are
 * checked before they are accepted (fetch): there the chains, the policy
 * and the versions they name live under another prefix than refs/mreg/.
 */
#ifndef MREG_VERIFY_INTERNAL_H
#define MREG_VERIFY_INTERNAL_H

#include "internal.h"
#include "mreg/model.h"

/* Reads NAME@VERSION from `<prefix>models/NAME/VERSION`, checked as lookup does. */
int model_load_at(struct mreg_model **out, struct mreg_registry *reg,
		  const char *prefix, const char *name, const char *version);

enum chain_kind { CHAIN_ROUTE, CHAIN_STATUS, CHAIN_POLICY };

/*
 * Verifies the chain at `ref` (a route `name`, or the status of
 * `name`/`version`, or a policy) against the policy chain and versions
 * under `prefix` ("refs/mreg-remotes/origin/").  0 if it verifies;
 * MREG_EBADSIG with `*why` (caller frees) and `bad` (41 bytes, "" when no
 * one commit is to blame) otherwise.  With `no_artifacts`, the artifact
 * bytes of the versions named need not be in the store.
 */
int verify_chain_at(char **why, char *bad, struct mreg_registry *reg,
		    const char *prefix, enum chain_kind kind, const char *ref,
		    const char *name, const char *version, int no_artifacts);

#endif
