/* fs-evict.c: eviction, removal and garbage collection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Removing an entry
 *
 * Under the write lock of its object.lock (so nobody reads it):
 *
 *   1. the lock file gets the record "1 remove SIZE\nNAME" and a journal
 *      link journal/uuid-R (the entry is still whole and counted);
 *   2. NAME is renamed to objects/uuid-R: from here on no reader can find
 *      it, and osbuild's loads miss it the same way;
 *   3. one size transaction subtracts the sizes of all entries removed in
 *      this pass and clears their flags (a batch: evicting N entries costs
 *      one accounting update);
 *   4. the trees are deleted, then the records.
 *
 * A kill before 2 leaves a record whose entry is still at NAME: recovery
 * keeps the entry. After 2, recovery subtracts (if the flag still says
 * counted) and deletes. osbuild starts a removal by unlinking object.info;
 * a rename hides the entry as atomically and keeps its size readable.
 *
 * # Evicting
 *
 * One evictor at a time: journal/evict.lock is taken for writing; a writer
 * that finds it taken waits for it (cancellably), then tries its commit
 * again before evicting anything itself. The evictor first recovers dead
 * records, then removes least recently used entries (atime of object.lock)
 * it can write-lock without waiting — an entry being read is skipped, and a
 * load that wins the race keeps the entry whole — down to the low
 * watermark, so the next stores fit without evicting again.
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "fs-anon-private.h"
#include "fs-evict-private.h"
#include "fs-journal-private.h"
#include "fs-lock-private.h"
#include "fs-meta-private.h"
#include "fs-tree-private.h"
#include "fs-util-private.h"

#define FS_FILE_EVICT_LOCK "evict.lock"
#define BATCH_MAX 128

static gboolean sweep_invalid_entry (FsCache *cache,
                                     const char *name,
                                     gboolean dry_run,
                                     guint64 *out_bytes);

static void
entry_stat_free (gpointer p)
{
  FsEntryStat *e = p;
  g_free (e->name);
  g_free (e->boot_id);
  g_free (e);
}

static GPtrArray *scan_objects (FsCache *cache,
                                GPtrArray *debris,
                                gboolean read_info,
                                GCancellable *cancellable,
                                GError **error);

GPtrArray *
_fs_evict_scan (FsCache *cache, GCancellable *cancellable, GError **error)
{
  return scan_objects (cache, NULL, TRUE, cancellable, error);
}

/* The committed entries; with @debris, also the names of what is not one:
 * anonymous objects and named entries without object.info. Without
 * @read_info, an entry's object.info is only checked to exist (its size,
 * needed only for the victims, is read under their lock). With @read_info
 * (a list), an entry whose object.info can't be read for a reason that
 * says nothing about the file (EMFILE, ENOMEM, EIO, EACCES, ...) fails the
 * scan: a list never leaves out an entry it merely could not read. */
