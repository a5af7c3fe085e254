/* fs-import-private.h: filling an anonymous entry from a tree outside the cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fs-store-private.h"

G_BEGIN_DECLS

typedef struct {
  /* With FS_CACHE_STORE_MOVE, renamed in: where it came from, and where it
   * is in the entry (below data/; "" for data/ itself), so that it can go
   * back if the entry is not stored. NULL when copied. */
  char *moved_from;
  char *moved_child;
  /* Copied across file systems with FS_CACHE_STORE_MOVE: the source, to
   * remove once the entry is stored. */
  char *copied_from;
  /* The manifest of the copy, made while copying (one read of each file);
   * NULL when moved in (the commit builds it). */
  FsCacheManifest *manifest;
} FsImportResult;

void _fs_import_result_clear (FsImportResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FsImportResult, _fs_import_result_clear)

/* Fills the anonymous entry @handle with the tree at @source (see
 * fs_cache_store_tree()): a directory's contents become data/, a file or
 * symlink becomes data/BASENAME; copied, or renamed in with
 * FS_CACHE_STORE_MOVE. */
gboolean _fs_import_tree (FsStore *store,
                          FsHandle *handle,
                          const char *source,
                          FsCacheStoreFlags flags,
                          GFileProgressCallback progress,
                          gpointer progress_data,
                          FsImportResult *out_result,
                          GCancellable *cancellable,
                          GError **error);

G_END_DECLS
