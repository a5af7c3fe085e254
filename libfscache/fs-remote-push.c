/* fs-remote-push.c: uploading a committed entry to the remote
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Pushing
 *
 * The entry is committed and read-locked by the caller (so whole, and
 * unchanged while it is read); its manifest names every file by the
 * SHA-256 of its content (docs/format.md, "object.manifest"):
 *
 *   1. the manifest is read and checked against the tree digest of
 *      object.info (an entry without one can't be pushed: add one with
 *      fs_cache_add_manifest());
 *   2. every distinct file content (one blob per digest, however many
 *      files and hard links have it; empty files need none) is uploaded
 *      on `connections` worker threads: a HEAD first, and a PUT of what the
 *      server does not have (a blob of another size counts as missing).
 *      Each file is opened only when its body is needed, so a push holds
 *      at most `connections` files open;
 *   3. the manifest, a blob like the others, the same way;
 *   4. the ac document naming the manifest: fetched first, and replaced
 *      only when it names another manifest (a push of an entry the server
 *      has sends no PUT at all).
 *
 * In that order a reader never finds a name whose blobs are missing. A
 * failure anywhere stops the push; what was uploaded stays (blobs are
 * content-addressed: the next push skips them).
 *
 * # Hashing what is sent
 *
 * The manifest has the digest of every file, yet uploads are hashed while
 * they are sent (verify_uploads of fs-http.c), and a PUT whose bytes do not
 * match is cut short: a file that changed since the entry was stored (a
 * disk error, a process that wrote into a loaded entry) would otherwise be
 * stored on the server under a digest it does not have — a blob every pull
 * refuses, that no later push replaces (its HEAD says it is there), for
 * every machine that shares the server.
 *
 * Except for an entry this cache committed in the last minute (the
 * write-through of a store: _fs_store_committed_recently()): its manifest
 * was made from these very bytes moments ago (store_tree hashes while it
 * copies, a pull while it downloads, a commit what it commits), and
 * hashing them again would read the same pages of the page cache — it
 * could not find what it is there to find, bytes that changed on the disk
 * since. That push runs at the speed of the wire; bench/README.md ("Remote
 * tier: push and pull") has the numbers of both.
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>

#include "fs-cache-manifest-private.h"
#include "fs-integrity-private.h"
#include "fs-remote-private.h"
#include "fs-remote-push-private.h"

typedef struct {
  FsCacheManifest *manifest;
  int data_fd; /* the entry's data/ */
  GFileProgressCallback progress;
  gpointer progress_data;
  guint64 total;
} Push;

/* Opens the file of the node @transfer->user_data, when the server does
 * not have its content. */
static int
open_node (FsHttpTransfer *transfer, gpointer user_data, GError **error)
{
  Push *push = user_data;
  const FsManifestNode *node =
    _fs_cache_manifest_peek_node (push->manifest, GPOINTER_TO_UINT (transfer->user_data));
  int fd = _fs_openat (push->data_fd, node->path, O_RDONLY | O_NOCTTY | O_CLOEXEC, 0);

  if (fd < 0)
    {
      g_autofree char *display = _fs_manifest_display_path (node->path);
      _fs_throw_errno (error, errno, _ ("Cannot read %s of the entry"), display);
    }
  return fd;
}

static void
run_progress (guint64 bytes, guint n_done, guint n_total, gpointer user_data)
{
  Push *push = user_data;

  if (push->progress != NULL)
    push->progress ((goffset) MIN (bytes, push->total), (goffset) push->total, push->progress_data);
}

static void
count_transfers (const FsHttpTransfer *transfers, guint n, FsRemoteStats *stats)
{
  for (guint i = 0; i < n; i++)
    {
      stats->requests++; /* the HEAD */
      if (transfers[i].exists)
        stats->blobs_skipped++;
      else if (transfers[i].done && transfers[i].error == NULL)
        {
          stats->requests++;
          stats->blobs_sent++;
          stats->bytes_sent += transfers[i].wire_bytes;
        }
    }
}

