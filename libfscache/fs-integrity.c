/* fs-integrity.c: the manifests of committed entries — read, verify, add
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Integrity
 *
 * An entry committed by libfscache 1.1 carries its manifest in
 * objects/NAME/object.manifest, and the manifest's SHA-256 (the tree
 * digest) in object.info (FS_META_TREE_DIGEST_KEY). Both are written before
 * the entry is published (fs-commit.c), so they appear and vanish with it;
 * osbuild ignores both. Reading a manifest checks that it parses and that
 * its digest is the one object.info names: a manifest that does neither is
 * corrupt, like a file that differs from it. An entry without a manifest
 * (osbuild's, or libfscache 1.0's) is not corrupt: it has none
 * (FS_CACHE_ERROR_NO_MANIFEST), and can be given one under its write lock.
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>

#include "fs-cache-manifest-private.h"
#include "fs-integrity-private.h"
#include "fs-load-private.h"
#include "fs-manifest-private.h"
#include "fs-meta-private.h"

FsCacheManifest *
_fs_integrity_read_manifest (FsStore *store,
                             const FsHandle *handle,
                             const char *expected_digest,
                             GError **error)
{
  int area_fd = _fs_store_area_fd (store, handle->area);
  char path[FS_ENTRY_PATH_SIZE];
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (FsCacheManifest) manifest = NULL;
  g_autoptr (GError) local_error = NULL;
  int errsv;

  /* object.info decides: without a tree digest there, the entry has no
   * manifest, whatever object.manifest file it may hold (one a killed
   * _fs_integrity_add_manifest() left, never named). */
  if (expected_digest == NULL)
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_MANIFEST,
                   _ ("The entry “%s” in %s has no manifest (it was stored by osbuild or an "
                      "older libfscache)"),
                   handle->dir_name, store->path);
      return NULL;
    }

  _fs_join (path, sizeof path, handle->dir_name, FS_FILE_OBJECT_MANIFEST);
  if (!_fs_read_file_at (area_fd, path, FS_MANIFEST_MAX_SIZE, &bytes, &errsv))
    {
      if (_fs_errno_is_invalid_meta (errsv))
        {
          g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT,
                       _ ("The manifest %s/%s/%s is missing or unreadable: %s"), store->path,
                       _fs_area_name (handle->area), path, g_strerror (errsv));
          return NULL;
        }
      _fs_throw_errno (error, errsv, _ ("Reading %s/%s/%s"), store->path,
                       _fs_area_name (handle->area), path);
      return NULL;
    }

  manifest = fs_cache_manifest_new_from_bytes (bytes, &local_error);
  if (manifest == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code, "%s/%s/%s: %s", store->path,
                   _fs_area_name (handle->area), path, local_error->message);
      return NULL;
    }
  if (!g_str_equal (fs_cache_manifest_get_digest (manifest), expected_digest))
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT,
                   _ ("The manifest %s/%s/%s is not the one its entry was stored with (its "
                      "SHA-256 is %s, object.info says %s)"),
                   store->path, _fs_area_name (handle->area), path,
                   fs_cache_manifest_get_digest (manifest), expected_digest);
      return NULL;
    }
  return g_steal_pointer (&manifest);
}

gboolean
_fs_integrity_verify (FsStore *store,
                      const FsHandle *handle,
                      const char *expected_digest,
                      GFileProgressCallback progress,
                      gpointer progress_data,
                      GPtrArray **out_differences,
                      GCancellable *cancellable,
                      GError **error)
{
  int area_fd = _fs_store_area_fd (store, handle->area);
  char data_path[FS_ENTRY_PATH_SIZE];
  g_autoptr (FsCacheManifest) manifest = NULL;
  g_autoptr (GPtrArray) differences = NULL;

  manifest = _fs_integrity_read_manifest (store, handle, expected_digest, error);
  if (manifest == NULL)
    return FALSE;
  _fs_join (data_path, sizeof data_path, handle->dir_name, FS_DIR_DATA);
  if (!_fs_manifest_verify_at (area_fd, data_path, manifest, 0, progress, progress_data,
                               &differences, cancellable, error))
    return FALSE;
  if (out_differences != NULL)
    *out_differences = g_ptr_array_ref (differences);
  if (differences->len > 0)
    {
      g_autofree char *first = fs_cache_difference_to_string (differences->pdata[0]);

      if (differences->len == 1)
        g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT,
                     _ ("The entry “%s” in %s differs from its manifest: %s"), handle->dir_name,
                     store->path, first);
      else
        g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT,
                     _ ("The entry “%s” in %s differs from its manifest: %s (and %u more)"),
                     handle->dir_name, store->path, first, differences->len - 1);
      return FALSE;
    }
  return TRUE;
}

/* object.info rewritten with @digest, under the entry's write lock: a new
 * file renamed over the old one (a reader never sees half of it). */
