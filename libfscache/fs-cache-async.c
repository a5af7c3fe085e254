/* fs-cache-async.c: the asynchronous face of FsCache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every call that touches the disk has an _async/_finish pair with the
 * semantics of the synchronous call, which is the source of truth: the
 * pair runs it in a worker thread of GTask (GIO's convention: a task with
 * its source tag and priority, typed task data with its free function,
 * g_task_is_valid() in finish). The shape repeats, so one helper of
 * fs-task.c, _fs_task_run_in_thread(), makes every task, and
 * _fs_task_finish_boolean() checks every result. Results that own a lock (entries) are returned
 * with their destroy function, so a result nobody finishes, or one whose task was cancelled
 * meanwhile, releases its entry.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fs-cache-private.h"
#include "fs-task-private.h"

/* ---- opening ---- */

/**
 * fs_cache_new_async:
 * @app_id: the application id of the caller
 * @directory: the cache directory
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the cache is open
 * @user_data: data for @callback
 *
 * Opens the cache in @directory without blocking: see fs_cache_new().
 *
 * Since: 1.0
 */
void
fs_cache_new_async (const char *app_id,
                    GFile *directory,
                    int io_priority,
                    GCancellable *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer user_data)
{
  g_return_if_fail (app_id != NULL);
  g_return_if_fail (G_IS_FILE (directory));

  /* GAsyncInitable's default implementation runs GInitable's init in a
   * worker thread, which is exactly what an asynchronous open should do. */
  g_async_initable_new_async (FS_TYPE_CACHE, io_priority, cancellable, callback, user_data,
                              "app-id", app_id, "directory", directory, NULL);
}

/**
 * fs_cache_new_finish:
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_new_async().
 *
 * Returns: (transfer full): the open cache, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCache *
fs_cache_new_finish (GAsyncResult *result, GError **error)
{
  g_autoptr (GObject) source = g_async_result_get_source_object (result);
  GObject *object;

  object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);
  return object != NULL ? FS_CACHE (object) : NULL;
}

/* ---- load, store, stage ---- */

typedef struct {
  char *name;
} NameData;

static void
name_data_free (gpointer p)
{
  NameData *data = p;

  g_free (data->name);
  g_free (data);
}

static NameData *
name_data_new (const char *name)
{
  NameData *data = g_new0 (NameData, 1);

  data->name = g_strdup (name);
  return data;
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  NameData *data = task_data;
  GError *error = NULL;
  FsCacheEntry *entry = fs_cache_load (source, data->name, cancellable, &error);

  _fs_task_return_entry (task, entry, error);
}

/**
 * fs_cache_load_async:
 * @self: an #FsCache
 * @name: the name of the entry
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Loads an entry without blocking: see fs_cache_load().
 *
 * Since: 1.0
 */
void
fs_cache_load_async (FsCache *self,
                     const char *name,
                     int io_priority,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);

  _fs_task_run_in_thread (self, fs_cache_load_async, io_priority, cancellable, callback, user_data,
                          name_data_new (name), name_data_free, load_thread);
}

/**
 * fs_cache_load_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_load_async().
 *
 * Returns: (transfer full): the loaded entry, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCacheEntry *
fs_cache_load_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_load_async, error);
}

typedef struct {
  char *name;
  FsCacheLoadFlags flags;
} LoadData;

static void
load_data_free (gpointer p)
{
  LoadData *data = p;

  g_free (data->name);
  g_free (data);
}

static void
load_full_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadData *data = task_data;
  GError *error = NULL;
  FsCacheEntry *entry = fs_cache_load_full (source, data->name, data->flags, cancellable, &error);

  _fs_task_return_entry (task, entry, error);
}

/**
 * fs_cache_load_full_async:
 * @self: an #FsCache
 * @name: the name of the entry
 * @flags: flags
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Loads an entry without blocking: see fs_cache_load_full().
 *
 * Since: 1.1
 */
