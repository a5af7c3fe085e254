/* fs-cache-remote.c: the remote tier of FsCache — push and pull
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The public face of the transfers between a cache and its remote (DESIGN
 * §9; fs-remote-push.c and fs-remote-pull.c have the protocols), with
 * their _async/_finish pairs. Only the calls of this file, the push of an
 * entry (fs_cache_entry_push()) and a load with FS_CACHE_LOAD_REMOTE ever
 * use the network: fs_cache_load() and every other call never do.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fs-cache-private.h"
#include "fs-cache-transfer-private.h"
#include "fs-load-private.h"
#include "fs-remote-pull-private.h"
#include "fs-task-private.h"

/**
 * fs_cache_push:
 * @self: an #FsCache
 * @name: the name of a committed entry
 * @progress: (nullable) (scope call) (closure progress_data): called with
 *   the bytes of file contents handled so far (sent, or found on the
 *   server) and their total
 * @progress_data: data for @progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Uploads the committed entry @name to the cache's remote: loads it (a
 * local miss is %FS_CACHE_ERROR_MISS; the statistics count neither a hit
 * nor a miss for it) and pushes it with
 * fs_cache_entry_push(), which says what is sent and in which order.
 *
 * The remote is configured in `cache.info`
 * ([method@FsCache.CacheInfo.get_remote_url] and the other remote
 * settings): an HTTP server that stores what it is given (nginx or Apache
 * with WebDAV, bazel-remote, an object store with an HTTP front) in the
 * layout of Bazel's HTTP remote cache (`docs/format.md`). A read-only
 * remote is never pushed to. Credentials come from the environment
 * (`FSCACHE_REMOTE_TOKEN`, or `FSCACHE_REMOTE_USER` and
 * `FSCACHE_REMOTE_PASSWORD`) or from the credentials file the settings
 * name, never from `cache.info`. One HTTP session per cache, made on the
 * first transfer, is shared by all of them.
 *
 * Returns: (transfer full): what was sent, or %NULL with @error set
 *   (%FS_CACHE_ERROR_NO_REMOTE when the cache has no remote or it is
 *   read-only)
 *
 * Since: 1.1
 */
FsCacheTransfer *
fs_cache_push (FsCache *self,
               const char *name,
               GFileProgressCallback progress,
               gpointer progress_data,
               GCancellable *cancellable,
               GError **error)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *digest = NULL;
  FsHandle handle = FS_HANDLE_INIT;
  FsCacheTransfer *transfer;
  FsStore *store;
  guint64 size;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  store = _fs_cache_get_store (self);
  if (store == NULL)
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED, _ ("The cache is not open"));
      return NULL;
    }
  if (!_fs_store_check_open (store, error) || !fs_cache_name_is_valid (name, error) ||
      _fs_cancellable_set_error (cancellable, error))
    return NULL;
  if (!_fs_store_is_compatible (store))
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS,
                   _ ("No entry “%s” in %s: the cache has an incompatible version"), name,
                   store->path);
      return NULL;
    }
  /* A load as fs_cache_load() does, but not one the statistics count: a
   * push is no use of the entry. */
  if (!_fs_load (store, name, &handle, &size, &digest, error))
    return NULL;
  entry = _fs_cache_entry_new (store, FS_CACHE_ENTRY_KIND_LOADED, &handle, name, size, digest);
  transfer = fs_cache_entry_push (entry, progress, progress_data, cancellable, error);
  fs_cache_entry_release (entry);
  return transfer;
}

