/* fs-cache-manage-async.c: the asynchronous face of fs-cache-manage.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each _async call runs its synchronous call in a worker thread through
 * fs-task.c, as fs-cache-async.c does for the rest of FsCache.
 */

#include "config.h"

#include "fs-cache-private.h"
#include "fs-task-private.h"

/* ---- statistics ---- */

static void
get_stats_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  FsCacheStats *stats = fs_cache_get_stats (source, cancellable, &error);

  if (stats == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, stats, g_object_unref);
}

/**
 * fs_cache_get_stats_async:
 * @self: an #FsCache
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Reads the statistics of the cache without blocking: see
 * fs_cache_get_stats().
 *
 * Since: 1.1
 */
void
fs_cache_get_stats_async (FsCache *self,
                          int io_priority,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));

  _fs_task_run_in_thread (self, fs_cache_get_stats_async, io_priority, cancellable, callback,
                          user_data, NULL, NULL, get_stats_thread);
}

/**
 * fs_cache_get_stats_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_get_stats_async().
 *
 * Returns: (transfer full): the statistics, or %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheStats *
fs_cache_get_stats_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_get_stats_async, error);
}

static void
zero_stats_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  gboolean ok = fs_cache_zero_stats (source, cancellable, &error);

  _fs_task_return_boolean (task, ok, error);
}

/**
 * fs_cache_zero_stats_async:
 * @self: an #FsCache
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Zeroes the statistics of the cache without blocking: see
 * fs_cache_zero_stats().
 *
 * Since: 1.1
 */
void
fs_cache_zero_stats_async (FsCache *self,
                           int io_priority,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));

  _fs_task_run_in_thread (self, fs_cache_zero_stats_async, io_priority, cancellable, callback,
                          user_data, NULL, NULL, zero_stats_thread);
}

/**
 * fs_cache_zero_stats_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_zero_stats_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.1
 */
gboolean
fs_cache_zero_stats_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_zero_stats_async,
                        FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
