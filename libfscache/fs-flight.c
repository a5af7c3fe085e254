/* fs-flight.c: single flight — one builder per missing name
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Loading or storing
 *
 * When several processes miss the same name at once, one builds the entry
 * while the others wait for its commit. The builder of NAME is whoever
 * holds the write lock (OFD) of journal/flight/H, H the SHA-256 of NAME in
 * hex (a fixed-length file name whatever NAME is):
 *
 *   1. load NAME: a hit ends it;
 *   2. take the flight lock without waiting (created if missing; opened,
 *      locked and compared with the path, as every lock file is):
 *        - taken: load NAME again (the builder before may have committed
 *          just before letting go): a hit lands the flight and ends it;
 *          else create an anonymous entry and hand it to the caller with
 *          the flight;
 *        - held by another: pause (1 ms, doubling up to 100 ms, woken at
 *          once by cancellation), and start again from 1 — a waiter also
 *          sees an entry that a plain store, or osbuild, committed
 *          meanwhile.
 *
 * The builder fills the entry and commits it; then (or when it gives the
 * entry up, whatever the commit said) it lands the flight: the flight file
 * is unlinked while still locked, then the lock is given up. The waiter
 * that takes the lock next either loads the entry or, if the builder failed,
 * builds it in turn. A builder that dies loses its lock with its
 * descriptors, so a waiter takes over; the file it leaves is removed by
 * the next garbage collection. Locks and files live only in journal/, so
 * plain stores and osbuild's stores work as before: a flight's commit that
 * finds the name taken says EXISTS, and the waiters load that entry.
 */

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <poll.h>

#include "fs-anon-private.h"
#include "fs-digest-private.h"
#include "fs-flight-private.h"
#include "fs-load-private.h"

#define PAUSE_MIN_USEC 1000
#define PAUSE_MAX_USEC (100 * 1000)

