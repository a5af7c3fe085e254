/* fs-journal.c: crash-consistent accounting
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # The journal
 *
 * cache.size must equal the sum of the "size" members of the committed
 * entries' object.info whenever no operation is in flight, even after a
 * process was killed anywhere. Two things make that hold without ever
 * waiting for the cache to be idle:
 *
 * 1. A record per in-flight store or removal: journal/uuid-X is a hard link
 *    of the entry's object.lock, so the owner's write lock on the entry is
 *    also the lock of the record — "a record whose owner is dead" is "a
 *    record we can write-lock". The record's content (in the lock file,
 *    which osbuild never reads) says what was accounted:
 *
 *        empty               an anonymous entry objects/uuid-X, nothing
 *                            accounted (a store being filled)
 *        "A store S\nNAME"   a commit of objects/uuid-X as NAME, size S
 *        "A remove S\nNAME"  a removal of NAME, renamed to objects/uuid-X
 *
 *    where A is 1 when S is currently counted in cache.size.
 *
 * 2. An intent file, journal/size.intent, that makes "change cache.size"
 *    and "flip A of the record" one transaction. Under the write lock of
 *    cache.size: write the intent (record, old, new, A after), write the
 *    new size, write A, write "idle". Whoever next takes the cache.size
 *    lock and finds an intent still pending knows its writer died: if the
 *    counter holds "new" the change happened and A is set to "after", if it
 *    holds "old" it did not and A is set to the opposite; anything else
 *    means a writer that ignores our intent file (osbuild) raced, and a
 *    recount is asked for.
 *
 * A dead record is then finished or undone (see recover_record()), its
 * accounting included, by any process that finds it: at an idle open, when
 * a commit does not fit (before evicting), and by garbage collection.
 * Nothing else scans: opening a clean cache reads no directory.
 *
 * # Power cuts
 *
 * A kill -9 loses nothing that was written: the page cache survives the
 * process. A power cut may lose any write that was not synced, each file on
 * its own and in any order: a pwrite() may come back as the old text, as
 * an empty file (delayed allocation: a new file's size reaches the disk
 * with its blocks) or not at all; an unlink, a truncate or a rename may be
 * undone. Journaling file systems keep each metadata operation whole (a
 * rename is done or not); which unsynced ones reach the disk is theirs to
 * choose. Only what a sync covered is certain.
 *
 * So a durable commit (fs-cache-entry.c commit_locked()) syncs:
 *
 *   1. syncfs() before it measures the tree: the tree, the record's link
 *      and the entry's folder are on disk before anything refers to them.
 *   2. After the rename, before it returns STORED: fdatasync() of
 *      object.info and fsync() of objects/ (the rename). Only then is the
 *      commit reported. The record's text, the counter and the intent are
 *      not synced: recovery does not need them, see below.
 *
 * What a power cut can leave, and why recovery is still right:
 *
 *   - A STORED entry: objects/NAME with its tree (1), a valid object.info
 *     and the rename (2). Its record may come back (its unlink was not
 *     synced), empty, torn, "0 store S NAME" or "1 store S NAME": it is
 *     dead, and whatever it says, recover_record() only ever deletes
 *     objects/<record name> — a uuid-* folder, which the entry no longer
 *     is — and keeps the entry. No repair removes a published entry with
 *     a valid object.info; only one without is swept as invalid — which
 *     is why object.info must be on disk before STORED (with an fsync() of
 *     objects/ alone, the rename survived, object.info came back empty and
 *     the next repair removed the entry). The recount (below) accounts
 *     the entry, whatever the counter said.
 *   - A commit cut before 2 completed: its rename may or may not have
 *     reached the disk. Not renamed: objects/uuid-X and its record, whose
 *     text is empty, "0 store", "1 store" or torn — all of them end in the
 *     removal of uuid-X, since an unreadable record is treated as one
 *     that accounted nothing. Renamed: objects/NAME, whose object.info is
 *     whole (then its tree is too, by 1: the entry is complete, merely
 *     not reported) or empty or missing (never served, swept as invalid).
 *     Either way no reader ever sees a partial entry.
 *   - A removal cut anywhere: the entry is at NAME (not hidden yet: kept,
 *     its record is dropped) or at objects/uuid-Y (hidden: removed).
 *     Removals are not synced; undoing one is allowed.
 *   - The counter: cache.size, the intent and the records' flags are
 *     written without syncs between them, so after a cut they may
 *     disagree, and a record's recovery may add or subtract on a counter
 *     that never saw the matching change. Hence the boot id in the intent
 *     file: a counter last written in another boot is recounted at the
 *     first idle open, and a transaction of a non-idle process that finds
 *     the intent of another boot keeps that recount asked for.
 *
 * A volatile cache skips these syncs: after a power cut its last entries
 * may be missing, and one whose object.info reached the disk before its
 * tree may even be partial — volatile is for caches whose content need
 * not survive one (a tmpfs, a CI runner's disk). The accounting is exact
 * again after the recount all the same.
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "fs-anon-private.h"
#include "fs-journal-private.h"
#include "fs-lock-private.h"
#include "fs-meta-private.h"
#include "fs-tree-private.h"
#include "fs-util-private.h"

/* Reads the metadata file open at @fd. One that is not a valid file (an
 * oversized one, a folder, ...: _fs_errno_is_invalid_meta()) is corrupt:
 * TRUE with *@out_data NULL, and *@out_len more than FS_META_MAX_SIZE when
 * it was oversized, so a rewrite knows to cut it. Any other failure is an
 * error, its message @format and the strerror. */
