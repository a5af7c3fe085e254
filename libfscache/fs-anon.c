/* fs-anon.c: anonymous entries — creation, discard and sweeping
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Anonymous entries
 *
 * A staging entry stage/uuid-X/ and an entry being stored objects/uuid-X/
 * are folders named by a random uuid, holding object.lock (write-locked by
 * their creator for as long as the entry lives) and data/. The creator:
 *
 *   1. makes the lock file unnamed (O_TMPFILE) and write-locks it, so that
 *      it is locked before anyone can find it;
 *   2. for a store, links it as the journal record journal/uuid-X;
 *   3. makes the folder uuid-X, then links the lock file in as
 *      uuid-X/object.lock;
 *   4. makes uuid-X/data, and checks that the lock file at its name is
 *      still its own.
 *
 * Between the mkdir and the link of 3 the folder is empty and has no lock
 * file: its creation window. osbuild's creators (_atomic_dir) have the same
 * window — their lock file is a locked temporary file renamed in without
 * replacing — and survive one thing in it: the folder vanishing (ENOENT),
 * after which they take another name. Any other error (EEXIST when a lock
 * file appeared) fails osbuild's stage or store.
 *
 * # Sweeping
 *
 * _fs_anon_sweep() judges a top-level uuid-* of stage/ or objects/ for
 * every collector (recovery, eviction passes, garbage collection):
 *
 *   - one of ours with a journal record belongs to record recovery, which
 *     locks the record, that is the creator's lock file, and so covers
 *     creation too (the record is linked before the mkdir);
 *   - a bare temporary file (osbuild's, replacing a metadata file) is
 *     created unlocked, locked, and its path then stat()ed by osbuild,
 *     which fails if it is gone: it is considered only once it is older
 *     than a grace period (ten minutes), so that window is never hit;
 *   - a folder with a lock file, and an old bare temporary file, are stale when
 *     the lock file can be write-locked: renamed to a fresh name, then
 *     deleted there, so that nothing its late owner (or anyone going by its
 *     old name) adds afterwards is deleted with it;
 *   - an empty folder without a lock file may be in its creation window. It
 *     is removed with rmdir() and nothing else: rmdir fails if the lock
 *     file came meanwhile, and a link (or rename) of the lock file already
 *     on its way into the folder then fails with ENOENT (nothing is created
 *     in a removed directory), the error every creator takes another name
 *     on. It is never given a lock file (osbuild's rename in would fail
 *     with EEXIST) nor renamed (a link that resolved the folder's name just
 *     before would land in the renamed folder, under the delete, leaving
 *     its creator with a name that no longer exists: issue 11);
 *   - a folder without a lock file that is not empty is no creator's (a
 *     creator's first entry is its lock file): it is given one, and is
 *     removed under its lock as above.
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "fs-anon-private.h"
#include "fs-lock-private.h"
#include "fs-tree-private.h"
#include "fs-util-private.h"

static int
create_lock_file (int area_fd, mode_t mode, gboolean *out_tmpfile)
{
  int fd = _fs_openat (area_fd, ".", O_TMPFILE | O_RDWR | O_NOCTTY, mode);

  *out_tmpfile = fd >= 0;
  return fd;
}

/* In a function returning a descriptor: set @error, return -1. */
#define THROW_FD(...) (_fs_throw_errno (__VA_ARGS__), -1)

