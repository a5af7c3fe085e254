/* test-drift.c: a size counter that drifted, as osbuild leaves it (issue 11)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Next to osbuild, cache.size drifts low: osbuild's eviction subtracts the
 * whole entry folder, 8 KiB more than its commit added. Checked here:
 *
 *   - prune removes unused entries by their real sizes whatever the counter
 *     says (to 0: every entry not in use), and never more than needed when
 *     the counter is too high; then the counter is exact again;
 *   - a dry-run garbage collection measures the drift when the cache is
 *     idle, and says when it could not (another process has the cache
 *     open); a real one says when it skipped the recount;
 *   - fs_cache_collect_garbage_full() can wait for the cache to be idle, up
 *     to a timeout, cancellably, and two waiters do not block each other;
 *   - none of this logs a warning: GTest makes warnings fatal, as
 *     G_DEBUG=fatal-warnings does in GNOME test suites.
 *
 * Other processes are tests/fs-test-helper, run for real.
 */

#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "fs-test-content.h"
#include "fs-test-util.h"

#define OSBUILD_EXTRA 8192 /* what osbuild's eviction takes off beyond the entry's size */

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static guint64
store_named (FsCache *cache, const char *name, guint64 n_bytes)
{
  g_autoptr (FsCacheEntry) entry = fs_test_store_content (cache, name, n_bytes);
  guint64 size;

  g_assert_cmpint (fs_test_commit (entry), ==, FS_CACHE_COMMIT_STORED);
  size = fs_cache_entry_get_size (entry);
  fs_cache_entry_release (entry);
  return size;
}

/* Makes @name the @rank-th least recently used (atime of its lock file). */
static void
set_last_use (const char *cache_dir, const char *name, guint rank)
{
  g_autofree char *lock = g_build_filename (cache_dir, "objects", name, "object.lock", NULL);
  struct timespec times[2] = { { 1000000000 + rank * 60, 0 }, { 0, UTIME_OMIT } };

  g_assert_cmpint (utimensat (AT_FDCWD, lock, times, 0), ==, 0);
}

static void
write_cache_size (const char *cache_dir, guint64 value)
{
  g_autofree char *path = g_build_filename (cache_dir, "cache.size", NULL);
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  g_autoptr (GError) error = NULL;

  /* osbuild's way: a new file renamed over the old one */
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

/* osbuild evicts @name: the folder goes, and the counter loses its size
 * plus 8 KiB (osbuild measures the whole folder). */
static void
osbuild_evict (const char *cache_dir, const char *name)
{
  g_autofree char *path = g_build_filename (cache_dir, "objects", name, NULL);
  guint64 size = fs_test_read_object_size (cache_dir, name);
  guint64 counter = fs_test_read_cache_size (cache_dir);

  fs_test_rm_rf (path);
  write_cache_size (cache_dir, counter - MIN (counter, size + OSBUILD_EXTRA));
}

/* @fx->cache holds its read lock on cache.lock (a writer can't get in). */
static void
assert_cache_held (FsTestFixture *fx)
{
  g_autofree char *lock = g_build_filename (fx->cache_dir, "cache.lock", NULL);

  g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  g_assert_true (fs_test_can_lock (lock, F_RDLCK));
}

/* e0…e4 (e0 least recently used; e2, the most recently used that stays, is
 * small), then osbuild evicts e3 and e4: the counter is DRIFT lower than
 * the sum of e0…e2, and more than e2 holds — a prune that trusted it would
 * find it at 0 before e2. Returns the sizes of e0…e2 in @sizes. */
#define DRIFT (2 * OSBUILD_EXTRA)

static void
make_drifted_cache (FsTestFixture *fx, guint64 sizes[3])
{
  static const guint64 bytes[5] = { 30000, 40000, 2000, 30000, 30000 };

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%u", i);
      guint64 size = store_named (fx->cache, name, bytes[i]);

      if (i < 3)
        sizes[i] = size;
      set_last_use (fx->cache_dir, name, i);
    }
  osbuild_evict (fx->cache_dir, "e3");
  osbuild_evict (fx->cache_dir, "e4");
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir) + DRIFT, ==,
                    fs_test_sum_object_sizes (fx->cache_dir));
  g_assert_cmpuint (sizes[2], <=, DRIFT);
  g_assert_cmpuint (sizes[0], <, sizes[1]);
}