static gboolean read_meta_fd (int fd,
                              char **out_data,
                              gsize *out_len,
                              GError **error,
                              const char *format,
                              ...) G_GNUC_PRINTF (5, 6);

static gboolean
read_meta_fd (int fd, char **out_data, gsize *out_len, GError **error, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;
  int errsv = 0;

  *out_data = NULL;
  *out_len = 0;
  if (_fs_read_small_fd (fd, out_data, out_len, &errsv))
    return TRUE;
  if (_fs_errno_is_invalid_meta (errsv))
    {
      if (errsv == EFBIG)
        *out_len = FS_META_MAX_SIZE + 1;
      return TRUE;
    }
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  return _fs_throw_errno (error, errsv, "%s", what);
}

static gboolean
write_intent_for (FsCache *cache, int fd, FsIntent *intent)
{
  char buf[FS_INTENT_WIDTH + 1];

  g_strlcpy (intent->boot, _fs_cache_get_journal_boot_id (cache), sizeof intent->boot);
  _fs_meta_format_intent (intent, buf);
  return _fs_write_all (fd, buf, FS_INTENT_WIDTH, 0);
}

static gboolean
write_size (int fd, guint64 size, gsize old_len)
{
  char buf[FS_SIZE_FILE_WIDTH + 1];

  _fs_meta_format_size (size, buf);
  if (!_fs_write_all (fd, buf, FS_SIZE_FILE_WIDTH, 0))
    return FALSE;
  /* Written by someone else at another width: cut the tail. A kill between
   * the two calls leaves a file that does not parse, never a wrong value. */
  if (old_len > FS_SIZE_FILE_WIDTH && ftruncate (fd, FS_SIZE_FILE_WIDTH) < 0)
    return FALSE;
  return TRUE;
}

static gboolean
set_record_flag (int record_fd, gboolean accounted)
{
  return _fs_write_all (record_fd, accounted ? "1" : "0", 1, 0);
}

static gboolean
is_uuid_name (const char *name)
{
  if (strlen (name) != 37 || !g_str_has_prefix (name, "uuid-"))
    return FALSE;
  for (int i = 5; i < 37; i++)
    if (!g_ascii_isxdigit (name[i]))
      return FALSE;
  return TRUE;
}

static void
set_flag_of (int journal_fd, const char *name, gboolean accounted)
{
  fs_autofd rfd = _fs_openat (journal_fd, name, O_RDWR | O_NOCTTY, 0);
  g_autofree char *data = NULL;
  FsRecord record;
  gsize len;
  int errsv;

  if (rfd >= 0 && _fs_read_small_fd (rfd, &data, &len, &errsv) &&
      _fs_meta_parse_record (data, len, &record) && record.op != FS_RECORD_OP_NONE)
    set_record_flag (rfd, accounted);
}

