/* fs-store.c: the state of an open cache directory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See fs-store-private.h. Besides the state, this file holds the two
 * protocols that concern nothing but that state: reading and replacing
 * cache.info, and the exclusion on cache.lock that says whether anybody
 * else has the cache open.
 *
 * # cache.info
 *
 * Read when the cache is opened and again whenever its inode, size or
 * times changed (another process replaced it). Replaced by
 * _fs_store_set_info() under the write lock of the old file: read, merge
 * the fields given (unknown keys are kept), write a temporary file in
 * journal/ (locked, so no sweeper takes it; synced unless the cache is
 * volatile), rename it over the old one.
 *
 * # cache.lock
 *
 * Every open cache holds a read lock on it. "Nobody else in the cache" is a
 * write lock on it: our read lock is converted in place, atomically, and
 * back. Our own threads share our descriptor, so they are excluded by
 * op_lock instead: operations that change the accounting hold it for
 * reading, an exclusive section holds it for writing.
 *
 * # The HTTP client of the remote tier
 *
 * One per open cache (one SoupSession, its pool of kept-alive connections
 * shared by every transfer of every thread), made on the first transfer
 * (fs-remote.c) and made again when the remote's settings in cache.info
 * change. The store holds one reference and each transfer another, so
 * closing the cache (which drops the store's) never frees a session under a
 * transfer: the last transfer frees it.
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "fscache.h"
#include "fs-cache-info-private.h"
#include "fs-http-private.h"
#include "fs-lock-private.h"
#include "fs-meta-private.h"
#include "fs-store-private.h"

static void
store_clear (gpointer p)
{
  FsStore *self = p;

  g_clear_pointer (&self->stats, _fs_stats_free); /* writes its counts: before dir_fd goes */
  _fs_clear_fd (&self->lock_fd);
  _fs_clear_fd (&self->dir_fd);
  _fs_clear_fd (&self->objects_fd);
  _fs_clear_fd (&self->stage_fd);
  _fs_clear_fd (&self->journal_fd);
  g_clear_pointer (&self->info, fs_cache_info_unref);
  g_clear_pointer (&self->http, _fs_http_unref);
  g_free (self->http_key);
  g_clear_pointer (&self->recent, g_array_unref);
  g_free (self->app_id);
  g_free (self->path);
  g_mutex_clear (&self->http_mutex);
  g_mutex_clear (&self->mutex);
  g_rw_lock_clear (&self->op_lock);
}

FsStore *
_fs_store_new (void)
{
  FsStore *self = g_atomic_rc_box_new0 (FsStore);

  g_mutex_init (&self->mutex);
  g_mutex_init (&self->http_mutex);
  g_rw_lock_init (&self->op_lock);
  self->stats = _fs_stats_new ();
  self->dir_fd = -1;
  self->objects_fd = -1;
  self->stage_fd = -1;
  self->journal_fd = -1;
  self->lock_fd = -1;
  return self;
}

FsStore *
_fs_store_ref (FsStore *self)
{
  return g_atomic_rc_box_acquire (self);
}

void
_fs_store_unref (FsStore *self)
{
  g_atomic_rc_box_release_full (self, store_clear);
}

void
_fs_store_close (FsStore *self)
{
  g_autoptr (GError) local_error = NULL;

  if (!_fs_stats_flush (self->stats, &local_error))
    g_debug ("could not write the statistics of %s: %s", self->path, local_error->message);
  g_mutex_lock (&self->mutex);
  self->closed = TRUE;
  _fs_clear_fd (&self->lock_fd);
  g_mutex_unlock (&self->mutex);

  g_mutex_lock (&self->http_mutex);
  g_clear_pointer (&self->http, _fs_http_unref);
  g_clear_pointer (&self->http_key, g_free);
  g_mutex_unlock (&self->http_mutex);
}

typedef struct {
  char name[FS_NAME_MAX + 1];
  char digest[65];
  gint64 when; /* monotonic */
} FsRecentCommit;

