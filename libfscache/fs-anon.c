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
#include "fs-meta-private.h"
#include "fs-tree-private.h"
#include "fs-util-private.h"

static gboolean
retry (gboolean *out_retry)
{
  *out_retry = TRUE;
  return FALSE;
}

/* One attempt of _fs_anon_create() under a fresh name: FALSE with
 * *@out_retry when the name was taken or raced (draw another), FALSE with
 * @error on a real failure. */
static gboolean
create_once (FsStore *store,
             FsArea area,
             gboolean with_record,
             FsHandle *out,
             gboolean *out_retry,
             GError **error)
{
  int area_fd = _fs_store_area_fd (store, area);
  const char *area_name = _fs_area_name (area);
  gboolean record = with_record && store->journal_fd >= 0;
  const char *name = out->dir_name;
  char lock_path[FS_ENTRY_PATH_SIZE];
  char data_path[FS_ENTRY_PATH_SIZE];
  g_auto (FsLock) lock = FS_LOCK_INIT;
  struct stat there;
  int errsv;

  *out_retry = FALSE;
  _fs_join (lock_path, sizeof lock_path, name, FS_FILE_OBJECT_LOCK);
  _fs_join (data_path, sizeof data_path, name, FS_DIR_DATA);

  lock.fd = _fs_openat (area_fd, ".", O_TMPFILE | O_RDWR | O_NOCTTY, _fs_store_file_mode (store));
  if (lock.fd >= 0)
    {
      /* Unnamed: nobody else can see it before it is locked. */
      _fs_store_fix_mode (store, lock.fd, FALSE);
      if (_fs_lock_fd (lock.fd, FS_LOCK_EXCLUSIVE, NULL) < 0)
        return _fs_throw_errno (error, errno, _ ("Locking a new entry in %s/%s"), store->path,
                                area_name);
      if (record && !_fs_link_fd_at (lock.fd, store->journal_fd, name))
        {
          if (errno == EEXIST)
            return retry (out_retry); /* the name is taken */
          if (errno != EXDEV)
            return _fs_throw_errno (error, errno, _ ("Creating a journal record in %s/%s"),
                                    store->path, FS_DIR_JOURNAL);
          record = FALSE;
        }
      out->has_record = record;
      _fs_fault_point ("anon-record");
      if (mkdirat (area_fd, name, _fs_store_dir_mode (store)) < 0)
        {
          errsv = errno;
          if (errsv == EEXIST)
            return retry (out_retry);
          return _fs_throw_errno (error, errsv, _ ("Creating %s/%s/%s"), store->path, area_name,
                                  name);
        }
      _fs_store_fix_mode_at (store, area_fd, name, TRUE);
      if (!_fs_link_fd_at (lock.fd, area_fd, lock_path))
        {
          errsv = errno;
          unlinkat (area_fd, name, AT_REMOVEDIR);
          /* A racing sweeper removed the fresh directory or planted a lock
           * file in it: take another name. */
          if (errsv == ENOENT || errsv == EEXIST)
            return retry (out_retry);
          return _fs_throw_errno (error, errsv, _ ("Creating %s/%s/%s"), store->path, area_name,
                                  lock_path);
        }
    }
  else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
    {
      /* No O_TMPFILE here: create the directory, then the lock file, and
       * check nobody replaced it before we locked it. */
      if (mkdirat (area_fd, name, _fs_store_dir_mode (store)) < 0)
        {
          if (errno == EEXIST)
            return retry (out_retry);
          return _fs_throw_errno (error, errno, _ ("Creating %s/%s/%s"), store->path, area_name,
                                  name);
        }
      if (_fs_lock_at (area_fd, lock_path, FS_LOCK_EXCLUSIVE | FS_LOCK_CREATE_NEW, NULL, &lock) < 0)
        {
          errsv = errno;
          _fs_rm_rf_at (area_fd, name);
          if (errsv == ENOENT || errsv == EEXIST || errsv == EAGAIN)
            return retry (out_retry);
          return _fs_throw_errno (error, errsv, _ ("Creating %s/%s/%s"), store->path, area_name,
                                  lock_path);
        }
      _fs_store_fix_mode (store, lock.fd, FALSE);
      if (record && linkat (area_fd, lock_path, store->journal_fd, name, 0) < 0)
        {
          if (errno != EXDEV)
            {
              errsv = errno;
              _fs_rm_rf_at (area_fd, name);
              return _fs_throw_errno (error, errsv, _ ("Creating a journal record in %s/%s"),
                                      store->path, FS_DIR_JOURNAL);
            }
          record = FALSE;
        }
      out->has_record = record;
    }
  else
    return _fs_throw_errno (error, errno, _ ("Creating a lock file in %s/%s"), store->path,
                            area_name);

  if (mkdirat (area_fd, data_path, _fs_store_dir_mode (store)) < 0)
    {
      errsv = errno;
      if (errsv != ENOENT)
        _fs_rm_rf_at (area_fd, name);
      /* The folder is gone: a sweeper that does not keep to
       * _fs_anon_sweep()'s rules (one that gives a lock file to, then
       * removes, a folder in its creation window, as libfscache did before)
       * took it with our link in flight. Another name. */
      if (errsv == ENOENT)
        return retry (out_retry);
      return _fs_throw_errno (error, errsv, _ ("Creating %s/%s/%s"), store->path, area_name,
                              data_path);
    }
  _fs_store_fix_mode_at (store, area_fd, data_path, TRUE);

  /* The same, found later: check the lock file is still ours. */
  if (fstat (lock.fd, &lock.st) < 0 ||
      fstatat (area_fd, lock_path, &there, AT_SYMLINK_NOFOLLOW) < 0 ||
      lock.st.st_dev != there.st_dev || lock.st.st_ino != there.st_ino)
    return retry (out_retry);

  out->lock = lock;
  lock.fd = -1;
  return TRUE;
}