/* Resolve the intent of a writer that died holding the cache.size lock. */
static void
resolve_intent (FsCache *cache, FsIntent *intent, gboolean size_ok, guint64 cur)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  gboolean accounted;

  g_debug ("resolving the pending size transaction of %s (%" G_GUINT64_FORMAT
           " -> %" G_GUINT64_FORMAT ", counter at %" G_GUINT64_FORMAT ")",
           intent->record, intent->old_size, intent->new_size, cur);

  if (size_ok && cur == intent->new_size)
    accounted = intent->after;
  else if (size_ok && cur == intent->old_size)
    accounted = !intent->after;
  else
    {
      /* Someone who does not know our intent file changed the counter. */
      intent->recount = TRUE;
      accounted = intent->after;
    }

  if (g_str_has_prefix (intent->record, "bat-"))
    {
      g_autofree char *list = NULL;
      gsize len;
      int errsv;

      if (_fs_read_small_at (dirs->journal_fd, intent->record, &list, &len, &errsv))
        {
          g_auto (GStrv) names = g_strsplit (list, "\n", -1);
          for (guint i = 0; names[i] != NULL; i++)
            if (is_uuid_name (names[i]))
              set_flag_of (dirs->journal_fd, names[i], accounted);
        }
      else
        {
          /* (oversized, gone, or unreadable now): the flags of its records
           * stay as they were; a recount at idle makes the counter exact. */
          g_debug ("could not read the batch %s: %s", intent->record, g_strerror (errsv));
          intent->recount = TRUE;
        }
      unlinkat (dirs->journal_fd, intent->record, 0);
    }
  else
    set_flag_of (dirs->journal_fd, intent->record, accounted);
  intent->pending = FALSE;
}

static gboolean
recount_estimate (FsCache *cache, guint64 *out_size, GCancellable *cancellable, GError **error)
{
  return _fs_journal_count_committed (cache, out_size, NULL, cancellable, error);
}

/* For a transaction over several records: journal/bat-X lists them. The
 * file is locked while its owner lives; it is removed once the transaction
 * is over, or by whoever resolves the intent that names it. */
static gboolean
write_batch (FsCache *cache,
             const FsTxnRecord *records,
             guint n,
             char out_name[37],
             int *out_fd,
             GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autoptr (GString) list = g_string_new (NULL);
  fs_autofd fd = -1;
  char uuid[38];

  for (guint i = 0; i < n; i++)
    g_string_append_printf (list, "%s\n", records[i].name);
  fd = _fs_openat (dirs->journal_fd, ".", O_TMPFILE | O_RDWR | O_NOCTTY,
                   _fs_cache_get_file_mode (cache));
  if (fd < 0 || _fs_lock_fd (fd, F_WRLCK, FALSE, NULL) < 0 ||
      !_fs_write_all (fd, list->str, list->len, 0))
    return _fs_throw_errno (error, errno, _ ("Writing a batch file in %s/%s"), dirs->path,
                            FS_DIR_JOURNAL);
  _fs_random_uuid_name (uuid);
  g_snprintf (out_name, 37, "bat-%s", uuid + 5);
  if (!_fs_link_fd_at (fd, dirs->journal_fd, out_name))
    return _fs_throw_errno (error, errno, _ ("Writing a batch file in %s/%s"), dirs->path,
                            FS_DIR_JOURNAL);
  *out_fd = _fs_steal_fd (&fd);
  return TRUE;
}

