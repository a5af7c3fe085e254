/* fs-stats.c: the statistics of a cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Counting
 *
 * Every operation adds to counters in memory (one atomic addition), kept
 * per open cache. The counts go to disk, added to what is there:
 *
 *   - when the cache is closed or freed;
 *   - when an operation happens at least a second after the last write.
 *     The clock is read by the first few operations after a write, then
 *     by one operation in 64: a busy process pays neither a lock nor a
 *     system call per operation, an idle one writes its counts at its next
 *     operation;
 *   - before the statistics are read, so a process sees its own counts.
 *
 * A process killed loses at most what it counted in its last second or
 * so: the counts are never far from the truth, and never count an
 * operation twice.
 *
 * # The shards
 *
 * stats/00 … stats/15 at the top of the cache, like ccache's: a process
 * writes to shard pid % 16 (a fork starts again from zero, in its own
 * shard), under an OFD write lock of that file, so that processes seldom
 * wait for each other and never lose an update. A reader sums the shards,
 * each under a read lock. A shard is text, one counter a line, padded to
 * a fixed width:
 *
 *   # libfscache statistics: the counts are the sum over stats/
 *   since                       1764930000
 *   hits                             12345
 *   …
 *
 * "since" is when the shard started counting (unix seconds): the
 * statistics of the cache count from the oldest shard's. Lines this
 * version does not know (a newer version's counters) are kept as they are;
 * a line that does not parse counts 0. Zeroing rewrites every shard under
 * its lock with zeros and "since" now. osbuild ignores the folder.
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "fs-lock-private.h"
#include "fs-stats-private.h"
#include "fs-util-private.h"

#define FLUSH_INTERVAL_USEC G_USEC_PER_SEC
/* After a write, the first CHECK_FIRST operations read the clock, then one
 * in CHECK_EVERY. */
#define CHECK_FIRST 4
#define CHECK_EVERY 64

#define KEY_WIDTH 19
#define VALUE_WIDTH 20

static const char *const keys[FS_STAT_N] = {
  [FS_STAT_HIT] = "hits",
  [FS_STAT_MISS] = "misses",
  [FS_STAT_STORED] = "stored",
  [FS_STAT_EXISTS] = "exists",
  [FS_STAT_TOO_LARGE] = "too-large",
  [FS_STAT_NO_SPACE] = "no-space",
  [FS_STAT_INCOMPATIBLE] = "incompatible",
  [FS_STAT_EVICTED] = "evicted",
  [FS_STAT_EVICTED_BYTES] = "evicted-bytes",
  [FS_STAT_REMOVED] = "removed",
  [FS_STAT_REMOTE_HIT] = "remote-hits",
  [FS_STAT_REMOTE_MISS] = "remote-misses",
  [FS_STAT_REMOTE_BYTES_UP] = "remote-bytes-up",
  [FS_STAT_REMOTE_BYTES_DOWN] = "remote-bytes-down",
  [FS_STAT_REMOTE_ERROR] = "remote-errors",
};

struct _FsStats {
  /* Atomics: counted and not written yet; operations since the last
   * write; when that was (monotonic). */
  guint64 pending[FS_STAT_N];
  gint ops;
  gint64 last_flush; /* 0 until the first operation */
  gint64 interval;   /* between writes: FLUSH_INTERVAL_USEC, but for tests */
  guint generation;  /* the fork generation @pending and the descriptors belong to */

  GMutex mutex; /* protects everything below, and serialises the writes */
  int dir_fd;   /* the cache's, borrowed; -1 until attached */
  char *path;
  gboolean shared;
  mode_t umask;
  int stats_fd; /* stats/, opened by the first write */
  int shard_fd; /* our shard */
};

const char *
_fs_stats_key (FsStat stat)
{
  g_return_val_if_fail (stat < FS_STAT_N, NULL);
  return keys[stat];
}