/**
 * fs_cache_pull:
 * @self: an #FsCache
 * @name: the name of an entry on the remote
 * @progress: (nullable) (scope call) (closure progress_data): called with
 *   the bytes of file contents fetched so far (downloaded, or copied from
 *   the local cache) and their total
 * @progress_data: data for @progress
 * @out_status: (out) (optional): what the local commit did
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Downloads the entry @name from the cache's remote (configured as
 * fs_cache_push() says) and commits it into the cache like any store:
 * its `ac` document, then its manifest (checked against its digest), then
 * every file content, each checked against its SHA-256 while it streams
 * into an anonymous entry, which is then committed — locks, accounting and
 * eviction as for fs_cache_store(). A file content the local cache holds
 * already (in another entry, found through the manifests of the most
 * recently used entries) is copied locally instead, and checked the same
 * way.
 *
 * Nothing partial is ever kept: a missing, truncated or corrupt object, a
 * server that stops answering or answers too slowly, a cancellation — the
 * pull fails and leaves nothing behind. The tree gets the owners, modes and
 * extended attributes of the manifest where permitted (owners only as
 * root, or the caller's own), device nodes only with the privileges to make
 * them; its times are those of the pull (manifests carry none). The local
 * manifest describes the tree as it was made: when something could not be
 * made as the remote manifest says, the local tree digest differs.
 *
 * An entry the cache has already is not fetched: @out_status is then
 * %FS_CACHE_COMMIT_EXISTS, as when another process stored it first. A
 * cache that declines the entry (%FS_CACHE_COMMIT_TOO_LARGE,
 * %FS_CACHE_COMMIT_NO_SPACE) is not an error either; only
 * %FS_CACHE_COMMIT_STORED stored it. Use
 * fs_cache_load_full() with %FS_CACHE_LOAD_REMOTE to load an entry,
 * pulling it on a local miss.
 *
 * Returns: (transfer full): what was fetched, or %NULL with @error set:
 *   %FS_CACHE_ERROR_MISS when the remote has no entry @name,
 *   %FS_CACHE_ERROR_NO_REMOTE when the cache has no remote, or the error
 *   that made the pull fail
 *
 * Since: 1.1
 */
FsCacheTransfer *
fs_cache_pull (FsCache *self,
               const char *name,
               GFileProgressCallback progress,
               gpointer progress_data,
               FsCacheCommitStatus *out_status,
               GCancellable *cancellable,
               GError **error)
{
  g_auto (FsRemote) remote = { NULL };
  g_autoptr (GError) local_error = NULL;
  g_autofree char *digest = NULL;
  FsHandle handle = FS_HANDLE_INIT;
  FsCommitResult result = { 0 };
  FsRemoteStats stats = { 0 };
  FsStore *store;
  guint64 size;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  store = _fs_cache_get_store (self);
  if (store == NULL)
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED, _ ("The cache is not open"));
      return NULL;
    }
  if (!_fs_store_check_open (store, error) || !fs_cache_name_is_valid (name, error) ||
      !_fs_store_check_writable (store, error) || _fs_cancellable_set_error (cancellable, error) ||
      !_fs_remote_open (store, &remote, error))
    return NULL;

  /* Here already: nothing to fetch. */
  if (_fs_load_lock (store, name, FS_LOCK_SHARED, &handle, &size, &digest, &local_error))
    {
      _fs_lock_clear (&handle.lock);
      if (digest != NULL)
        g_strlcpy (stats.tree_digest, digest, sizeof stats.tree_digest);
      if (out_status != NULL)
        *out_status = FS_CACHE_COMMIT_EXISTS;
      return _fs_cache_transfer_new (name, remote.url, &stats);
    }
  if (!g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (!_fs_remote_pull (&remote, store, name, &handle, &result, progress, progress_data, &stats,
                        cancellable, error))
    return NULL;
  if (stats.status == FS_CACHE_COMMIT_STORED)
    _fs_lock_clear (&handle.lock);
  else
    stats.tree_digest[0] = '\0';
  if (out_status != NULL)
    *out_status = stats.status;
  return _fs_cache_transfer_new (name, remote.url, &stats);
}

/* ---- asynchronous ---------------------------------------------------------------- */

typedef struct {
  FsProgressRelay relay;
  char *name;
  FsCacheCommitStatus status; /* of a pull */
} TransferData;

static void
transfer_data_free (gpointer p)
{
  TransferData *data = p;

  g_free (data->name);
  _fs_progress_relay_clear (&data->relay);
  g_free (data);
}

