/* fs-cache.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(FS_CACHE_INSIDE) && !defined(FS_CACHE_COMPILATION)
#error "Only <fscache.h> can be included directly."
#endif

#include <gio/gio.h>

#include "fs-cache-version.h"
#include "fs-cache-entry.h"
#include "fs-cache-info.h"
#include "fs-cache-item.h"
#include "fs-cache-stats.h"

G_BEGIN_DECLS

#define FS_TYPE_CACHE (fs_cache_get_type ())

FS_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (FsCache, fs_cache, FS, CACHE, GObject)

FS_AVAILABLE_IN_1_0
FsCache *fs_cache_new (const char *app_id,
                       GFile *directory,
                       GCancellable *cancellable,
                       GError **error);
FS_AVAILABLE_IN_1_0
FsCache *fs_cache_new_for_path (const char *app_id,
                                const char *path,
                                GCancellable *cancellable,
                                GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_new_async (const char *app_id,
                         GFile *directory,
                         int io_priority,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data);
FS_AVAILABLE_IN_1_0
FsCache *fs_cache_new_finish (GAsyncResult *result, GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_close (FsCache *self);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_is_closed (FsCache *self);

FS_AVAILABLE_IN_1_0
const char *fs_cache_get_app_id (FsCache *self);
FS_AVAILABLE_IN_1_0
GFile *fs_cache_get_directory (FsCache *self);
FS_AVAILABLE_IN_1_0
const char *fs_cache_get_boot_id (FsCache *self);

/**
 * FsCacheLoadFlags:
 * @FS_CACHE_LOAD_NONE: no flag: fs_cache_load()
 * @FS_CACHE_LOAD_VERIFY: re-hash the entry against its manifest before
 *   returning it (see fs_cache_entry_verify()); an entry that differs, or
 *   has no manifest, is not returned
 * @FS_CACHE_LOAD_REMOTE: on a local miss, pull the entry from the cache's
 *   remote (see fs_cache_pull()) when it has one; a remote that fails makes
 *   the load a miss, never an error
 *
 * Flags of fs_cache_load_full() and fs_cache_load_or_store_full().
 *
 * Since: 1.1
 */
typedef enum /*< flags >*/ {
  FS_CACHE_LOAD_NONE = 0,
  FS_CACHE_LOAD_VERIFY = 1 << 0,
  FS_CACHE_LOAD_REMOTE = 1 << 1,
} FsCacheLoadFlags;

FS_AVAILABLE_IN_1_0
FsCacheEntry *fs_cache_load (FsCache *self,
                             const char *name,
                             GCancellable *cancellable,
                             GError **error);