gboolean
_fs_anon_create (FsStore *store, FsArea area, gboolean with_record, FsHandle *out, GError **error)
{
  out->area = area;
  for (int attempt = 0; attempt < 16; attempt++)
    {
      FsUuidName name;
      gboolean retry;

      _fs_uuid_name_random (&name);
      g_strlcpy (out->dir_name, name.str, sizeof out->dir_name);
      out->has_record = FALSE;
      if (create_once (store, area, with_record, out, &retry, error))
        return TRUE;
      /* What create_once() made of its record is undone here. */
      if (out->has_record)
        unlinkat (store->journal_fd, out->dir_name, 0);
      out->has_record = FALSE;
      if (!retry)
        return FALSE;
    }

  return _fs_throw_errno (error, EEXIST, _ ("Creating an entry in %s/%s"), store->path,
                          _fs_area_name (area));
}

void
_fs_anon_discard (FsStore *store, FsHandle *handle)
{
  int area_fd = _fs_store_area_fd (store, handle->area);

  /* Ours: we hold its lock, and no sweeper takes a folder whose lock it
   * can't take (the creation made sure the lock file at the path is ours).
   * The entry first, the record last: a kill in between leaves a record
   * whose recovery finds nothing left to remove. */
  if (_fs_rm_anonymous_at (area_fd, handle->dir_name) < 0)
    g_debug ("could not remove %s: %s (left for garbage collection)", handle->dir_name,
             g_strerror (errno));
  _fs_fault_point ("discard-entry");
  if (handle->has_record && unlinkat (store->journal_fd, handle->dir_name, 0) < 0 &&
      errno != ENOENT)
    g_debug ("could not remove journal record %s: %s", handle->dir_name, g_strerror (errno));
  handle->has_record = FALSE;
  _fs_lock_clear (&handle->lock);
}