static TransferData *
transfer_data_new (const char *name,
                   GFileProgressCallback progress,
                   gpointer progress_data,
                   GDestroyNotify progress_data_free,
                   int io_priority)
{
  TransferData *data = g_new0 (TransferData, 1);

  data->name = g_strdup (name);
  _fs_progress_relay_init (&data->relay, progress, progress_data, progress_data_free, io_priority);
  return data;
}

static void
push_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  TransferData *data = task_data;
  GError *error = NULL;
  FsCacheTransfer *transfer =
    fs_cache_push (source, data->name,
                   data->relay.progress != NULL ? _fs_progress_from_thread : NULL, task,
                   cancellable, &error);

  _fs_task_return_object (task, transfer, error);
}

/**
 * fs_cache_push_async:
 * @self: an #FsCache
 * @name: the name of a committed entry
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
 * Uploads an entry to the remote without blocking: see fs_cache_push().
 *
 * Since: 1.1
 */
void
fs_cache_push_async (FsCache *self,
                     const char *name,
                     int io_priority,
                     GCancellable *cancellable,
                     GFileProgressCallback progress,
                     gpointer progress_data,
                     GDestroyNotify progress_data_free,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);

  _fs_task_run_in_thread (self, fs_cache_push_async, io_priority, cancellable, callback, user_data,
                          transfer_data_new (name, progress, progress_data, progress_data_free,
                                             io_priority),
                          transfer_data_free, push_thread);
}

/**
 * fs_cache_push_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes fs_cache_push_async().
 *
 * Returns: (transfer full): what was sent, or %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheTransfer *
fs_cache_push_finish (FsCache *self, GAsyncResult *result, GError **error)
{
  return _fs_task_finish_pointer (self, result, fs_cache_push_async, error);
}

static void
pull_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  TransferData *data = task_data;
  GError *error = NULL;
  FsCacheTransfer *transfer =
    fs_cache_pull (source, data->name,
                   data->relay.progress != NULL ? _fs_progress_from_thread : NULL, task,
                   &data->status, cancellable, &error);

  _fs_task_return_object (task, transfer, error);
}

/**
 * fs_cache_pull_async:
 * @self: an #FsCache
 * @name: the name of an entry on the remote
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @progress: (nullable) (scope notified) (closure progress_data) (destroy progress_data_free):
 *   called in the thread-default main context of the caller with the bytes
 *   of file contents fetched so far and their total
 * @progress_data: data for @progress
 * @progress_data_free: (nullable): frees @progress_data
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Downloads an entry from the remote without blocking: see
 * fs_cache_pull().
 *
 * Since: 1.1
 */
void
fs_cache_pull_async (FsCache *self,
                     const char *name,
                     int io_priority,
                     GCancellable *cancellable,
                     GFileProgressCallback progress,
                     gpointer progress_data,
                     GDestroyNotify progress_data_free,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  g_return_if_fail (FS_IS_CACHE (self));
  g_return_if_fail (name != NULL);

  _fs_task_run_in_thread (self, fs_cache_pull_async, io_priority, cancellable, callback, user_data,
                          transfer_data_new (name, progress, progress_data, progress_data_free,
                                             io_priority),
                          transfer_data_free, pull_thread);
}

/**
 * fs_cache_pull_finish:
 * @self: an #FsCache
 * @result: the result given to the callback
 * @out_status: (out) (optional): what the local commit did
 * @error: return location for a #GError
 *
 * Finishes fs_cache_pull_async().
 *
 * Returns: (transfer full): what was fetched, or %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheTransfer *
fs_cache_pull_finish (FsCache *self,
                      GAsyncResult *result,
                      FsCacheCommitStatus *out_status,
                      GError **error)
{
  FsCacheTransfer *transfer = _fs_task_finish_pointer (self, result, fs_cache_pull_async, error);

  if (transfer != NULL && out_status != NULL)
    *out_status = ((TransferData *) g_task_get_task_data (G_TASK (result)))->status;
  return transfer;
}