void
fs_cache_load_full_async (FsCache *self,
                          const char *name,
                          FsCacheLoadFlags flags,
                          int io_priority,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  LoadData *data;

  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);

  data = g_new0 (LoadData, 1);
  data->name = g_strdup (name);
  data->flags = flags;
  _fs_task_run_in_thread (self, fs_cache_load_full_async, io_priority, cancellable, callback,
                          user_data, data, load_data_free, load_full_thread);
}

/**
 * fs_cache_load_full_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_load_full_async().
 *
 * Returns: (transfer full): the loaded entry, or %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheEntry *
fs_cache_load_full_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_load_full_async, error);
}

typedef struct {
  char *name;
  char *tree_digest;
} AddManifestData;

static void
add_manifest_data_free (gpointer p)
{
  AddManifestData *data = p;

  g_free (data->name);
  g_free (data->tree_digest);
  g_free (data);
}

static void
add_manifest_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AddManifestData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_add_manifest (source, data->name, &data->tree_digest, cancellable, &error);

  _fs_task_return_boolean (task, ok, error);
}

/**
 * fs_cache_add_manifest_async:
 * @self: an #FsCache
 * @name: the name of a committed entry
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Gives an entry a manifest without blocking: see fs_cache_add_manifest().
 *
 * Since: 1.1
 */
void
fs_cache_add_manifest_async (FsCache *self,
                             const char *name,
                             int io_priority,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  AddManifestData *data;

  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);

  data = g_new0 (AddManifestData, 1);
  data->name = g_strdup (name);
  _fs_task_run_in_thread (self, fs_cache_add_manifest_async, io_priority, cancellable, callback,
                          user_data, data, add_manifest_data_free, add_manifest_thread);
}

/**
 * fs_cache_add_manifest_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @out_tree_digest: (out) (optional) (transfer full): the entry's tree digest
 * @error: return location for a #GError
 *
 * Finishes fs_cache_add_manifest_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.1
 */
gboolean
fs_cache_add_manifest_finish (FsCache *self,
                              GAsyncResult *result,
                              char **out_tree_digest,
                              GError **error)
{
  AddManifestData *data =
    _fs_task_finish_boolean (self, result, fs_cache_add_manifest_async, error);

  if (data == NULL)
    return FALSE;
  if (out_tree_digest != NULL)
    *out_tree_digest = g_strdup (data->tree_digest);
  return TRUE;
}

static void
store_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  NameData *data = task_data;
  GError *error = NULL;
  FsCacheEntry *entry = fs_cache_store (source, data->name, cancellable, &error);

  _fs_task_return_entry (task, entry, error);
}

/**
 * fs_cache_store_async:
 * @self: an #FsCache
 * @name: the name to commit the entry under
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Creates an entry to store without blocking: see fs_cache_store().
 *
 * Since: 1.0
 */
void
fs_cache_store_async (FsCache *self,
                      const char *name,
                      int io_priority,
                      GCancellable *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);

  _fs_task_run_in_thread (self, fs_cache_store_async, io_priority, cancellable, callback, user_data,
                          name_data_new (name), name_data_free, store_thread);
}

/**
 * fs_cache_store_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_store_async().
 *
 * Returns: (transfer full): the new entry, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCacheEntry *
fs_cache_store_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_store_async, error);
}

static void
stage_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  FsCacheEntry *entry = fs_cache_stage (source, cancellable, &error);

  _fs_task_return_entry (task, entry, error);
}

/**
 * fs_cache_stage_async:
 * @self: an #FsCache
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Creates a staging entry without blocking: see fs_cache_stage().
 *
 * Since: 1.0
 */
void
fs_cache_stage_async (FsCache *self,
                      int io_priority,
                      GCancellable *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));

  _fs_task_run_in_thread (self, fs_cache_stage_async, io_priority, cancellable, callback, user_data,
                          NULL, NULL, stage_thread);
}

/**
 * fs_cache_stage_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_stage_async().
 *
 * Returns: (transfer full): the new entry, or %NULL with @error set
 *
 * Since: 1.0
 */
