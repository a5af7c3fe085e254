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

/* ---- pins ---- */

typedef struct {
  char *name;
  gboolean pinned;
} PinData;

static void
pin_data_free (gpointer p)
{
  PinData *data = p;

  g_free (data->name);
  g_free (data);
}

static void
pin_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  PinData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_pin (source, data->name, data->pinned, cancellable, &error);

  _fs_task_return_boolean (task, ok, error);
}

/**
 * fs_cache_pin_async:
 * @self: an #FsCache
 * @name: the name of a committed entry
 * @pinned: %TRUE to pin the entry, %FALSE to unpin it
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Pins or unpins an entry without blocking: see fs_cache_pin().
 *
 * Since: 1.1
 */
void
fs_cache_pin_async (FsCache *self,
                    const char *name,
                    gboolean pinned,
                    int io_priority,
                    GCancellable *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer user_data)
{
  PinData *data;

  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);

  data = g_new0 (PinData, 1);
  data->name = g_strdup (name);
  data->pinned = pinned;
  _fs_task_run_in_thread (self, fs_cache_pin_async, io_priority, cancellable, callback, user_data,
                          data, pin_data_free, pin_thread);
}

/**
 * fs_cache_pin_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_pin_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.1
 */
gboolean
fs_cache_pin_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_boolean (self, result, fs_cache_pin_async, error) != NULL;
}

/* ---- one entry described ---- */

static void
describe_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  FsCacheItem *item = fs_cache_describe (source, task_data, cancellable, &error);

  if (item == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, item, g_object_unref);
}

/**
 * fs_cache_describe_async:
 * @self: an #FsCache
 * @name: the name of a committed entry
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Describes an entry without blocking: see fs_cache_describe().
 *
 * Since: 1.1
 */
void
fs_cache_describe_async (FsCache *self,
                         const char *name,
                         int io_priority,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);

  _fs_task_run_in_thread (self, fs_cache_describe_async, io_priority, cancellable, callback,
                          user_data, g_strdup (name), g_free, describe_thread);
}

/**
 * fs_cache_describe_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_describe_async().
 *
 * Returns: (transfer full): the entry's description, or %NULL with @error
 *   set
 *
 * Since: 1.1
 */
FsCacheItem *
fs_cache_describe_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_describe_async, error);
}

/* ---- pruning by size, count and age ---- */

typedef struct {
  guint64 target_size;
  gint64 max_entries;
  GTimeSpan older_than;
  FsCacheMaintenanceFlags flags;
} PruneData;

static void
prune_full_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  PruneData *data = task_data;
  GError *error = NULL;
  GListModel *list = fs_cache_prune_full (source, data->target_size, data->max_entries,
                                          data->older_than, data->flags, cancellable, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, g_object_unref);
}

/**
 * fs_cache_prune_full_async:
 * @self: an #FsCache
 * @target_size: the space the entries may use afterwards, or
 *   %FS_CACHE_SIZE_UNLIMITED
 * @max_entries: how many entries may be left, or -1
 * @older_than: remove the entries not used for this long (microseconds),
 *   or 0
 * @flags: flags
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Prunes the cache without blocking: see fs_cache_prune_full().
 *
 * Since: 1.1
 */
void
fs_cache_prune_full_async (FsCache *self,
                           guint64 target_size,
                           gint64 max_entries,
                           GTimeSpan older_than,
                           FsCacheMaintenanceFlags flags,
                           int io_priority,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  PruneData *data;

  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (older_than >= 0);

  data = g_new0 (PruneData, 1);
  data->target_size = target_size;
  data->max_entries = max_entries;
  data->older_than = older_than;
  data->flags = flags;
  _fs_task_run_in_thread (self, fs_cache_prune_full_async, io_priority, cancellable, callback,
                          user_data, data, g_free, prune_full_thread);
}

/**
 * fs_cache_prune_full_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_prune_full_async().
 *
 * Returns: (transfer full): a list of [class@FsCache.CacheItem], or %NULL
 *   with @error set
 *
 * Since: 1.1
 */
GListModel *
fs_cache_prune_full_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_prune_full_async, error);
}

/* ---- single flight ---- */

typedef struct {
  char *name;
  FsCacheLoadFlags flags;
  int timeout_msec;
} LoadOrStoreData;

static void
load_or_store_data_free (gpointer p)
{
  LoadOrStoreData *data = p;

  g_free (data->name);
  g_free (data);
}

static void
load_or_store_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadOrStoreData *data = task_data;
  GError *error = NULL;
  FsCacheEntry *entry = fs_cache_load_or_store_full (source, data->name, data->flags,
                                                     data->timeout_msec, cancellable, &error);

  _fs_task_return_entry (task, entry, error);
}

static void
load_or_store_start (FsCache *self,
                     gpointer source_tag,
                     const char *name,
                     FsCacheLoadFlags flags,
                     int timeout_msec,
                     int io_priority,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  LoadOrStoreData *data = g_new0 (LoadOrStoreData, 1);

  data->name = g_strdup (name);
  data->flags = flags;
  data->timeout_msec = timeout_msec;
  _fs_task_run_in_thread (self, source_tag, io_priority, cancellable, callback, user_data, data,
                          load_or_store_data_free, load_or_store_thread);
}

/**
 * fs_cache_load_or_store_async:
 * @self: an #FsCache
 * @name: the name of the entry
 * @timeout_msec: how long to wait for another process storing @name, in
 *   milliseconds (-1: until cancelled, 0: not at all)
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Loads an entry or gets one to store, waiting for another builder
 * without blocking: see fs_cache_load_or_store(). The wait runs in a
 * worker thread; cancel @cancellable to stop it.
 *
 * Since: 1.1
 */
void
fs_cache_load_or_store_async (FsCache *self,
                              const char *name,
                              int timeout_msec,
                              int io_priority,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (timeout_msec >= -1);

  load_or_store_start (self, fs_cache_load_or_store_async, name, FS_CACHE_LOAD_NONE, timeout_msec,
                       io_priority, cancellable, callback, user_data);
}

/**
 * fs_cache_load_or_store_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_load_or_store_async().
 *
 * Returns: (transfer full): the loaded entry, or the entry to fill and
 *   commit; %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheEntry *
fs_cache_load_or_store_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_load_or_store_async, error);
}

/**
 * fs_cache_load_or_store_full_async:
 * @self: an #FsCache
 * @name: the name of the entry
 * @flags: #FsCacheLoadFlags
 * @timeout_msec: how long to wait for another process storing or pulling
 *   @name, in milliseconds (-1: until cancelled, 0: not at all)
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Loads an entry, pulls it or gets one to store, without blocking: see
 * fs_cache_load_or_store_full(). The wait and the pull run in a worker
 * thread; cancel @cancellable to stop them.
 *
 * Since: 1.1
 */
void
fs_cache_load_or_store_full_async (FsCache *self,
                                   const char *name,
                                   FsCacheLoadFlags flags,
                                   int timeout_msec,
                                   int io_priority,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (timeout_msec >= -1);

  load_or_store_start (self, fs_cache_load_or_store_full_async, name, flags, timeout_msec,
                       io_priority, cancellable, callback, user_data);
}

/**
 * fs_cache_load_or_store_full_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_load_or_store_full_async().
 *
 * Returns: (transfer full): the loaded entry, or the entry to fill and
 *   commit; %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheEntry *
fs_cache_load_or_store_full_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_load_or_store_full_async, error);
}
