/* fs-commit-private.h: publishing an anonymous entry under its name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-store-private.h"

G_BEGIN_DECLS

/* Commits the anonymous entry @handle (write-locked, in objects/) as
 * @target_name: see fs-commit.c. TRUE with *@out_status set when the
 * commit went through or was declined (TOO_LARGE, NO_SPACE, EXISTS: the
 * caller discards the entry); FALSE with @error on a failure. On STORED,
 * @handle is the committed entry, read-locked, and *@out_size its size; if
 * syncing it failed after it was published, FALSE is returned with @error
 * all the same, @handle and *@out_status being those of a stored entry. */
gboolean _fs_commit (FsStore *store,
                     FsHandle *handle,
                     const char *target_name,
                     FsCacheCommitStatus *out_status,
                     guint64 *out_size,
                     GCancellable *cancellable,
                     GError **error);

G_END_DECLS