FsCacheEntry *
fs_cache_stage_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_stage_async, error);
}

/* ---- configuration and usage ---- */

static void
set_info_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  gboolean ok = fs_cache_set_info (source, task_data, cancellable, &error);

  _fs_task_return_boolean (task, ok, error);
}

/**
 * fs_cache_set_info_async:
 * @self: an #FsCache
 * @info: the fields to change
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Changes the configuration without blocking: see fs_cache_set_info().
 *
 * Since: 1.0
 */
void
fs_cache_set_info_async (FsCache *self,
                         FsCacheInfo *info,
                         int io_priority,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (info != NULL);

  /* A copy: the caller may change @info once this returns. */
  _fs_task_run_in_thread (self, fs_cache_set_info_async, io_priority, cancellable, callback,
                          user_data, fs_cache_info_copy (info),
                          (GDestroyNotify) fs_cache_info_unref, set_info_thread);
}

/**
 * fs_cache_set_info_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_set_info_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_set_info_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_boolean (self, result, fs_cache_set_info_async, error) != NULL;
}

static void
dup_info_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  FsCacheInfo *info = fs_cache_dup_info (source, cancellable, &error);

  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify) fs_cache_info_unref);
}

/**
 * fs_cache_dup_info_async:
 * @self: an #FsCache
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Reads the configuration without blocking: see fs_cache_dup_info().
 *
 * Since: 1.1
 */
void
fs_cache_dup_info_async (FsCache *self,
                         int io_priority,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));

  _fs_task_run_in_thread (self, fs_cache_dup_info_async, io_priority, cancellable, callback,
                          user_data, NULL, NULL, dup_info_thread);
}

/**
 * fs_cache_dup_info_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_dup_info_async().
 *
 * Returns: (transfer full): a copy of the configuration, or %NULL with
 *   @error set
 *
 * Since: 1.1
 */
FsCacheInfo *
fs_cache_dup_info_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_dup_info_async, error);
}

typedef struct {
  guint64 maximum_size;
} SetMaximumData;

static void
set_maximum_size_thread (GTask *task,
                         gpointer source,
                         gpointer task_data,
                         GCancellable *cancellable)
{
  SetMaximumData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_set_maximum_size (source, data->maximum_size, cancellable, &error);

  _fs_task_return_boolean (task, ok, error);
}

/**
 * fs_cache_set_maximum_size_async:
 * @self: an #FsCache
 * @maximum_size: bytes, or %FS_CACHE_SIZE_UNLIMITED
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Sets the maximum size without blocking: see fs_cache_set_maximum_size().
 *
 * Since: 1.0
 */
void
fs_cache_set_maximum_size_async (FsCache *self,
                                 guint64 maximum_size,
                                 int io_priority,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  SetMaximumData *data;

  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (maximum_size <= G_MAXINT64 || maximum_size == FS_CACHE_SIZE_UNLIMITED);

  data = g_new0 (SetMaximumData, 1);
  data->maximum_size = maximum_size;
  _fs_task_run_in_thread (self, fs_cache_set_maximum_size_async, io_priority, cancellable, callback,
                          user_data, data, g_free, set_maximum_size_thread);
}

/**
 * fs_cache_set_maximum_size_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_set_maximum_size_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_set_maximum_size_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_boolean (self, result, fs_cache_set_maximum_size_async, error) != NULL;
}

typedef struct {
  guint64 used;
  guint64 maximum;
} UsageData;

static void
get_usage_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  UsageData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_get_usage (source, &data->used, &data->maximum, cancellable, &error);

  _fs_task_return_boolean (task, ok, error);
}

/**
 * fs_cache_get_usage_async:
 * @self: an #FsCache
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Reads the usage without blocking: see fs_cache_get_usage().
 *
 * Since: 1.0
 */
void
fs_cache_get_usage_async (FsCache *self,
                          int io_priority,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));

  _fs_task_run_in_thread (self, fs_cache_get_usage_async, io_priority, cancellable, callback,
                          user_data, g_new0 (UsageData, 1), g_free, get_usage_thread);
}

