/* fs-import.c: filling an anonymous entry from a tree outside the cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Importing
 *
 * The entry's data/ gets the source's contents (a directory), or the
 * source itself under its base name (a file, a symlink): copied by the
 * copy engine (fs-copy.c: reflink, copy_file_range, read/write, metadata
 * kept), or with FS_CACHE_STORE_MOVE renamed in when it is on the cache's
 * file system — the caller renames it back if the entry is not stored.
 * Across file systems a move is a copy, and the source is removed only once
 * the entry is stored (or refused, with FS_CACHE_STORE_NO_COPY).
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>

#include "fs-copy-private.h"
#include "fs-import-private.h"
#include "fs-manifest-format-private.h"

void
_fs_import_result_clear (FsImportResult *result)
{
  g_clear_pointer (&result->moved_from, g_free);
  g_clear_pointer (&result->moved_child, g_free);
  g_clear_pointer (&result->copied_from, g_free);
  g_clear_object (&result->manifest);
}

static int
open_entry_dir (FsStore *store, FsHandle *handle)
{
  return openat (_fs_store_area_fd (store, handle->area), handle->dir_name,
                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* FALSE with *@out_cross when the source is on another file system. */
static gboolean
move_in (FsStore *store,
         int entry_fd,
         const char *source,
         const struct stat *st,
         FsCacheStoreFlags flags,
         GFileProgressCallback progress,
         gpointer progress_data,
         FsImportResult *out_result,
         gboolean *out_cross,
         GError **error)
{
  gboolean is_dir = S_ISDIR (st->st_mode);
  g_autofree char *base = g_path_get_basename (source);
  g_autofree char *target =
    is_dir ? g_strdup (FS_DIR_DATA) : g_build_filename (FS_DIR_DATA, base, NULL);
  int errsv;

  *out_cross = FALSE;
  if (is_dir && unlinkat (entry_fd, FS_DIR_DATA, AT_REMOVEDIR) < 0)
    return _fs_throw_errno (error, errno, _ ("Preparing the new entry of %s"), store->path);
  if (renameat (AT_FDCWD, source, entry_fd, target) == 0)
    {
      out_result->moved_from = g_strdup (source);
      out_result->moved_child = g_strdup (is_dir ? "" : base);
      if (progress != NULL)
        progress (st->st_size, st->st_size, progress_data);
      return TRUE;
    }
  errsv = errno;
  if (is_dir && mkdirat (entry_fd, FS_DIR_DATA, _fs_store_dir_mode (store)) < 0)
    return _fs_throw_errno (error, errno, _ ("Preparing the new entry of %s"), store->path);
  if (errsv != EXDEV)
    return _fs_throw_errno (error, errsv, _ ("Moving %s into the cache %s"), source, store->path);
  if (flags & FS_CACHE_STORE_NO_COPY)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _ ("Can't move %s into the cache %s: not on the same file system"), source,
                   store->path);
      return FALSE;
    }
  *out_cross = TRUE;
  return FALSE;
}

gboolean
_fs_import_tree (FsStore *store,
                 FsHandle *handle,
                 const char *source,
                 FsCacheStoreFlags flags,
                 GFileProgressCallback progress,
                 gpointer progress_data,
                 FsImportResult *out_result,
                 GCancellable *cancellable,
                 GError **error)
{
  g_autofree char *base = g_path_get_basename (source);
  fs_autofd entry_fd = open_entry_dir (store, handle);
  g_autoptr (FsManifestBuilder) builder = NULL;
  FsCopyOptions copy = { 0 };
  struct stat st;

  if (entry_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening the new entry of %s"), store->path);
  if (lstat (source, &st) < 0)
    return _fs_throw_errno (error, errno, _ ("Reading %s"), source);

  if (flags & FS_CACHE_STORE_MOVE)
    {
      gboolean cross;

      if (move_in (store, entry_fd, source, &st, flags, progress, progress_data, out_result, &cross,
                   error))
        return TRUE;
      if (!cross)
        return FALSE;
      out_result->copied_from = g_strdup (source);
    }

  /* Copied, and hashed while copied: the manifest comes with the copy. */
  builder = _fs_manifest_builder_new (-1, 1, cancellable);
  _fs_manifest_builder_set_flags (builder, _fs_store_is_shared (store)
                                             ? FS_MANIFEST_BUILD_SHARED_DIRS
                                             : FS_MANIFEST_BUILD_NONE);
  copy.cancellable = cancellable;
  copy.progress = progress;
  copy.progress_data = progress_data;
  copy.shared = _fs_store_is_shared (store);
  copy.manifest = builder;
  if (progress != NULL)
    copy.total_bytes = _fs_copy_content_bytes (AT_FDCWD, source);

  if (S_ISDIR (st.st_mode))
    {
      copy.manifest_root_is_copy = TRUE;
      if (!_fs_copy_tree (AT_FDCWD, source, entry_fd, FS_DIR_DATA, &copy, error))
        return FALSE;
    }
  else
    {
      fs_autofd data_fd = openat (entry_fd, FS_DIR_DATA, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

      if (data_fd < 0)
        return _fs_throw_errno (error, errno, _ ("Opening the new entry of %s"), store->path);
      if (!_fs_copy_tree (AT_FDCWD, source, data_fd, base, &copy, error))
        return FALSE;
      /* data/ itself, which the copy did not make. */
      if (copy.shared)
        _fs_store_fix_mode (store, data_fd, TRUE);
      if (!_fs_manifest_builder_add_fd (builder, FS_MANIFEST_ROOT, data_fd, NULL, error))
        return FALSE;
    }
  out_result->manifest = _fs_manifest_builder_end (builder, error);
  return out_result->manifest != NULL;
}
