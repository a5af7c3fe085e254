/* fs-remote-push-private.h: uploading a committed entry to the remote
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-remote-private.h"

G_BEGIN_DECLS

/* Pushes the committed entry @handle (read-locked by the caller), named
 * @name, with the tree digest @tree_digest of its object.info (NULL: it
 * has no manifest, which fails with FS_CACHE_ERROR_NO_MANIFEST): see
 * fs-remote-push.c. FS_CACHE_ERROR_NO_REMOTE for a read-only remote.
 * @progress (nullable) is called in the calling thread. */
gboolean _fs_remote_push (FsRemote *remote,
                          FsStore *store,
                          const FsHandle *handle,
                          const char *name,
                          const char *tree_digest,
                          GFileProgressCallback progress,
                          gpointer progress_data,
                          FsRemoteStats *out_stats,
                          GCancellable *cancellable,
                          GError **error);

G_END_DECLS