int
_fs_anon_remove_stale_at (int dirfd, const char *name)
{
  FsUuidName fresh;

  _fs_uuid_name_random (&fresh);
  if (renameat2 (dirfd, name, dirfd, fresh.str, RENAME_NOREPLACE) < 0)
    return -1;
  return _fs_rm_rf_at (dirfd, fresh.str);
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
_fs_anon_sweep (FsStore *store, FsArea area, const char *name, gboolean dry_run, guint64 *out_bytes)
{
  int area_fd = _fs_store_area_fd (store, area);
  int journal_fd = area == FS_AREA_OBJECTS ? store->journal_fd : -1;
  g_auto (FsLock) lock = FS_LOCK_INIT;
  char lock_path[FS_ENTRY_PATH_SIZE];
  struct stat st;
  guint64 size = 0;

  /* One of ours with a journal record belongs to record recovery. A dry
   * run, which recovers nothing, counts it when its owner is dead. */
  if (journal_fd >= 0 && fstatat (journal_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (!dry_run)
        return FALSE;
      if (_fs_lock_at (journal_fd, name, FS_LOCK_EXCLUSIVE, NULL, &lock) < 0 ||
          fstatat (area_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
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
      if (_fs_lock_at (area_fd, name, FS_LOCK_EXCLUSIVE, NULL, &lock) < 0)
        return FALSE; /* in use, or gone */
    }
  else if (S_ISDIR (st.st_mode))
    {
      _fs_join (lock_path, sizeof lock_path, name, FS_FILE_OBJECT_LOCK);
      if (_fs_lock_at (area_fd, lock_path, FS_LOCK_EXCLUSIVE, NULL, &lock) < 0)
        {
          if (errno != ENOENT)
            return FALSE; /* in use, or gone */
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
          if (_fs_lock_at (area_fd, lock_path, FS_LOCK_EXCLUSIVE | FS_LOCK_CREATE, NULL, &lock) < 0)
            return FALSE;
        }
    }
  else
    return FALSE; /* not something we make: leave it */

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

/* FALSE only when the object.info at @info_path is absent, corrupt or
 * oversized; TRUE when it is valid, and also when it can't be read for a
 * reason that says nothing about it (EMFILE, EIO, ...): such an entry is
 * never taken for an invalid one and deleted. */
static gboolean
has_valid_info (FsStore *store, const char *info_path)
{
  g_autofree char *data = NULL;
  guint64 size;
  gsize len;
  int errsv;

  if (!_fs_read_small_at (store->objects_fd, info_path, &data, &len, &errsv))
    {
      if (_fs_errno_is_invalid_meta (errsv))
        return FALSE;
      g_debug ("could not read %s: %s (left alone)", info_path, g_strerror (errsv));
      return TRUE;
    }
  return _fs_meta_parse_object_info (data, len, &size, NULL);
}

/* A named entry without a valid object.info is never served: an
 * interrupted removal (osbuild's starts by unlinking it) or a corrupt
 * entry. Removed when nobody holds it. Returns TRUE when it was (or, dry,
 * would be) removed. Its accounting is unknown: the idle recount fixes it. */
gboolean
_fs_anon_sweep_invalid (FsStore *store, const char *name, gboolean dry_run, guint64 *out_bytes)
{
  g_autofree char *info_path = g_strconcat (name, "/" FS_FILE_OBJECT_INFO, NULL);
  g_autofree char *lock_path = g_strconcat (name, "/" FS_FILE_OBJECT_LOCK, NULL);
  g_auto (FsLock) lock = FS_LOCK_INIT;
  struct stat st;
  guint64 size;

  if (fstatat (store->objects_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
    return FALSE;
  if (has_valid_info (store, info_path))
    return FALSE;
  if (_fs_lock_at (store->objects_fd, lock_path, FS_LOCK_EXCLUSIVE | FS_LOCK_CREATE, NULL, &lock) <
      0)
    return FALSE;
  if (has_valid_info (store, info_path))
    return FALSE; /* became valid meanwhile, or can't be read now */
  g_debug ("removing entry %s without a valid object.info", name);
  if (!_fs_tree_size_at (store->objects_fd, name, &size, NULL, NULL, NULL))
    size = 0;
  if (!dry_run && _fs_anon_remove_stale_at (store->objects_fd, name) < 0)
    return FALSE;
  *out_bytes += size;
  return TRUE;
}