gboolean
_fs_journal_size_txn (FsCache *cache,
                      gint64 delta,
                      guint64 limit,
                      const FsTxnRecord *records,
                      guint n_records,
                      gboolean after,
                      gboolean *out_applied,
                      GCancellable *cancellable,
                      GError **error)
{
  fs_autofd batch_fd = -1;
  char batch_name[37] = "";
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  fs_autofd size_fd = -1;
  fs_autofd intent_fd = -1;
  g_autofree char *data = NULL;
  FsIntent intent = { 0 };
  gboolean intent_dirty = FALSE;
  guint64 cur = 0, next;
  gboolean size_ok;
  gsize len = 0;
  int errsv = 0;

  if (out_applied != NULL)
    *out_applied = FALSE;

  size_fd = _fs_lock_open_at (dirs->dir_fd, FS_FILE_CACHE_SIZE, O_RDWR | O_CREAT | O_NOCTTY,
                              _fs_cache_get_file_mode (cache), F_WRLCK, TRUE, cancellable, NULL);
  if (size_fd < 0)
    {
      errsv = errno;
      if (errsv == ECANCELED)
        return !_fs_cancellable_set_error (cancellable, error);
      return _fs_throw_errno (error, errsv, _ ("Locking %s/%s"), dirs->path, FS_FILE_CACHE_SIZE);
    }

  intent_fd = _fs_openat (dirs->journal_fd, FS_FILE_INTENT, O_RDWR | O_CREAT | O_NOCTTY,
                          _fs_cache_get_file_mode (cache));
  if (intent_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening %s/%s/%s"), dirs->path, FS_DIR_JOURNAL,
                            FS_FILE_INTENT);
  _fs_cache_fix_mode (cache, intent_fd, FALSE);

  if (!read_meta_fd (size_fd, &data, &len, error, _ ("Reading %s/%s"), dirs->path,
                     FS_FILE_CACHE_SIZE))
    return FALSE;
  size_ok = data != NULL && _fs_meta_parse_size (data, len, &cur);

  {
    g_autofree char *idata = NULL;
    gsize ilen = 0;

    if (!read_meta_fd (intent_fd, &idata, &ilen, error, _ ("Reading %s/%s/%s"), dirs->path,
                       FS_DIR_JOURNAL, FS_FILE_INTENT))
      return FALSE;
    if (idata == NULL || !_fs_meta_parse_intent (idata, ilen, &intent))
      {
        /* A torn write of a crashed writer, or a foreign one: recoverable. */
        g_message (_ ("The intent file of the cache %s is corrupt; the cache will be recounted"),
                   dirs->path);
        memset (&intent, 0, sizeof intent);
        intent.recount = TRUE;
        intent_dirty = TRUE;
        /* Written back below at its width: cut what an oversized one had
         * beyond it. */
        if (ilen > FS_INTENT_WIDTH && ftruncate (intent_fd, FS_INTENT_WIDTH) < 0)
          return _fs_throw_errno (error, errno, _ ("Writing %s/%s/%s"), dirs->path, FS_DIR_JOURNAL,
                                  FS_FILE_INTENT);
      }
    else if (intent.boot[0] != '\0' &&
             !g_str_equal (intent.boot, _fs_cache_get_journal_boot_id (cache)))
      {
        /* Last written in another boot: a power cut may have lost writes of
         * the counter (see "Power cuts" above). Our boot id replaces that
         * one below, so keep the recount asked for: the first idle open
         * must still do it, even if this process is not idle. */
        intent.recount = TRUE;
        intent_dirty = TRUE;
      }
  }

  if (intent.pending)
    {
      resolve_intent (cache, &intent, size_ok, cur);
      intent_dirty = TRUE;
    }

  _fs_fault_point ("txn-locked");

  if (!size_ok)
    {
      g_message (_ ("The size counter %s/%s is corrupt; recounting it"), dirs->path,
                 FS_FILE_CACHE_SIZE);
      if (!recount_estimate (cache, &cur, cancellable, error))
        return FALSE;
      /* Entries may have been in flight while we counted: exact at idle. */
      intent.recount = TRUE;
      intent_dirty = TRUE;
      if (!write_size (size_fd, cur, len))
        return _fs_throw_errno (error, errno, _ ("Writing %s/%s"), dirs->path, FS_FILE_CACHE_SIZE);
      len = FS_SIZE_FILE_WIDTH;
    }

  if (delta < 0 && cur < (guint64) -delta)
    {
      /* Routine in a cache shared with osbuild, whose removals subtract
       * more than its commits added: the counter drifts low. Not worth a
       * message; the recount (at idle) makes it exact again. */
      g_debug ("the size counter %s/%s (%" G_GUINT64_FORMAT ") was lower than the %" G_GINT64_FORMAT
               " bytes to take off it: clamped to 0, recount requested",
               dirs->path, FS_FILE_CACHE_SIZE, cur, -delta);
      next = 0;
      intent.recount = TRUE;
      intent_dirty = TRUE;
    }
  else if (delta > 0 && (G_MAXUINT64 - cur < (guint64) delta ||
                         (limit != FS_CACHE_SIZE_UNLIMITED && cur + (guint64) delta > limit)))
    {
      if (intent_dirty && !write_intent_for (cache, intent_fd, &intent))
        return _fs_throw_errno (error, errno, _ ("Writing %s/%s/%s"), dirs->path, FS_DIR_JOURNAL,
                                FS_FILE_INTENT);
      return TRUE; /* does not fit: *out_applied stays FALSE */
    }
  else
    next = delta < 0 ? cur - (guint64) -delta : cur + (guint64) delta;

  if (n_records > 1 && !write_batch (cache, records, n_records, batch_name, &batch_fd, error))
    return FALSE;

  if (n_records > 0)
    {
      g_strlcpy (intent.record, n_records > 1 ? batch_name : records[0].name, sizeof intent.record);
      intent.pending = TRUE;
      intent.old_size = cur;
      intent.new_size = next;
      intent.after = after;
      if (!write_intent_for (cache, intent_fd, &intent))
        return _fs_throw_errno (error, errno, _ ("Writing %s/%s/%s"), dirs->path, FS_DIR_JOURNAL,
                                FS_FILE_INTENT);
      _fs_fault_point ("txn-intent");
    }

  if (n_records == 0 && size_ok && next == cur)
    ; /* a repair-only transaction with nothing to change */
  else if (!write_size (size_fd, next, len))
    {
      errsv = errno;
      /* Nothing changed: put the intent back to idle if we can. */
      intent.pending = FALSE;
      write_intent_for (cache, intent_fd, &intent);
      if (batch_name[0] != '\0')
        unlinkat (dirs->journal_fd, batch_name, 0);
      return _fs_throw_errno (error, errsv, _ ("Writing %s/%s"), dirs->path, FS_FILE_CACHE_SIZE);
    }
  _fs_fault_point ("txn-size");

  if (n_records > 0)
    {
      for (guint i = 0; i < n_records; i++)
        if (!set_record_flag (records[i].fd, after))
          {
            /* The counter changed but a record says otherwise: leave the
             * intent pending, so the next user of the counter fixes the
             * records, and report the failure. */
            return _fs_throw_errno (error, errno, _ ("Writing the journal record %s"),
                                    records[i].name);
          }
      _fs_fault_point ("txn-record");
      intent.pending = FALSE;
      intent_dirty = TRUE;
    }

  if (intent_dirty && !write_intent_for (cache, intent_fd, &intent))
    return _fs_throw_errno (error, errno, _ ("Writing %s/%s/%s"), dirs->path, FS_DIR_JOURNAL,
                            FS_FILE_INTENT);

  if (batch_name[0] != '\0')
    unlinkat (dirs->journal_fd, batch_name, 0);

  if (out_applied != NULL)
    *out_applied = TRUE;
  return TRUE;
}