static gboolean
rewrite_object_info (FsStore *store,
                     const char *name,
                     const char *boot_id,
                     guint64 size,
                     const char *digest,
                     gboolean durable,
                     GError **error)
{
  char info_path[FS_ENTRY_PATH_SIZE];
  g_autofree char *tmp_path = NULL;
  g_autofree char *text = NULL;
  fs_autofd fd = -1;
  FsUuidName tmp;
  gsize len;
  int errsv;

  _fs_join (info_path, sizeof info_path, name, FS_FILE_OBJECT_INFO);
  _fs_uuid_name_random (&tmp);
  tmp_path = g_strconcat (name, "/", tmp.str, NULL);
  text = _fs_meta_format_object_info (boot_id, size, digest, &len);
  fd = _fs_openat (store->objects_fd, tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY,
                   _fs_store_file_mode (store));
  if (fd < 0 || !_fs_write_all (fd, text, len, 0) || (durable && fdatasync (fd) < 0))
    {
      errsv = errno;
      unlinkat (store->objects_fd, tmp_path, 0);
      return _fs_throw_errno (error, errsv, _ ("Writing %s/%s/%s"), store->path, FS_DIR_OBJECTS,
                              info_path);
    }
  _fs_store_fix_mode (store, fd, FALSE);
  if (renameat (store->objects_fd, tmp_path, store->objects_fd, info_path) < 0)
    {
      errsv = errno;
      unlinkat (store->objects_fd, tmp_path, 0);
      return _fs_throw_errno (error, errsv, _ ("Writing %s/%s/%s"), store->path, FS_DIR_OBJECTS,
                              info_path);
    }
  return TRUE;
}

gboolean
_fs_integrity_add_manifest (FsStore *store,
                            const char *name,
                            char out_digest[FS_DIGEST_HEX_SIZE],
                            GCancellable *cancellable,
                            GError **error)
{
  g_autoptr (FsCacheManifest) manifest = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *boot_id = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *text = NULL;
  g_auto (FsLock) lock = FS_LOCK_INIT;
  FsHandle handle = FS_HANDLE_INIT;
  char path[FS_ENTRY_PATH_SIZE];
  gboolean durable = !_fs_store_is_volatile (store);
  fs_autofd fd = -1;
  guint64 size;
  gsize len;
  int errsv;
  const void *data;

  /* The owner's agreement: the write lock (nobody reads or writes it). */
  if (!_fs_load_lock (store, name, FS_LOCK_EXCLUSIVE, &handle, &size, NULL, error))
    return FALSE;
  lock = handle.lock; /* given back on every return */

  /* object.info again, for its boot id and a digest it may have. */
  _fs_join (path, sizeof path, name, FS_FILE_OBJECT_INFO);
  if (!_fs_read_small_at (store->objects_fd, path, &text, &len, &errsv) ||
      !_fs_meta_parse_object_info_full (text, len, &size, &boot_id, &digest))
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS, _ ("No entry “%s” in %s"), name,
                   store->path);
      return FALSE;
    }

  /* One already: nothing to add, if it is whole. */
  manifest = _fs_integrity_read_manifest (store, &handle, digest, &local_error);
  if (manifest != NULL)
    {
      g_strlcpy (out_digest, fs_cache_manifest_get_digest (manifest), FS_DIGEST_HEX_SIZE);
      return TRUE;
    }
  if (!g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_MANIFEST))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  manifest =
    _fs_manifest_build_at (store->objects_fd, _fs_join (path, sizeof path, name, FS_DIR_DATA),
                           _fs_store_is_shared (store) ? FS_MANIFEST_BUILD_SHARED_DIRS
                                                       : FS_MANIFEST_BUILD_NONE,
                           0, cancellable, error);
  if (manifest == NULL)
    return FALSE;

  /* The manifest first (a leftover of a killed add is replaced), then
   * object.info naming it: a kill in between leaves a manifest object.info
   * does not name, which counts as none. */
  _fs_join (path, sizeof path, name, FS_FILE_OBJECT_MANIFEST);
  (void) unlinkat (store->objects_fd, path, 0);
  data = g_bytes_get_data (fs_cache_manifest_get_bytes (manifest), &len);
  fd = _fs_openat (store->objects_fd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY,
                   _fs_store_file_mode (store));
  if (fd < 0 || !_fs_write_all (fd, data, len, 0) || (durable && fdatasync (fd) < 0))
    return _fs_throw_errno (error, errno, _ ("Writing %s/%s/%s"), store->path, FS_DIR_OBJECTS,
                            path);
  _fs_store_fix_mode (store, fd, FALSE);
  if (!rewrite_object_info (store, name, boot_id != NULL ? boot_id : store->boot_id, size,
                            fs_cache_manifest_get_digest (manifest), durable, error))
    return FALSE;
  if (durable && fsync (store->objects_fd) < 0)
    g_debug ("could not sync %s/%s: %s", store->path, FS_DIR_OBJECTS, g_strerror (errno));
  g_strlcpy (out_digest, fs_cache_manifest_get_digest (manifest), FS_DIGEST_HEX_SIZE);
  return TRUE;
}
