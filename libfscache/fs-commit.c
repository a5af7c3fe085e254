/* fs-commit.c: publishing an anonymous entry under its name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Committing
 *
 * The entry is objects/uuid-X, write-locked by us, with its journal record
 * journal/uuid-X (a link of its object.lock):
 *
 *   0. its manifest (docs/format.md, "object.manifest"): the one the caller
 *      made while filling the entry (store_tree hashes while it copies, a
 *      pull verifies while it downloads), else built here, hashing the
 *      files on all cores; written as object.manifest, so that entry and
 *      manifest appear and vanish together. In a shared cache directories
 *      are recorded group-writable and setgid, as step 6 makes them;
 *   1. syncfs() of the cache's file system (unless the cache is volatile):
 *      the tree is on disk before anything refers to it. One syncfs()
 *      instead of an fsync() per file: see docs/format.md for the numbers.
 *      Synced before the size is measured, so delayed allocation has
 *      settled into the blocks the tree will keep;
 *   2. the size: st_blocks * 512 over the tree; TOO_LARGE when it can't
 *      fit under the maximum size (or the maximum is 0). A volatile cache
 *      takes it from the stats the manifest was made with (the tree is
 *      ours and did not change since); a durable one walks the tree again
 *      after the sync, when delayed allocation has settled;
 *   3. object.info written (it only counts once the entry has its name),
 *      with the tree digest, the SHA-256 of object.manifest;
 *   4. the record says what this commit will account ("0 store SIZE NAME"),
 *      before it does;
 *   5. the accounting: the size added to cache.size and the record's flag
 *      set in one transaction of the journal, evicting least recently used
 *      entries first when it does not fit (fs-evict.c); NO_SPACE when even
 *      that can't make room;
 *   6. the rename objects/uuid-X -> objects/NAME, without replacing: an
 *      existing NAME makes the commit EXISTS, and the accounting is undone;
 *   7. fdatasync() of object.info and fsync() of objects/ (unless
 *      volatile): a STORED entry survives a power cut (see "Power cuts" in
 *      fs-journal.c for why these and no more);
 *   8. the record removed, and the lock converted to a read lock
 *      (atomically): the caller keeps using the entry as a loaded one.
 *
 * A kill anywhere leaves a record whose recovery finishes or undoes the
 * commit, accounting included (fs-journal.c).
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>

#include "fs-cache-manifest-private.h"
#include "fs-commit-private.h"
#include "fs-evict-private.h"
#include "fs-journal-private.h"
#include "fs-manifest-private.h"
#include "fs-meta-private.h"
#include "fs-tree-private.h"

/* Step 6; on failure the accounting is undone. */
static gboolean
publish (FsStore *store,
         FsHandle *handle,
         const char *target_name,
         guint64 size,
         gboolean *out_exists,
         GError **error)
{
  int area_fd = _fs_store_area_fd (store, handle->area);
  FsTxnRecord record = { handle->lock.fd, handle->dir_name };
  g_autoptr (GError) local_error = NULL;
  int errsv;

  *out_exists = FALSE;
  if (renameat2 (area_fd, handle->dir_name, area_fd, target_name, RENAME_NOREPLACE) == 0)
    return TRUE;
  errsv = errno;
  if (errsv == EINVAL)
    {
      /* No RENAME_NOREPLACE here: a non-empty directory is never replaced
       * by rename(), which is enough for entries. */
      if (renameat (area_fd, handle->dir_name, area_fd, target_name) == 0)
        return TRUE;
      errsv = errno;
    }

  if (!_fs_journal_size_txn (store, -(gint64) size, FS_CACHE_SIZE_UNLIMITED, &record,
                             handle->has_record ? 1 : 0, FALSE, NULL, NULL, &local_error))
    g_warning ("%s", local_error->message);
  if (errsv == EEXIST || errsv == ENOTEMPTY || errsv == ENOTDIR || errsv == EISDIR)
    {
      *out_exists = TRUE;
      return FALSE;
    }
  return _fs_throw_errno (error, errsv, _ ("Committing %s/%s/%s as %s"), store->path,
                          _fs_area_name (handle->area), handle->dir_name, target_name);
}

