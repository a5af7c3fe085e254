/* fs-cache-entry.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(FS_CACHE_INSIDE) && !defined(FS_CACHE_COMPILATION)
#error "Only <fscache.h> can be included directly."
#endif

#include <gio/gio.h>

#include "fs-cache-manifest.h"
#include "fs-cache-version.h"

G_BEGIN_DECLS

/**
 * FsCacheEntryKind:
 * @FS_CACHE_ENTRY_KIND_LOADED: a committed entry, read-locked: from
 *   fs_cache_load(), or a stored entry after a commit that returned
 *   %FS_CACHE_COMMIT_STORED
 * @FS_CACHE_ENTRY_KIND_STORING: an anonymous entry from fs_cache_store(),
 *   write-locked, to fill and then commit
 * @FS_CACHE_ENTRY_KIND_STAGED: a volatile anonymous entry from
 *   fs_cache_stage(), discarded when released
 *
 * What an [class@FsCache.CacheEntry] is.
 *
 * Since: 1.0
 */
typedef enum {
  FS_CACHE_ENTRY_KIND_LOADED,
  FS_CACHE_ENTRY_KIND_STORING,
  FS_CACHE_ENTRY_KIND_STAGED,
} FsCacheEntryKind;

/**
 * FsCacheCommitStatus:
 * @FS_CACHE_COMMIT_STORED: the entry is committed under its name; the
 *   entry object now read-locks it like a loaded entry
 * @FS_CACHE_COMMIT_EXISTS: an entry of that name already exists (another
 *   writer won); the data was discarded
 * @FS_CACHE_COMMIT_TOO_LARGE: the entry is larger than the maximum size of
 *   the cache, or the maximum size is 0 (not set); the data was discarded
 * @FS_CACHE_COMMIT_NO_SPACE: the entry fits under the maximum size, but not
 *   with the entries the cache holds now; the data was discarded
 * @FS_CACHE_COMMIT_INCOMPATIBLE: the cache has an on-disk version this
 *   library does not support, so the entry was only staged; the data was
 *   discarded
 *
 * What fs_cache_entry_commit() did. None of these is an error: a cache may
 * always decline to keep an entry.
 *
 * Since: 1.0
 */
typedef enum {
  FS_CACHE_COMMIT_STORED,
  FS_CACHE_COMMIT_EXISTS,
  FS_CACHE_COMMIT_TOO_LARGE,
  FS_CACHE_COMMIT_NO_SPACE,
  FS_CACHE_COMMIT_INCOMPATIBLE,
} FsCacheCommitStatus;

#define FS_TYPE_CACHE_ENTRY (fs_cache_entry_get_type ())

FS_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (FsCacheEntry, fs_cache_entry, FS, CACHE_ENTRY, GObject)

typedef struct _FsCacheTransfer FsCacheTransfer;

FS_AVAILABLE_IN_1_0
const char *fs_cache_entry_get_name (FsCacheEntry *self);
FS_AVAILABLE_IN_1_0
FsCacheEntryKind fs_cache_entry_get_kind (FsCacheEntry *self);
FS_AVAILABLE_IN_1_0
GFile *fs_cache_entry_get_file (FsCacheEntry *self);
FS_AVAILABLE_IN_1_0
const char *fs_cache_entry_get_path (FsCacheEntry *self);
FS_AVAILABLE_IN_1_0
guint64 fs_cache_entry_get_size (FsCacheEntry *self);
FS_AVAILABLE_IN_1_0
GDateTime *fs_cache_entry_get_last_used (FsCacheEntry *self);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_entry_is_released (FsCacheEntry *self);
FS_AVAILABLE_IN_1_1
const char *fs_cache_entry_get_tree_digest (FsCacheEntry *self);