static GPtrArray *
scan_objects (FsCache *cache,
              GPtrArray *debris,
              gboolean read_info,
              GCancellable *cancellable,
              GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autoptr (GPtrArray) entries = g_ptr_array_new_with_free_func (entry_stat_free);
  fs_autofd dfd = -1;
  struct dirent *de;
  DIR *dir;

  dfd = openat (dirs->objects_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || (dir = fdopendir (dfd)) == NULL)
    {
      _fs_throw_errno (error, errno, _ ("Reading %s/%s"), dirs->path, FS_DIR_OBJECTS);
      return NULL;
    }
  _fs_steal_fd (&dfd);

  while ((de = readdir (dir)) != NULL)
    {
      g_autofree char *info_path = NULL;
      g_autofree char *lock_path = NULL;
      g_autofree char *data = NULL;
      g_autofree char *boot_id = NULL;
      FsEntryStat *e;
      struct stat st;
      gboolean valid;
      guint64 size;
      gsize len;
      int errsv;

      if (_fs_is_dot_or_dotdot (de->d_name))
        continue;
      if (g_str_has_prefix (de->d_name, "uuid-"))
        {
          if (debris != NULL)
            g_ptr_array_add (debris, g_strdup (de->d_name));
          continue;
        }
      if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
        continue;
      if (!fs_cache_name_is_valid (de->d_name, NULL))
        continue;
      info_path = g_strconcat (de->d_name, "/" FS_FILE_OBJECT_INFO, NULL);
      size = 0;
      errsv = 0; /* stays 0 when the file is there but corrupt */
      if (!read_info)
        {
          valid = fstatat (dirs->objects_fd, info_path, &st, AT_SYMLINK_NOFOLLOW) == 0;
          if (!valid)
            errsv = errno;
        }
      else if ((valid = _fs_read_small_at (dirs->objects_fd, info_path, &data, &len, &errsv)))
        valid = _fs_meta_parse_object_info (data, len, &size, &boot_id);
      if (!valid && errsv != 0 && !_fs_errno_is_invalid_meta (errsv))
        {
          /* We can't tell whether it is an entry. A list may not leave it
           * out (the caller would take it for absent): it fails. Eviction
           * leaves it alone (it could not lock it either). */
          if (read_info)
            {
              closedir (dir);
              _fs_throw_errno (error, errsv, _ ("Reading %s/%s/%s"), dirs->path, FS_DIR_OBJECTS,
                               info_path);
              return NULL;
            }
          g_debug ("skipping %s: %s", de->d_name, g_strerror (errsv));
          continue;
        }
      if (!valid)
        {
          if (debris != NULL)
            g_ptr_array_add (debris, g_strdup (de->d_name));
          continue;
        }
      lock_path = g_strconcat (de->d_name, "/" FS_FILE_OBJECT_LOCK, NULL);
      if (fstatat (dirs->objects_fd, lock_path, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          errsv = errno;
          if (read_info && errsv != ENOENT && errsv != ENOTDIR)
            {
              closedir (dir);
              _fs_throw_errno (error, errsv, _ ("Reading %s/%s/%s"), dirs->path, FS_DIR_OBJECTS,
                               lock_path);
              return NULL;
            }
          continue;
        }

      e = g_new0 (FsEntryStat, 1);
      e->name = g_strdup (de->d_name);
      e->size = size;
      e->last_used_usec = (gint64) st.st_atim.tv_sec * G_USEC_PER_SEC + st.st_atim.tv_nsec / 1000;
      e->boot_id = g_steal_pointer (&boot_id);
      g_ptr_array_add (entries, e);

      if ((entries->len & 0x3ff) == 0 && g_cancellable_is_cancelled (cancellable))
        {
          closedir (dir);
          _fs_cancellable_set_error (cancellable, error);
          return NULL;
        }
    }
  closedir (dir);
  return g_steal_pointer (&entries);
}

typedef struct {
  int fd;
  char uuid[38];
  guint64 size;
} Victim;

/* Steps 1 and 2 above for one entry whose write lock we hold in @fd. */
static gboolean
hide_entry (FsCache *cache, int fd, const char *name, guint64 size, Victim *out, GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autofree char *content = NULL;
  FsRecord rec = { 0 };
  gsize len;

  rec.op = FS_RECORD_OP_REMOVE;
  rec.accounted = TRUE;
  rec.size = size;
  g_strlcpy (rec.name, name, sizeof rec.name);
  content = _fs_meta_format_record (&rec, &len);

  _fs_random_uuid_name (out->uuid);
  out->size = size;
  out->fd = -1;
  if (ftruncate (fd, 0) < 0 || !_fs_write_all (fd, content, len, 0))
    return _fs_throw_errno (error, errno, _ ("Writing the lock file of %s/%s/%s"), dirs->path,
                            FS_DIR_OBJECTS, name);
  if (!_fs_link_fd_at (fd, dirs->journal_fd, out->uuid))
    return _fs_throw_errno (error, errno, _ ("Creating a journal record in %s/%s"), dirs->path,
                            FS_DIR_JOURNAL);
  _fs_fault_point ("remove-record");
  if (renameat2 (dirs->objects_fd, name, dirs->objects_fd, out->uuid, RENAME_NOREPLACE) < 0)
    {
      int errsv = errno;
      ftruncate (fd, 0);
      unlinkat (dirs->journal_fd, out->uuid, 0);
      return _fs_throw_errno (error, errsv, _ ("Removing %s/%s/%s"), dirs->path, FS_DIR_OBJECTS,
                              name);
    }
  _fs_fault_point ("remove-hidden");
  out->fd = fd;
  return TRUE;
}

/* Steps 3 and 4 for a batch of hidden entries. Consumes the victims. */
static gboolean
finish_victims (FsCache *cache, Victim *victims, guint n, GCancellable *cancellable, GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autofree FsTxnRecord *records = g_new0 (FsTxnRecord, MAX (n, 1));
  guint64 total = 0;
  gboolean ok;

  if (n == 0)
    return TRUE;

  for (guint i = 0; i < n; i++)
    {
      records[i].fd = victims[i].fd;
      records[i].name = victims[i].uuid;
      /* Sizes come from files anyone in the cache may write: saturate. */
      total = victims[i].size > (guint64) G_MAXINT64 - total ? (guint64) G_MAXINT64
                                                             : total + victims[i].size;
    }
  /* Not cancellable: hidden entries must leave the accounting now. */
  ok = _fs_journal_size_txn (cache, -(gint64) total, FS_CACHE_SIZE_UNLIMITED, records, n, FALSE,
                             NULL, NULL, error);
  _fs_fault_point ("remove-accounted");

  for (guint i = 0; i < n; i++)
    {
      if (ok)
        {
          if (_fs_rm_rf_at (dirs->objects_fd, victims[i].uuid) < 0)
            g_debug ("could not delete %s: %s (left for garbage collection)", victims[i].uuid,
                     g_strerror (errno));
          else
            unlinkat (dirs->journal_fd, victims[i].uuid, 0);
        }
      /* On failure the records stay: they are recovered once we let go. */
      _fs_clear_fd (&victims[i].fd);
    }
  return ok;
}

gboolean
_fs_evict_remove (FsCache *cache,
                  const char *name,
                  guint64 *out_size,
                  GCancellable *cancellable,
                  GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autofree char *lock_path = g_strconcat (name, "/" FS_FILE_OBJECT_LOCK, NULL);
  g_autofree char *info_path = g_strconcat (name, "/" FS_FILE_OBJECT_INFO, NULL);
  g_autofree char *data = NULL;
  fs_autofd fd = -1;
  Victim victim;
  guint64 size;
  gsize len;
  int errsv;

  fd = _fs_lock_open_at (dirs->objects_fd, lock_path, O_RDWR | O_NOCTTY, 0, F_WRLCK, FALSE, NULL,
                         NULL);
  if (fd < 0)
    {
      errsv = errno;
      if (errsv == ENOENT || errsv == ENOTDIR || errsv == ELOOP)
        return g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS, _ ("No entry “%s” in %s"),
                            name, dirs->path),
               FALSE;
      if (errsv == EAGAIN)
        return g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_BUSY,
                            _ ("The entry “%s” in %s is in use"), name, dirs->path),
               FALSE;
      return _fs_throw_errno (error, errsv, _ ("Locking %s/%s/%s"), dirs->path, FS_DIR_OBJECTS,
                              lock_path);
    }
  if (!_fs_read_small_at (dirs->objects_fd, info_path, &data, &len, &errsv) &&
      !_fs_errno_is_invalid_meta (errsv))
    return _fs_throw_errno (error, errsv, _ ("Reading %s/%s/%s"), dirs->path, FS_DIR_OBJECTS,
                            info_path);
  if (data == NULL || !_fs_meta_parse_object_info (data, len, &size, NULL))
    return g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS, _ ("No entry “%s” in %s"), name,
                        dirs->path),
           FALSE;

  if (!hide_entry (cache, fd, name, size, &victim, error))
    return FALSE;
  _fs_steal_fd (&fd);
  if (!finish_victims (cache, &victim, 1, cancellable, error))
    return FALSE;
  if (out_size != NULL)
    *out_size = size;
  return TRUE;
}