/**
 * fs_cache_get_usage_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @out_used: (out) (optional): the space used by the committed entries
 * @out_maximum: (out) (optional): the maximum size
 * @error: return location for a #GError
 *
 * Finishes fs_cache_get_usage_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_get_usage_finish (FsCache *self,
                           GAsyncResult *result,
                           guint64 *out_used,
                           guint64 *out_maximum,
                           GError **error)
{
  UsageData *data = _fs_task_finish_boolean (self, result, fs_cache_get_usage_async, error);

  if (data == NULL)
    return FALSE;
  if (out_used != NULL)
    *out_used = data->used;
  if (out_maximum != NULL)
    *out_maximum = data->maximum;
  return TRUE;
}

/* ---- management ---- */

static void
list_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GListModel *list = fs_cache_list (source, cancellable, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, g_object_unref);
}

/**
 * fs_cache_list_async:
 * @self: an #FsCache
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Lists the committed entries without blocking: see fs_cache_list().
 *
 * Since: 1.0
 */
void
fs_cache_list_async (FsCache *self,
                     int io_priority,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));

  _fs_task_run_in_thread (self, fs_cache_list_async, io_priority, cancellable, callback, user_data,
                          NULL, NULL, list_thread);
}

/**
 * fs_cache_list_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_list_async().
 *
 * Returns: (transfer full): a list of [class@FsCache.CacheItem], or %NULL
 *   with @error set
 *
 * Since: 1.0
 */
GListModel *
fs_cache_list_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_list_async, error);
}

static void
remove_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  NameData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_remove (source, data->name, cancellable, &error);

  _fs_task_return_boolean (task, ok, error);
}

/**
 * fs_cache_remove_async:
 * @self: an #FsCache
 * @name: the name of a committed entry
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Removes an entry without blocking: see fs_cache_remove().
 *
 * Since: 1.0
 */
void
fs_cache_remove_async (FsCache *self,
                       const char *name,
                       int io_priority,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);

  _fs_task_run_in_thread (self, fs_cache_remove_async, io_priority, cancellable, callback,
                          user_data, name_data_new (name), name_data_free, remove_thread);
}

/**
 * fs_cache_remove_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_remove_async().
 *
 * Returns: %TRUE if the entry was removed
 *
 * Since: 1.0
 */
gboolean
fs_cache_remove_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_boolean (self, result, fs_cache_remove_async, error) != NULL;
}

typedef struct {
  guint64 target_size;
  FsCacheMaintenanceFlags flags;
  guint entries;
  guint64 bytes;
} PruneData;

static void
prune_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  PruneData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_prune (source, data->target_size, data->flags, &data->entries,
                                &data->bytes, cancellable, &error);

  _fs_task_return_boolean (task, ok, error);
}

/**
 * fs_cache_prune_async:
 * @self: an #FsCache
 * @target_size: the space the committed entries may use afterwards
 * @flags: flags
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Prunes the cache without blocking: see fs_cache_prune().
 *
 * Since: 1.0
 */
void
fs_cache_prune_async (FsCache *self,
                      guint64 target_size,
                      FsCacheMaintenanceFlags flags,
                      int io_priority,
                      GCancellable *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer user_data)
{
  PruneData *data;

  g_return_if_fail (FS_IS_CACHE (self));

  data = g_new0 (PruneData, 1);
  data->target_size = target_size;
  data->flags = flags;
  _fs_task_run_in_thread (self, fs_cache_prune_async, io_priority, cancellable, callback, user_data,
                          data, g_free, prune_thread);
}

