/* fs-load.c: the lock protocol of a committed entry
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Loading
 *
 * objects/NAME/object.lock is opened, read-locked without waiting, and its
 * inode compared with the one at the path (a lock file replaced meanwhile
 * is opened again). A lock that can't be had means a writer is storing or
 * removing the entry: a miss, as osbuild has it. Under the read lock
 * nobody writes or removes the entry: it is whole when its object.info is
 * there and valid, and is not served otherwise. The last use is the atime
 * of object.lock: futimens(UTIME_NOW) needs write access only, not
 * ownership (osbuild's explicit time fails with EPERM for a user who does
 * not own the file); a user who may not write the cache can't record a
 * use, which only affects the order of eviction.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fs-load-private.h"
#include "fs-meta-private.h"

static gboolean
miss (FsStore *store, const char *name, GError **error)
{
  g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS, _ ("No entry “%s” in %s"), name,
               store->path);
  return FALSE;
}

gboolean
_fs_load_lock (FsStore *store,
               const char *name,
               FsLockFlags flags,
               FsHandle *out,
               guint64 *out_size,
               char **out_tree_digest,
               GError **error)
{
  char lock_path[FS_ENTRY_PATH_SIZE];
  char info_path[FS_ENTRY_PATH_SIZE];
  g_auto (FsLock) lock = FS_LOCK_INIT;
  g_autofree char *data = NULL;
  gsize len;
  int errsv;

  _fs_join (lock_path, sizeof lock_path, name, FS_FILE_OBJECT_LOCK);
  _fs_join (info_path, sizeof info_path, name, FS_FILE_OBJECT_INFO);

  if (_fs_lock_at (store->objects_fd, lock_path, flags & ~FS_LOCK_WAIT, NULL, &lock) < 0)
    {
      errsv = errno;
      if (errsv == ENOENT || errsv == ENOTDIR || errsv == ELOOP)
        return miss (store, name, error);
      if (errsv == EAGAIN && !(flags & FS_LOCK_EXCLUSIVE))
        return miss (store, name, error); /* being written or removed */
      if (errsv == EAGAIN)
        {
          g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_BUSY,
                       _ ("The entry “%s” in %s is in use"), name, store->path);
          return FALSE;
        }
      return _fs_throw_errno (error, errsv, _ ("Locking %s/%s/%s"), store->path, FS_DIR_OBJECTS,
                              lock_path);
    }

  if (!_fs_read_small_at (store->objects_fd, info_path, &data, &len, &errsv) &&
      !_fs_errno_is_invalid_meta (errsv))
    return _fs_throw_errno (error, errsv, _ ("Reading %s/%s/%s"), store->path, FS_DIR_OBJECTS,
                            info_path);
  if (data == NULL || !_fs_meta_parse_object_info_full (data, len, out_size, NULL, out_tree_digest))
    {
      g_debug ("entry %s has no valid object.info: a miss", name);
      return miss (store, name, error);
    }

  out->area = FS_AREA_OBJECTS;
  g_strlcpy (out->dir_name, name, sizeof out->dir_name);
  out->has_record = FALSE;
  out->lock = lock;
  lock.fd = -1;
  return TRUE;
}

gboolean
_fs_load (FsStore *store,
          const char *name,
          FsHandle *out,
          guint64 *out_size,
          char **out_tree_digest,
          GError **error)
{
  struct timespec times[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };

  if (!_fs_load_lock (store, name, FS_LOCK_SHARED, out, out_size, out_tree_digest, error))
    return FALSE;
  if (futimens (out->lock.fd, times) < 0)
    g_debug ("could not mark %s as used: %s", name, g_strerror (errno));
  return TRUE;
}