FsStats *
_fs_stats_new (void)
{
  FsStats *self = g_new0 (FsStats, 1);

  g_mutex_init (&self->mutex);
  self->dir_fd = -1;
  self->stats_fd = -1;
  self->shard_fd = -1;
  self->generation = _fs_fork_generation ();
  self->interval = FLUSH_INTERVAL_USEC;
  return self;
}

void
_fs_stats_attach (FsStats *self, int dir_fd, const char *path, gboolean shared, mode_t umask)
{
  g_mutex_lock (&self->mutex);
  self->dir_fd = dir_fd;
  g_free (self->path);
  self->path = g_strdup (path);
  self->shared = shared;
  self->umask = umask;
  g_mutex_unlock (&self->mutex);
}

static mode_t
dir_mode (FsStats *self)
{
  return self->shared ? 02775 : 0777 & ~self->umask;
}

static mode_t
file_mode (FsStats *self)
{
  return self->shared ? 0664 : 0666 & ~self->umask;
}

static void
shard_name (guint i, char out[8])
{
  g_snprintf (out, 8, "%02u", i);
}

void
_fs_stats_set_shared (FsStats *self)
{
  g_mutex_lock (&self->mutex);
  self->shared = TRUE;
  if (self->dir_fd >= 0)
    {
      (void) fchmodat (self->dir_fd, FS_DIR_STATS, 02775, AT_SYMLINK_NOFOLLOW);
      for (guint i = 0; i < FS_STATS_SHARDS; i++)
        {
          char name[8], rel[16];

          shard_name (i, name);
          g_snprintf (rel, sizeof rel, "%s/%s", FS_DIR_STATS, name);
          (void) fchmodat (self->dir_fd, rel, 0664, AT_SYMLINK_NOFOLLOW);
        }
    }
  g_mutex_unlock (&self->mutex);
}

/* ---- the text of a shard ---- */

static gboolean
parse_value (const char *text, guint64 *out)
{
  gsize n = strlen (text);

  if (n == 0 || n > VALUE_WIDTH)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
  return g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, out, NULL);
}

void
_fs_stats_parse (const char *data,
                 gsize len,
                 guint64 values[FS_STAT_N],
                 gint64 *out_since,
                 GString *out_other)
{
  g_autofree char *copy = g_strndup (data, len);
  g_auto (GStrv) lines = g_strsplit (copy, "\n", -1);

  memset (values, 0, sizeof (guint64) * FS_STAT_N);
  *out_since = 0;
  for (char **l = lines; *l != NULL; l++)
    {
      g_auto (GStrv) words = NULL;
      guint64 value;
      guint n = 0;
      gboolean known = FALSE;

      if ((*l)[0] == '#' || (*l)[0] == '\0')
        continue;
      words = g_strsplit_set (*l, " \t", -1);
      /* The key, then the value: the words between are empty. */
      for (char **w = words; *w != NULL; w++)
        if ((*w)[0] != '\0')
          words[n++] = *w;
        else
          g_free (*w);
      words[n] = NULL;
      if (n != 2 || !parse_value (words[1], &value))
        continue;
      if (g_str_equal (words[0], "since"))
        {
          *out_since = value <= G_MAXINT64 ? (gint64) value : 0;
          continue;
        }
      for (guint i = 0; i < FS_STAT_N; i++)
        if (g_str_equal (words[0], keys[i]))
          {
            values[i] = value;
            known = TRUE;
            break;
          }
      if (!known && out_other != NULL && strlen (words[0]) <= 64)
        g_string_append_printf (out_other, "%-*s %*s\n", KEY_WIDTH, words[0], VALUE_WIDTH,
                                words[1]);
    }
}

char *
_fs_stats_format (const guint64 values[FS_STAT_N], gint64 since, const char *other, gsize *out_len)
{
  GString *s = g_string_new ("# libfscache statistics: the counts are the sum over stats/\n");

  g_string_append_printf (s, "%-*s %*" G_GINT64_FORMAT "\n", KEY_WIDTH, "since", VALUE_WIDTH,
                          since);
  for (guint i = 0; i < FS_STAT_N; i++)
    g_string_append_printf (s, "%-*s %*" G_GUINT64_FORMAT "\n", KEY_WIDTH, keys[i], VALUE_WIDTH,
                            values[i]);
  if (other != NULL)
    g_string_append (s, other);
  *out_len = s->len;
  return g_string_free (s, FALSE);
}