gboolean
_fs_journal_get_size (FsCache *cache, guint64 *out_size, GCancellable *cancellable, GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autofree char *data = NULL;
  gsize len;
  int errsv;

  if (_fs_read_small_at (dirs->dir_fd, FS_FILE_CACHE_SIZE, &data, &len, &errsv) &&
      _fs_meta_parse_size (data, len, out_size))
    return TRUE;

  if (dirs->journal_fd < 0)
    {
      *out_size = 0;
      return TRUE;
    }

  /* Corrupt or missing: an empty transaction repairs it under the lock. */
  if (!_fs_journal_size_txn (cache, 0, FS_CACHE_SIZE_UNLIMITED, NULL, 0, FALSE, NULL, cancellable,
                             error))
    return FALSE;
  g_clear_pointer (&data, g_free);
  if (!_fs_read_small_at (dirs->dir_fd, FS_FILE_CACHE_SIZE, &data, &len, &errsv))
    return _fs_throw_errno (error, errsv, _ ("Reading %s/%s"), dirs->path, FS_FILE_CACHE_SIZE);
  if (!_fs_meta_parse_size (data, len, out_size))
    return g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT, _ ("%s/%s is corrupt"),
                        dirs->path, FS_FILE_CACHE_SIZE),
           FALSE;
  return TRUE;
}

/* Whether objects/NAME/object.lock is the inode @st. */
static gboolean
entry_is_inode (int objects_fd, const char *name, const struct stat *st)
{
  g_autofree char *path = g_strconcat (name, "/" FS_FILE_OBJECT_LOCK, NULL);
  fs_autofd fd = -1;
  struct stat est;

  if (!fs_cache_name_is_valid (name, NULL))
    return FALSE;
  fd = _fs_openat (objects_fd, path, O_PATH, 0);
  if (fd < 0 || fstat (fd, &est) < 0)
    return FALSE;
  return est.st_dev == st->st_dev && est.st_ino == st->st_ino;
}

static gboolean
dir_exists (int dirfd, const char *name)
{
  struct stat st;
  return fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode);
}

/* Finish or undo the operation of a dead record. We hold its write lock
 * through @rfd, so its owner is gone and nobody else recovers it. */
static int remove_counted (int dirfd, const char *name, FsSweepStats *stats);

/* Remove @name below @dirfd, counting it in @stats when it was there. */
static int
remove_counted (int dirfd, const char *name, FsSweepStats *stats)
{
  guint64 size = 0;
  struct stat st;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : -1;
  if (stats != NULL && !_fs_tree_size_at (dirfd, name, &size, NULL, NULL, NULL))
    size = 0;
  if (_fs_rm_rf_at (dirfd, name) < 0)
    return -1;
  if (stats != NULL)
    {
      stats->removed++;
      stats->bytes += size;
    }
  return 0;
}

