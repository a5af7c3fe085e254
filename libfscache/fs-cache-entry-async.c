/* fs-cache-entry-async.c: the asynchronous face of FsCacheEntry
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * As fs-cache-async.c for FsCache: each pair runs the synchronous call in a
 * worker thread through the helpers of fs-task.c.
 */

#include "config.h"

#include "fs-cache-private.h"
#include "fs-task-private.h"

typedef struct {
  FsCacheCommitStatus status;
} CommitData;

static void
commit_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CommitData *data = task_data;
  GError *error = NULL;
  gboolean ok = fs_cache_entry_commit (source, &data->status, cancellable, &error);

  _fs_task_return_boolean (task, ok, error);
}

/**
 * fs_cache_entry_commit_async:
 * @self: an #FsCacheEntry from fs_cache_store()
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Commits the entry without blocking: see fs_cache_entry_commit().
 *
 * Since: 1.0
 */
void
fs_cache_entry_commit_async (FsCacheEntry *self,
                             int io_priority,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE_ENTRY (self));

  /* A commit that went through is reported as such even if the cancellable
   * fired meanwhile: the entry's state must match what finish says. */
  _fs_task_run_to_the_end (self, fs_cache_entry_commit_async, io_priority, cancellable, callback,
                           user_data, g_new0 (CommitData, 1), g_free, commit_thread);
}

/**
 * fs_cache_entry_commit_finish:
 * @self: an #FsCacheEntry
 * @result: the result given to the callback
 * @out_status: (out) (optional): what the commit did
 * @error: return location for a #GError
 *
 * Finishes fs_cache_entry_commit_async().
 *
 * Returns: %TRUE with @out_status set, or %FALSE with @error set
 *
 * Since: 1.0
 */
gboolean
fs_cache_entry_commit_finish (FsCacheEntry *self,
                              GAsyncResult *result,
                              FsCacheCommitStatus *out_status,
                              GError **error)
{
  CommitData *data = _fs_task_finish_boolean (self, result, fs_cache_entry_commit_async, error);

  if (data == NULL)
    return FALSE;
  if (out_status != NULL)
    *out_status = data->status;
  return TRUE;
}

static void
release_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  fs_cache_entry_release (source);
  g_task_return_boolean (task, TRUE);
}

/**
 * fs_cache_entry_release_async:
 * @self: an #FsCacheEntry
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Releases the entry without blocking (deleting a large staged tree takes
 * time): see fs_cache_entry_release(). The release happens even if
 * @cancellable is cancelled.
 *
 * Since: 1.0
 */
void
fs_cache_entry_release_async (FsCacheEntry *self,
                              int io_priority,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE_ENTRY (self));

  _fs_task_run_to_the_end (self, fs_cache_entry_release_async, io_priority, cancellable, callback,
                           user_data, NULL, NULL, release_thread);
}

/**
 * fs_cache_entry_release_finish:
 * @self: an #FsCacheEntry
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_entry_release_async().
 *
 * Returns: %TRUE
 *
 * Since: 1.0
 */
gboolean
fs_cache_entry_release_finish (FsCacheEntry *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fs_cache_entry_release_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct {
  FsProgressRelay relay;
  GFile *destination;
  FsCacheExportFlags flags;
} ExportData;

static void
export_data_free (gpointer p)
{
  ExportData *data = p;

  g_clear_object (&data->destination);
  _fs_progress_relay_clear (&data->relay);
  g_free (data);
}

static void
export_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExportData *data = task_data;
  GError *error = NULL;
  gboolean ok =
    fs_cache_entry_export (source, data->destination, data->flags,
                           data->relay.progress != NULL ? _fs_progress_from_thread : NULL, task,
                           cancellable, &error);

  _fs_task_return_boolean (task, ok, error);
}

/**
 * fs_cache_entry_export_async:
 * @self: an #FsCacheEntry
 * @destination: where the copy goes; it must not exist, its parent must
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
 * Copies the entry's tree out of the cache without blocking: see
 * fs_cache_entry_export().
 *
 * Since: 1.1
 */