/* ---- writing ---- */

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static gboolean
open_stats_dir (FsStats *self, gboolean create, GError **error)
{
  if (self->stats_fd >= 0)
    return TRUE;
  if (create && mkdirat (self->dir_fd, FS_DIR_STATS, dir_mode (self)) == 0 && self->shared)
    (void) fchmodat (self->dir_fd, FS_DIR_STATS, 02775, AT_SYMLINK_NOFOLLOW);
  self->stats_fd =
    openat (self->dir_fd, FS_DIR_STATS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (self->stats_fd < 0)
    return _fs_throw_errno (error, errno, _ ("Opening %s/%s"), self->path, FS_DIR_STATS);
  return TRUE;
}

/* Opens (creating it) shard @i for writing. */
static int
open_shard (FsStats *self, guint i, GError **error)
{
  char name[8];
  int fd;

  shard_name (i, name);
  fd = _fs_openat (self->stats_fd, name, O_RDWR | O_CREAT | O_NOCTTY, file_mode (self));
  if (fd < 0)
    {
      _fs_throw_errno (error, errno, _ ("Opening %s/%s/%s"), self->path, FS_DIR_STATS, name);
      return -1;
    }
  if (self->shared)
    (void) fchmod (fd, 0664);
  return fd;
}

/* Locks @fd for writing, waiting; reads, lets @update change the counts,
 * writes them back. */
typedef void (*UpdateFunc) (guint64 values[FS_STAT_N],
                            gint64 *since,
                            GString *other,
                            gpointer data);

static gboolean
update_shard (FsStats *self, int fd, UpdateFunc update, gpointer data, GError **error)
{
  g_autofree char *old = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GString) other = g_string_new (NULL);
  guint64 values[FS_STAT_N];
  gint64 since;
  gsize old_len = 0, len;
  int errsv = 0;
  gboolean ok;

  if (_fs_lock_fd (fd, FS_LOCK_EXCLUSIVE | FS_LOCK_WAIT, NULL) < 0)
    return _fs_throw_errno (error, errno, _ ("Locking the statistics of %s"), self->path);
  if (!_fs_read_small_fd (fd, &old, &old_len, &errsv) && errsv != EFBIG)
    {
      _fs_unlock_fd (fd);
      return _fs_throw_errno (error, errsv, _ ("Reading the statistics of %s"), self->path);
    }
  _fs_stats_parse (old != NULL ? old : "", old != NULL ? old_len : 0, values, &since, other);
  if (since == 0)
    since = now_seconds (); /* a new shard counts from now */
  update (values, &since, other, data);
  text = _fs_stats_format (values, since, other->str, &len);
  ok = _fs_write_all (fd, text, len, 0) && (len >= old_len || ftruncate (fd, (off_t) len) == 0);
  errsv = errno;
  _fs_unlock_fd (fd);
  if (!ok)
    return _fs_throw_errno (error, errsv, _ ("Writing the statistics of %s"), self->path);
  return TRUE;
}

static void
add_counts (guint64 values[FS_STAT_N], gint64 *since, GString *other, gpointer data)
{
  const guint64 *add = data;

  for (guint i = 0; i < FS_STAT_N; i++)
    values[i] = add[i] > G_MAXUINT64 - values[i] ? G_MAXUINT64 : values[i] + add[i];
}

/* A newer version's counters are zeroed too: they are dropped, and it
 * writes them again from 0. */
static void
zero_counts (guint64 values[FS_STAT_N], gint64 *since, GString *other, gpointer data)
{
  memset (values, 0, sizeof (guint64) * FS_STAT_N);
  g_string_truncate (other, 0);
  *since = now_seconds ();
}

/* In the child of a fork: the counts in memory are the parent's (it writes
 * them), and the descriptors share the parent's open file descriptions —
 * and so its locks. Start again. Called with the mutex held. */