static gboolean
recover_record (FsCache *cache,
                int rfd,
                const char *rname,
                FsSweepStats *stats,
                GCancellable *cancellable,
                GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autofree char *data = NULL;
  FsRecord record;
  struct stat st;
  gsize len;

  if (fstat (rfd, &st) < 0)
    return _fs_throw_errno (error, errno, _ ("Reading the journal record %s"), rname);
  if (!read_meta_fd (rfd, &data, &len, error, _ ("Reading the journal record %s"), rname))
    return FALSE;

  if (data == NULL || !_fs_meta_parse_record (data, len, &record))
    {
      /* Not ours, or torn by a crash before it was complete: nothing of it
       * was accounted (content is written before any accounting). */
      g_debug ("journal record %s is unreadable: treating it as unaccounted", rname);
      record.op = FS_RECORD_OP_NONE;
      record.accounted = FALSE;
      record.size = 0;
    }

  g_debug ("recovering dead journal record %s (op %d, accounted %d, size %" G_GUINT64_FORMAT ")",
           rname, record.op, record.accounted, record.size);

  if (record.op != FS_RECORD_OP_NONE && record.accounted)
    {
      gboolean renamed = dir_exists (dirs->objects_fd, rname);
      gboolean at_name = !renamed && entry_is_inode (dirs->objects_fd, record.name, &st);

      if (at_name)
        {
          /* A commit that completed, or a removal that never hid the
           * entry: either way the entry is valid and counted. Keep it. */
          if (ftruncate (rfd, 0) < 0)
            g_debug ("could not clear record %s: %s", rname, g_strerror (errno));
        }
      else
        {
          FsTxnRecord r = { rfd, rname };
          if (!_fs_journal_size_txn (cache, -(gint64) record.size, FS_CACHE_SIZE_UNLIMITED, &r, 1,
                                     FALSE, NULL, cancellable, error))
            return FALSE;
        }
    }

  /* Whatever is left under the record's name is an uncommitted or hidden
   * entry: remove it. Staging entries carry no record. */
  if (remove_counted (dirs->objects_fd, rname, stats) < 0)
    return _fs_throw_errno (error, errno, _ ("Removing %s/%s/%s"), dirs->path, FS_DIR_OBJECTS,
                            rname);
  if (unlinkat (dirs->journal_fd, rname, 0) < 0 && errno != ENOENT)
    return _fs_throw_errno (error, errno, _ ("Removing the journal record %s"), rname);
  return TRUE;
}

