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

#include <fcntl.h>
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

/* The key of object.info that records the digest of the entry's tree (the
 * integrity tier writes it with the manifest). */
#define TREE_DIGEST_KEY "fscache-tree-digest"
#define FILE_OBJECT_MANIFEST "object.manifest"

void
_fs_entry_details_clear (FsEntryDetails *details)
{
  g_clear_pointer (&details->boot_id, g_free);
  g_clear_pointer (&details->tree_digest, g_free);
}

static gint64
timespec_usec (const struct timespec *ts)
{
  return (gint64) ts->tv_sec * G_USEC_PER_SEC + ts->tv_nsec / 1000;
}

gboolean
_fs_load_describe (FsStore *store, const char *name, FsEntryDetails *out, GError **error)
{
  char lock_path[FS_ENTRY_PATH_SIZE];
  char info_path[FS_ENTRY_PATH_SIZE];
  char manifest_path[FS_ENTRY_PATH_SIZE];
  g_autofree char *data = NULL;
  g_autoptr (JsonObject) object = NULL;
  fs_autofd info_fd = -1;
  fs_autofd lock_fd = -1;
  struct stat st;
  gsize len;
  int errsv = 0;
  int held;

  memset (out, 0, sizeof *out);
  _fs_join (lock_path, sizeof lock_path, name, FS_FILE_OBJECT_LOCK);
  _fs_join (info_path, sizeof info_path, name, FS_FILE_OBJECT_INFO);
  _fs_join (manifest_path, sizeof manifest_path, name, FILE_OBJECT_MANIFEST);

  info_fd = _fs_openat (store->objects_fd, info_path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
  if (info_fd < 0 || fstat (info_fd, &st) < 0)
    errsv = errno;
  else if (!S_ISREG (st.st_mode))
    return miss (store, name, error);
  else
    (void) _fs_read_small_fd (info_fd, &data, &len, &errsv);
  if (errsv != 0 && _fs_errno_is_invalid_meta (errsv))
    return miss (store, name, error);
  if (errsv != 0)
    return _fs_throw_errno (error, errsv, _ ("Reading %s/%s/%s"), store->path, FS_DIR_OBJECTS,
                            info_path);
  if (!_fs_meta_parse_object_info (data, len, &out->size, &out->boot_id))
    return miss (store, name, error);
  out->created_usec = timespec_usec (&st.st_mtim);
  object = _fs_meta_parse_object (data, len);
  if (object != NULL && json_object_has_member (object, TREE_DIGEST_KEY))
    {
      JsonNode *node = json_object_get_member (object, TREE_DIGEST_KEY);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        out->tree_digest = g_strdup (json_node_get_string (node));
    }

  /* Opened read-only: asking needs no write access, and a read-only open
   * never creates nor changes the file. */
  lock_fd = _fs_openat (store->objects_fd, lock_path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
  if (lock_fd < 0 || fstat (lock_fd, &st) < 0)
    {
      errsv = errno;
      _fs_entry_details_clear (out);
      if (_fs_errno_is_invalid_meta (errsv))
        return miss (store, name, error);
      return _fs_throw_errno (error, errsv, _ ("Reading %s/%s/%s"), store->path, FS_DIR_OBJECTS,
                              lock_path);
    }
  out->last_used_usec = timespec_usec (&st.st_atim);
  held = _fs_lock_test (lock_fd, FS_LOCK_EXCLUSIVE);
  if (held < 0)
    {
      errsv = errno;
      _fs_entry_details_clear (out);
      return _fs_throw_errno (error, errsv, _ ("Locking %s/%s/%s"), store->path, FS_DIR_OBJECTS,
                              lock_path);
    }
  out->in_use = held == 1;
  out->has_manifest = fstatat (store->objects_fd, manifest_path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                      S_ISREG (st.st_mode);
  return TRUE;
}