int
_fs_anon_create (FsCache *cache,
                 int area_fd,
                 const char *area,
                 gboolean with_record,
                 char out_name[38],
                 gboolean *out_has_record,
                 GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  mode_t fmode = _fs_cache_get_file_mode (cache);
  mode_t dmode = _fs_cache_get_dir_mode (cache);

  *out_has_record = FALSE;

  for (int attempt = 0; attempt < 16; attempt++)
    {
      fs_autofd fd = -1;
      char lock_path[38 + sizeof "/" FS_FILE_OBJECT_LOCK];
      char data_path[38 + sizeof "/" FS_DIR_DATA];
      gboolean tmpfile, has_record = FALSE;
      int errsv;

      _fs_random_uuid_name (out_name);
      g_snprintf (lock_path, sizeof lock_path, "%s/%s", out_name, FS_FILE_OBJECT_LOCK);
      g_snprintf (data_path, sizeof data_path, "%s/%s", out_name, FS_DIR_DATA);

      fd = create_lock_file (area_fd, fmode, &tmpfile);
      if (fd >= 0)
        {
          /* Unnamed: nobody else can see it before it is locked. */
          _fs_cache_fix_mode (cache, fd, FALSE);
          if (_fs_lock_fd (fd, F_WRLCK, FALSE, NULL) < 0)
            return THROW_FD (error, errno, _ ("Locking a new entry in %s/%s"), dirs->path, area);
          if (with_record && dirs->journal_fd >= 0)
            {
              if (_fs_link_fd_at (fd, dirs->journal_fd, out_name))
                has_record = TRUE;
              else if (errno == EEXIST)
                continue; /* the name is taken: draw another */
              else if (errno != EXDEV)
                return THROW_FD (error, errno, _ ("Creating a journal record in %s/%s"), dirs->path,
                                 FS_DIR_JOURNAL);
            }
          _fs_fault_point ("anon-record");
          if (mkdirat (area_fd, out_name, dmode) < 0)
            {
              errsv = errno;
              if (has_record)
                unlinkat (dirs->journal_fd, out_name, 0);
              if (errsv == EEXIST)
                continue;
              return THROW_FD (error, errsv, _ ("Creating %s/%s/%s"), dirs->path, area, out_name);
            }
          _fs_cache_fix_mode_at (cache, area_fd, out_name, TRUE);
          if (!_fs_link_fd_at (fd, area_fd, lock_path))
            {
              errsv = errno;
              unlinkat (area_fd, out_name, AT_REMOVEDIR);
              if (has_record)
                unlinkat (dirs->journal_fd, out_name, 0);
              /* A racing sweeper removed the fresh directory or planted a
               * lock file in it: take another name. */
              if (errsv == ENOENT || errsv == EEXIST)
                continue;
              return THROW_FD (error, errsv, _ ("Creating %s/%s/%s"), dirs->path, area, lock_path);
            }
        }
      else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
        {
          /* No O_TMPFILE here: create the directory, then the lock file,
           * and check nobody replaced it before we locked it. */
          struct stat st;
          if (mkdirat (area_fd, out_name, dmode) < 0)
            {
              if (errno == EEXIST)
                continue;
              return THROW_FD (error, errno, _ ("Creating %s/%s/%s"), dirs->path, area, out_name);
            }
          fd = _fs_lock_open_at (area_fd, lock_path, O_RDWR | O_CREAT | O_EXCL | O_NOCTTY, fmode,
                                 F_WRLCK, FALSE, NULL, &st);
          if (fd < 0)
            {
              errsv = errno;
              _fs_rm_rf_at (area_fd, out_name);
              if (errsv == ENOENT || errsv == EEXIST || errsv == EAGAIN)
                continue;
              return THROW_FD (error, errsv, _ ("Creating %s/%s/%s"), dirs->path, area, lock_path);
            }
          if (with_record && dirs->journal_fd >= 0)
            {
              if (linkat (area_fd, lock_path, dirs->journal_fd, out_name, 0) == 0)
                has_record = TRUE;
              else if (errno != EXDEV)
                {
                  errsv = errno;
                  _fs_rm_rf_at (area_fd, out_name);
                  return THROW_FD (error, errsv, _ ("Creating a journal record in %s/%s"),
                                   dirs->path, FS_DIR_JOURNAL);
                }
            }
        }
      else
        return THROW_FD (error, errno, _ ("Creating a lock file in %s/%s"), dirs->path, area);

      if (mkdirat (area_fd, data_path, dmode) < 0)
        {
          errsv = errno;
          if (errsv != ENOENT)
            _fs_rm_rf_at (area_fd, out_name);
          if (has_record)
            unlinkat (dirs->journal_fd, out_name, 0);
          /* The folder is gone: a sweeper that does not keep to
           * _fs_anon_sweep()'s rules (one that gives a lock file to, then
           * removes, a folder in its creation window, as libfscache did
           * before) took it with our link in flight. Another name. */
          if (errsv == ENOENT)
            continue;
          return THROW_FD (error, errsv, _ ("Creating %s/%s/%s"), dirs->path, area, data_path);
        }
      _fs_cache_fix_mode_at (cache, area_fd, data_path, TRUE);

      /* The same, found later: check the lock file is still ours. */
      {
        struct stat ours, there;
        if (fstat (fd, &ours) < 0 ||
            fstatat (area_fd, lock_path, &there, AT_SYMLINK_NOFOLLOW) < 0 ||
            ours.st_dev != there.st_dev || ours.st_ino != there.st_ino)
          {
            if (has_record)
              unlinkat (dirs->journal_fd, out_name, 0);
            continue;
          }
      }

      *out_has_record = has_record;
      return _fs_steal_fd (&fd);
    }

  return THROW_FD (error, EEXIST, _ ("Creating an entry in %s/%s"), dirs->path, area);
}