/* Step 2: one UPLOAD per distinct content. */
static gboolean
push_blobs (FsRemote *remote,
            Push *push,
            FsHttpRunFlags flags,
            FsRemoteStats *stats,
            GCancellable *cancellable,
            GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GArray) transfers = g_array_new (FALSE, TRUE, sizeof (FsHttpTransfer));
  guint n = fs_cache_manifest_get_n_nodes (push->manifest);
  FsHttpRunHooks hooks = { open_node, NULL, push };
  gboolean ok;

  g_array_set_clear_func (transfers, (GDestroyNotify) _fs_http_transfer_clear);
  for (guint i = 0; i < n; i++)
    {
      const FsManifestNode *node = _fs_cache_manifest_peek_node (push->manifest, i);
      FsHttpTransfer *t;

      if (node->type != FS_CACHE_NODE_TYPE_REGULAR || node->size == 0)
        continue;
      g_array_set_size (transfers, transfers->len + 1);
      t = &g_array_index (transfers, FsHttpTransfer, transfers->len - 1);
      _fs_digest_to_hex (node->sha256, t->digest);
      if (g_hash_table_contains (seen, t->digest))
        {
          g_array_set_size (transfers, transfers->len - 1);
          continue;
        }
      t->op = FS_HTTP_OP_UPLOAD;
      t->encoding = remote->encoding;
      t->size = node->size;
      t->fd = -1;
      t->user_data = GUINT_TO_POINTER (i);
      push->total += node->size;
      /* The array may move: the set keeps digests of its own. */
      g_hash_table_add (seen, g_strdup (t->digest));
    }

  ok =
    _fs_http_run_full (remote->http, (FsHttpTransfer *) (void *) transfers->data, transfers->len,
                       FS_HTTP_RUN_COUNT_SKIPPED, &hooks, run_progress, push, cancellable, error);
  count_transfers ((FsHttpTransfer *) (void *) transfers->data, transfers->len, stats);
  return ok;
}

