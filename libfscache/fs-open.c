/* fs-open.c: opening a cache directory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Opening
 *
 * 1. The directory is created if needed (unless the caller only opens an
 *    existing cache), and cache.info read once early: the configuration
 *    decides the modes of the scaffolding, and its version whether we may
 *    change anything at all.
 * 2. The scaffolding: objects/, stage/ (which may be a symlink to another
 *    file system, as osbuild allows), CACHEDIR.TAG, cache.info, cache.lock
 *    and cache.size. Every piece is created whole or not at all (a file is
 *    written unnamed, then linked) and an existing piece is never touched,
 *    so any number of processes may open, and create, the same cache at
 *    once.
 * 3. cache.lock: first tried for writing, which succeeds only when nobody
 *    else has the cache open — then what crashed users left is repaired
 *    (fs-journal.c) — and converted to the shared read lock every open
 *    cache holds. Opening a clean cache reads no directory: its cost does
 *    not grow with the number of entries.
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "fs-journal-private.h"
#include "fs-lock-private.h"
#include "fs-open-private.h"

static const char cachedir_tag[] =
  "Signature: 8a477f597d28d172789f06886806bc55\n"
  "# This is a cache directory tag created by libfscache (see https://bford.info/cachedir/)\n";

static gboolean
read_boot_ids (FsStore *store, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;

  if (!g_file_get_contents ("/proc/sys/kernel/random/boot_id", &contents, NULL, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _ ("Reading the boot id of the kernel: "));
      return FALSE;
    }
  _fs_boot_id_compute (store->app_id, contents, store->boot_id);
  _fs_boot_id_compute ("org.libfscache.Journal", contents, store->journal_boot_id);
  return TRUE;
}

/* The process umask, read without changing it for other threads. */
static mode_t
read_umask (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL) &&
      (line = strstr (status, "\nUmask:")) != NULL)
    return (mode_t) g_ascii_strtoull (line + 7, NULL, 8) & 0777;
  return 022;
}

/* Link a new file with @contents at @name in @dirfd unless one exists: the
 * file appears whole or not at all, so any number of processes may race. */
static gboolean
create_file_once (FsStore *store, int dirfd, const char *name, const char *contents, GError **error)
{
  fs_autofd fd = -1;
  struct stat st;
  gsize len = strlen (contents);

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return TRUE;
  if (errno != ENOENT)
    return _fs_throw_errno (error, errno, _ ("Reading %s/%s"), store->path, name);

  fd = _fs_openat (dirfd, ".", O_TMPFILE | O_RDWR | O_NOCTTY, _fs_store_file_mode (store));
  if (fd >= 0)
    {
      _fs_store_fix_mode (store, fd, FALSE);
      if (!_fs_write_all (fd, contents, len, 0))
        return _fs_throw_errno (error, errno, _ ("Writing %s/%s"), store->path, name);
      if (!_fs_link_fd_at (fd, dirfd, name) && errno != EEXIST)
        return _fs_throw_errno (error, errno, _ ("Creating %s/%s"), store->path, name);
      return TRUE;
    }
  else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
    {
      /* No O_TMPFILE here: a temporary file in objects/, as osbuild does. */
      FsUuidName tmp;
      int errsv = 0;

      _fs_uuid_name_random (&tmp);
      fd = _fs_openat (store->objects_fd, tmp.str, O_RDWR | O_CREAT | O_EXCL | O_NOCTTY,
                       _fs_store_file_mode (store));
      if (fd < 0)
        return _fs_throw_errno (error, errno, _ ("Creating %s/%s/%s"), store->path, FS_DIR_OBJECTS,
                                tmp.str);
      if (!_fs_write_all (fd, contents, len, 0) ||
          (linkat (store->objects_fd, tmp.str, dirfd, name, 0) < 0 && errno != EEXIST))
        errsv = errno;
      unlinkat (store->objects_fd, tmp.str, 0);
      if (errsv != 0)
        return _fs_throw_errno (error, errsv, _ ("Creating %s/%s"), store->path, name);
      return TRUE;
    }
  return _fs_throw_errno (error, errno, _ ("Creating %s/%s"), store->path, name);
}