/**
 * fs_cache_prune_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @out_entries: (out) (optional): how many entries were evicted
 * @out_bytes: (out) (optional): how many bytes they held
 * @error: return location for a #GError
 *
 * Finishes fs_cache_prune_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_prune_finish (FsCache *self,
                       GAsyncResult *result,
                       guint *out_entries,
                       guint64 *out_bytes,
                       GError **error)
{
  PruneData *data = _fs_task_finish_boolean (self, result, fs_cache_prune_async, error);

  if (data == NULL)
    return FALSE;
  if (out_entries != NULL)
    *out_entries = data->entries;
  if (out_bytes != NULL)
    *out_bytes = data->bytes;
  return TRUE;
}

typedef struct {
  FsCacheGcFlags flags;
  int timeout_msec;
  guint removed;
  guint64 reclaimed;
  gint64 correction;
  gboolean counter_checked;
} GcData;

static void
collect_garbage_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GcData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_collect_garbage_full (source, data->flags, data->timeout_msec,
                                               &data->removed, &data->reclaimed, &data->correction,
                                               &data->counter_checked, cancellable, &error);

  _fs_task_return_boolean (task, ok, error);
}

static void
collect_garbage_in_thread (FsCache *self,
                           gpointer source_tag,
                           FsCacheGcFlags flags,
                           int timeout_msec,
                           int io_priority,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GcData *data = g_new0 (GcData, 1);

  data->flags = flags;
  data->timeout_msec = timeout_msec;
  _fs_task_run_in_thread (self, source_tag, io_priority, cancellable, callback, user_data, data,
                          g_free, collect_garbage_thread);
}

/**
 * fs_cache_collect_garbage_async:
 * @self: an #FsCache
 * @flags: flags
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Collects garbage without blocking: see fs_cache_collect_garbage().
 *
 * Since: 1.0
 */
void
fs_cache_collect_garbage_async (FsCache *self,
                                FsCacheMaintenanceFlags flags,
                                int io_priority,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));

  collect_garbage_in_thread (self, fs_cache_collect_garbage_async,
                             (flags & FS_CACHE_MAINTENANCE_DRY_RUN) ? FS_CACHE_GC_DRY_RUN
                                                                    : FS_CACHE_GC_NONE,
                             0, io_priority, cancellable, callback, user_data);
}

/**
 * fs_cache_collect_garbage_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @out_removed: (out) (optional): how many leftovers were removed
 * @out_reclaimed: (out) (optional): the space they used
 * @out_correction: (out) (optional): by how much the size counter was corrected
 * @error: return location for a #GError
 *
 * Finishes fs_cache_collect_garbage_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_collect_garbage_finish (FsCache *self,
                                 GAsyncResult *result,
                                 guint *out_removed,
                                 guint64 *out_reclaimed,
                                 gint64 *out_correction,
                                 GError **error)
{
  GcData *data = _fs_task_finish_boolean (self, result, fs_cache_collect_garbage_async, error);

  if (data == NULL)
    return FALSE;
  if (out_removed != NULL)
    *out_removed = data->removed;
  if (out_reclaimed != NULL)
    *out_reclaimed = data->reclaimed;
  if (out_correction != NULL)
    *out_correction = data->correction;
  return TRUE;
}

/**
 * fs_cache_collect_garbage_full_async:
 * @self: an #FsCache
 * @flags: flags
 * @timeout_msec: with %FS_CACHE_GC_WAIT_IDLE, how long to wait for the
 *   cache to be idle, in milliseconds, or -1 to wait until @cancellable is
 *   cancelled
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Collects garbage without blocking: see fs_cache_collect_garbage_full().
 * The wait for an idle cache happens in a worker thread too.
 *
 * Since: 1.1
 */
void
fs_cache_collect_garbage_full_async (FsCache *self,
                                     FsCacheGcFlags flags,
                                     int timeout_msec,
                                     int io_priority,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (timeout_msec >= -1);

  collect_garbage_in_thread (self, fs_cache_collect_garbage_full_async, flags, timeout_msec,
                             io_priority, cancellable, callback, user_data);
}