void
_fs_anon_discard (FsCache *cache, int area_fd, const char *name, int lock_fd, gboolean has_record)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  char path[38 + sizeof "/" FS_FILE_OBJECT_LOCK];
  struct stat ours, there;

  /* Only ours: the lock file at that name must be the one we hold. */
  g_snprintf (path, sizeof path, "%s/%s", name, FS_FILE_OBJECT_LOCK);
  if (lock_fd >= 0 && fstat (lock_fd, &ours) == 0 &&
      fstatat (area_fd, path, &there, AT_SYMLINK_NOFOLLOW) == 0 &&
      (ours.st_dev != there.st_dev || ours.st_ino != there.st_ino))
    {
      g_warning ("%s is not the entry this process created: not removing it", name);
      return;
    }

  /* The entry first, the record last: a kill in between leaves a record
   * whose recovery finds nothing left to remove. Fast path for the layout
   * we made (an empty data/ and the lock file), the walk otherwise. */
  if (_fs_rm_anonymous_at (area_fd, name) < 0)
    g_debug ("could not remove %s: %s (left for garbage collection)", name, g_strerror (errno));
  _fs_fault_point ("discard-entry");
  if (has_record && unlinkat (dirs->journal_fd, name, 0) < 0 && errno != ENOENT)
    g_debug ("could not remove journal record %s: %s", name, g_strerror (errno));
}

int
_fs_anon_remove_stale_at (int dirfd, const char *name)
{
  char fresh[38];

  _fs_random_uuid_name (fresh);
  if (renameat2 (dirfd, name, dirfd, fresh, RENAME_NOREPLACE) < 0)
    return -1;
  return _fs_rm_rf_at (dirfd, fresh);
}

/* A bare temporary file modified this long ago can't be between its
 * creator's open and lock any more. */
#define FS_TEMP_FILE_GRACE_SECONDS (10 * 60)

static gboolean
temp_file_is_old (const struct stat *st)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  return st->st_mtim.tv_sec < now - FS_TEMP_FILE_GRACE_SECONDS;
}

gboolean
_fs_anon_sweep (int area_fd, int journal_fd, const char *name, gboolean dry_run, guint64 *out_bytes)
{
  g_autofree char *lock_path = NULL;
  fs_autofd fd = -1;
  struct stat st;
  guint64 size = 0;

  /* One of ours with a journal record belongs to record recovery. A dry
   * run, which recovers nothing, counts it when its owner is dead. */
  if (journal_fd >= 0 && fstatat (journal_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      fs_autofd rfd = -1;
      if (!dry_run)
        return FALSE;
      rfd = _fs_lock_open_at (journal_fd, name, O_RDWR | O_NOCTTY, 0, F_WRLCK, FALSE, NULL, NULL);
      if (rfd < 0 || fstatat (area_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return FALSE;
      if (_fs_tree_size_at (area_fd, name, &size, NULL, NULL, NULL))
        *out_bytes += size;
      return TRUE;
    }

  if (fstatat (area_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return FALSE;
  if (S_ISREG (st.st_mode))
    {
      /* osbuild creates its temporary files unlocked, locks them, then
       * stats the path (and fails if it is gone): a young one may be in
       * that window. Only one older than the grace period is a leftover. */
      if (!temp_file_is_old (&st))
        return FALSE;
      fd = _fs_lock_open_at (area_fd, name, O_RDWR | O_NOCTTY, 0, F_WRLCK, FALSE, NULL, NULL);
    }
  else if (S_ISDIR (st.st_mode))
    {
      lock_path = g_strconcat (name, "/" FS_FILE_OBJECT_LOCK, NULL);
      fd = _fs_lock_open_at (area_fd, lock_path, O_RDWR | O_NOCTTY, 0, F_WRLCK, FALSE, NULL, NULL);
      if (fd < 0 && errno == ENOENT)
        {
          /* No lock file: if empty, it may be in its creation window. */
          if (dry_run)
            {
              if (!_fs_tree_size_at (area_fd, name, &size, NULL, NULL, NULL))
                return FALSE;
              *out_bytes += size;
              return TRUE;
            }
          if (unlinkat (area_fd, name, AT_REMOVEDIR) == 0)
            {
              g_debug ("removed the empty folder %s", name);
              *out_bytes += (guint64) st.st_blocks * 512;
              return TRUE;
            }
          if (errno != ENOTEMPTY && errno != EEXIST)
            return FALSE; /* gone, or not ours to remove */
          /* Not empty, so no creator's (or its lock file came meanwhile,
           * and this opens that one): take it under a lock file. */
          fd = _fs_lock_open_at (area_fd, lock_path, O_RDWR | O_CREAT | O_NOCTTY, 0644, F_WRLCK,
                                 FALSE, NULL, NULL);
        }
    }
  else
    return FALSE; /* not something we make: leave it */
  if (fd < 0)
    return FALSE; /* in use, or gone */

  if (!_fs_tree_size_at (area_fd, name, &size, NULL, NULL, NULL))
    size = 0;
  if (!dry_run)
    {
      g_debug ("removing the stale anonymous entry %s", name);
      if (_fs_anon_remove_stale_at (area_fd, name) < 0)
        return FALSE;
    }
  *out_bytes += size;
  return TRUE;
}