static void
gc_full (FsCache *cache,
         FsCacheGcFlags flags,
         int timeout_msec,
         guint *out_removed,
         gint64 *out_correction,
         gboolean *out_checked)
{
  g_autoptr (GError) error = NULL;
  guint64 reclaimed = G_MAXUINT64;

  *out_removed = G_MAXUINT;
  *out_correction = G_MAXINT64;
  *out_checked = 42;
  g_assert_true (fs_cache_collect_garbage_full (cache, flags, timeout_msec, out_removed, &reclaimed,
                                                out_correction, out_checked, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("gc%s: removed %u, correction %" G_GINT64_FORMAT ", counter checked: %d",
                  (flags & FS_CACHE_GC_DRY_RUN) ? " (dry run)" : "", *out_removed, *out_correction,
                  *out_checked);
}

/* ------------------------------------------------------------------------ */
/* prune                                                                     */

/* To 0: every entry not in use goes, although the counter reaches 0 before
 * the last one; the counter ends exact. @user_data: with another process
 * holding the cache open and e1 loaded (no recount can help). */
static void
test_prune_to_zero (FsTestFixture *fx, gconstpointer user_data)
{
  gboolean busy = GPOINTER_TO_INT (user_data);
  g_autoptr (FsTestHelper) holder = NULL;
  g_autoptr (GError) error = NULL;
  guint64 sizes[3], bytes = 0;
  guint n = 0;

  make_drifted_cache (fx, sizes);
  if (busy)
    {
      holder = fs_test_helper_spawn ("hold", fx->cache_dir, "e1", NULL);
      fs_test_helper_assert_line (holder, "ok");
    }

  /* a dry run says the same as the real one */
  g_assert_true (
    fs_cache_prune (fx->cache, 0, FS_CACHE_MAINTENANCE_DRY_RUN, &n, &bytes, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, busy ? 2 : 3);
  g_assert_cmpuint (bytes, ==, busy ? sizes[0] + sizes[2] : sizes[0] + sizes[1] + sizes[2]);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 3);

  g_assert_true (
    fs_cache_prune (fx->cache, 0, FS_CACHE_MAINTENANCE_NONE, &n, &bytes, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, busy ? 2 : 3);
  g_assert_cmpuint (bytes, ==, busy ? sizes[0] + sizes[2] : sizes[0] + sizes[1] + sizes[2]);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, busy ? 1 : 0);
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "e1") == busy);

  if (busy)
    {
      /* with others in the cache, the prune could not tell drift from
       * their operations in flight: the counter is still off, until a
       * garbage collection finds the cache idle */
      gint64 correction;
      gboolean checked;
      guint removed;

      g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir) + DRIFT, ==,
                        fs_test_sum_object_sizes (fx->cache_dir));
      fs_test_helper_close_stdin (holder);
      fs_test_helper_assert_line (holder, "closed");
      g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);
      gc_full (fx->cache, FS_CACHE_GC_NONE, 0, &removed, &correction, &checked);
      g_assert_true (checked);
      g_assert_cmpint (correction, ==, DRIFT);
    }
  fs_test_assert_consistent (fx->cache_dir);
}

/* To a size: the stopping point comes from the entries' real sizes. A
 * counter too low must not stop the prune early; one too high must not
 * make it evict more than needed. Either way the counter is exact after. */