static void
restart_after_fork (FsStats *self)
{
  guint generation = _fs_fork_generation ();

  if (self->generation == generation)
    return;
  for (guint i = 0; i < FS_STAT_N; i++)
    __atomic_store_n (&self->pending[i], 0, __ATOMIC_RELAXED);
  g_atomic_int_set (&self->ops, 0);
  _fs_clear_fd (&self->shard_fd);
  _fs_clear_fd (&self->stats_fd);
  self->generation = generation;
}

/* Writes the pending counts; @now: the monotonic time when an operation
 * asks (the next interval starts), 0 when asked otherwise (no clock read:
 * a system call under valgrind, where the benchmarks count them). Called
 * with the mutex held. */
static gboolean
flush_locked (FsStats *self, gint64 now, GError **error)
{
  guint64 take[FS_STAT_N];
  gboolean any = FALSE;
  struct stat st_fd, st_path;
  char name[8];

  restart_after_fork (self);
  g_atomic_int_set (&self->ops, 0);
  if (now != 0)
    __atomic_store_n (&self->last_flush, now, __ATOMIC_RELAXED);
  if (self->dir_fd < 0)
    return TRUE; /* not attached (an incompatible cache): counted in memory only */

  for (guint i = 0; i < FS_STAT_N; i++)
    {
      take[i] = __atomic_exchange_n (&self->pending[i], 0, __ATOMIC_RELAXED);
      any = any || take[i] != 0;
    }
  if (!any)
    return TRUE;

  if (!open_stats_dir (self, TRUE, error))
    goto failed;
  shard_name ((guint) getpid () % FS_STATS_SHARDS, name);
  /* A shard removed by hand since we opened it is opened again. */
  if (self->shard_fd >= 0 && (fstat (self->shard_fd, &st_fd) < 0 ||
                              fstatat (self->stats_fd, name, &st_path, AT_SYMLINK_NOFOLLOW) < 0 ||
                              st_fd.st_ino != st_path.st_ino || st_fd.st_dev != st_path.st_dev))
    _fs_clear_fd (&self->shard_fd);
  if (self->shard_fd < 0 &&
      (self->shard_fd = open_shard (self, (guint) getpid () % FS_STATS_SHARDS, error)) < 0)
    goto failed;
  if (update_shard (self, self->shard_fd, add_counts, take, error))
    return TRUE;

failed:
  /* Kept for the next write. */
  for (guint i = 0; i < FS_STAT_N; i++)
    __atomic_fetch_add (&self->pending[i], take[i], __ATOMIC_RELAXED);
  return FALSE;
}

gboolean
_fs_stats_flush (FsStats *self, GError **error)
{
  gboolean ok;

  g_mutex_lock (&self->mutex);
  ok = flush_locked (self, 0, error);
  g_mutex_unlock (&self->mutex);
  return ok;
}

void
_fs_stats_add (FsStats *self, FsStat stat, guint64 n)
{
  g_autoptr (GError) local_error = NULL;
  guint ops;
  gint64 now, last;

  if (G_UNLIKELY (self->generation != _fs_fork_generation ()))
    {
      g_mutex_lock (&self->mutex);
      restart_after_fork (self);
      g_mutex_unlock (&self->mutex);
    }
  __atomic_fetch_add (&self->pending[stat], n, __ATOMIC_RELAXED);

  ops = (guint) g_atomic_int_add (&self->ops, 1) + 1;
  if (ops > CHECK_FIRST && ops % CHECK_EVERY != 0)
    return;
  now = g_get_monotonic_time ();
  last = __atomic_load_n (&self->last_flush, __ATOMIC_RELAXED);
  if (last == 0)
    {
      /* The first operation starts the first interval. */
      __atomic_compare_exchange_n (&self->last_flush, &last, now, FALSE, __ATOMIC_RELAXED,
                                   __ATOMIC_RELAXED);
      if (__atomic_load_n (&self->interval, __ATOMIC_RELAXED) > 0)
        return;
    }
  else if (now - last < __atomic_load_n (&self->interval, __ATOMIC_RELAXED))
    return;
  /* Another thread writing them is as good. */
  if (!g_mutex_trylock (&self->mutex))
    return;
  if (!flush_locked (self, now, &local_error))
    g_debug ("could not write the statistics: %s", local_error->message);
  g_mutex_unlock (&self->mutex);
}