static int
open_flight_dir (FsStore *store, gboolean create)
{
  if (create && mkdirat (store->journal_fd, FS_DIR_FLIGHT, _fs_store_dir_mode (store)) == 0)
    _fs_store_fix_mode_at (store, store->journal_fd, FS_DIR_FLIGHT, TRUE);
  return openat (store->journal_fd, FS_DIR_FLIGHT,
                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
}

static void
flight_file_name (const char *name, char out[65])
{
  guint8 digest[FS_DIGEST_SIZE];

  _fs_digest_buffer (name, strlen (name), digest);
  _fs_digest_to_hex (digest, out);
}

/* Step 2: 0 and the flight in @out, or -1 with errno (EAGAIN: another
 * builder holds it). */
static int
try_lead (FsStore *store, int dir_fd, const char *file, FsFlight *out)
{
  if (_fs_lock_at (dir_fd, file, FS_LOCK_EXCLUSIVE | FS_LOCK_CREATE, NULL, &out->lock) < 0)
    return -1;
  _fs_store_fix_mode (store, out->lock.fd, FALSE);
  g_strlcpy (out->file, file, sizeof out->file);
  return 0;
}

/* Sleeps @usec, or less when @cancellable fires. */
static void
pause_cancellably (gulong usec, GCancellable *cancellable)
{
  GPollFD pfd;

  if (cancellable == NULL || !g_cancellable_make_pollfd (cancellable, &pfd))
    {
      g_usleep (usec);
      return;
    }
  (void) g_poll (&pfd, 1, (int) ((usec + 999) / 1000));
  g_cancellable_release_fd (cancellable);
}

/* Step 1: TRUE and *@out_loaded when loaded, TRUE alone on a miss. */
static gboolean
try_load (FsStore *store,
          const char *name,
          FsHandle *out,
          guint64 *out_size,
          char **out_tree_digest,
          gboolean *out_loaded,
          GError **error)
{
  g_autoptr (GError) local_error = NULL;

  *out_loaded = _fs_load (store, name, out, out_size, out_tree_digest, &local_error);
  if (*out_loaded || g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

gboolean
_fs_flight_load_or_lead (FsStore *store,
                         const char *name,
                         gint64 deadline,
                         FsHandle *out,
                         guint64 *out_size,
                         char **out_tree_digest,
                         gboolean *out_loaded,
                         FsFlight *out_flight,
                         gboolean *out_waited,
                         GCancellable *cancellable,
                         GError **error)
{
  fs_autofd dir_fd = -1;
  char file[65];
  gulong pause_us = PAUSE_MIN_USEC;

  *out_loaded = FALSE;
  *out_waited = FALSE;
  flight_file_name (name, file);

  for (;;)
    {
      gint64 now;

      /* 1 */
      if (!try_load (store, name, out, out_size, out_tree_digest, out_loaded, error))
        return FALSE;
      if (*out_loaded)
        return TRUE;

      /* 2 */
      if (dir_fd < 0 && (dir_fd = open_flight_dir (store, TRUE)) < 0)
        return _fs_throw_errno (error, errno, _ ("Opening %s/%s/%s"), store->path, FS_DIR_JOURNAL,
                                FS_DIR_FLIGHT);
      if (try_lead (store, dir_fd, file, out_flight) == 0)
        {
          if (!try_load (store, name, out, out_size, out_tree_digest, out_loaded, error) ||
              *out_loaded)
            {
              _fs_flight_land (store, out_flight);
              return *out_loaded;
            }
          g_debug ("leading the flight of %s", name);
          if (!_fs_anon_create (store, FS_AREA_OBJECTS, TRUE, out, error))
            {
              _fs_flight_land (store, out_flight);
              return FALSE;
            }
          return TRUE;
        }
      if (errno != EAGAIN)
        return _fs_throw_errno (error, errno, _ ("Locking %s/%s/%s/%s"), store->path,
                                FS_DIR_JOURNAL, FS_DIR_FLIGHT, file);

      /* Another process builds it: wait. */
      if (!*out_waited)
        g_debug ("waiting for the flight of %s", name);
      *out_waited = TRUE;
      if (_fs_cancellable_set_error (cancellable, error) || !_fs_store_check_open (store, error))
        return FALSE;
      now = g_get_monotonic_time ();
      if (deadline >= 0 && now >= deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       _ ("Timed out waiting for another process to store “%s” in %s"), name,
                       store->path);
          return FALSE;
        }
      if (deadline >= 0)
        pause_us = MIN (pause_us, (gulong) (deadline - now));
      pause_cancellably (pause_us, cancellable);
      pause_us = MIN (pause_us * 2, PAUSE_MAX_USEC);
    }
}

void
_fs_flight_land (FsStore *store, FsFlight *flight)
{
  fs_autofd dir_fd = -1;

  if (flight->lock.fd < 0)
    return;
  /* Unlinked while locked: nobody can hold a lock on the name's file
   * meanwhile, and a waiter holding the old inode finds it gone and opens
   * the new one. */
  dir_fd = open_flight_dir (store, FALSE);
  if (dir_fd >= 0 && unlinkat (dir_fd, flight->file, 0) < 0 && errno != ENOENT)
    g_debug ("could not remove the flight file %s: %s", flight->file, g_strerror (errno));
  _fs_lock_clear (&flight->lock);
  flight->file[0] = '\0';
}

gboolean
_fs_flight_sweep (FsStore *store, gboolean dry_run, guint *out_removed, GError **error)
{
  g_autoptr (GPtrArray) names = NULL;
  fs_autofd dir_fd = -1;

  *out_removed = 0;
  if (store->journal_fd < 0)
    return TRUE;
  dir_fd = open_flight_dir (store, FALSE);
  if (dir_fd < 0 && (errno == ENOENT || errno == ENOTDIR))
    return TRUE;
  if (dir_fd < 0 || (names = _fs_dir_names (dir_fd, NULL)) == NULL)
    return _fs_throw_errno (error, errno, _ ("Reading %s/%s/%s"), store->path, FS_DIR_JOURNAL,
                            FS_DIR_FLIGHT);
  for (guint i = 0; i < names->len; i++)
    {
      g_auto (FsLock) lock = FS_LOCK_INIT;
      const char *file = names->pdata[i];

      if (_fs_lock_at (dir_fd, file, FS_LOCK_EXCLUSIVE, NULL, &lock) < 0)
        continue; /* a builder at work (or not a file we know) */
      (*out_removed)++;
      if (!dry_run && unlinkat (dir_fd, file, 0) < 0 && errno != ENOENT)
        g_debug ("could not remove the flight file %s: %s", file, g_strerror (errno));
    }
  return TRUE;
}