void
fs_cache_entry_export_async (FsCacheEntry *self,
                             GFile *destination,
                             FsCacheExportFlags flags,
                             int io_priority,
                             GCancellable *cancellable,
                             GFileProgressCallback progress,
                             gpointer progress_data,
                             GDestroyNotify progress_data_free,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  ExportData *data;

  g_return_if_fail (FS_IS_CACHE_ENTRY (self));
  g_return_if_fail (G_IS_FILE (destination));

  data = g_new0 (ExportData, 1);
  data->destination = g_object_ref (destination);
  data->flags = flags;
  _fs_progress_relay_init (&data->relay, progress, progress_data, progress_data_free, io_priority);
  _fs_task_run_in_thread (self, fs_cache_entry_export_async, io_priority, cancellable, callback,
                          user_data, data, export_data_free, export_thread);
}

/**
 * fs_cache_entry_export_finish:
 * @self: an #FsCacheEntry
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_entry_export_async().
 *
 * Returns: %TRUE on success, %FALSE with @error set
 *
 * Since: 1.1
 */
gboolean
fs_cache_entry_export_finish (FsCacheEntry *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_boolean (self, result, fs_cache_entry_export_async, error) != NULL;
}

static void
read_manifest_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  FsCacheManifest *manifest = fs_cache_entry_read_manifest (source, cancellable, &error);

  if (manifest == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, manifest, g_object_unref);
}

/**
 * fs_cache_entry_read_manifest_async:
 * @self: a loaded #FsCacheEntry
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Reads the entry's manifest without blocking: see
 * fs_cache_entry_read_manifest().
 *
 * Since: 1.1
 */
void
fs_cache_entry_read_manifest_async (FsCacheEntry *self,
                                    int io_priority,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE_ENTRY (self));

  _fs_task_run_in_thread (self, fs_cache_entry_read_manifest_async, io_priority, cancellable,
                          callback, user_data, NULL, NULL, read_manifest_thread);
}

/**
 * fs_cache_entry_read_manifest_finish:
 * @self: an #FsCacheEntry
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_entry_read_manifest_async().
 *
 * Returns: (transfer full): the manifest, or %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheManifest *
fs_cache_entry_read_manifest_finish (FsCacheEntry *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_entry_read_manifest_async, error);
}

typedef struct {
  GListModel *differences;
  GError *error; /* the entry's failure, with the differences found */
} VerifyData;

static void
verify_data_free (gpointer p)
{
  VerifyData *data = p;

  g_clear_object (&data->differences);
  g_clear_error (&data->error);
  g_free (data);
}

static void
verify_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  VerifyData *data = task_data;

  /* A corrupt entry is reported by finish with its differences: kept in
   * the data, not returned as the task's error (which would drop them). */
  fs_cache_entry_verify (source, &data->differences, cancellable, &data->error);
  g_task_return_boolean (task, TRUE);
}

/**
 * fs_cache_entry_verify_async:
 * @self: a loaded #FsCacheEntry
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Verifies the entry without blocking: see fs_cache_entry_verify().
 *
 * Since: 1.1
 */
void
fs_cache_entry_verify_async (FsCacheEntry *self,
                             int io_priority,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE_ENTRY (self));

  _fs_task_run_in_thread (self, fs_cache_entry_verify_async, io_priority, cancellable, callback,
                          user_data, g_new0 (VerifyData, 1), verify_data_free, verify_thread);
}

/**
 * fs_cache_entry_verify_finish:
 * @self: an #FsCacheEntry
 * @result: the result given to the callback
 * @out_differences: (out) (optional) (transfer full): every difference found
 * @error: return location for a #GError
 *
 * Finishes fs_cache_entry_verify_async().
 *
 * Returns: %TRUE when the entry is intact; %FALSE with @error set (see
 *   fs_cache_entry_verify())
 *
 * Since: 1.1
 */