FS_AVAILABLE_IN_1_1
FsCacheEntry *fs_cache_load_full (FsCache *self,
                                  const char *name,
                                  FsCacheLoadFlags flags,
                                  GCancellable *cancellable,
                                  GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_load_full_async (FsCache *self,
                               const char *name,
                               FsCacheLoadFlags flags,
                               int io_priority,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
FS_AVAILABLE_IN_1_1
FsCacheEntry *fs_cache_load_full_finish (FsCache *self, GAsyncResult *result, GError **error);

FS_AVAILABLE_IN_1_1
gboolean fs_cache_add_manifest (FsCache *self,
                                const char *name,
                                char **out_tree_digest,
                                GCancellable *cancellable,
                                GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_add_manifest_async (FsCache *self,
                                  const char *name,
                                  int io_priority,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
FS_AVAILABLE_IN_1_1
gboolean fs_cache_add_manifest_finish (FsCache *self,
                                       GAsyncResult *result,
                                       char **out_tree_digest,
                                       GError **error);

FS_AVAILABLE_IN_1_0
FsCacheEntry *fs_cache_store (FsCache *self,
                              const char *name,
                              GCancellable *cancellable,
                              GError **error);
FS_AVAILABLE_IN_1_0
FsCacheEntry *fs_cache_stage (FsCache *self, GCancellable *cancellable, GError **error);

FS_DEPRECATED_IN_1_1_FOR (fs_cache_dup_info)
FsCacheInfo *fs_cache_get_info (FsCache *self);
FS_AVAILABLE_IN_1_1
FsCacheInfo *fs_cache_dup_info (FsCache *self, GCancellable *cancellable, GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_dup_info_async (FsCache *self,
                              int io_priority,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data);
FS_AVAILABLE_IN_1_1
FsCacheInfo *fs_cache_dup_info_finish (FsCache *self, GAsyncResult *result, GError **error);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_set_info (FsCache *self,
                            FsCacheInfo *info,
                            GCancellable *cancellable,
                            GError **error);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_set_maximum_size (FsCache *self,
                                    guint64 maximum_size,
                                    GCancellable *cancellable,
                                    GError **error);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_get_usage (FsCache *self,
                             guint64 *out_used,
                             guint64 *out_maximum,
                             GCancellable *cancellable,
                             GError **error);

/**
 * FsCacheMaintenanceFlags:
 * @FS_CACHE_MAINTENANCE_NONE: no flag
 * @FS_CACHE_MAINTENANCE_DRY_RUN: report what would be done, change nothing
 *
 * Flags of fs_cache_prune() and fs_cache_collect_garbage().
 *
 * Since: 1.0
 */
typedef enum /*< flags >*/ {
  FS_CACHE_MAINTENANCE_NONE = 0,
  FS_CACHE_MAINTENANCE_DRY_RUN = 1 << 0,
} FsCacheMaintenanceFlags;

/**
 * FsCacheGcFlags:
 * @FS_CACHE_GC_NONE: no flag
 * @FS_CACHE_GC_DRY_RUN: report what would be done, change nothing
 * @FS_CACHE_GC_WAIT_IDLE: wait, up to a timeout, until nobody else has the
 *   cache open, so that the size counter can be checked
 *
 * Flags of fs_cache_collect_garbage_full().
 *
 * Since: 1.1
 */
typedef enum /*< flags >*/ {
  FS_CACHE_GC_NONE = 0,
  FS_CACHE_GC_DRY_RUN = 1 << 0,
  FS_CACHE_GC_WAIT_IDLE = 1 << 1,
} FsCacheGcFlags;

/**
 * FsCacheStoreFlags:
 * @FS_CACHE_STORE_NONE: copy the source
 * @FS_CACHE_STORE_MOVE: move the source into the entry (a rename) when it is
 *   on the cache's file system; across file systems, copy it and remove the
 *   source once the entry is stored
 * @FS_CACHE_STORE_NO_COPY: with %FS_CACHE_STORE_MOVE, fail with
 *   %G_IO_ERROR_NOT_SUPPORTED instead of copying across file systems
 *
 * Flags of fs_cache_store_tree().
 *
 * Since: 1.0
 */
typedef enum /*< flags >*/ {
  FS_CACHE_STORE_NONE = 0,
  FS_CACHE_STORE_MOVE = 1 << 0,
  FS_CACHE_STORE_NO_COPY = 1 << 1,
} FsCacheStoreFlags;

FS_AVAILABLE_IN_1_0
gboolean fs_cache_store_tree (FsCache *self,
                              const char *name,
                              GFile *source,
                              FsCacheStoreFlags flags,
                              GFileProgressCallback progress,
                              gpointer progress_data,
                              FsCacheCommitStatus *out_status,
                              GCancellable *cancellable,
                              GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_store_tree_async (FsCache *self,
                                const char *name,
                                GFile *source,
                                FsCacheStoreFlags flags,
                                int io_priority,
                                GCancellable *cancellable,
                                GFileProgressCallback progress,
                                gpointer progress_data,
                                GDestroyNotify progress_data_free,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_store_tree_finish (FsCache *self,
                                     GAsyncResult *result,
                                     FsCacheCommitStatus *out_status,
                                     GError **error);

FS_AVAILABLE_IN_1_0
GListModel *fs_cache_list (FsCache *self, GCancellable *cancellable, GError **error);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_remove (FsCache *self,
                          const char *name,
                          GCancellable *cancellable,
                          GError **error);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_prune (FsCache *self,
                         guint64 target_size,
                         FsCacheMaintenanceFlags flags,
                         guint *out_entries,
                         guint64 *out_bytes,
                         GCancellable *cancellable,
                         GError **error);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_collect_garbage (FsCache *self,
                                   FsCacheMaintenanceFlags flags,
                                   guint *out_removed,
                                   guint64 *out_reclaimed,
                                   gint64 *out_correction,
                                   GCancellable *cancellable,
                                   GError **error);
FS_AVAILABLE_IN_1_1
gboolean fs_cache_collect_garbage_full (FsCache *self,
                                        FsCacheGcFlags flags,
                                        int timeout_msec,
                                        guint *out_removed,
                                        guint64 *out_reclaimed,
                                        gint64 *out_correction,
                                        gboolean *out_counter_checked,
                                        GCancellable *cancellable,
                                        GError **error);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_has_other_users (FsCache *self);

FS_AVAILABLE_IN_1_0
void fs_cache_load_async (FsCache *self,
                          const char *name,
                          int io_priority,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data);
FS_AVAILABLE_IN_1_0
FsCacheEntry *fs_cache_load_finish (FsCache *self, GAsyncResult *result, GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_store_async (FsCache *self,
                           const char *name,
                           int io_priority,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data);
FS_AVAILABLE_IN_1_0
FsCacheEntry *fs_cache_store_finish (FsCache *self, GAsyncResult *result, GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_stage_async (FsCache *self,
                           int io_priority,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data);
FS_AVAILABLE_IN_1_0
FsCacheEntry *fs_cache_stage_finish (FsCache *self, GAsyncResult *result, GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_set_info_async (FsCache *self,
                              FsCacheInfo *info,
                              int io_priority,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_set_info_finish (FsCache *self, GAsyncResult *result, GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_set_maximum_size_async (FsCache *self,
                                      guint64 maximum_size,
                                      int io_priority,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_set_maximum_size_finish (FsCache *self, GAsyncResult *result, GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_get_usage_async (FsCache *self,
                               int io_priority,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_get_usage_finish (FsCache *self,
                                    GAsyncResult *result,
                                    guint64 *out_used,
                                    guint64 *out_maximum,
                                    GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_list_async (FsCache *self,
                          int io_priority,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data);
FS_AVAILABLE_IN_1_0
GListModel *fs_cache_list_finish (FsCache *self, GAsyncResult *result, GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_remove_async (FsCache *self,
                            const char *name,
                            int io_priority,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_remove_finish (FsCache *self, GAsyncResult *result, GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_prune_async (FsCache *self,
                           guint64 target_size,
                           FsCacheMaintenanceFlags flags,
                           int io_priority,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_prune_finish (FsCache *self,
                                GAsyncResult *result,
                                guint *out_entries,
                                guint64 *out_bytes,
                                GError **error);
FS_AVAILABLE_IN_1_0
void fs_cache_collect_garbage_async (FsCache *self,
                                     FsCacheMaintenanceFlags flags,
                                     int io_priority,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
FS_AVAILABLE_IN_1_0
gboolean fs_cache_collect_garbage_finish (FsCache *self,
                                          GAsyncResult *result,
                                          guint *out_removed,
                                          guint64 *out_reclaimed,
                                          gint64 *out_correction,
                                          GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_collect_garbage_full_async (FsCache *self,
                                          FsCacheGcFlags flags,
                                          int timeout_msec,
                                          int io_priority,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer user_data);
FS_AVAILABLE_IN_1_1
gboolean fs_cache_collect_garbage_full_finish (FsCache *self,
                                               GAsyncResult *result,
                                               guint *out_removed,
                                               guint64 *out_reclaimed,
                                               gint64 *out_correction,
                                               gboolean *out_counter_checked,
                                               GError **error);

FS_AVAILABLE_IN_1_1
FsCacheTransfer *fs_cache_push (FsCache *self,
                                const char *name,
                                GFileProgressCallback progress,
                                gpointer progress_data,
                                GCancellable *cancellable,
                                GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_push_async (FsCache *self,
                          const char *name,
                          int io_priority,
                          GCancellable *cancellable,
                          GFileProgressCallback progress,
                          gpointer progress_data,
                          GDestroyNotify progress_data_free,
                          GAsyncReadyCallback callback,
                          gpointer user_data);
FS_AVAILABLE_IN_1_1
FsCacheTransfer *fs_cache_push_finish (FsCache *self, GAsyncResult *result, GError **error);
FS_AVAILABLE_IN_1_1
FsCacheTransfer *fs_cache_pull (FsCache *self,
                                const char *name,
                                GFileProgressCallback progress,
                                gpointer progress_data,
                                FsCacheCommitStatus *out_status,
                                GCancellable *cancellable,
                                GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_pull_async (FsCache *self,
                          const char *name,
                          int io_priority,
                          GCancellable *cancellable,
                          GFileProgressCallback progress,
                          gpointer progress_data,
                          GDestroyNotify progress_data_free,
                          GAsyncReadyCallback callback,
                          gpointer user_data);
FS_AVAILABLE_IN_1_1
FsCacheTransfer *fs_cache_pull_finish (FsCache *self,
                                       GAsyncResult *result,
                                       FsCacheCommitStatus *out_status,
                                       GError **error);
/* Management: fs-cache-manage.c, fs-cache-manage-async.c */

FS_AVAILABLE_IN_1_1
FsCacheEntry *fs_cache_load_or_store (FsCache *self,
                                      const char *name,
                                      int timeout_msec,
                                      GCancellable *cancellable,
                                      GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_load_or_store_async (FsCache *self,
                                   const char *name,
                                   int timeout_msec,
                                   int io_priority,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);
FS_AVAILABLE_IN_1_1
FsCacheEntry *fs_cache_load_or_store_finish (FsCache *self, GAsyncResult *result, GError **error);
FS_AVAILABLE_IN_1_1
FsCacheEntry *fs_cache_load_or_store_full (FsCache *self,
                                           const char *name,
                                           FsCacheLoadFlags flags,
                                           int timeout_msec,
                                           GCancellable *cancellable,
                                           GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_load_or_store_full_async (FsCache *self,
                                        const char *name,
                                        FsCacheLoadFlags flags,
                                        int timeout_msec,
                                        int io_priority,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data);
FS_AVAILABLE_IN_1_1
FsCacheEntry *fs_cache_load_or_store_full_finish (FsCache *self,
                                                  GAsyncResult *result,
                                                  GError **error);

FS_AVAILABLE_IN_1_1
FsCacheStats *fs_cache_get_stats (FsCache *self, GCancellable *cancellable, GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_get_stats_async (FsCache *self,
                               int io_priority,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
FS_AVAILABLE_IN_1_1
FsCacheStats *fs_cache_get_stats_finish (FsCache *self, GAsyncResult *result, GError **error);
FS_AVAILABLE_IN_1_1
gboolean fs_cache_zero_stats (FsCache *self, GCancellable *cancellable, GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_zero_stats_async (FsCache *self,
                                int io_priority,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
FS_AVAILABLE_IN_1_1
gboolean fs_cache_zero_stats_finish (FsCache *self, GAsyncResult *result, GError **error);

FS_AVAILABLE_IN_1_1
gboolean fs_cache_pin (FsCache *self,
                       const char *name,
                       gboolean pinned,
                       GCancellable *cancellable,
                       GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_pin_async (FsCache *self,
                         const char *name,
                         gboolean pinned,
                         int io_priority,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data);
FS_AVAILABLE_IN_1_1
gboolean fs_cache_pin_finish (FsCache *self, GAsyncResult *result, GError **error);

FS_AVAILABLE_IN_1_1
FsCacheItem *fs_cache_describe (FsCache *self,
                                const char *name,
                                GCancellable *cancellable,
                                GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_describe_async (FsCache *self,
                              const char *name,
                              int io_priority,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data);
FS_AVAILABLE_IN_1_1
FsCacheItem *fs_cache_describe_finish (FsCache *self, GAsyncResult *result, GError **error);

FS_AVAILABLE_IN_1_1
GListModel *fs_cache_prune_full (FsCache *self,
                                 guint64 target_size,
                                 gint64 max_entries,
                                 GTimeSpan older_than,
                                 FsCacheMaintenanceFlags flags,
                                 GCancellable *cancellable,
                                 GError **error);
FS_AVAILABLE_IN_1_1
void fs_cache_prune_full_async (FsCache *self,
                                guint64 target_size,
                                gint64 max_entries,
                                GTimeSpan older_than,
                                FsCacheMaintenanceFlags flags,
                                int io_priority,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
FS_AVAILABLE_IN_1_1
GListModel *fs_cache_prune_full_finish (FsCache *self, GAsyncResult *result, GError **error);

FS_AVAILABLE_IN_1_0
gboolean fs_cache_name_is_valid (const char *name, GError **error);

FS_AVAILABLE_IN_1_0
char *fs_cache_compute_boot_id (const char *app_id, const char *kernel_boot_id);

G_END_DECLS