/**
 * fs_cache_collect_garbage_full_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @out_removed: (out) (optional): how many leftovers were (or would be) removed
 * @out_reclaimed: (out) (optional): the space they used, in bytes
 * @out_correction: (out) (optional): by how much the size counter was (or
 *   would be) corrected, in bytes
 * @out_counter_checked: (out) (optional): whether the size counter was
 *   checked against the entries
 * @error: return location for a #GError
 *
 * Finishes fs_cache_collect_garbage_full_async().
 *
 * Returns: %TRUE on success
 *
 * Since: 1.1
 */
gboolean
fs_cache_collect_garbage_full_finish (FsCache *self,
                                      GAsyncResult *result,
                                      guint *out_removed,
                                      guint64 *out_reclaimed,
                                      gint64 *out_correction,
                                      gboolean *out_counter_checked,
                                      GError **error)
{
  GcData *data = _fs_task_finish_boolean (self, result, fs_cache_collect_garbage_full_async, error);

  if (data == NULL)
    return FALSE;
  if (out_removed != NULL)
    *out_removed = data->removed;
  if (out_reclaimed != NULL)
    *out_reclaimed = data->reclaimed;
  if (out_correction != NULL)
    *out_correction = data->correction;
  if (out_counter_checked != NULL)
    *out_counter_checked = data->counter_checked;
  return TRUE;
}

/* ---- copies with progress in the caller's context: store_tree, export ---- */

typedef struct {
  FsProgressRelay relay;
  char *name;
  GFile *source;
  FsCacheStoreFlags flags;
  FsCacheCommitStatus status;
} StoreTreeData;

static void
store_tree_data_free (gpointer p)
{
  StoreTreeData *data = p;

  g_free (data->name);
  g_clear_object (&data->source);
  _fs_progress_relay_clear (&data->relay);
  g_free (data);
}

static void
store_tree_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  StoreTreeData *data = task_data;
  GError *error = NULL;

  if (!fs_cache_store_tree (source, data->name, data->source, data->flags,
                            data->relay.progress != NULL ? _fs_progress_from_thread : NULL, task,
                            &data->status, cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * fs_cache_store_tree_async:
 * @self: an #FsCache
 * @name: the name to store the tree under
 * @source: a directory, file or symlink on the local file system
 * @flags: flags
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @progress: (nullable) (scope notified) (closure progress_data) (destroy progress_data_free):
 *   called in the thread-default main context of the caller with the bytes
 *   copied so far and the total
 * @progress_data: data for @progress
 * @progress_data_free: (nullable): frees @progress_data
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Stores a tree without blocking: see fs_cache_store_tree().
 *
 * Since: 1.0
 */
void
fs_cache_store_tree_async (FsCache *self,
                           const char *name,
                           GFile *source,
                           FsCacheStoreFlags flags,
                           int io_priority,
                           GCancellable *cancellable,
                           GFileProgressCallback progress,
                           gpointer progress_data,
                           GDestroyNotify progress_data_free,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  StoreTreeData *data;

  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (G_IS_FILE (source));

  data = g_new0 (StoreTreeData, 1);
  data->name = g_strdup (name);
  data->source = g_object_ref (source);
  data->flags = flags;
  _fs_progress_relay_init (&data->relay, progress, progress_data, progress_data_free, io_priority);
  _fs_task_run_in_thread (self, fs_cache_store_tree_async, io_priority, cancellable, callback,
                          user_data, data, store_tree_data_free, store_tree_thread);
}

/**
 * fs_cache_store_tree_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @out_status: (out) (optional): what the commit did
 * @error: return location for a #GError
 *
 * Finishes fs_cache_store_tree_async().
 *
 * Returns: %TRUE with @out_status set, or %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
fs_cache_store_tree_finish (FsCache *self,
                            GAsyncResult *result,
                            FsCacheCommitStatus *out_status,
                            GError **error)
{
  StoreTreeData *data = _fs_task_finish_boolean (self, result, fs_cache_store_tree_async, error);

  if (data == NULL)
    return FALSE;
  if (out_status != NULL)
    *out_status = data->status;
  return TRUE;
}
