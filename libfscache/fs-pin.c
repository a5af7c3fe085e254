/* fs-pin.c: entries pinned against eviction
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Pins
 *
 * A pinned entry is never chosen by eviction — neither to make room for a
 * commit, nor when the maximum size is lowered, nor by a prune — but can
 * still be removed by name (which drops its pin).
 *
 * A pin is an empty file pins/NAME at the top of the cache: osbuild
 * ignores the folder, so the entries and their format are untouched, and
 * osbuild, which does not know pins, may still evict a pinned entry (its
 * pin is then stale). An eviction pass reads the folder once into a set:
 * one listing, instead of a look-up per entry it considers. The pin of an
 * entry that is gone is removed by garbage collection (_fs_pin_sweep()),
 * which checks the entry again after removing the pin and puts the pin
 * back if the entry was committed and pinned meanwhile.
 *
 * Pinning checks that the entry is committed (its object.info is there);
 * a pin is not a lock: pinning and unpinning never wait.
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>

#include "fs-pin-private.h"

/* pins/, created when @create; -1 with errno (ENOENT: none yet). */
static int
open_pins (FsStore *store, gboolean create)
{
  if (create && mkdirat (store->dir_fd, FS_DIR_PINS, _fs_store_dir_mode (store)) == 0)
    _fs_store_fix_mode_at (store, store->dir_fd, FS_DIR_PINS, TRUE);
  return openat (store->dir_fd, FS_DIR_PINS,
                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
}

static gboolean
entry_is_committed (FsStore *store, const char *name)
{
  char info_path[FS_ENTRY_PATH_SIZE];
  struct stat st;

  _fs_join (info_path, sizeof info_path, name, FS_FILE_OBJECT_INFO);
  return fstatat (store->objects_fd, info_path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISREG (st.st_mode);
}

static gboolean
create_pin (FsStore *store, const char *name, GError **error)
{
  fs_autofd dfd = open_pins (store, TRUE);
  fs_autofd fd = -1;

  if (dfd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening %s/%s"), store->path, FS_DIR_PINS);
  fd = _fs_openat (dfd, name, O_WRONLY | O_CREAT | O_NOCTTY, _fs_store_file_mode (store));
  if (fd < 0)
    return _fs_throw_errno (error, errno, _ ("Pinning “%s” in %s"), name, store->path);
  _fs_store_fix_mode (store, fd, FALSE);
  return TRUE;
}

gboolean
_fs_pin_set (FsStore *store, const char *name, gboolean pinned, GError **error)
{
  fs_autofd dfd = -1;

  if (pinned)
    {
      if (!entry_is_committed (store, name))
        {
          g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS, _ ("No entry “%s” in %s"), name,
                       store->path);
          return FALSE;
        }
      return create_pin (store, name, error);
    }

  dfd = open_pins (store, FALSE);
  if (dfd < 0 && errno == ENOENT)
    return TRUE;
  if (dfd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening %s/%s"), store->path, FS_DIR_PINS);
  if (unlinkat (dfd, name, 0) < 0 && errno != ENOENT)
    return _fs_throw_errno (error, errno, _ ("Unpinning “%s” in %s"), name, store->path);
  return TRUE;
}

gboolean
_fs_pin_is_pinned (FsStore *store, const char *name)
{
  char path[sizeof FS_DIR_PINS + 1 + FS_NAME_MAX + 1];
  struct stat st;

  _fs_join (path, sizeof path, FS_DIR_PINS, name);
  return fstatat (store->dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG (st.st_mode);
}

GHashTable *
_fs_pin_read_all (FsStore *store, GError **error)
{
  g_autoptr (GHashTable) set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) names = NULL;
  fs_autofd dfd = open_pins (store, FALSE);

  if (dfd < 0 && (errno == ENOENT || errno == ENOTDIR))
    return g_steal_pointer (&set);
  if (dfd < 0 || (names = _fs_dir_names (dfd, NULL)) == NULL)
    {
      _fs_throw_errno (error, errno, _ ("Reading the pins of %s/%s"), store->path, FS_DIR_PINS);
      return NULL;
    }
  for (guint i = 0; i < names->len; i++)
    g_hash_table_add (set, g_steal_pointer (&names->pdata[i]));
  return g_steal_pointer (&set);
}

void
_fs_pin_forget (FsStore *store, const char *name)
{
  g_autoptr (GError) local_error = NULL;

  if (!_fs_pin_set (store, name, FALSE, &local_error))
    g_debug ("could not drop the pin of %s: %s", name, local_error->message);
}

gboolean
_fs_pin_sweep (FsStore *store, gboolean dry_run, guint *out_removed, GError **error)
{
  g_autoptr (GPtrArray) names = NULL;
  fs_autofd dfd = open_pins (store, FALSE);

  *out_removed = 0;
  if (dfd < 0 && (errno == ENOENT || errno == ENOTDIR))
    return TRUE;
  if (dfd < 0 || (names = _fs_dir_names (dfd, NULL)) == NULL)
    return _fs_throw_errno (error, errno, _ ("Reading the pins of %s/%s"), store->path,
                            FS_DIR_PINS);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];

      if (!_fs_name_check (name, NULL) || entry_is_committed (store, name))
        continue;
      (*out_removed)++;
      if (dry_run)
        continue;
      if (unlinkat (dfd, name, 0) < 0)
        continue;
      g_debug ("removed the stale pin of %s", name);
      /* Committed and pinned since we looked: the pin goes back. */
      if (entry_is_committed (store, name) && create_pin (store, name, NULL))
        (*out_removed)--;
    }
  return TRUE;
}