/* Step 0. */
static FsCacheManifest *
write_manifest (FsStore *store,
                FsHandle *handle,
                FsCacheManifest *given,
                GCancellable *cancellable,
                GError **error)
{
  int area_fd = _fs_store_area_fd (store, handle->area);
  char path[FS_ENTRY_PATH_SIZE];
  g_autoptr (FsCacheManifest) manifest = NULL;
  fs_autofd fd = -1;
  GBytes *bytes;
  gsize len;
  const void *data;

  if (given != NULL)
    manifest = g_object_ref (given);
  else
    {
      manifest =
        _fs_manifest_build_at (area_fd, _fs_join (path, sizeof path, handle->dir_name, FS_DIR_DATA),
                               _fs_store_is_shared (store) ? FS_MANIFEST_BUILD_SHARED_DIRS
                                                           : FS_MANIFEST_BUILD_NONE,
                               0, cancellable, error);
      if (manifest == NULL)
        return NULL;
    }

  bytes = fs_cache_manifest_get_bytes (manifest);
  data = g_bytes_get_data (bytes, &len);
  _fs_join (path, sizeof path, handle->dir_name, FS_FILE_OBJECT_MANIFEST);
  fd =
    _fs_openat (area_fd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, _fs_store_file_mode (store));
  if (fd < 0 || !_fs_write_all (fd, data, len, 0))
    {
      _fs_throw_errno (error, errno, _ ("Writing %s/%s/%s"), store->path,
                       _fs_area_name (handle->area), path);
      return NULL;
    }
  _fs_store_fix_mode (store, fd, FALSE);
  return g_steal_pointer (&manifest);
}