void
_fs_store_note_commit (FsStore *self, const char *name, const char *tree_digest)
{
  FsRecentCommit rc = { { 0 } };

  g_strlcpy (rc.name, name, sizeof rc.name);
  g_strlcpy (rc.digest, tree_digest, sizeof rc.digest);
  rc.when = g_get_monotonic_time ();
  g_mutex_lock (&self->http_mutex);
  if (self->recent == NULL)
    self->recent = g_array_new (FALSE, FALSE, sizeof (FsRecentCommit));
  if (self->recent->len == FS_STORE_RECENT_MAX)
    g_array_remove_index (self->recent, 0);
  g_array_append_val (self->recent, rc);
  g_mutex_unlock (&self->http_mutex);
}

gboolean
_fs_store_committed_recently (FsStore *self, const char *name, const char *tree_digest)
{
  gint64 since = g_get_monotonic_time () - FS_STORE_RECENT_SECONDS * G_USEC_PER_SEC;
  gboolean found = FALSE;

  if (tree_digest == NULL)
    return FALSE;
  g_mutex_lock (&self->http_mutex);
  for (guint i = 0; self->recent != NULL && i < self->recent->len && !found; i++)
    {
      FsRecentCommit *rc = &g_array_index (self->recent, FsRecentCommit, i);
      found =
        rc->when >= since && strcmp (rc->name, name) == 0 && strcmp (rc->digest, tree_digest) == 0;
    }
  g_mutex_unlock (&self->http_mutex);
  return found;
}

FsHttp *
_fs_store_dup_http (FsStore *self, const char *key, const FsHttpOptions *options, GError **error)
{
  FsHttp *http = NULL;

  g_mutex_lock (&self->http_mutex);
  if (self->http == NULL || g_strcmp0 (self->http_key, key) != 0)
    {
      http = _fs_http_new (options, error);
      if (http != NULL)
        {
          g_clear_pointer (&self->http, _fs_http_unref);
          g_free (self->http_key);
          self->http = http;
          self->http_key = g_strdup (key);
        }
    }
  if (self->http != NULL && g_strcmp0 (self->http_key, key) == 0)
    http = _fs_http_ref (self->http);
  g_mutex_unlock (&self->http_mutex);
  return http;
}

gboolean
_fs_store_is_closed (FsStore *self)
{
  gboolean closed;

  g_mutex_lock (&self->mutex);
  closed = self->closed;
  g_mutex_unlock (&self->mutex);
  return closed;
}

gboolean
_fs_store_check_open (FsStore *self, GError **error)
{
  if (!_fs_store_is_closed (self))
    return TRUE;
  g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED, _ ("The cache %s is closed"),
               self->path);
  return FALSE;
}

gboolean
_fs_store_is_compatible (FsStore *self)
{
  gboolean ok;

  g_mutex_lock (&self->mutex);
  ok = !self->incompatible;
  g_mutex_unlock (&self->mutex);
  return ok;
}

gboolean
_fs_store_check_writable (FsStore *self, GError **error)
{
  if (!_fs_store_check_open (self, error))
    return FALSE;
  if (_fs_store_is_compatible (self) && self->journal_fd >= 0)
    return TRUE;
  g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE,
               _ ("The cache %s has an incompatible version and can't be changed"), self->path);
  return FALSE;
}

