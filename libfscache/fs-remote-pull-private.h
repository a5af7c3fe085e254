/* fs-remote-pull-private.h: downloading an entry from the remote
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-commit-private.h"
#include "fs-remote-private.h"

G_BEGIN_DECLS

/* Pulls the entry @name from @remote into @store and commits it there:
 * see fs-remote-pull.c. TRUE when the pull ran to its local commit, whose
 * status is out_stats->status: on FS_CACHE_COMMIT_STORED, @out_handle is
 * the committed entry, read-locked, and @out_result its size and digest;
 * on EXISTS (another writer was first), TOO_LARGE or NO_SPACE nothing was
 * kept. FALSE with FS_CACHE_ERROR_MISS when the remote has no entry
 * @name, or with the error that made the pull fail (nothing is kept).
 * @progress (nullable) is called in the calling thread. */
gboolean _fs_remote_pull (FsRemote *remote,
                          FsStore *store,
                          const char *name,
                          FsHandle *out_handle,
                          FsCommitResult *out_result,
                          GFileProgressCallback progress,
                          gpointer progress_data,
                          FsRemoteStats *out_stats,
                          GCancellable *cancellable,
                          GError **error);

/* A load's fallback on a local miss of @name (fs_cache_load_full() with
 * FS_CACHE_LOAD_REMOTE): when @store has a remote, the entry is pulled and
 * committed, and TRUE returned with the entry read-locked in @out, its
 * size and tree digest. FALSE without an error is a miss: no remote, none
 * there, a cache that declines it, or a remote that failed — which is
 * reported once with g_message() naming the remote and the reason, never
 * as an error. FALSE with an error when @cancellable was cancelled, and
 * with the miss of the remote (FS_CACHE_ERROR_MISS, which names both)
 * when it has no such entry. */
gboolean _fs_remote_load (FsStore *store,
                          const char *name,
                          FsHandle *out,
                          guint64 *out_size,
                          char **out_tree_digest,
                          GCancellable *cancellable,
                          GError **error);

G_END_DECLS
