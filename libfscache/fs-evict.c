/* fs-evict.c: removal and eviction
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
 *
 * Pinned entries (fs-pin.c: the pins are read once per pass) are never
 * chosen. A prune may ask for more than a size: at most N entries, or none
 * unused for longer than a given time; the entries least recently used go
 * first either way, so an age criterion takes a prefix of that order.
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
#include "fs-load-private.h"
#include "fs-lock-private.h"
#include "fs-meta-private.h"
#include "fs-name-private.h"
#include "fs-pin-private.h"
#include "fs-tree-private.h"
#include "fs-util-private.h"

#define BATCH_MAX 128

void
_fs_entry_stat_free (gpointer p)
{
  FsEntryStat *e = p;
  g_free (e->name);
  g_free (e->boot_id);
  g_free (e->tree_digest);
  g_free (e);
}

#define entry_stat_free _fs_entry_stat_free

/* A copy of @e for the report of a prune. */
static void
report_entry (GPtrArray *report, const FsEntryStat *e, guint64 size, FsCachePruneOutcome outcome)
{
  FsEntryStat *copy;

  if (report == NULL)
    return;
  copy = g_new0 (FsEntryStat, 1);
  copy->name = g_strdup (e->name);
  copy->size = size;
  copy->last_used_usec = e->last_used_usec;
  copy->boot_id = g_strdup (e->boot_id);
  copy->outcome = outcome;
  g_ptr_array_add (report, copy);
}

static GPtrArray *scan_objects (FsStore *store,
                                GPtrArray *debris,
                                gboolean read_info,
                                GCancellable *cancellable,
                                GError **error);

GPtrArray *
_fs_evict_scan (FsStore *store, GCancellable *cancellable, GError **error)
{
  return scan_objects (store, NULL, TRUE, cancellable, error);
}

/* The committed entries; with @debris, also the names of what is not one:
 * anonymous objects and named entries without object.info. Without
 * @read_info, an entry's object.info is only checked to exist (its size,
 * needed only for the victims, is read under their lock). With @read_info
 * (a list), an entry whose object.info can't be read for a reason that
 * says nothing about the file (EMFILE, ENOMEM, EIO, EACCES, ...) fails the
 * scan: a list never leaves out an entry it merely could not read. */