static void
test_prune_to_size (FsTestFixture *fx, gconstpointer user_data)
{
  gboolean too_high = GPOINTER_TO_INT (user_data);
  g_autoptr (GError) error = NULL;
  guint64 sizes[3], bytes = 0, target;
  guint n = 0;

  make_drifted_cache (fx, sizes);
  if (too_high)
    {
      /* counting e0 twice; keep e1 and e2: only e0 must go, though the
       * counter still says more than the target once it is gone */
      write_cache_size (fx->cache_dir, fs_test_sum_object_sizes (fx->cache_dir) + sizes[0]);
      target = sizes[1] + sizes[2];
    }
  else
    {
      /* a byte less than e1 and e2: e0 and e1 must go, though the low
       * counter says the target is reached once e0 is gone */
      target = sizes[1] + sizes[2] - 1;
      g_assert_cmpuint (sizes[1] + sizes[2] - DRIFT, <=, target);
    }
  g_assert_true (
    fs_cache_prune (fx->cache, target, FS_CACHE_MAINTENANCE_NONE, &n, &bytes, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (fs_test_entry_is_present (fx->cache_dir, "e0"));
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "e1") == too_high);
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "e2"));
  g_assert_cmpuint (n, ==, too_high ? 1 : 2);
  g_assert_cmpuint (bytes, ==, too_high ? sizes[0] : sizes[0] + sizes[1]);
  /* idle: recounted at the end of the prune */
  fs_test_assert_consistent (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* garbage collection                                                        */

/* Idle: a dry run measures the drift (without writing), the real run
 * corrects it. Busy: both say the counter was not checked. */
static void
test_gc_reports_drift (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsTestHelper) holder = NULL;
  g_autofree char *size_path = g_build_filename (fx->cache_dir, "cache.size", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  guint64 sizes[3], counter, reclaimed;
  gint64 correction;
  gboolean checked;
  guint removed;

  make_drifted_cache (fx, sizes);
  counter = fs_test_read_cache_size (fx->cache_dir);

  /* busy */
  holder = fs_test_helper_spawn ("hold", fx->cache_dir, NULL);
  fs_test_helper_assert_line (holder, "ok");
  gc_full (fx->cache, FS_CACHE_GC_DRY_RUN, 0, &removed, &correction, &checked);
  g_assert_false (checked);
  g_assert_cmpint (correction, ==, 0);
  gc_full (fx->cache, FS_CACHE_GC_NONE, 0, &removed, &correction, &checked);
  g_assert_false (checked);
  g_assert_cmpint (correction, ==, 0);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, counter);
  fs_test_helper_close_stdin (holder);
  fs_test_helper_assert_line (holder, "closed");
  g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);

  /* idle: the dry run measures, and changes nothing */
  g_assert_true (g_file_get_contents (size_path, &before, NULL, NULL));
  gc_full (fx->cache, FS_CACHE_GC_DRY_RUN, 0, &removed, &correction, &checked);
  g_assert_true (checked);
  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpint (correction, ==, DRIFT);
  g_assert_true (g_file_get_contents (size_path, &after, NULL, NULL));
  g_assert_cmpstr (before, ==, after);

  /* the 1.0 call's dry run reports it too */
  correction = 0;
  g_assert_true (fs_cache_collect_garbage (fx->cache, FS_CACHE_MAINTENANCE_DRY_RUN, &removed,
                                           &reclaimed, &correction, NULL, NULL));
  g_assert_cmpint (correction, ==, DRIFT);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, counter);

  /* idle: corrected */
  gc_full (fx->cache, FS_CACHE_GC_NONE, 0, &removed, &correction, &checked);
  g_assert_true (checked);
  g_assert_cmpint (correction, ==, DRIFT);
  fs_test_assert_consistent (fx->cache_dir);
  gc_full (fx->cache, FS_CACHE_GC_DRY_RUN, 0, &removed, &correction, &checked);
  g_assert_true (checked);
  g_assert_cmpint (correction, ==, 0);
}

typedef struct {
  FsCache *cache;
  FsCacheGcFlags flags;
  int timeout_msec;
  GCancellable *cancellable;
  gboolean ok;
  gboolean checked;
  gint64 correction;
  GError *error;
  gboolean close_after; /* close the cache when done, as a process exits */
} GcJob;

static gpointer
gc_thread (gpointer data)
{
  GcJob *job = data;
  guint removed;
  guint64 reclaimed;

  job->ok =
    fs_cache_collect_garbage_full (job->cache, job->flags, job->timeout_msec, &removed, &reclaimed,
                                   &job->correction, &job->checked, job->cancellable, &job->error);
  if (job->close_after)
    fs_cache_close (job->cache);
  return NULL;
}

/* WAIT_IDLE: with a timeout the cache outlasts, the garbage is collected
 * and the counter left unchecked; without a limit, the call returns once
 * the other process is gone, with the counter corrected. */
static void
test_gc_wait_idle (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsTestHelper) holder = NULL;
  g_autoptr (GThread) thread = NULL;
  guint64 sizes[3], counter;
  gint64 correction;
  gboolean checked;
  guint removed;
  GcJob job = { fx->cache, FS_CACHE_GC_WAIT_IDLE, -1, NULL, FALSE, FALSE, 0, NULL, FALSE };

  make_drifted_cache (fx, sizes);
  counter = fs_test_read_cache_size (fx->cache_dir);
  holder = fs_test_helper_spawn ("hold", fx->cache_dir, NULL);
  fs_test_helper_assert_line (holder, "ok");

  /* the timeout expires (the holder waits for us) */
  gc_full (fx->cache, FS_CACHE_GC_WAIT_IDLE, 200, &removed, &correction, &checked);
  g_assert_false (checked);
  g_assert_cmpint (correction, ==, 0);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, counter);
  assert_cache_held (fx);

  /* no limit: returns once the holder is gone (let it start waiting first,
   * though the outcome does not depend on it) */
  thread = g_thread_new ("gc", gc_thread, &job);
  g_usleep (100000);
  fs_test_helper_close_stdin (holder);
  fs_test_helper_assert_line (holder, "closed");
  g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);
  g_thread_join (g_steal_pointer (&thread));
  g_assert_no_error (job.error);
  g_assert_true (job.ok);
  g_assert_true (job.checked);
  g_assert_cmpint (job.correction, ==, DRIFT);
  fs_test_assert_consistent (fx->cache_dir);

  /* the cache stays open: our read lock is back, and it works */
  assert_cache_held (fx);
  g_assert_false (fs_cache_has_other_users (fx->cache));
  g_assert_cmpuint (store_named (fx->cache, "after", 1000), >, 0);
  fs_test_assert_consistent (fx->cache_dir);
}