void
_fs_stats_set_interval (FsStats *self, gint64 usec)
{
  __atomic_store_n (&self->interval, usec, __ATOMIC_RELAXED);
}

void
_fs_stats_free (FsStats *self)
{
  g_autoptr (GError) local_error = NULL;

  if (self == NULL)
    return;
  if (!_fs_stats_flush (self, &local_error))
    g_debug ("could not write the statistics: %s", local_error->message);
  _fs_clear_fd (&self->shard_fd);
  _fs_clear_fd (&self->stats_fd);
  g_free (self->path);
  g_mutex_clear (&self->mutex);
  g_free (self);
}

/* ---- reading and zeroing ---- */

gboolean
_fs_stats_read (FsStats *self, guint64 out_values[FS_STAT_N], gint64 *out_since, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean ok = TRUE;

  memset (out_values, 0, sizeof (guint64) * FS_STAT_N);
  *out_since = 0;

  g_mutex_lock (&self->mutex);
  /* Our own counts first; a user who may not write the cache reads anyway. */
  if (!flush_locked (self, 0, &local_error))
    g_debug ("could not write the statistics: %s", local_error->message);
  g_clear_error (&local_error);
  if (self->dir_fd < 0 || (self->stats_fd < 0 && !open_stats_dir (self, FALSE, &local_error)))
    {
      g_mutex_unlock (&self->mutex);
      if (local_error != NULL && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      return TRUE; /* no statistics yet */
    }

  for (guint i = 0; i < FS_STATS_SHARDS && ok; i++)
    {
      g_autofree char *data = NULL;
      guint64 values[FS_STAT_N];
      gint64 since;
      fs_autofd fd = -1;
      char name[8];
      gsize len;
      int errsv = 0;

      shard_name (i, name);
      fd = _fs_openat (self->stats_fd, name, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
      if (fd < 0 && errno == ENOENT)
        continue;
      if (fd < 0 || _fs_lock_fd (fd, FS_LOCK_SHARED | FS_LOCK_WAIT, NULL) < 0)
        {
          ok =
            _fs_throw_errno (error, errno, _ ("Reading %s/%s/%s"), self->path, FS_DIR_STATS, name);
          break;
        }
      if (!_fs_read_small_fd (fd, &data, &len, &errsv))
        {
          if (errsv == EFBIG)
            continue; /* not ours: counts nothing */
          ok =
            _fs_throw_errno (error, errsv, _ ("Reading %s/%s/%s"), self->path, FS_DIR_STATS, name);
          break;
        }
      _fs_stats_parse (data, len, values, &since, NULL);
      add_counts (out_values, NULL, NULL, values);
      if (since > 0 && (*out_since == 0 || since < *out_since))
        *out_since = since;
    }
  g_mutex_unlock (&self->mutex);
  return ok;
}

gboolean
_fs_stats_zero (FsStats *self, GError **error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&self->mutex);
  restart_after_fork (self);
  for (guint i = 0; i < FS_STAT_N; i++)
    __atomic_store_n (&self->pending[i], 0, __ATOMIC_RELAXED);
  if (self->dir_fd < 0)
    {
      g_mutex_unlock (&self->mutex);
      return TRUE;
    }
  if (!open_stats_dir (self, TRUE, error))
    {
      g_mutex_unlock (&self->mutex);
      return FALSE;
    }
  for (guint i = 0; i < FS_STATS_SHARDS && ok; i++)
    {
      fs_autofd fd = open_shard (self, i, error);

      ok = fd >= 0 && update_shard (self, fd, zero_counts, NULL, error);
    }
  g_mutex_unlock (&self->mutex);
  return ok;
}