static GPtrArray *
scan_objects (FsStore *store,
              GPtrArray *debris,
              gboolean read_info,
              GCancellable *cancellable,
              GError **error)
{
  g_autoptr (GPtrArray) entries = g_ptr_array_new_with_free_func (entry_stat_free);
  fs_autofd dfd = -1;
  struct dirent *de;
  DIR *dir;

  dfd = openat (store->objects_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || (dir = fdopendir (dfd)) == NULL)
    {
      _fs_throw_errno (error, errno, _ ("Reading %s/%s"), store->path, FS_DIR_OBJECTS);
      return NULL;
    }
  _fs_steal_fd (&dfd);

  while ((de = readdir (dir)) != NULL)
    {
      g_autofree char *info_path = NULL;
      g_autofree char *lock_path = NULL;
      g_autofree char *data = NULL;
      g_autofree char *boot_id = NULL;
      g_autofree char *tree_digest = NULL;
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
      if (!_fs_name_check (de->d_name, NULL))
        continue;
      info_path = g_strconcat (de->d_name, "/" FS_FILE_OBJECT_INFO, NULL);
      size = 0;
      errsv = 0; /* stays 0 when the file is there but corrupt */
      if (!read_info)
        {
          valid = fstatat (store->objects_fd, info_path, &st, AT_SYMLINK_NOFOLLOW) == 0;
          if (!valid)
            errsv = errno;
        }
      else if ((valid = _fs_read_small_at (store->objects_fd, info_path, &data, &len, &errsv)))
        valid = _fs_meta_parse_object_info_full (data, len, &size, &boot_id, &tree_digest);
      if (!valid && errsv != 0 && !_fs_errno_is_invalid_meta (errsv))
        {
          /* We can't tell whether it is an entry. A list may not leave it
           * out (the caller would take it for absent): it fails. Eviction
           * leaves it alone (it could not lock it either). */
          if (read_info)
            {
              closedir (dir);
              _fs_throw_errno (error, errsv, _ ("Reading %s/%s/%s"), store->path, FS_DIR_OBJECTS,
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
      if (fstatat (store->objects_fd, lock_path, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          errsv = errno;
          if (read_info && errsv != ENOENT && errsv != ENOTDIR)
            {
              closedir (dir);
              _fs_throw_errno (error, errsv, _ ("Reading %s/%s/%s"), store->path, FS_DIR_OBJECTS,
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
      e->tree_digest = g_steal_pointer (&tree_digest);
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
  FsUuidName uuid;
  guint64 size;
} Victim;

/* Steps 1 and 2 above for one entry whose write lock we hold in @fd. */
static gboolean
hide_entry (FsStore *store, int fd, const char *name, guint64 size, Victim *out, GError **error)
{
  g_autofree char *content = NULL;
  FsRecord rec = { 0 };
  gsize len;

  rec.op = FS_RECORD_OP_REMOVE;
  rec.accounted = TRUE;
  rec.size = size;
  g_strlcpy (rec.name, name, sizeof rec.name);
  content = _fs_meta_format_record (&rec, &len);

  _fs_uuid_name_random (&out->uuid);
  out->size = size;
  out->fd = -1;
  if (ftruncate (fd, 0) < 0 || !_fs_write_all (fd, content, len, 0))
    return _fs_throw_errno (error, errno, _ ("Writing the lock file of %s/%s/%s"), store->path,
                            FS_DIR_OBJECTS, name);
  if (!_fs_link_fd_at (fd, store->journal_fd, out->uuid.str))
    return _fs_throw_errno (error, errno, _ ("Creating a journal record in %s/%s"), store->path,
                            FS_DIR_JOURNAL);
  _fs_fault_point ("remove-record");
  if (renameat2 (store->objects_fd, name, store->objects_fd, out->uuid.str, RENAME_NOREPLACE) < 0)
    {
      int errsv = errno;
      ftruncate (fd, 0);
      unlinkat (store->journal_fd, out->uuid.str, 0);
      return _fs_throw_errno (error, errsv, _ ("Removing %s/%s/%s"), store->path, FS_DIR_OBJECTS,
                              name);
    }
  _fs_fault_point ("remove-hidden");
  out->fd = fd;
  return TRUE;
}

/* Steps 3 and 4 for a batch of hidden entries. Consumes the victims. */
static gboolean
finish_victims (FsStore *store, Victim *victims, guint n, GCancellable *cancellable, GError **error)
{
  g_autofree FsTxnRecord *records = g_new0 (FsTxnRecord, MAX (n, 1));
  guint64 total = 0;
  gboolean ok;

  if (n == 0)
    return TRUE;

  for (guint i = 0; i < n; i++)
    {
      records[i].fd = victims[i].fd;
      records[i].name = victims[i].uuid.str;
      /* Sizes come from files anyone in the cache may write: saturate. */
      total = victims[i].size > (guint64) G_MAXINT64 - total ? (guint64) G_MAXINT64
                                                             : total + victims[i].size;
    }
  /* Not cancellable: hidden entries must leave the accounting now. */
  ok = _fs_journal_size_txn (store, -(gint64) total, FS_CACHE_SIZE_UNLIMITED, records, n, FALSE,
                             NULL, NULL, error);
  _fs_fault_point ("remove-accounted");

  for (guint i = 0; i < n; i++)
    {
      if (ok)
        {
          if (_fs_rm_rf_at (store->objects_fd, victims[i].uuid.str) < 0)
            g_debug ("could not delete %s: %s (left for garbage collection)", victims[i].uuid.str,
                     g_strerror (errno));
          else
            unlinkat (store->journal_fd, victims[i].uuid.str, 0);
        }
      /* On failure the records stay: they are recovered once we let go. */
      _fs_clear_fd (&victims[i].fd);
    }
  return ok;
}

gboolean
_fs_evict_remove (FsStore *store,
                  const char *name,
                  guint64 *out_size,
                  GCancellable *cancellable,
                  GError **error)
{
  FsHandle handle = FS_HANDLE_INIT;
  Victim victim;
  guint64 size;

  if (!_fs_load_lock (store, name, FS_LOCK_EXCLUSIVE, &handle, &size, NULL, error))
    return FALSE;
  if (!hide_entry (store, handle.lock.fd, name, size, &victim, error))
    {
      _fs_lock_clear (&handle.lock);
      return FALSE;
    }
  if (!finish_victims (store, &victim, 1, cancellable, error))
    return FALSE;
  _fs_stats_add (store->stats, FS_STAT_REMOVED, 1);
  if (out_size != NULL)
    *out_size = size;
  return TRUE;
}

gboolean
_fs_evict_free_space (FsStore *store, guint64 *out_free, guint64 *out_floor)
{
  g_autoptr (FsCacheInfo) info = _fs_store_dup_info (store);
  struct statvfs sv;
  gboolean percent;
  guint64 value;

  value = fs_cache_info_get_min_free_space (info, &percent);
  if (fstatvfs (store->objects_fd, &sv) < 0)
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
enough (FsStore *store, guint64 used, guint64 target_used, guint64 need_free)
{
  guint64 free_bytes, floor_bytes;

  if (used > target_used)
    return FALSE;
  if (need_free == 0)
    return TRUE;
  if (!_fs_evict_free_space (store, &free_bytes, &floor_bytes))
    return TRUE;
  return free_bytes >= need_free;
}

static int
take_evict_lock (FsStore *store, gboolean wait, GCancellable *cancellable)
{
  fs_autofd fd = _fs_openat (store->journal_fd, FS_FILE_EVICT_LOCK, O_RDWR | O_CREAT | O_NOCTTY,
                             _fs_store_file_mode (store));

  if (fd < 0)
    return -1;
  if (_fs_lock_fd (fd, FS_LOCK_EXCLUSIVE | (wait ? FS_LOCK_WAIT : 0), cancellable) < 0)
    return -1;
  return _fs_steal_fd (&fd);
}

/* With @by_entries (a prune), the space used is the sum of the sizes of
 * the entries found, not the counter: a counter that drifted (osbuild's
 * removals take more off it than its commits added) must neither stop a
 * prune early nor make it evict more than needed. *@out_drift tells
 * whether the counter disagreed with that sum. A commit, which the counter
 * admits, evicts by the counter. @more: a prune's other criteria (NULL:
 * none); @report: see _fs_evict_prune_full(). */
static gboolean
evict_locked (FsStore *store,
              guint64 target_used,
              guint64 need_free,
              gboolean dry_run,
              gboolean by_entries,
              const FsPruneCriteria *more,
              GPtrArray *report,
              guint *out_entries,
              guint64 *out_bytes,
              gboolean *out_drift,
              GCancellable *cancellable,
              GError **error)
{
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GPtrArray) debris = NULL;
  g_autoptr (GHashTable) pins = NULL;
  gint64 max_entries = more != NULL ? more->max_entries : -1;
  gint64 used_before = more != NULL ? more->used_before_usec : 0;
  Victim batch[BATCH_MAX];
  guint n_batch = 0, n_evicted = 0;
  guint64 used, freed = 0;

  if (out_drift != NULL)
    *out_drift = FALSE;
  if (!dry_run && !_fs_journal_recover (store, FALSE, NULL, cancellable, error))
    return FALSE;
  if (!_fs_journal_get_size (store, &used, cancellable, error))
    return FALSE;
  if (!by_entries && enough (store, used, target_used, need_free))
    goto done;

  /* The scan that orders the entries also finds leftovers without a
   * journal record (another implementation's, or a bare temporary file):
   * an eviction pass removes those it can lock, at no extra walk. */
  debris = g_ptr_array_new_with_free_func (g_free);
  entries = scan_objects (store, debris, by_entries, cancellable, error);
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
          _fs_anon_sweep (store, FS_AREA_OBJECTS, name, FALSE, &bytes);
        else
          _fs_anon_sweep_invalid (store, name, FALSE, &bytes);
      }
  g_ptr_array_sort (entries, compare_lru);
  /* Read once for the pass. Unreadable, they could protect any entry: no
   * entry is chosen then. */
  pins = _fs_pin_read_all (store, error);
  if (pins == NULL)
    return FALSE;

  for (guint i = 0; i < entries->len; i++)
    {
      FsEntryStat *e = entries->pdata[i];
      FsHandle handle = FS_HANDLE_INIT;
      g_auto (FsLock) lock = FS_LOCK_INIT;
      g_autoptr (GError) lock_error = NULL;
      guint64 size;

      if (used - MIN (used, freed) <= target_used &&
          (need_free == 0 || enough (store, 0, 0, need_free)) &&
          (max_entries < 0 || entries->len - n_evicted <= (guint64) max_entries) &&
          (used_before <= 0 || e->last_used_usec >= used_before))
        break;
      if (g_cancellable_is_cancelled (cancellable))
        break;
      if (g_hash_table_contains (pins, e->name))
        {
          report_entry (report, e, e->size, FS_CACHE_PRUNE_OUTCOME_SKIPPED_PINNED);
          continue;
        }

      /* In use (a reader wins), gone, or unreadable now: next. The size
       * accounted is the one in object.info, read again under the lock. */
      if (!_fs_load_lock (store, e->name, FS_LOCK_EXCLUSIVE, &handle, &size, NULL, &lock_error))
        {
          if (g_error_matches (lock_error, FS_CACHE_ERROR, FS_CACHE_ERROR_BUSY))
            report_entry (report, e, e->size, FS_CACHE_PRUNE_OUTCOME_SKIPPED_IN_USE);
          continue;
        }
      lock = handle.lock;
      report_entry (report, e, size, FS_CACHE_PRUNE_OUTCOME_REMOVED);

      if (dry_run)
        {
          freed += size;
          n_evicted++;
          continue;
        }

      g_debug ("evicting %s (%" G_GUINT64_FORMAT " bytes)", e->name, size);
      if (!hide_entry (store, lock.fd, e->name, size, &batch[n_batch], error))
        {
          finish_victims (store, batch, n_batch, NULL, NULL);
          return FALSE;
        }
      _fs_lock_steal_fd (&lock);
      n_batch++;
      n_evicted++;
      freed += size;

      /* A full batch, or the free-space floor (which only deletion moves). */
      if (n_batch == BATCH_MAX || need_free > 0)
        {
          if (!finish_victims (store, batch, n_batch, cancellable, error))
            return FALSE;
          n_batch = 0;
        }
    }

  if (!finish_victims (store, batch, n_batch, cancellable, error))
    return FALSE;
  if (!dry_run && n_evicted > 0)
    {
      _fs_stats_add (store->stats, FS_STAT_EVICTED, n_evicted);
      _fs_stats_add (store->stats, FS_STAT_EVICTED_BYTES, freed);
    }

done:
  if (out_entries != NULL)
    *out_entries = n_evicted;
  if (out_bytes != NULL)
    *out_bytes = freed;
  return TRUE;
}

gboolean
_fs_evict_lru (FsStore *store,
               guint64 target_used,
               guint64 need_free,
               gboolean dry_run,
               guint *out_entries,
               guint64 *out_bytes,
               GCancellable *cancellable,
               GError **error)
{
  fs_autofd lock = take_evict_lock (store, TRUE, cancellable);

  if (lock < 0)
    {
      if (errno == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
      return _fs_throw_errno (error, errno, _ ("Locking %s/%s/%s"), store->path, FS_DIR_JOURNAL,
                              FS_FILE_EVICT_LOCK);
    }
  return evict_locked (store, target_used, need_free, dry_run, FALSE, NULL, NULL, out_entries,
                       out_bytes, NULL, cancellable, error);
}

gboolean
_fs_evict_prune (FsStore *store,
                 guint64 target_used,
                 gboolean dry_run,
                 guint *out_entries,
                 guint64 *out_bytes,
                 GCancellable *cancellable,
                 GError **error)
{
  FsPruneCriteria criteria = { target_used, -1, 0 };

  return _fs_evict_prune_full (store, &criteria, dry_run, NULL, out_entries, out_bytes, cancellable,
                               error);
}

gboolean
_fs_evict_prune_full (FsStore *store,
                      const FsPruneCriteria *criteria,
                      gboolean dry_run,
                      GPtrArray *report,
                      guint *out_entries,
                      guint64 *out_bytes,
                      GCancellable *cancellable,
                      GError **error)
{
  fs_autofd lock = -1;
  gboolean drift = FALSE;
  gboolean ok;

  _fs_store_op_begin (store);
  lock = take_evict_lock (store, TRUE, cancellable);
  if (lock < 0)
    {
      int errsv = errno;

      _fs_store_op_end (store);
      if (errsv == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
      return _fs_throw_errno (error, errsv, _ ("Locking %s/%s/%s"), store->path, FS_DIR_JOURNAL,
                              FS_FILE_EVICT_LOCK);
    }
  ok = evict_locked (store, criteria->target_used, 0, dry_run, TRUE, criteria, report, out_entries,
                     out_bytes, &drift, cancellable, error);
  _fs_clear_fd (&lock);
  _fs_store_op_end (store);

  /* The counter disagreed with the entries (osbuild's removals make it
   * drift): when nobody else is in the cache, make it exact now. With
   * others in it, the difference may as well be their operations in
   * flight (the scan is not atomic): no recount is asked for on that
   * ground, but one that was subtracted below 0 asked for one already. */
  if (ok && drift && !dry_run && _fs_store_try_exclusive (store))
    {
      ok = _fs_journal_recount (store, NULL, NULL, cancellable, error);
      _fs_store_end_exclusive (store);
    }
  return ok;
}

/* Whether the free-space floor allows keeping what is on disk now. */
static gboolean
floor_ok (FsStore *store, guint64 *out_need)
{
  guint64 free_bytes, floor_bytes;

  *out_need = 0;
  if (!_fs_evict_free_space (store, &free_bytes, &floor_bytes) || floor_bytes == 0)
    return TRUE;
  *out_need = floor_bytes;
  return free_bytes >= floor_bytes;
}

gboolean
_fs_evict_account_for_commit (FsStore *store,
                              guint64 size,
                              guint64 max,
                              int record_fd,
                              const char *record_name,
                              gboolean *out_fits,
                              GCancellable *cancellable,
                              GError **error)
{
  FsTxnRecord record = { record_fd, record_name };
  guint n_records = record_fd >= 0 ? 1 : 0;
  g_autoptr (FsCacheInfo) info = NULL;
  guint64 need_free, low;
  fs_autofd lock = -1;
  gboolean applied;

  *out_fits = FALSE;

  /* The fast path: it fits, and the file system has room to spare. */
  if (floor_ok (store, &need_free))
    {
      if (!_fs_journal_size_txn (store, (gint64) size, max, &record, n_records, TRUE, &applied,
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
  lock = take_evict_lock (store, FALSE, NULL);
  if (lock < 0 && errno == EAGAIN)
    {
      lock = take_evict_lock (store, TRUE, cancellable);
      if (lock < 0 && errno == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
      _fs_clear_fd (&lock);
      if (floor_ok (store, &need_free))
        {
          if (!_fs_journal_size_txn (store, (gint64) size, max, &record, n_records, TRUE, &applied,
                                     cancellable, error))
            return FALSE;
          if (applied)
            {
              *out_fits = TRUE;
              return TRUE;
            }
        }
      lock = take_evict_lock (store, TRUE, cancellable);
    }
  if (lock < 0)
    {
      if (errno == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
      return _fs_throw_errno (error, errno, _ ("Locking %s/%s/%s"), store->path, FS_DIR_JOURNAL,
                              FS_FILE_EVICT_LOCK);
    }

  /* Evict down to the low watermark, counting the new entry in. */
  info = _fs_store_dup_info (store);
  if (max == FS_CACHE_SIZE_UNLIMITED)
    low = FS_CACHE_SIZE_UNLIMITED;
  else
    {
      low = max / 100 * fs_cache_info_get_low_watermark (info) +
            max % 100 * fs_cache_info_get_low_watermark (info) / 100;
      low = low > size ? low - size : (max > size ? max - size : 0);
    }
  floor_ok (store, &need_free);
  if (!evict_locked (store, low, need_free, FALSE, FALSE, NULL, NULL, NULL, NULL, NULL, cancellable,
                     error))
    return FALSE;

  if (!floor_ok (store, &need_free))
    return TRUE; /* NO_SPACE: the file system stays too full */
  if (!_fs_journal_size_txn (store, (gint64) size, max, &record, n_records, TRUE, &applied,
                             cancellable, error))
    return FALSE;
  *out_fits = applied;
  return TRUE;
}