gboolean
_fs_evict_free_space (FsCache *cache, guint64 *out_free, guint64 *out_floor)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autoptr (FsCacheInfo) info = fs_cache_get_info (cache);
  struct statvfs sv;
  gboolean percent;
  guint64 value;

  value = fs_cache_info_get_min_free_space (info, &percent);
  if (fstatvfs (dirs->objects_fd, &sv) < 0)
    return FALSE;
  *out_free = (guint64) sv.f_bavail * sv.f_frsize;
  *out_floor = percent ? (guint64) sv.f_blocks * sv.f_frsize / 100 * value : value;
  return TRUE;
}

static gint
compare_lru (gconstpointer a, gconstpointer b)
{
  const FsEntryStat *x = *(FsEntryStat *const *) a;
  const FsEntryStat *y = *(FsEntryStat *const *) b;

  if (x->last_used_usec != y->last_used_usec)
    return x->last_used_usec < y->last_used_usec ? -1 : 1;
  return strcmp (x->name, y->name);
}

static gboolean
enough (FsCache *cache, guint64 used, guint64 target_used, guint64 need_free)
{
  guint64 free_bytes, floor_bytes;

  if (used > target_used)
    return FALSE;
  if (need_free == 0)
    return TRUE;
  if (!_fs_evict_free_space (cache, &free_bytes, &floor_bytes))
    return TRUE;
  return free_bytes >= need_free;
}