FS_AVAILABLE_IN_1_1
FsCacheManifest *fs_cache_entry_read_manifest (FsCacheEntry *self,
                                               GCancellable *cancellable,
                                               GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_entry_read_manifest_async (FsCacheEntry *self,
                                         int io_priority,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer user_data);
FS_AVAILABLE_IN_1_1
FsCacheManifest *fs_cache_entry_read_manifest_finish (FsCacheEntry *self,
                                                      GAsyncResult *result,
                                                      GError **error);

FS_AVAILABLE_IN_1_1
gboolean fs_cache_entry_verify (FsCacheEntry *self,
                                GListModel **out_differences,
                                GCancellable *cancellable,
                                GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_entry_verify_async (FsCacheEntry *self,
                                  int io_priority,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
FS_AVAILABLE_IN_1_1
gboolean fs_cache_entry_verify_finish (FsCacheEntry *self,
                                       GAsyncResult *result,
                                       GListModel **out_differences,
                                       GError **error);

FS_AVAILABLE_IN_1_1
GListModel *fs_cache_entry_list_differences (FsCacheEntry *self,
                                             GFileProgressCallback progress,
                                             gpointer progress_data,
                                             GCancellable *cancellable,
                                             GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_entry_list_differences_async (FsCacheEntry *self,
                                            int io_priority,
                                            GCancellable *cancellable,
                                            GFileProgressCallback progress,
                                            gpointer progress_data,
                                            GDestroyNotify progress_data_free,
                                            GAsyncReadyCallback callback,
                                            gpointer user_data);
FS_AVAILABLE_IN_1_1
GListModel *fs_cache_entry_list_differences_finish (FsCacheEntry *self,
                                                    GAsyncResult *result,
                                                    GError **error);

FS_AVAILABLE_IN_1_0
gboolean fs_cache_entry_commit (FsCacheEntry *self,
                                FsCacheCommitStatus *out_status,
                                GCancellable *cancellable,
                                GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_entry_commit_async (FsCacheEntry *self,
                                  int io_priority,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_entry_commit_finish (FsCacheEntry *self,
                                       GAsyncResult *result,
                                       FsCacheCommitStatus *out_status,
                                       GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_entry_release (FsCacheEntry *self);
FS_AVAILABLE_IN_1_0
void fs_cache_entry_release_async (FsCacheEntry *self,
                                   int io_priority,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_entry_release_finish (FsCacheEntry *self, GAsyncResult *result, GError **error);

/**
 * FsCacheExportFlags:
 * @FS_CACHE_EXPORT_NONE: no flag
 *
 * Flags of fs_cache_entry_export().
 *
 * Since: 1.1
 */
typedef enum /*< flags >*/ {
  FS_CACHE_EXPORT_NONE = 0,
} FsCacheExportFlags;

FS_AVAILABLE_IN_1_1
gboolean fs_cache_entry_export (FsCacheEntry *self,
                                GFile *destination,
                                FsCacheExportFlags flags,
                                GFileProgressCallback progress,
                                gpointer progress_data,
                                GCancellable *cancellable,
                                GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_entry_export_async (FsCacheEntry *self,
                                  GFile *destination,
                                  FsCacheExportFlags flags,
                                  int io_priority,
                                  GCancellable *cancellable,
                                  GFileProgressCallback progress,
                                  gpointer progress_data,
                                  GDestroyNotify progress_data_free,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
FS_AVAILABLE_IN_1_1
gboolean fs_cache_entry_export_finish (FsCacheEntry *self, GAsyncResult *result, GError **error);

FS_AVAILABLE_IN_1_1
FsCacheTransfer *fs_cache_entry_push (FsCacheEntry *self,
                                      GFileProgressCallback progress,
                                      gpointer progress_data,
                                      GCancellable *cancellable,
                                      GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_entry_push_async (FsCacheEntry *self,
                                int io_priority,
                                GCancellable *cancellable,
                                GFileProgressCallback progress,
                                gpointer progress_data,
                                GDestroyNotify progress_data_free,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
FS_AVAILABLE_IN_1_1
FsCacheTransfer *fs_cache_entry_push_finish (FsCacheEntry *self,
                                             GAsyncResult *result,
                                             GError **error);

G_END_DECLS