gboolean
_fs_commit (FsStore *store,
            FsHandle *handle,
            const char *target_name,
            FsCacheManifest *manifest,
            FsCacheCommitStatus *out_status,
            FsCommitResult *out_result,
            GCancellable *cancellable,
            GError **error)
{
  g_autoptr (FsCacheManifest) written = NULL;
  int area_fd = _fs_store_area_fd (store, handle->area);
  const char *area = _fs_area_name (handle->area);
  gboolean durable;
  char data_path[FS_ENTRY_PATH_SIZE];
  char info_path[FS_ENTRY_PATH_SIZE];
  g_autofree char *info = NULL;
  g_autofree char *record = NULL;
  FsRecord rec = { 0 };
  fs_autofd info_fd = -1;
  guint64 size, max;
  gsize info_len, record_len;
  gboolean fits, exists, ok;
  int sync_errno = 0;

  _fs_join (data_path, sizeof data_path, handle->dir_name, FS_DIR_DATA);
  _fs_join (info_path, sizeof info_path, handle->dir_name, FS_FILE_OBJECT_INFO);
  /* Re-reads cache.info if another process changed it (volatile, maximum). */
  max = _fs_store_get_maximum (store);
  durable = !_fs_store_is_volatile (store);
  if (max == 0)
    {
      /* Nothing is kept: no need to hash, sync or measure anything. */
      *out_status = FS_CACHE_COMMIT_TOO_LARGE;
      return TRUE;
    }

  /* 0 */
  written = write_manifest (store, handle, manifest, cancellable, error);
  if (written == NULL)
    return FALSE;

  /* 1 */
  if (durable)
    {
      _fs_count_sync ();
      if (syncfs (area_fd) < 0)
        return _fs_throw_errno (error, errno, _ ("Syncing %s/%s/%s"), store->path, area,
                                handle->dir_name);
    }

  /* 2 */
  size = durable ? G_MAXUINT64 : _fs_cache_manifest_get_disk_usage (written);
  if (size == G_MAXUINT64 &&
      !_fs_tree_size_at (area_fd, data_path, &size, NULL, cancellable, error))
    return FALSE;
  if (max != FS_CACHE_SIZE_UNLIMITED && size > max)
    {
      *out_status = FS_CACHE_COMMIT_TOO_LARGE;
      return TRUE;
    }

  /* 3: kept open, synced with the rename in 7. */
  info = _fs_meta_format_object_info (store->boot_id, size, fs_cache_manifest_get_digest (written),
                                      &info_len);
  info_fd = _fs_openat (area_fd, info_path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY,
                        _fs_store_file_mode (store));
  if (info_fd < 0 || !_fs_write_all (info_fd, info, info_len, 0))
    return _fs_throw_errno (error, errno, _ ("Writing %s/%s/%s"), store->path, area, info_path);
  _fs_store_fix_mode (store, info_fd, FALSE);

  /* 4 */
  rec.op = FS_RECORD_OP_STORE;
  rec.accounted = FALSE;
  rec.size = size;
  g_strlcpy (rec.name, target_name, sizeof rec.name);
  record = _fs_meta_format_record (&rec, &record_len);
  if (handle->has_record && !_fs_write_all (handle->lock.fd, record, record_len, 0))
    return _fs_throw_errno (error, errno, _ ("Writing the journal record of %s"), handle->dir_name);
  _fs_fault_point ("commit-record");

  /* 5 */
  _fs_store_op_begin (store);
  ok = _fs_evict_account_for_commit (store, size, max, handle->has_record ? handle->lock.fd : -1,
                                     handle->dir_name, &fits, cancellable, error);
  _fs_store_op_end (store);
  if (!ok)
    return FALSE;
  if (!fits)
    {
      *out_status = FS_CACHE_COMMIT_NO_SPACE;
      return TRUE;
    }
  _fs_fault_point ("commit-accounted");

  /* 6 */
  if (!publish (store, handle, target_name, size, &exists, error))
    {
      if (!exists)
        return FALSE;
      *out_status = FS_CACHE_COMMIT_EXISTS;
      return TRUE;
    }
  _fs_fault_point ("commit-renamed");

  /* In a shared cache any member of the group must be able to evict the
   * entry: its directories become group-writable. Done only now, so a tree
   * moved in and declined goes back unchanged. */
  if (_fs_store_is_shared (store))
    {
      char stored_data[FS_ENTRY_PATH_SIZE];

      _fs_join (stored_data, sizeof stored_data, target_name, FS_DIR_DATA);
      _fs_tree_make_group_writable_at (area_fd, stored_data);
    }

  /* 7: both after the rename: on a journaling file system the first sync
   * commits the rename with object.info, and the second has little left to
   * do — as cheap as the fsync() of objects/ alone, and cheaper than a
   * second syncfs(), which would wait for whatever else the file system
   * writes. */
  if (durable)
    {
      _fs_count_sync ();
      if (fdatasync (info_fd) < 0)
        sync_errno = errno;
      _fs_count_sync ();
      if (fsync (area_fd) < 0 && sync_errno == 0)
        sync_errno = errno;
    }

  /* 8 */
  if (handle->has_record && unlinkat (store->journal_fd, handle->dir_name, 0) < 0)
    g_debug ("could not remove journal record %s: %s", handle->dir_name, g_strerror (errno));
  handle->has_record = FALSE;
  if (ftruncate (handle->lock.fd, 0) < 0)
    g_debug ("could not clear the lock file of %s: %s", target_name, g_strerror (errno));
  if (_fs_lock_fd (handle->lock.fd, FS_LOCK_SHARED, NULL) < 0)
    g_debug ("could not convert the lock of %s: %s", target_name, g_strerror (errno));
  g_strlcpy (handle->dir_name, target_name, sizeof handle->dir_name);

  out_result->size = size;
  g_strlcpy (out_result->tree_digest, fs_cache_manifest_get_digest (written),
             sizeof out_result->tree_digest);
  *out_status = FS_CACHE_COMMIT_STORED;
  _fs_store_note_commit (store, target_name, out_result->tree_digest);
  if (sync_errno != 0)
    return _fs_throw_errno (error, sync_errno,
                            _ ("Stored %s in %s, but syncing it to the disk failed (it may not "
                               "survive a power cut)"),
                            target_name, store->path);
  return TRUE;
}