static gboolean
recover_records (FsCache *cache, FsSweepStats *stats, GCancellable *cancellable, GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  fs_autofd dfd = -1;
  gboolean resolved = FALSE;
  DIR *dir;
  struct dirent *de;

  dfd = _fs_openat (dirs->journal_fd, ".", O_RDONLY | O_DIRECTORY, 0);
  if (dfd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening %s/%s"), dirs->path, FS_DIR_JOURNAL);
  dir = fdopendir (dfd);
  if (dir == NULL)
    return _fs_throw_errno (error, errno, _ ("Opening %s/%s"), dirs->path, FS_DIR_JOURNAL);
  _fs_steal_fd (&dfd);
  while ((de = readdir (dir)) != NULL)
    if (is_uuid_name (de->d_name))
      g_ptr_array_add (names, g_strdup (de->d_name));
  closedir (dir);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      fs_autofd rfd = -1;

      rfd =
        _fs_lock_open_at (dirs->journal_fd, name, O_RDWR | O_NOCTTY, 0, F_WRLCK, FALSE, NULL, NULL);
      if (rfd < 0 && errno == ELOOP)
        {
          /* We never make links in journal/: a planted one is removed
           * (the link itself, never what it points to). */
          struct stat st;
          if (fstatat (dirs->journal_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
              S_ISLNK (st.st_mode))
            unlinkat (dirs->journal_fd, name, 0);
          continue;
        }
      if (rfd < 0)
        {
          if (errno == EAGAIN || errno == ENOENT || errno == EACCES || errno == EPERM ||
              errno == EROFS || errno == EISDIR || errno == ENXIO || errno == ENOTDIR)
            continue; /* alive, recovered by someone else, or not ours to touch */
          return _fs_throw_errno (error, errno, _ ("Opening the journal record %s"), name);
        }
      /* A writer that died inside a size transaction may not have set the
       * flag of its record yet: resolve its intent before reading flags. */
      if (!resolved)
        {
          if (!_fs_journal_size_txn (cache, 0, FS_CACHE_SIZE_UNLIMITED, NULL, 0, FALSE, NULL,
                                     cancellable, error))
            return FALSE;
          resolved = TRUE;
        }
      if (!recover_record (cache, rfd, name, stats, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* Batch files whose owner died after its transaction (or before writing
 * its intent): a pending intent naming one was resolved by the empty
 * transaction of recover_records() or by the counter's next user. */
static gboolean
sweep_batches (FsCache *cache)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  fs_autofd dfd = openat (dirs->journal_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_autofree char *idata = NULL;
  FsIntent intent = { 0 };
  struct dirent *de;
  gsize ilen;
  int errsv;
  DIR *dir;

  if (dfd < 0 || (dir = fdopendir (dfd)) == NULL)
    return TRUE;
  _fs_steal_fd (&dfd);
  while ((de = readdir (dir)) != NULL)
    if (g_str_has_prefix (de->d_name, "bat-"))
      g_ptr_array_add (names, g_strdup (de->d_name));
  closedir (dir);
  if (names->len == 0)
    return TRUE;

  if (_fs_read_small_at (dirs->journal_fd, FS_FILE_INTENT, &idata, &ilen, &errsv))
    _fs_meta_parse_intent (idata, ilen, &intent);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      fs_autofd fd = -1;

      if (intent.pending && g_str_equal (intent.record, name))
        continue;
      fd =
        _fs_lock_open_at (dirs->journal_fd, name, O_RDWR | O_NOCTTY, 0, F_WRLCK, FALSE, NULL, NULL);
      if (fd >= 0)
        unlinkat (dirs->journal_fd, name, 0);
    }
  return TRUE;
}

/* Remove staging entries whose lock no live process holds (see
 * _fs_anon_sweep(), the one judge of anonymous entries). */
static gboolean
sweep_stage (FsCache *cache, FsSweepStats *stats, GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  fs_autofd dfd = -1;
  DIR *dir;
  struct dirent *de;

  dfd = openat (dirs->stage_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening %s/%s"), dirs->path, FS_DIR_STAGE);
  dir = fdopendir (dfd);
  if (dir == NULL)
    return _fs_throw_errno (error, errno, _ ("Opening %s/%s"), dirs->path, FS_DIR_STAGE);
  _fs_steal_fd (&dfd);
  while ((de = readdir (dir)) != NULL)
    if (g_str_has_prefix (de->d_name, "uuid-"))
      g_ptr_array_add (names, g_strdup (de->d_name));
  closedir (dir);

  for (guint i = 0; i < names->len; i++)
    {
      guint64 bytes = 0;

      if (_fs_anon_sweep (dirs->stage_fd, -1, names->pdata[i], FALSE, &bytes) && stats != NULL)
        {
          stats->removed++;
          stats->bytes += bytes;
        }
    }
  return TRUE;
}

gboolean
_fs_journal_count_committed (FsCache *cache,
                             guint64 *out_size,
                             guint *out_entries,
                             GCancellable *cancellable,
                             GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  fs_autofd dfd = -1;
  DIR *dir;
  struct dirent *de;
  guint64 total = 0;
  guint entries = 0;

  dfd = openat (dirs->objects_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening %s/%s"), dirs->path, FS_DIR_OBJECTS);
  dir = fdopendir (dfd);
  if (dir == NULL)
    return _fs_throw_errno (error, errno, _ ("Opening %s/%s"), dirs->path, FS_DIR_OBJECTS);
  _fs_steal_fd (&dfd);

  while ((de = readdir (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *data = NULL;
      gsize len;
      guint64 size;
      int errsv;

      if (_fs_is_dot_or_dotdot (de->d_name) || g_str_has_prefix (de->d_name, "uuid-"))
        continue;
      if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
        continue;
      path = g_strconcat (de->d_name, "/" FS_FILE_OBJECT_INFO, NULL);
      if (!_fs_read_small_at (dirs->objects_fd, path, &data, &len, &errsv))
        {
          if (_fs_errno_is_invalid_meta (errsv))
            continue; /* not an entry */
          /* Leaving out an entry we could not read would write a wrong
           * counter: better no count at all. */
          closedir (dir);
          return _fs_throw_errno (error, errsv, _ ("Reading %s/%s/%s"), dirs->path, FS_DIR_OBJECTS,
                                  path);
        }
      if (!_fs_meta_parse_object_info (data, len, &size, NULL))
        continue;
      total = size > G_MAXUINT64 - total ? G_MAXUINT64 : total + size; /* hostile sizes */
      entries++;
      if ((entries & 0x3ff) == 0 && g_cancellable_is_cancelled (cancellable))
        {
          closedir (dir);
          return !_fs_cancellable_set_error (cancellable, error);
        }
    }
  closedir (dir);

  *out_size = total;
  if (out_entries != NULL)
    *out_entries = entries;
  return TRUE;
}

/* With cache.lock held for writing nobody else is in the cache: the sum of
 * the committed entries is exactly what the counter must say. */
gboolean
_fs_journal_recount (FsCache *cache,
                     guint64 *out_before,
                     guint64 *out_after,
                     GCancellable *cancellable,
                     GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  fs_autofd size_fd = -1;
  fs_autofd intent_fd = -1;
  g_autofree char *data = NULL;
  FsIntent intent = { 0 };
  guint64 total, cur = 0;
  struct stat st;
  gsize len;

  size_fd = _fs_lock_open_at (dirs->dir_fd, FS_FILE_CACHE_SIZE, O_RDWR | O_CREAT | O_NOCTTY,
                              _fs_cache_get_file_mode (cache), F_WRLCK, TRUE, cancellable, NULL);
  if (size_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Locking %s/%s"), dirs->path, FS_FILE_CACHE_SIZE);
  intent_fd = _fs_openat (dirs->journal_fd, FS_FILE_INTENT, O_RDWR | O_CREAT | O_NOCTTY,
                          _fs_cache_get_file_mode (cache));
  if (intent_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening %s/%s/%s"), dirs->path, FS_DIR_JOURNAL,
                            FS_FILE_INTENT);

  if (!_fs_journal_count_committed (cache, &total, NULL, cancellable, error))
    return FALSE;
  if (!read_meta_fd (size_fd, &data, &len, error, _ ("Reading %s/%s"), dirs->path,
                     FS_FILE_CACHE_SIZE))
    return FALSE;
  if (data == NULL || !_fs_meta_parse_size (data, len, &cur))
    cur = 0;
  if (out_before != NULL)
    *out_before = cur;
  if (out_after != NULL)
    *out_after = total;
  if (cur != total || len != FS_SIZE_FILE_WIDTH)
    {
      g_debug ("recount: cache.size %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT, cur, total);
      if (!write_size (size_fd, total, len))
        return _fs_throw_errno (error, errno, _ ("Writing %s/%s"), dirs->path, FS_FILE_CACHE_SIZE);
    }
  if (!write_intent_for (cache, intent_fd, &intent) ||
      (fstat (intent_fd, &st) == 0 && st.st_size > FS_INTENT_WIDTH &&
       ftruncate (intent_fd, FS_INTENT_WIDTH) < 0))
    return _fs_throw_errno (error, errno, _ ("Writing %s/%s/%s"), dirs->path, FS_DIR_JOURNAL,
                            FS_FILE_INTENT);
  return TRUE;
}

/* What a recount would find, changing nothing (a dry run): with cache.lock
 * held for writing, @out_after - @out_before is the counter's drift. */
gboolean
_fs_journal_measure (FsCache *cache,
                     guint64 *out_before,
                     guint64 *out_after,
                     GCancellable *cancellable,
                     GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autofree char *data = NULL;
  guint64 total, cur = 0;
  gsize len;
  int errsv;

  if (!_fs_journal_count_committed (cache, &total, NULL, cancellable, error))
    return FALSE;
  /* Missing or corrupt reads as 0, as in _fs_journal_recount(). */
  if (_fs_read_small_at (dirs->dir_fd, FS_FILE_CACHE_SIZE, &data, &len, &errsv))
    {
      if (!_fs_meta_parse_size (data, len, &cur))
        cur = 0;
    }
  else if (errsv != ENOENT && errsv != EFBIG)
    return _fs_throw_errno (error, errsv, _ ("Reading %s/%s"), dirs->path, FS_FILE_CACHE_SIZE);
  *out_before = cur;
  *out_after = total;
  return TRUE;
}

static gboolean
recount_requested (FsCache *cache)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);
  g_autofree char *data = NULL;
  FsIntent intent;
  gsize len;
  int errsv;

  if (!_fs_read_small_at (dirs->journal_fd, FS_FILE_INTENT, &data, &len, &errsv))
    return errsv == EFBIG; /* oversized: corrupt */
  if (!_fs_meta_parse_intent (data, len, &intent))
    return TRUE;
  if (intent.boot[0] != '\0' && !g_str_equal (intent.boot, _fs_cache_get_journal_boot_id (cache)))
    {
      g_debug ("the size counter was last written in another boot: recounting");
      return TRUE;
    }
  return intent.recount || intent.pending;
}

gboolean
_fs_journal_recover (FsCache *cache,
                     gboolean idle,
                     FsSweepStats *stats,
                     GCancellable *cancellable,
                     GError **error)
{
  const FsCacheDirs *dirs = _fs_cache_get_dirs (cache);

  if (dirs->journal_fd < 0)
    return TRUE;
  if (!recover_records (cache, stats, cancellable, error))
    return FALSE;
  if (!sweep_batches (cache))
    return FALSE;
  if (!sweep_stage (cache, stats, error))
    return FALSE;
  if (idle && recount_requested (cache))
    return _fs_journal_recount (cache, NULL, NULL, cancellable, error);
  return TRUE;
}