static int
open_subdir (FsStore *store, const char *name, gboolean follow, GError **error)
{
  int fd;

  if (store->incompatible)
    ; /* an incompatible cache is never changed */
  else if (mkdirat (store->dir_fd, name, _fs_store_dir_mode (store)) == 0)
    _fs_store_fix_mode_at (store, store->dir_fd, name, TRUE);
  else if (errno != EEXIST && errno != EACCES && errno != EROFS && errno != EPERM)
    {
      _fs_throw_errno (error, errno, _ ("Creating %s/%s"), store->path, name);
      return -1;
    }
  fd = openat (store->dir_fd, name,
               O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY | (follow ? 0 : O_NOFOLLOW));
  if (fd < 0)
    _fs_throw_errno (error, errno, _ ("Opening %s/%s"), store->path, name);
  return fd;
}

/* Whether the open directory is a cache: it has cache.info, or objects/,
 * which libfscache and osbuild both create before anything else (so a
 * cache another process is creating right now counts too). */
static gboolean
is_cache_dir (FsStore *store, GError **error)
{
  struct stat st;

  if (fstatat (store->dir_fd, FS_FILE_CACHE_INFO, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return TRUE;
  if (errno != ENOENT)
    return _fs_throw_errno (error, errno, _ ("Reading %s/%s"), store->path, FS_FILE_CACHE_INFO);
  if (fstatat (store->dir_fd, FS_DIR_OBJECTS, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (S_ISDIR (st.st_mode))
        return TRUE;
    }
  else if (errno != ENOENT)
    return _fs_throw_errno (error, errno, _ ("Reading %s/%s"), store->path, FS_DIR_OBJECTS);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               _ ("No cache at %s: the directory has no %s"), store->path, FS_FILE_CACHE_INFO);
  return FALSE;
}

/* Step 1. */
static gboolean
open_directory (FsStore *store, gboolean create, GError **error)
{
  struct stat st;
  gboolean corrupt;

  if (create && g_mkdir_with_parents (store->path, 0777) < 0)
    return _fs_throw_errno (error, errno, _ ("Creating the cache directory %s"), store->path);
  store->dir_fd = open (store->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
  if (store->dir_fd < 0 && errno == ENOENT && !create)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _ ("No cache at %s"), store->path);
      return FALSE;
    }
  if (store->dir_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening the cache directory %s"), store->path);
  if (!create && !is_cache_dir (store, error))
    return FALSE;
  if (fstat (store->dir_fd, &st) == 0)
    store->dir_group_writable = (st.st_mode & S_IWGRP) != 0;

  if (!_fs_store_load_info (store, TRUE, &corrupt, NULL) && store->info == NULL)
    store->info = fs_cache_info_new ();
  store->incompatible =
    !corrupt && !(fs_cache_info_has_version (store->info) &&
                  fs_cache_info_get_version (store->info) == FS_CACHE_FORMAT_VERSION);
  return TRUE;
}

/* Step 2. */
static gboolean
make_scaffolding (FsStore *store, GError **error)
{
  store->objects_fd = open_subdir (store, FS_DIR_OBJECTS, FALSE, error);
  if (store->objects_fd < 0)
    return FALSE;
  store->stage_fd = open_subdir (store, FS_DIR_STAGE, TRUE, error);
  if (store->stage_fd < 0)
    return FALSE;
  if (store->incompatible)
    return TRUE;
  return create_file_once (store, store->dir_fd, FS_FILE_CACHE_TAG, cachedir_tag, error) &&
         create_file_once (store, store->dir_fd, FS_FILE_CACHE_INFO, "{\"version\": 1}", error) &&
         create_file_once (store, store->dir_fd, FS_FILE_CACHE_LOCK, "", error) &&
         create_file_once (store, store->dir_fd, FS_FILE_CACHE_SIZE, "0", error);
}

/* Step 3, first half: the cache lock, for writing when nobody else has the
 * cache open (*@out_idle), else for reading. */
static gboolean
take_cache_lock (FsStore *store,
                 FsLock *out_lock,
                 gboolean *out_idle,
                 GCancellable *cancellable,
                 GError **error)
{
  *out_idle = FALSE;
  if (_fs_lock_at (store->dir_fd, FS_FILE_CACHE_LOCK, FS_LOCK_EXCLUSIVE, NULL, out_lock) == 0)
    {
      *out_idle = TRUE;
      return TRUE;
    }
  if (errno == EAGAIN || errno == EACCES || errno == EROFS)
    {
      /* Writable where we may write it: a write lock needs a writable
       * descriptor, and a cache opened while in use may have it to itself
       * later (for a recount: see _fs_store_try_exclusive()). */
      FsLockFlags flags = FS_LOCK_SHARED | FS_LOCK_WAIT | (errno == EAGAIN ? FS_LOCK_WRITABLE : 0);

      if (_fs_lock_at (store->dir_fd, FS_FILE_CACHE_LOCK, flags, cancellable, out_lock) == 0)
        return TRUE;
      if (errno == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
    }
  return _fs_throw_errno (error, errno, _ ("Locking %s/%s"), store->path, FS_FILE_CACHE_LOCK);
}

FsStore *
_fs_store_open (const char *app_id,
                const char *path,
                gboolean create,
                GCancellable *cancellable,
                GError **error)
{
  g_autoptr (FsStore) store = _fs_store_new ();
  g_auto (FsLock) lock = FS_LOCK_INIT;
  gboolean idle = FALSE;
  gboolean info_corrupt = FALSE;

  store->app_id = g_strdup (app_id);
  store->path = g_strdup (path);
  store->umask = read_umask ();
  if (!read_boot_ids (store, error))
    return NULL;

  if (!open_directory (store, create, error) || !make_scaffolding (store, error) ||
      !take_cache_lock (store, &lock, &idle, cancellable, error))
    return NULL;

  /* Again, under the cache lock. */
  if (!_fs_store_load_info (store, FALSE, &info_corrupt, error))
    return NULL;
  if (!info_corrupt && !(fs_cache_info_has_version (store->info) &&
                         fs_cache_info_get_version (store->info) == FS_CACHE_FORMAT_VERSION))
    store->incompatible = TRUE;
  if (!store->incompatible)
    {
      store->journal_fd = open_subdir (store, FS_DIR_JOURNAL, FALSE, NULL);
      if (store->journal_fd < 0)
        g_debug ("no journal in %s: %s", store->path, g_strerror (errno));
    }

  if (info_corrupt && store->journal_fd >= 0)
    {
      /* Rewritten under its lock, only if it is still unreadable then. */
      g_autoptr (GError) local_error = NULL;
      g_autoptr (FsCacheInfo) defaults = fs_cache_info_new ();

      fs_cache_info_set_version (defaults, FS_CACHE_FORMAT_VERSION);
      if (!_fs_store_set_info (store, defaults, cancellable, &local_error))
        g_debug ("could not rewrite cache.info: %s", local_error->message);
    }

  if (idle && store->journal_fd >= 0)
    {
      g_autoptr (GError) local_error = NULL;
      if (!_fs_journal_recover (store, TRUE, NULL, cancellable, &local_error))
        g_warning (_ ("Recovering the cache %s failed: %s"), store->path, local_error->message);
    }

  /* The statistics go to stats/ (fs-stats.c); an incompatible cache is
   * never changed, so there they are only counted. */
  if (store->journal_fd >= 0)
    _fs_stats_attach (store->stats, store->dir_fd, store->path, _fs_store_is_shared (store),
                      store->umask);

  /* Step 3, second half. */
  if (idle && _fs_lock_fd (lock.fd, FS_LOCK_SHARED, NULL) < 0)
    return _fs_throw_errno (error, errno, _ ("Locking %s/%s"), store->path, FS_FILE_CACHE_LOCK),
           NULL;
  store->lock_fd = _fs_lock_steal_fd (&lock);

  g_debug ("opened cache %s (%s)", store->path, idle ? "idle" : "shared");
  return g_steal_pointer (&store);
}