gboolean
fs_cache_entry_verify_finish (FsCacheEntry *self,
                              GAsyncResult *result,
                              GListModel **out_differences,
                              GError **error)
{
  VerifyData *data = _fs_task_finish_boolean (self, result, fs_cache_entry_verify_async, error);

  if (out_differences != NULL)
    *out_differences =
      data != NULL && data->differences != NULL ? g_object_ref (data->differences) : NULL;
  if (data == NULL)
    return FALSE;
  if (data->error != NULL)
    {
      g_propagate_error (error, g_error_copy (data->error));
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  FsProgressRelay relay; /* first: see _fs_progress_from_thread() */
} DifferencesData;

static void
differences_data_free (gpointer p)
{
  DifferencesData *data = p;

  _fs_progress_relay_clear (&data->relay);
  g_free (data);
}

static void
differences_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DifferencesData *data = task_data;
  GError *error = NULL;
  GListModel *differences =
    fs_cache_entry_list_differences (source,
                                     data->relay.progress != NULL ? _fs_progress_from_thread : NULL,
                                     task, cancellable, &error);

  if (differences == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, differences, g_object_unref);
}

/**
 * fs_cache_entry_list_differences_async:
 * @self: a loaded #FsCacheEntry
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @progress: (nullable) (scope notified) (closure progress_data) (destroy progress_data_free):
 *   called in the thread-default main context of the caller with the bytes
 *   re-hashed so far and the total
 * @progress_data: data for @progress
 * @progress_data_free: (nullable): frees @progress_data
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Checks the entry against its manifest without blocking: see
 * fs_cache_entry_list_differences().
 *
 * Since: 1.1
 */
void
fs_cache_entry_list_differences_async (FsCacheEntry *self,
                                       int io_priority,
                                       GCancellable *cancellable,
                                       GFileProgressCallback progress,
                                       gpointer progress_data,
                                       GDestroyNotify progress_data_free,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data)
{
  DifferencesData *data;

  g_return_if_fail (FS_IS_CACHE_ENTRY (self));

  data = g_new0 (DifferencesData, 1);
  _fs_progress_relay_init (&data->relay, progress, progress_data, progress_data_free, io_priority);
  _fs_task_run_in_thread (self, fs_cache_entry_list_differences_async, io_priority, cancellable,
                          callback, user_data, data, differences_data_free, differences_thread);
}

/**
 * fs_cache_entry_list_differences_finish:
 * @self: an #FsCacheEntry
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_entry_list_differences_async().
 *
 * Returns: (transfer full): every difference found (empty when the entry is
 *   intact), or %NULL with @error set (see
 *   fs_cache_entry_list_differences())
 *
 * Since: 1.1
 */
GListModel *
fs_cache_entry_list_differences_finish (FsCacheEntry *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_entry_list_differences_async, error);
}

typedef struct {
  FsProgressRelay relay;
} PushData;

static void
push_data_free (gpointer p)
{
  PushData *data = p;

  _fs_progress_relay_clear (&data->relay);
  g_free (data);
}

static void
push_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  PushData *data = task_data;
  GError *error = NULL;
  FsCacheTransfer *transfer =
    fs_cache_entry_push (source, data->relay.progress != NULL ? _fs_progress_from_thread : NULL,
                         task, cancellable, &error);

  _fs_task_return_object (task, transfer, error);
}

/**
 * fs_cache_entry_push_async:
 * @self: a loaded #FsCacheEntry
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @progress: (nullable) (scope notified) (closure progress_data) (destroy progress_data_free):
 *   called in the thread-default main context of the caller with the bytes
 *   of file contents handled so far and their total
 * @progress_data: data for @progress
 * @progress_data_free: (nullable): frees @progress_data
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Uploads the entry to the remote without blocking: see
 * fs_cache_entry_push().
 *
 * Since: 1.1
 */
void
fs_cache_entry_push_async (FsCacheEntry *self,
                           int io_priority,
                           GCancellable *cancellable,
                           GFileProgressCallback progress,
                           gpointer progress_data,
                           GDestroyNotify progress_data_free,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  PushData *data;

  g_return_if_fail (FS_IS_CACHE_ENTRY (self));

  data = g_new0 (PushData, 1);
  _fs_progress_relay_init (&data->relay, progress, progress_data, progress_data_free, io_priority);
  _fs_task_run_in_thread (self, fs_cache_entry_push_async, io_priority, cancellable, callback,
                          user_data, data, push_data_free, push_thread);
}

/**
 * fs_cache_entry_push_finish:
 * @self: an #FsCacheEntry
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_entry_push_async().
 *
 * Returns: (transfer full): what was sent, or %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheTransfer *
fs_cache_entry_push_finish (FsCacheEntry *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_entry_push_async, error);
}