/* Called with the mutex held, or before anybody else can see the store. */
gboolean
_fs_store_load_info (FsStore *self, gboolean quiet, gboolean *out_corrupt, GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr (JsonObject) object = NULL;
  fs_autofd fd = -1;
  struct stat st;
  gsize len = 0;
  int errsv = 0;

  memset (&st, 0, sizeof st);
  *out_corrupt = FALSE;
  /* O_NONBLOCK: a FIFO planted there must not hang the open. */
  fd = _fs_openat (self->dir_fd, FS_FILE_CACHE_INFO, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
  if (fd >= 0 && fstat (fd, &st) == 0 && _fs_read_small_fd (fd, &data, &len, &errsv))
    object = _fs_meta_parse_object (data, len);
  else if (fd < 0 && errno != ENOENT)
    return _fs_throw_errno (error, errno, _ ("Reading %s/%s"), self->path, FS_FILE_CACHE_INFO);
  else if (errsv != 0 && errsv != EFBIG)
    return _fs_throw_errno (error, errsv, _ ("Reading %s/%s"), self->path, FS_FILE_CACHE_INFO);

  g_clear_pointer (&self->info, fs_cache_info_unref);
  self->info_st = st;
  if (object == NULL)
    {
      if (!quiet)
        g_message (_ ("The configuration %s/%s is missing or corrupt; rewriting it from defaults"),
                   self->path, FS_FILE_CACHE_INFO);
      self->info = fs_cache_info_new ();
      fs_cache_info_set_version (self->info, FS_CACHE_FORMAT_VERSION);
      *out_corrupt = TRUE;
      return TRUE;
    }

  self->info = _fs_cache_info_new_from_json (object);
  return TRUE;
}

static gboolean
info_is_compatible (const FsCacheInfo *info)
{
  return fs_cache_info_has_version (info) &&
         fs_cache_info_get_version (info) == FS_CACHE_FORMAT_VERSION;
}

/* Re-read cache.info when another process replaced or rewrote it. On
 * failure the configuration read before stays. */
static gboolean
refresh_info (FsStore *self, GError **error)
{
  gboolean ok = TRUE;
  struct stat st;

  if (fstatat (self->dir_fd, FS_FILE_CACHE_INFO, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT)
        return TRUE; /* being replaced: the one read before is as good */
      return _fs_throw_errno (error, errno, _ ("Reading %s/%s"), self->path, FS_FILE_CACHE_INFO);
    }

  g_mutex_lock (&self->mutex);
  if (st.st_ino != self->info_st.st_ino || st.st_dev != self->info_st.st_dev ||
      st.st_size != self->info_st.st_size || st.st_mtim.tv_sec != self->info_st.st_mtim.tv_sec ||
      st.st_mtim.tv_nsec != self->info_st.st_mtim.tv_nsec ||
      st.st_ctim.tv_nsec != self->info_st.st_ctim.tv_nsec)
    {
      gboolean corrupt;

      ok = _fs_store_load_info (self, FALSE, &corrupt, error);
      /* The version can't change under an open cache: a cache opened as
       * compatible keeps its journal, one opened as incompatible stays so. */
      if (ok && self->incompatible == info_is_compatible (self->info))
        fs_cache_info_set_version (self->info, self->incompatible ? 0 : FS_CACHE_FORMAT_VERSION);
    }
  g_mutex_unlock (&self->mutex);
  return ok;
}

FsCacheInfo *
_fs_store_dup_info (FsStore *self)
{
  g_autoptr (GError) local_error = NULL;
  FsCacheInfo *info;

  if (!refresh_info (self, &local_error))
    g_debug ("could not re-read cache.info: %s", local_error->message);
  g_mutex_lock (&self->mutex);
  info = fs_cache_info_copy (self->info);
  g_mutex_unlock (&self->mutex);
  return info;
}

FsCacheInfo *
_fs_store_read_info (FsStore *self, GError **error)
{
  FsCacheInfo *info;

  if (!refresh_info (self, error))
    return NULL;
  g_mutex_lock (&self->mutex);
  info = fs_cache_info_copy (self->info);
  g_mutex_unlock (&self->mutex);
  return info;
}

guint64
_fs_store_get_maximum (FsStore *self)
{
  g_autoptr (GError) local_error = NULL;
  guint64 max;

  if (!refresh_info (self, &local_error))
    g_debug ("could not re-read cache.info: %s", local_error->message);
  g_mutex_lock (&self->mutex);
  max = fs_cache_info_get_maximum_size (self->info);
  g_mutex_unlock (&self->mutex);
  return max;
}

gboolean
_fs_store_is_shared (FsStore *self)
{
  gboolean shared;

  g_mutex_lock (&self->mutex);
  if (self->info != NULL && fs_cache_info_has_shared (self->info))
    shared = fs_cache_info_get_shared (self->info);
  else
    shared = self->dir_group_writable;
  g_mutex_unlock (&self->mutex);
  return shared;
}

gboolean
_fs_store_is_volatile (FsStore *self)
{
  gboolean is_volatile;

  g_mutex_lock (&self->mutex);
  is_volatile = self->info != NULL && fs_cache_info_get_volatile (self->info);
  g_mutex_unlock (&self->mutex);
  return is_volatile;
}

mode_t
_fs_store_file_mode (FsStore *self)
{
  return _fs_store_is_shared (self) ? 0664 : 0666 & ~self->umask;
}

mode_t
_fs_store_dir_mode (FsStore *self)
{
  return _fs_store_is_shared (self) ? 02775 : 0777 & ~self->umask;
}

/* In a shared cache the umask must not take the group's write access away:
 * what we create gets its mode explicitly. */
void
_fs_store_fix_mode (FsStore *self, int fd, gboolean is_dir)
{
  if (fd >= 0 && _fs_store_is_shared (self))
    (void) fchmod (fd, is_dir ? 02775 : 0664);
}

void
_fs_store_fix_mode_at (FsStore *self, int dirfd, const char *name, gboolean is_dir)
{
  if (_fs_store_is_shared (self))
    (void) fchmodat (dirfd, name, is_dir ? 02775 : 0664, AT_SYMLINK_NOFOLLOW);
}

static void
share_scaffolding (FsStore *self)
{
  static const char *const files[] = { FS_FILE_CACHE_LOCK, FS_FILE_CACHE_SIZE, FS_FILE_CACHE_TAG };
  static const char *const dirs[] = { FS_DIR_OBJECTS, FS_DIR_STAGE, FS_DIR_JOURNAL };

  _fs_store_fix_mode (self, self->dir_fd, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    _fs_store_fix_mode_at (self, self->dir_fd, files[i], FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    _fs_store_fix_mode_at (self, self->dir_fd, dirs[i], TRUE);
  if (self->journal_fd >= 0)
    {
      _fs_store_fix_mode_at (self, self->journal_fd, FS_FILE_INTENT, FALSE);
      _fs_store_fix_mode_at (self, self->journal_fd, FS_FILE_EVICT_LOCK, FALSE);
    }
}

/* The JSON object of cache.info read under its lock (@fd), or a new one. */
static JsonObject *
read_info_object (FsStore *self, int fd, GError **error)
{
  g_autofree char *data = NULL;
  JsonObject *object = NULL;
  gsize len;
  int errsv = 0;

  if (_fs_read_small_fd (fd, &data, &len, &errsv))
    object = _fs_meta_parse_object (data, len);
  else if (errsv != EFBIG)
    {
      _fs_throw_errno (error, errsv, _ ("Reading %s/%s"), self->path, FS_FILE_CACHE_INFO);
      return NULL;
    }
  if (object == NULL)
    object = json_object_new ();
  return object;
}

gboolean
_fs_store_set_info (FsStore *self, FsCacheInfo *info, GCancellable *cancellable, GError **error)
{
  g_autofree char *out = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (FsCacheInfo) merged = NULL;
  g_auto (FsLock) lock = FS_LOCK_INIT;
  fs_autofd tmp_fd = -1;
  FsUuidName tmp;
  gboolean was_shared, shared;
  gsize out_len;
  int errsv;

  if (!_fs_store_check_writable (self, error))
    return FALSE;
  if (fs_cache_info_has_version (info) &&
      fs_cache_info_get_version (info) != FS_CACHE_FORMAT_VERSION)
    {
      g_autofree char *version =
        g_strdup_printf ("%" G_GINT64_FORMAT, fs_cache_info_get_version (info));
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE,
                   _ ("Version %s is not supported by this library"), version);
      return FALSE;
    }

  if (_fs_lock_at (self->dir_fd, FS_FILE_CACHE_INFO, FS_LOCK_EXCLUSIVE | FS_LOCK_WAIT, cancellable,
                   &lock) < 0)
    {
      if (errno == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
      return _fs_throw_errno (error, errno, _ ("Locking %s/%s"), self->path, FS_FILE_CACHE_INFO);
    }
  object = read_info_object (self, lock.fd, error);
  if (object == NULL)
    return FALSE;
  if (!json_object_has_member (object, "version"))
    json_object_set_int_member (object, "version", FS_CACHE_FORMAT_VERSION);
  else
    {
      g_autoptr (FsCacheInfo) on_disk = _fs_cache_info_new_from_json (object);
      if (!info_is_compatible (on_disk))
        {
          g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE,
                       _ ("The cache %s has an incompatible version and can't be changed"),
                       self->path);
          return FALSE;
        }
    }
  _fs_cache_info_merge_into_json (info, object);
  out = _fs_meta_object_to_data (object, &out_len);
  merged = _fs_cache_info_new_from_json (object);

  /* A new file renamed over the old one while we hold the lock of the old
   * one; the temporary file is locked so no sweeper takes it. */
  tmp_fd =
    _fs_openat (self->journal_fd, ".", O_TMPFILE | O_RDWR | O_NOCTTY, _fs_store_file_mode (self));
  if (tmp_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Creating a temporary file in %s/%s"), self->path,
                            FS_DIR_JOURNAL);
  if (_fs_lock_fd (tmp_fd, FS_LOCK_EXCLUSIVE, NULL) < 0 || !_fs_write_all (tmp_fd, out, out_len, 0))
    return _fs_throw_errno (error, errno, _ ("Writing %s/%s"), self->path, FS_FILE_CACHE_INFO);
  /* The new configuration decides: turning sharing on makes cache.info
   * itself group-writable, so every member can change it later. */
  shared = fs_cache_info_has_shared (merged) ? fs_cache_info_get_shared (merged)
                                             : self->dir_group_writable;
  if (shared)
    (void) fchmod (tmp_fd, 0664);
  if (!_fs_store_is_volatile (self))
    {
      _fs_count_sync ();
      if (fdatasync (tmp_fd) < 0)
        return _fs_throw_errno (error, errno, _ ("Writing %s/%s"), self->path, FS_FILE_CACHE_INFO);
    }
  _fs_uuid_name_random (&tmp);
  if (!_fs_link_fd_at (tmp_fd, self->journal_fd, tmp.str))
    return _fs_throw_errno (error, errno, _ ("Writing %s/%s"), self->path, FS_FILE_CACHE_INFO);
  if (renameat (self->journal_fd, tmp.str, self->dir_fd, FS_FILE_CACHE_INFO) < 0)
    {
      errsv = errno;
      unlinkat (self->journal_fd, tmp.str, 0);
      return _fs_throw_errno (error, errsv, _ ("Replacing %s/%s"), self->path, FS_FILE_CACHE_INFO);
    }

  was_shared = _fs_store_is_shared (self);
  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->info, fs_cache_info_unref);
  self->info = g_steal_pointer (&merged);
  if (fstat (tmp_fd, &self->info_st) < 0)
    memset (&self->info_st, 0, sizeof self->info_st);
  g_mutex_unlock (&self->mutex);

  /* A private cache made shared: its scaffolding too must let the group
   * in, or other members could not lock the counter or add entries. */
  if (!was_shared && _fs_store_is_shared (self))
    {
      share_scaffolding (self);
      _fs_stats_set_shared (self->stats);
    }
  return TRUE;
}

void
_fs_store_op_begin (FsStore *self)
{
  g_rw_lock_reader_lock (&self->op_lock);
}

void
_fs_store_op_end (FsStore *self)
{
  g_rw_lock_reader_unlock (&self->op_lock);
}

gboolean
_fs_store_try_exclusive (FsStore *self)
{
  gboolean ok = FALSE;

  if (!g_rw_lock_writer_trylock (&self->op_lock))
    return FALSE;
  g_mutex_lock (&self->mutex);
  if (self->lock_fd >= 0 && _fs_lock_fd (self->lock_fd, FS_LOCK_EXCLUSIVE, NULL) == 0)
    ok = TRUE;
  g_mutex_unlock (&self->mutex);
  if (!ok)
    g_rw_lock_writer_unlock (&self->op_lock);
  return ok;
}

void
_fs_store_end_exclusive (FsStore *self)
{
  g_mutex_lock (&self->mutex);
  if (self->lock_fd >= 0 && _fs_lock_fd (self->lock_fd, FS_LOCK_SHARED, NULL) < 0)
    g_warning ("could not give the cache lock of %s back: %s", self->path, g_strerror (errno));
  g_mutex_unlock (&self->mutex);
  g_rw_lock_writer_unlock (&self->op_lock);
}

/* After a wait for exclusivity let go of cache.lock: only a whole-cache
 * operation of another process (an idle open, a recount) holds the write
 * lock, for a moment; wait for it without holding the mutex. */
static void
take_read_lock_back (FsStore *self)
{
  gulong pause_us = 1000;

  for (;;)
    {
      gboolean done;

      g_mutex_lock (&self->mutex);
      done = self->lock_fd < 0 || _fs_lock_fd (self->lock_fd, FS_LOCK_SHARED, NULL) == 0;
      if (!done && errno != EAGAIN)
        {
          g_warning ("could not take the cache lock of %s again: %s", self->path,
                     g_strerror (errno));
          done = TRUE;
        }
      g_mutex_unlock (&self->mutex);
      if (done)
        return;
      g_usleep (pause_us);
      pause_us = MIN (pause_us * 2, 50000);
    }
}

/* Every open cache holds a read lock, a waiter too: two waiters would keep
 * each other from ever being alone. So between attempts, when none of our
 * threads is in an operation (which a recount elsewhere could miscount), a
 * waiter drops its read lock for as long as it pauses, then tries for the
 * write lock before taking the read lock back: of two waiters, the one that
 * tries while the other has let go gets through. */
gboolean
_fs_store_wait_exclusive (FsStore *self,
                          gint64 deadline,
                          gboolean *out_idle,
                          GCancellable *cancellable,
                          GError **error)
{
  gulong pause_us = 5000;

  *out_idle = FALSE;
  for (;;)
    {
      gboolean got = FALSE;
      gint64 now;

      if (_fs_store_try_exclusive (self))
        {
          *out_idle = TRUE;
          return TRUE;
        }
      if (_fs_cancellable_set_error (cancellable, error) || !_fs_store_check_open (self, error))
        return FALSE;
      now = g_get_monotonic_time ();
      if (deadline >= 0 && now >= deadline)
        return TRUE;
      if (deadline >= 0)
        pause_us = MIN (pause_us, (gulong) (deadline - now));

      if (g_rw_lock_writer_trylock (&self->op_lock))
        {
          gboolean dropped = FALSE;

          g_mutex_lock (&self->mutex);
          if (self->lock_fd >= 0)
            {
              _fs_unlock_fd (self->lock_fd);
              dropped = TRUE;
            }
          g_mutex_unlock (&self->mutex);
          g_usleep (pause_us);
          if (dropped)
            {
              g_mutex_lock (&self->mutex);
              got = self->lock_fd >= 0 && _fs_lock_fd (self->lock_fd, FS_LOCK_EXCLUSIVE, NULL) == 0;
              g_mutex_unlock (&self->mutex);
              if (got)
                {
                  *out_idle = TRUE;
                  return TRUE; /* op_lock held for writing, as by _fs_store_try_exclusive() */
                }
              take_read_lock_back (self);
            }
          g_rw_lock_writer_unlock (&self->op_lock);
        }
      g_usleep (pause_us);
      pause_us = MIN (pause_us * 2, 100000);
    }
}

gboolean
_fs_store_has_other_users (FsStore *self)
{
  gboolean others;

  if (!g_rw_lock_writer_trylock (&self->op_lock))
    return TRUE;
  /* Asked, not taken: a user who may read the cache but not write it has
   * cache.lock open read-only, where a write lock always fails (EBADF) —
   * that is no other user. Our own read lock never conflicts with us. */
  g_mutex_lock (&self->mutex);
  others = self->lock_fd < 0 || _fs_lock_test (self->lock_fd, FS_LOCK_EXCLUSIVE) != 0;
  g_mutex_unlock (&self->mutex);
  g_rw_lock_writer_unlock (&self->op_lock);
  return others;
}