static int
take_evict_lock (FsCache *cache, gboolean wait, GCancellable *cancellable)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  fs_autofd fd = _fs_openat (dirs->journal_fd, FS_FILE_EVICT_LOCK, O_RDWR | O_CREAT | O_NOCTTY,
                             _fs_cache_get_file_mode (cache));

  if (fd < 0)
    return -1;
  if (_fs_lock_fd (fd, F_WRLCK, wait, cancellable) < 0)
    return -1;
  return _fs_steal_fd (&fd);
}

/* With @by_entries (a prune), the space used is the sum of the sizes of
 * the entries found, not the counter: a counter that drifted (osbuild's
 * removals take more off it than its commits added) must neither stop a
 * prune early nor make it evict more than needed. *@out_drift tells
 * whether the counter disagreed with that sum. A commit, which the counter
 * admits, evicts by the counter. */
static gboolean
evict_locked (FsCache *cache,
              guint64 target_used,
              guint64 need_free,
              gboolean dry_run,
              gboolean by_entries,
              guint *out_entries,
              guint64 *out_bytes,
              gboolean *out_drift,
              GCancellable *cancellable,
              GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GPtrArray) debris = NULL;
  Victim batch[BATCH_MAX];
  guint n_batch = 0, n_evicted = 0;
  guint64 used, freed = 0;

  if (out_drift != NULL)
    *out_drift = FALSE;
  if (!dry_run && !_fs_journal_recover (cache, FALSE, NULL, cancellable, error))
    return FALSE;
  if (!_fs_journal_get_size (cache, &used, cancellable, error))
    return FALSE;
  if (!by_entries && enough (cache, used, target_used, need_free))
    goto done;

  /* The scan that orders the entries also finds leftovers without a
   * journal record (another implementation's, or a bare temporary file):
   * an eviction pass removes those it can lock, at no extra walk. */
  debris = g_ptr_array_new_with_free_func (g_free);
  entries = scan_objects (cache, debris, by_entries, cancellable, error);
  if (entries == NULL)
    return FALSE;
  if (by_entries)
    {
      guint64 sum = 0;

      for (guint i = 0; i < entries->len; i++)
        {
          const FsEntryStat *e = entries->pdata[i];
          /* Sizes come from files anyone in the cache may write: saturate. */
          sum = e->size > G_MAXUINT64 - sum ? G_MAXUINT64 : sum + e->size;
        }
      if (sum != used)
        g_debug ("prune: the counter says %" G_GUINT64_FORMAT
                 " bytes, the entries hold %" G_GUINT64_FORMAT,
                 used, sum);
      if (out_drift != NULL)
        *out_drift = sum != used;
      used = sum;
    }
  if (!dry_run)
    for (guint i = 0; i < debris->len; i++)
      {
        const char *name = debris->pdata[i];
        guint64 bytes = 0;
        if (g_str_has_prefix (name, "uuid-"))
          _fs_anon_sweep (dirs->objects_fd, dirs->journal_fd, name, FALSE, &bytes);
        else
          sweep_invalid_entry (cache, name, FALSE, &bytes);
      }
  g_ptr_array_sort (entries, compare_lru);

  for (guint i = 0; i < entries->len; i++)
    {
      FsEntryStat *e = entries->pdata[i];
      g_autofree char *lock_path = NULL;
      g_autofree char *info_path = NULL;
      g_autofree char *data = NULL;
      fs_autofd fd = -1;
      guint64 size;
      gsize len;
      int errsv;

      if (used - MIN (used, freed) <= target_used &&
          (need_free == 0 || enough (cache, 0, 0, need_free)))
        break;
      if (g_cancellable_is_cancelled (cancellable))
        break;

      lock_path = g_strconcat (e->name, "/" FS_FILE_OBJECT_LOCK, NULL);
      fd = _fs_lock_open_at (dirs->objects_fd, lock_path, O_RDWR | O_NOCTTY, 0, F_WRLCK, FALSE,
                             NULL, NULL);
      if (fd < 0)
        continue; /* in use (a reader wins), or gone */

      /* Re-read under the lock: the size accounted is the one in object.info. */
      info_path = g_strconcat (e->name, "/" FS_FILE_OBJECT_INFO, NULL);
      if (!_fs_read_small_at (dirs->objects_fd, info_path, &data, &len, &errsv) ||
          !_fs_meta_parse_object_info (data, len, &size, NULL))
        continue;

      if (dry_run)
        {
          freed += size;
          n_evicted++;
          continue;
        }

      g_debug ("evicting %s (%" G_GUINT64_FORMAT " bytes)", e->name, size);
      if (!hide_entry (cache, fd, e->name, size, &batch[n_batch], error))
        {
          finish_victims (cache, batch, n_batch, NULL, NULL);
          return FALSE;
        }
      _fs_steal_fd (&fd);
      n_batch++;
      n_evicted++;
      freed += size;

      /* A full batch, or the free-space floor (which only deletion moves). */
      if (n_batch == BATCH_MAX || need_free > 0)
        {
          if (!finish_victims (cache, batch, n_batch, cancellable, error))
            return FALSE;
          n_batch = 0;
        }
    }

  if (!finish_victims (cache, batch, n_batch, cancellable, error))
    return FALSE;