/* Two callers waiting for idleness at once (each one's open cache keeps
 * the other from being alone) both get through once the holder is gone,
 * one after the other (each closes its cache when done, as `fscache gc`
 * exits). */
static void
test_gc_two_waiters (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsTestHelper) holder = NULL;
  g_autoptr (FsCache) second = NULL;
  GThread *threads[2];
  guint64 sizes[3];
  /* generous limits: only a deadlock between the two could reach them */
  GcJob jobs[2] = {
    { fx->cache, FS_CACHE_GC_WAIT_IDLE, 60000, NULL, FALSE, FALSE, 0, NULL, TRUE },
    { NULL, FS_CACHE_GC_WAIT_IDLE, 60000, NULL, FALSE, FALSE, 0, NULL, TRUE },
  };

  make_drifted_cache (fx, sizes);
  second = fs_test_open_cache (fx->cache_dir);
  jobs[1].cache = second;
  holder = fs_test_helper_spawn ("hold", fx->cache_dir, NULL);
  fs_test_helper_assert_line (holder, "ok");

  for (guint i = 0; i < 2; i++)
    threads[i] = g_thread_new ("gc", gc_thread, &jobs[i]);
  g_usleep (100000);
  fs_test_helper_close_stdin (holder);
  fs_test_helper_assert_line (holder, "closed");
  g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);
  for (guint i = 0; i < 2; i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (jobs[i].error);
      g_assert_true (jobs[i].ok);
      g_assert_true (jobs[i].checked);
    }
  /* whichever ran first corrected the counter */
  g_assert_cmpint (jobs[0].correction + jobs[1].correction, ==, DRIFT);
  fs_test_assert_consistent (fx->cache_dir);
}

/* The wait stops when cancelled: G_IO_ERROR_CANCELLED, nothing changed. */
static void
test_gc_wait_cancelled (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsTestHelper) holder = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  guint64 sizes[3], counter;
  gboolean checked = 42;

  make_drifted_cache (fx, sizes);
  counter = fs_test_read_cache_size (fx->cache_dir);
  holder = fs_test_helper_spawn ("hold", fx->cache_dir, NULL);
  fs_test_helper_assert_line (holder, "ok");

  g_cancellable_cancel (cancellable);
  g_assert_false (fs_cache_collect_garbage_full (fx->cache, FS_CACHE_GC_WAIT_IDLE, -1, NULL, NULL,
                                                 NULL, &checked, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (checked, ==, 42);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, counter);
  assert_cache_held (fx);

  fs_test_helper_close_stdin (holder);
  fs_test_helper_assert_line (holder, "closed");
  g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);
}

static void
on_gc_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GcJob *job = user_data;
  guint removed;
  guint64 reclaimed;

  job->ok = fs_cache_collect_garbage_full_finish (FS_CACHE (source), result, &removed, &reclaimed,
                                                  &job->correction, &job->checked, &job->error);
  job->cache = NULL; /* done */
}

