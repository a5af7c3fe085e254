/* fs-commit-private.h: publishing an anonymous entry under its name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-digest-private.h"
#include "fs-store-private.h"

G_BEGIN_DECLS

/* Commits the anonymous entry @handle (write-locked, in objects/) as
 * @target_name: see fs-commit.c. TRUE with *@out_status set when the
 * commit went through or was declined (TOO_LARGE, NO_SPACE, EXISTS: the
 * caller discards the entry); FALSE with @error on a failure. On STORED,
 * @handle is the committed entry, read-locked, and *@out_size its size; if
 * syncing it failed after it was published, FALSE is returned with @error
 * all the same, @handle and *@out_status being those of a stored entry.
 * @manifest: the manifest of the entry's data/ as it is, when the caller
 * made one while filling it (it is trusted: written as it is); NULL to
 * have the commit build it. */
typedef struct {
  guint64 size;                         /* accounted */
  char tree_digest[FS_DIGEST_HEX_SIZE]; /* of object.manifest */
} FsCommitResult;

gboolean _fs_commit (FsStore *store,
                     FsHandle *handle,
                     const char *target_name,
                     FsCacheManifest *manifest,
                     FsCacheCommitStatus *out_status,
                     FsCommitResult *out_result,
                     GCancellable *cancellable,
                     GError **error);

G_END_DECLS