/* Step 3. */
static gboolean
push_manifest (FsRemote *remote,
               FsStore *store,
               const FsHandle *handle,
               FsCacheManifest *manifest,
               FsHttpRunFlags flags,
               FsRemoteStats *stats,
               GCancellable *cancellable,
               GError **error)
{
  g_auto (FsHttpTransfer) t = { 0 };
  char path[FS_ENTRY_PATH_SIZE];
  fs_autofd fd = -1;
  gboolean ok;

  _fs_join (path, sizeof path, handle->dir_name, FS_FILE_OBJECT_MANIFEST);
  fd = _fs_openat (_fs_store_area_fd (store, handle->area), path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return _fs_throw_errno (error, errno, _ ("Reading %s/%s/%s"), store->path,
                            _fs_area_name (handle->area), path);
  t.op = FS_HTTP_OP_UPLOAD;
  t.encoding = remote->encoding;
  t.size = g_bytes_get_size (fs_cache_manifest_get_bytes (manifest));
  t.fd = fd;
  g_strlcpy (t.digest, fs_cache_manifest_get_digest (manifest), sizeof t.digest);
  ok = _fs_http_run (remote->http, &t, 1, flags, NULL, NULL, cancellable, error);
  count_transfers (&t, 1, stats);
  return ok;
}

/* Step 4. */
static gboolean
push_ac (FsRemote *remote,
         const char *name,
         FsCacheManifest *manifest,
         FsRemoteStats *stats,
         GCancellable *cancellable,
         GError **error)
{
  FsHttpAcDocument doc = { { 0 } };
  g_autoptr (GBytes) document = NULL;
  g_autoptr (GBytes) current = NULL;
  char key[FS_HTTP_DIGEST_LEN + 1];

  g_strlcpy (doc.manifest, fs_cache_manifest_get_digest (manifest), sizeof doc.manifest);
  doc.manifest_size = g_bytes_get_size (fs_cache_manifest_get_bytes (manifest));
  doc.encoding = remote->encoding;
  document = _fs_http_ac_document_format (&doc, remote->namespace_, name);
  _fs_http_ac_key (remote->namespace_, name, key);

  stats->requests++;
  if (!_fs_http_ac_get (remote->http, key, &current, cancellable, error))
    return FALSE;
  if (current != NULL && g_bytes_equal (current, document))
    return TRUE;
  stats->requests++;
  stats->bytes_sent += g_bytes_get_size (document);
  return _fs_http_ac_put (remote->http, key, document, cancellable, error);
}

static gboolean
push_entry (FsRemote *remote,
            FsStore *store,
            const FsHandle *handle,
            const char *name,
            const char *tree_digest,
            GFileProgressCallback progress,
            gpointer progress_data,
            FsRemoteStats *out_stats,
            GCancellable *cancellable,
            GError **error)
{
  g_autoptr (FsCacheManifest) manifest = NULL;
  g_autoptr (GError) local_error = NULL;
  char data_path[FS_ENTRY_PATH_SIZE];
  fs_autofd data_fd = -1;
  FsHttpRunFlags flags = FS_HTTP_RUN_NONE;
  Push push = { 0 };

  memset (out_stats, 0, sizeof *out_stats);
  if (remote->mode == FS_CACHE_REMOTE_MODE_READ_ONLY)
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_REMOTE,
                   _ ("The remote %s of %s is read-only: nothing is pushed to it"), remote->url,
                   store->path);
      return FALSE;
    }

  /* 1 */
  manifest = _fs_integrity_read_manifest (store, handle, tree_digest, &local_error);
  if (manifest == NULL)
    {
      if (g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_MANIFEST))
        g_prefix_error (&local_error, "%s ", _ ("Only an entry with a manifest can be pushed:"));
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_strlcpy (out_stats->tree_digest, fs_cache_manifest_get_digest (manifest),
             sizeof out_stats->tree_digest);
  _fs_join (data_path, sizeof data_path, handle->dir_name, FS_DIR_DATA);
  data_fd = _fs_openat (_fs_store_area_fd (store, handle->area), data_path,
                        O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (data_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening %s/%s/%s"), store->path,
                            _fs_area_name (handle->area), data_path);

  if (_fs_store_committed_recently (store, name, tree_digest))
    flags |= FS_HTTP_RUN_TRUSTED_SOURCES;

  /* 2 */
  push.manifest = manifest;
  push.data_fd = data_fd;
  push.progress = progress;
  push.progress_data = progress_data;
  if (!push_blobs (remote, &push, flags, out_stats, cancellable, error))
    return FALSE;
  /* 3 */
  if (!push_manifest (remote, store, handle, manifest, flags, out_stats, cancellable, error))
    return FALSE;
  /* 4 */
  if (!push_ac (remote, name, manifest, out_stats, cancellable, error))
    return FALSE;
  if (progress != NULL)
    progress ((goffset) push.total, (goffset) push.total, progress_data);

  g_debug ("push %s to %s: %u blobs sent (%" G_GUINT64_FORMAT " bytes), %u skipped, %u requests%s",
           name, remote->url, out_stats->blobs_sent, out_stats->bytes_sent,
           out_stats->blobs_skipped, out_stats->requests,
           (flags & FS_HTTP_RUN_TRUSTED_SOURCES) ? " (just committed: not hashed again)" : "");
  return TRUE;
}

gboolean
_fs_remote_push (FsRemote *remote,
                 FsStore *store,
                 const FsHandle *handle,
                 const char *name,
                 const char *tree_digest,
                 GFileProgressCallback progress,
                 gpointer progress_data,
                 FsRemoteStats *out_stats,
                 GCancellable *cancellable,
                 GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean ok = push_entry (remote, store, handle, name, tree_digest, progress, progress_data,
                            out_stats, cancellable, &local_error);

  /* The statistics: what went over the wire, failed push or not; a push
   * that failed (not cancelled) is a remote error. */
  if (out_stats->bytes_sent > 0)
    _fs_stats_add (store->stats, FS_STAT_REMOTE_BYTES_UP, out_stats->bytes_sent);
  if (!ok)
    {
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _fs_stats_add (store->stats, FS_STAT_REMOTE_ERROR, 1);
      g_propagate_error (error, g_steal_pointer (&local_error));
    }
  return ok;
}