/* The async variant gives the same results. */
static void
test_gc_full_async (FsTestFixture *fx, gconstpointer user_data)
{
  GcJob job = { fx->cache, 0, 0, NULL, FALSE, FALSE, 0, NULL, FALSE };
  guint64 sizes[3];

  make_drifted_cache (fx, sizes);
  fs_cache_collect_garbage_full_async (fx->cache, FS_CACHE_GC_DRY_RUN | FS_CACHE_GC_WAIT_IDLE, 1000,
                                       G_PRIORITY_DEFAULT, NULL, on_gc_done, &job);
  while (job.cache != NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (job.error);
  g_assert_true (job.ok);
  g_assert_true (job.checked);
  g_assert_cmpint (job.correction, ==, DRIFT);

  job.cache = fx->cache;
  fs_cache_collect_garbage_full_async (fx->cache, FS_CACHE_GC_NONE, 0, G_PRIORITY_DEFAULT, NULL,
                                       on_gc_done, &job);
  while (job.cache != NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (job.error);
  g_assert_true (job.checked);
  g_assert_cmpint (job.correction, ==, DRIFT);
  fs_test_assert_consistent (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* no warnings                                                               */

/* A libfscache removal killed after hiding its entry leaves a record that
 * still counts the entry; with osbuild's drift the counter is lower than
 * that entry. Recovering it (at the idle open, or by gc while the cache is
 * in use) clamps the counter and asks for a recount: no warning, and the
 * counter ends exact. */
static void
test_recovery_below_zero (FsTestFixture *fx, gconstpointer user_data)
{
  gboolean busy = GPOINTER_TO_INT (user_data);
  g_autoptr (FsTestHelper) killed = NULL;
  g_autoptr (FsTestHelper) holder = NULL;
  guint64 size;
  gint64 correction;
  gboolean checked;
  guint removed;

  store_named (fx->cache, "keep", 20000);
  size = store_named (fx->cache, "big", 80000);
  killed = fs_test_helper_spawn ("--crash-at=remove-hidden", "remove", fx->cache_dir, "big", NULL);
  if (fs_test_helper_wait (killed) != 128 + SIGKILL)
    {
      g_test_skip ("built without fault injection");
      return;
    }
  g_assert_false (fs_test_entry_is_present (fx->cache_dir, "big"));
  write_cache_size (fx->cache_dir, size - 1);

  if (busy)
    {
      holder = fs_test_helper_spawn ("hold", fx->cache_dir, NULL);
      fs_test_helper_assert_line (holder, "ok");
      gc_full (fx->cache, FS_CACHE_GC_NONE, 0, &removed, &correction, &checked);
      g_assert_false (checked);
      g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 0);
      fs_test_helper_close_stdin (holder);
      fs_test_helper_assert_line (holder, "closed");
      g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);
    }
  /* the next idle open recounts, as asked */
  fs_cache_close (fx->cache);
  g_clear_object (&fx->cache);
  fx->cache = fs_test_open_cache (fx->cache_dir);
  fs_test_assert_consistent (fx->cache_dir);
  g_assert_true (fs_test_entry_is_present (fx->cache_dir, "keep"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/drift/prune/to-zero/idle", FsTestFixture, GINT_TO_POINTER (FALSE),
              fs_test_fixture_setup_unlimited, test_prune_to_zero, fs_test_fixture_teardown);
  g_test_add ("/drift/prune/to-zero/busy", FsTestFixture, GINT_TO_POINTER (TRUE),
              fs_test_fixture_setup_unlimited, test_prune_to_zero, fs_test_fixture_teardown);
  g_test_add ("/drift/prune/to-size/counter-too-low", FsTestFixture, GINT_TO_POINTER (FALSE),
              fs_test_fixture_setup_unlimited, test_prune_to_size, fs_test_fixture_teardown);
  g_test_add ("/drift/prune/to-size/counter-too-high", FsTestFixture, GINT_TO_POINTER (TRUE),
              fs_test_fixture_setup_unlimited, test_prune_to_size, fs_test_fixture_teardown);
  g_test_add ("/drift/gc/reports-drift", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_gc_reports_drift, fs_test_fixture_teardown);
  g_test_add ("/drift/gc/wait-idle", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_gc_wait_idle, fs_test_fixture_teardown);
  g_test_add ("/drift/gc/wait-idle-two-waiters", FsTestFixture, NULL,
              fs_test_fixture_setup_unlimited, test_gc_two_waiters, fs_test_fixture_teardown);
  g_test_add ("/drift/gc/wait-idle-cancelled", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_gc_wait_cancelled, fs_test_fixture_teardown);
  g_test_add ("/drift/gc/async", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_gc_full_async, fs_test_fixture_teardown);
  g_test_add ("/drift/no-warning/recovery-below-zero/idle", FsTestFixture, GINT_TO_POINTER (FALSE),
              fs_test_fixture_setup_unlimited, test_recovery_below_zero, fs_test_fixture_teardown);
  g_test_add ("/drift/no-warning/recovery-below-zero/busy", FsTestFixture, GINT_TO_POINTER (TRUE),
              fs_test_fixture_setup_unlimited, test_recovery_below_zero, fs_test_fixture_teardown);

  return g_test_run ();
}