done:
  if (out_entries != NULL)
    *out_entries = n_evicted;
  if (out_bytes != NULL)
    *out_bytes = freed;
  return TRUE;
}

gboolean
_fs_evict_lru (FsCache *cache,
               guint64 target_used,
               guint64 need_free,
               gboolean dry_run,
               guint *out_entries,
               guint64 *out_bytes,
               GCancellable *cancellable,
               GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  fs_autofd lock = take_evict_lock (cache, TRUE, cancellable);

  if (lock < 0)
    {
      if (errno == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
      return _fs_throw_errno (error, errno, _ ("Locking %s/%s/%s"), dirs->path, FS_DIR_JOURNAL,
                              FS_FILE_EVICT_LOCK);
    }
  return evict_locked (cache, target_used, need_free, dry_run, FALSE, out_entries, out_bytes, NULL,
                       cancellable, error);
}

gboolean
_fs_evict_prune (FsCache *cache,
                 guint64 target_used,
                 gboolean dry_run,
                 guint *out_entries,
                 guint64 *out_bytes,
                 gboolean *out_drift,
                 GCancellable *cancellable,
                 GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  fs_autofd lock = take_evict_lock (cache, TRUE, cancellable);

  if (lock < 0)
    {
      if (errno == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
      return _fs_throw_errno (error, errno, _ ("Locking %s/%s/%s"), dirs->path, FS_DIR_JOURNAL,
                              FS_FILE_EVICT_LOCK);
    }
  return evict_locked (cache, target_used, 0, dry_run, TRUE, out_entries, out_bytes, out_drift,
                       cancellable, error);
}

/* Whether the free-space floor allows keeping what is on disk now. */
static gboolean
floor_ok (FsCache *cache, guint64 *out_need)
{
  guint64 free_bytes, floor_bytes;

  *out_need = 0;
  if (!_fs_evict_free_space (cache, &free_bytes, &floor_bytes) || floor_bytes == 0)
    return TRUE;
  *out_need = floor_bytes;
  return free_bytes >= floor_bytes;
}

gboolean
_fs_evict_account_for_commit (FsCache *cache,
                              guint64 size,
                              guint64 max,
                              int record_fd,
                              const char *record_name,
                              gboolean *out_fits,
                              GCancellable *cancellable,
                              GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  FsTxnRecord record = { record_fd, record_name };
  guint n_records = record_fd >= 0 ? 1 : 0;
  g_autoptr (FsCacheInfo) info = NULL;
  guint64 need_free, low;
  fs_autofd lock = -1;
  gboolean applied;

  *out_fits = FALSE;

  /* The fast path: it fits, and the file system has room to spare. */
  if (floor_ok (cache, &need_free))
    {
      if (!_fs_journal_size_txn (cache, (gint64) size, max, &record, n_records, TRUE, &applied,
                                 cancellable, error))
        return FALSE;
      if (applied)
        {
          *out_fits = TRUE;
          return TRUE;
        }
    }

  /* One evictor at a time: if another one is at work, wait for it and try
   * again before evicting anything ourselves. */
  lock = take_evict_lock (cache, FALSE, NULL);
  if (lock < 0 && errno == EAGAIN)
    {
      lock = take_evict_lock (cache, TRUE, cancellable);
      if (lock < 0 && errno == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
      _fs_clear_fd (&lock);
      if (floor_ok (cache, &need_free))
        {
          if (!_fs_journal_size_txn (cache, (gint64) size, max, &record, n_records, TRUE, &applied,
                                     cancellable, error))
            return FALSE;
          if (applied)
            {
              *out_fits = TRUE;
              return TRUE;
            }
        }
      lock = take_evict_lock (cache, TRUE, cancellable);
    }
  if (lock < 0)
    {
      if (errno == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
      return _fs_throw_errno (error, errno, _ ("Locking %s/%s/%s"), dirs->path, FS_DIR_JOURNAL,
                              FS_FILE_EVICT_LOCK);
    }

  /* Evict down to the low watermark, counting the new entry in. */
  info = fs_cache_get_info (cache);
  if (max == FS_CACHE_SIZE_UNLIMITED)
    low = FS_CACHE_SIZE_UNLIMITED;
  else
    {
      low = max / 100 * fs_cache_info_get_low_watermark (info) +
            max % 100 * fs_cache_info_get_low_watermark (info) / 100;
      low = low > size ? low - size : (max > size ? max - size : 0);
    }
  floor_ok (cache, &need_free);
  if (!evict_locked (cache, low, need_free, FALSE, FALSE, NULL, NULL, NULL, cancellable, error))
    return FALSE;

  if (!floor_ok (cache, &need_free))
    return TRUE; /* NO_SPACE: the file system stays too full */
  if (!_fs_journal_size_txn (cache, (gint64) size, max, &record, n_records, TRUE, &applied,
                             cancellable, error))
    return FALSE;
  *out_fits = applied;
  return TRUE;
}

/* FALSE only when the object.info at @info_path is absent, corrupt or
 * oversized; TRUE when it is valid, and also when it can't be read for a
 * reason that says nothing about it (EMFILE, EIO, ...): such an entry is
 * never taken for an invalid one and deleted. */
static gboolean
has_valid_info (const FsCacheDirs *dirs, const char *info_path)
{
  g_autofree char *data = NULL;
  guint64 size;
  gsize len;
  int errsv;

  if (!_fs_read_small_at (dirs->objects_fd, info_path, &data, &len, &errsv))
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
static gboolean
sweep_invalid_entry (FsCache *cache, const char *name, gboolean dry_run, guint64 *out_bytes)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autofree char *info_path = g_strconcat (name, "/" FS_FILE_OBJECT_INFO, NULL);
  g_autofree char *lock_path = g_strconcat (name, "/" FS_FILE_OBJECT_LOCK, NULL);
  fs_autofd fd = -1;
  struct stat st;
  guint64 size;

  if (fstatat (dirs->objects_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
    return FALSE;
  if (has_valid_info (dirs, info_path))
    return FALSE;
  fd = _fs_lock_open_at (dirs->objects_fd, lock_path, O_RDWR | O_CREAT | O_NOCTTY, 0644, F_WRLCK,
                         FALSE, NULL, NULL);
  if (fd < 0)
    return FALSE;
  if (has_valid_info (dirs, info_path))
    return FALSE; /* became valid meanwhile, or can't be read now */
  g_debug ("removing entry %s without a valid object.info", name);
  if (!_fs_tree_size_at (dirs->objects_fd, name, &size, NULL, NULL, NULL))
    size = 0;
  if (!dry_run && _fs_anon_remove_stale_at (dirs->objects_fd, name) < 0)
    return FALSE;
  *out_bytes += size;
  return TRUE;
}

gboolean
_fs_evict_collect_garbage (FsCache *cache,
                           gboolean dry_run,
                           gboolean idle,
                           guint *out_removed,
                           guint64 *out_reclaimed,
                           gint64 *out_correction,
                           GCancellable *cancellable,
                           GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  int area_fds[2] = { dirs->stage_fd, dirs->objects_fd };
  FsSweepStats stats = { 0, 0 };
  guint removed = 0;
  guint64 reclaimed = 0;
  gint64 correction = 0;

  /* What recovery removes (entries of dead records, stale staging entries)
   * counts too; a dry run skips recovery and finds them in the sweep. */
  if (!dry_run && !_fs_journal_recover (cache, FALSE, &stats, cancellable, error))
    return FALSE;
  removed = stats.removed;
  reclaimed = stats.bytes;

  for (guint a = 0; a < G_N_ELEMENTS (area_fds); a++)
    {
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      fs_autofd dfd = openat (area_fds[a], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      struct dirent *de;
      DIR *dir;

      if (dfd < 0 || (dir = fdopendir (dfd)) == NULL)
        return _fs_throw_errno (error, errno, _ ("Reading %s/%s"), dirs->path,
                                a == 0 ? FS_DIR_STAGE : FS_DIR_OBJECTS);
      _fs_steal_fd (&dfd);
      while ((de = readdir (dir)) != NULL)
        if (!_fs_is_dot_or_dotdot (de->d_name))
          g_ptr_array_add (names, g_strdup (de->d_name));
      closedir (dir);

      for (guint i = 0; i < names->len; i++)
        {
          const char *name = names->pdata[i];

          if (g_cancellable_is_cancelled (cancellable))
            return !_fs_cancellable_set_error (cancellable, error);

          if (g_str_has_prefix (name, "uuid-"))
            {
              if (_fs_anon_sweep (area_fds[a], a == 1 ? dirs->journal_fd : -1, name, dry_run,
                                  &reclaimed))
                removed++;
            }
          else if (a == 1 && sweep_invalid_entry (cache, name, dry_run, &reclaimed))
            removed++;
        }
    }

  /* The exact recount, only when nobody else has the cache open; a dry run
   * measures what it would correct (all of the counter's difference from
   * the entries: what recovering dead records would take off included). */
  if (idle)
    {
      guint64 before = 0, after = 0;

      if (dry_run ? !_fs_journal_measure (cache, &before, &after, cancellable, error)
                  : !_fs_journal_recount (cache, &before, &after, cancellable, error))
        return FALSE;
      if (after >= before)
        correction = after - before > (guint64) G_MAXINT64 ? G_MAXINT64 : (gint64) (after - before);
      else
        correction =
          before - after > (guint64) G_MAXINT64 ? -G_MAXINT64 : -(gint64) (before - after);
    }

  if (out_removed != NULL)
    *out_removed = removed;
  if (out_reclaimed != NULL)
    *out_reclaimed = reclaimed;
  if (out_correction != NULL)
    *out_correction = correction;
  return TRUE;
}
