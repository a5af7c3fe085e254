/* test-async.c: the asynchronous API, cancellation and threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * - The cancellation matrix: every async call cancelled before it starts;
 *   calls cancelled while they wait for a lock that another, real process
 *   holds (this test program started again as a lock holder, see
 *   hold_lock_main()); cancels that come after the call completed. Each case
 *   asserts that no lock is leaked (a new open file description can take
 *   it) and that no uuid-* is left in objects/, stage/ or journal/.
 * - Many async loads and stores in flight on one cache from one main loop.
 * - A stress of several threads storing, loading, staging, committing and
 *   releasing on one FsCache, entries released by other threads than the
 *   ones that made them.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "fs-test-util.h"

#define WAIT_TIMEOUT_US (30 * G_USEC_PER_SEC)

/* ------------------------------------------------------------------------ */
/* Lock holder: this program run again as a separate process               */

/* `test-async --hold-lock PATH read|write`: takes an OFD lock on PATH,
 * waiting for it, prints "locked", holds it until EOF on stdin. */
static int
hold_lock_main (const char *path, const char *mode)
{
  gboolean write = g_str_equal (mode, "write");
  struct flock fl = {
    .l_type = write ? F_WRLCK : F_RDLCK,
    .l_whence = SEEK_SET,
  };
  char buf[256];
  int fd;

  fd = open (path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0)
    {
      printf ("error: open %s: %s\n", path, g_strerror (errno));
      return 1;
    }
  while (fcntl (fd, F_OFD_SETLKW, &fl) < 0)
    {
      if (errno != EINTR)
        {
          printf ("error: lock %s: %s\n", path, g_strerror (errno));
          return 1;
        }
    }
  printf ("locked\n");
  fflush (stdout);
  while (fgets (buf, sizeof buf, stdin) != NULL)
    ;
  close (fd);
  return 0;
}

typedef struct {
  GSubprocess *proc;
  GDataInputStream *out;
} LockHolder;

static LockHolder *
lock_holder_new (const char *path, const char *mode)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *self = g_file_read_link ("/proc/self/exe", &error);
  g_autofree char *line = NULL;
  LockHolder *h = g_new0 (LockHolder, 1);

  g_assert_no_error (error);
  /* GSubprocess closes our descriptors in the child: it shares none of our
   * open file descriptions, hence none of our locks. */
  h->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                              &error, self, "--hold-lock", path, mode, NULL);
  g_assert_no_error (error);
  h->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (h->proc));
  line = g_data_input_stream_read_line_utf8 (h->out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "locked");
  return h;
}

static void
lock_holder_release (LockHolder *h)
{
  g_autoptr (GError) error = NULL;

  g_output_stream_close (g_subprocess_get_stdin_pipe (h->proc), NULL, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check (h->proc, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&h->out);
  g_clear_object (&h->proc);
  g_free (h);
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static void
got_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

/* Iterates the default main context until *@result is set. */
static GAsyncResult *
wait_result (GAsyncResult **result)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_US;

  while (*result == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  return *result;
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the default main context for @ms milliseconds. */
static void
iterate_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_flag, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* A task's last reference may be dropped by its worker thread a moment
 * after the callback ran in the main thread, and with it the result it
 * owns: conditions about released results are polled, for at most 5 s. */
#define EVENTUALLY_US (5 * G_USEC_PER_SEC)

static gboolean
eventually_can_lock (const char *path, short type)
{
  gint64 deadline = g_get_monotonic_time () + EVENTUALLY_US;

  while (!fs_test_can_lock (path, type))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

static guint
eventually_no_uuid (const char *cache_dir)
{
  gint64 deadline = g_get_monotonic_time () + EVENTUALLY_US;
  guint n;

  while ((n = fs_test_count_uuid (cache_dir)) != 0 && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return n;
}

static GCancellable *
cancelled_cancellable (void)
{
  GCancellable *c = g_cancellable_new ();

  g_cancellable_cancel (c);
  return c;
}

static char *
object_lock_path (FsTestFixture *fx, const char *name)
{
  return g_build_filename (fx->cache_dir, "objects", name, "object.lock", NULL);
}

static char *
cache_file (FsTestFixture *fx, const char *name)
{
  return g_build_filename (fx->cache_dir, name, NULL);
}

/* The locks of the cache files a writer takes: a new open file description
 * can take each of them for writing, so nobody (in particular no cancelled
 * call of ours) still holds them. */
static void
assert_no_lock_leaked (FsTestFixture *fx)
{
  const char *files[] = { "cache.size", "cache.info", "journal/evict.lock" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = cache_file (fx, files[i]);
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        g_assert_true (fs_test_can_lock (path, F_WRLCK));
    }
}

static FsCacheEntry *
store_filled (FsTestFixture *fx, const char *name, gsize n_bytes)
{
  g_autoptr (GError) error = NULL;
  FsCacheEntry *entry = fs_cache_store (fx->cache, name, NULL, &error);

  g_assert_no_error (error);
  fs_test_write_entry_file (entry, "file", n_bytes);
  return entry;
}

static void
assert_cancelled_error (const GError *error)
{
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ------------------------------------------------------------------------ */
/* Cancelled before start                                                    */

typedef enum {
  OP_LOAD,
  OP_STORE,
  OP_STAGE,
  OP_COMMIT,
  OP_REMOVE,
  OP_SET_INFO,
  OP_SET_MAXIMUM_SIZE,
  OP_GET_USAGE,
  OP_LIST,
  OP_PRUNE,
  OP_COLLECT_GARBAGE,
  N_OPS
} Op;

static const char *op_names[N_OPS] = {
  "load",      "store", "stage", "commit",          "remove", "set_info", "set_maximum_size",
  "get_usage", "list",  "prune", "collect_garbage",
};

static void
start_op (FsTestFixture *fx,
          Op op,
          FsCacheEntry *entry,
          GCancellable *cancellable,
          GAsyncReadyCallback cb,
          gpointer data)
{
  int prio = G_PRIORITY_DEFAULT;

  switch (op)
    {
    case OP_LOAD:
      fs_cache_load_async (fx->cache, "present", prio, cancellable, cb, data);
      break;
    case OP_STORE:
      fs_cache_store_async (fx->cache, "new", prio, cancellable, cb, data);
      break;
    case OP_STAGE:
      fs_cache_stage_async (fx->cache, prio, cancellable, cb, data);
      break;
    case OP_COMMIT:
      fs_cache_entry_commit_async (entry, prio, cancellable, cb, data);
      break;
    case OP_REMOVE:
      fs_cache_remove_async (fx->cache, "present", prio, cancellable, cb, data);
      break;
    case OP_SET_INFO:
      {
        g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
        fs_cache_info_set_low_watermark (info, 50);
        fs_cache_set_info_async (fx->cache, info, prio, cancellable, cb, data);
      }
      break;
    case OP_SET_MAXIMUM_SIZE:
      fs_cache_set_maximum_size_async (fx->cache, 1, prio, cancellable, cb, data);
      break;
    case OP_GET_USAGE:
      fs_cache_get_usage_async (fx->cache, prio, cancellable, cb, data);
      break;
    case OP_LIST:
      fs_cache_list_async (fx->cache, prio, cancellable, cb, data);
      break;
    case OP_PRUNE:
      fs_cache_prune_async (fx->cache, 0, FS_CACHE_MAINTENANCE_NONE, prio, cancellable, cb, data);
      break;
    case OP_COLLECT_GARBAGE:
      fs_cache_collect_garbage_async (fx->cache, FS_CACHE_MAINTENANCE_NONE, prio, cancellable, cb,
                                      data);
      break;
    case N_OPS:
    default:
      g_assert_not_reached ();
    }
}

/* Finishes @op; returns TRUE on success. An entry result is unreffed. */
static gboolean
finish_op (FsTestFixture *fx, Op op, FsCacheEntry *entry, GAsyncResult *result, GError **error)
{
  g_autoptr (FsCacheEntry) e = NULL;
  g_autoptr (GListModel) list = NULL;
  FsCacheCommitStatus status;
  guint64 a, b;
  guint n;
  gint64 c;

  switch (op)
    {
    case OP_LOAD:
      return (e = fs_cache_load_finish (fx->cache, result, error)) != NULL;
    case OP_STORE:
      return (e = fs_cache_store_finish (fx->cache, result, error)) != NULL;
    case OP_STAGE:
      return (e = fs_cache_stage_finish (fx->cache, result, error)) != NULL;
    case OP_COMMIT:
      return fs_cache_entry_commit_finish (entry, result, &status, error);
    case OP_REMOVE:
      return fs_cache_remove_finish (fx->cache, result, error);
    case OP_SET_INFO:
      return fs_cache_set_info_finish (fx->cache, result, error);
    case OP_SET_MAXIMUM_SIZE:
      return fs_cache_set_maximum_size_finish (fx->cache, result, error);
    case OP_GET_USAGE:
      return fs_cache_get_usage_finish (fx->cache, result, &a, &b, error);
    case OP_LIST:
      return (list = fs_cache_list_finish (fx->cache, result, error)) != NULL;
    case OP_PRUNE:
      return fs_cache_prune_finish (fx->cache, result, &n, &a, error);
    case OP_COLLECT_GARBAGE:
      return fs_cache_collect_garbage_finish (fx->cache, result, &n, &a, &c, error);
    case N_OPS:
    default:
      g_assert_not_reached ();
    }
}

/* Every async call with a cancellable cancelled before the call: the finish
 * reports G_IO_ERROR_CANCELLED, and nothing changed on disk: no entry
 * removed, added or evicted, no setting changed, no lock kept, no uuid-*. */
static void
test_cancelled_before_start (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *present_lock = object_lock_path (fx, "present");
  g_autofree char *info_path = cache_file (fx, "cache.info");
  g_autofree char *info_before = NULL;
  guint64 size_before;

  fs_test_store_committed (fx->cache, "present", 20000);
  size_before = fs_test_read_cache_size (fx->cache_dir);
  g_assert_true (g_file_get_contents (info_path, &info_before, NULL, NULL));

  for (Op op = 0; op < N_OPS; op++)
    {
      g_autoptr (GCancellable) cancellable = cancelled_cancellable ();
      g_autoptr (FsCacheEntry) entry = NULL;
      g_autoptr (GAsyncResult) result = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *info_after = NULL;
      g_autofree char *entry_dir = NULL;

      g_test_message ("cancelled before start: %s", op_names[op]);
      if (op == OP_COMMIT)
        {
          entry = store_filled (fx, "new", 5000);
          entry_dir = g_path_get_dirname (fs_cache_entry_get_path (entry));
        }

      start_op (fx, op, entry, cancellable, got_result, &result);
      wait_result (&result);
      g_assert_false (finish_op (fx, op, entry, result, &error));
      assert_cancelled_error (error);
      g_clear_object (&result);

      if (op == OP_COMMIT)
        {
          /* a failed commit releases (and so discards) the entry */
          g_assert_true (fs_cache_entry_is_released (entry));
          g_assert_false (g_file_test (entry_dir, G_FILE_TEST_EXISTS));
        }
      g_assert_cmpuint (eventually_no_uuid (fx->cache_dir), ==, 0);
      g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
      g_assert_true (g_file_test (present_lock, G_FILE_TEST_EXISTS));
      g_assert_true (eventually_can_lock (present_lock, F_WRLCK));
      g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size_before);
      g_assert_true (g_file_get_contents (info_path, &info_after, NULL, NULL));
      g_assert_cmpstr (info_after, ==, info_before);
      assert_no_lock_leaked (fx);
    }
  fs_test_assert_consistent (fx->cache_dir);
}

/* fs_cache_new_async() with a cancelled cancellable: no cache, and the cache
 * lock is not held (a new descriptor can take it for writing). */
static void
test_cancelled_before_start_new (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = cancelled_cancellable ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) dir = g_file_new_for_path (fx->cache_dir);
  g_autoptr (FsCache) cache = NULL;
  g_autofree char *lock = cache_file (fx, "cache.lock");

  fs_cache_new_async (FS_TEST_APP_ID, dir, G_PRIORITY_DEFAULT, cancellable, got_result, &result);
  wait_result (&result);
  cache = fs_cache_new_finish (result, &error);
  assert_cancelled_error (error);
  g_assert_null (cache);
  g_clear_object (&result);

  if (g_file_test (lock, G_FILE_TEST_EXISTS))
    g_assert_true (eventually_can_lock (lock, F_WRLCK));
}

/* fs_cache_entry_release_async() releases even when cancelled (documented). */
static void
test_release_async_cancelled (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = cancelled_cancellable ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = store_filled (fx, "new", 5000);

  fs_cache_entry_release_async (entry, G_PRIORITY_DEFAULT, cancellable, got_result, &result);
  wait_result (&result);
  g_assert_true (fs_cache_entry_release_finish (entry, result, &error));
  g_assert_no_error (error);
  g_assert_true (fs_cache_entry_is_released (entry));
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
}

/* The synchronous calls with a cancelled cancellable. */
static void
test_cancelled_before_start_sync (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = cancelled_cancellable ();
  g_autofree char *present_lock = object_lock_path (fx, "present");
  FsCacheCommitStatus status;

  fs_test_store_committed (fx->cache, "present", 20000);

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (FsCacheEntry) e = fs_cache_load (fx->cache, "present", cancellable, &error);
    assert_cancelled_error (error);
    g_assert_null (e);
  }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (FsCacheEntry) e = fs_cache_store (fx->cache, "new", cancellable, &error);
    assert_cancelled_error (error);
    g_assert_null (e);
  }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (FsCacheEntry) e = fs_cache_stage (fx->cache, cancellable, &error);
    assert_cancelled_error (error);
    g_assert_null (e);
  }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (FsCacheEntry) e = store_filled (fx, "new", 5000);
    g_assert_false (fs_cache_entry_commit (e, &status, cancellable, &error));
    assert_cancelled_error (error);
    g_assert_true (fs_cache_entry_is_released (e));
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (fs_cache_remove (fx->cache, "present", cancellable, &error));
    assert_cancelled_error (error);
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (fs_cache_set_maximum_size (fx->cache, 1, cancellable, &error));
    assert_cancelled_error (error);
  }

  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
  g_assert_true (fs_test_can_lock (present_lock, F_WRLCK));
  assert_no_lock_leaked (fx);
  fs_test_assert_consistent (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* Cancelled while waiting for a lock held by another process                */

typedef struct {
  GAsyncResult *result;
  guint ticks;
} WaitState;

static gboolean
tick (gpointer data)
{
  WaitState *st = data;

  st->ticks++;
  return G_SOURCE_CONTINUE;
}

static void
got_wait_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  WaitState *st = user_data;

  g_assert_null (st->result);
  st->result = g_object_ref (result);
}

/* Runs the main loop for a while: the call must still be waiting (no
 * result) and the main loop must have kept running; then cancels and waits
 * for the result, which must come quickly. */
static void
wait_then_cancel (WaitState *st, GCancellable *cancellable)
{
  guint id = g_timeout_add (10, tick, st);
  gint64 t0;

  iterate_for (300);
  g_assert_null (st->result);
  g_assert_cmpuint (st->ticks, >=, 10);

  t0 = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  wait_result (&st->result);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  g_source_remove (id);
}

/* A commit's accounting waits for the write lock of cache.size, which a
 * separate process holds: the commit waits, without blocking the main loop;
 * cancelled, it fails with CANCELLED, the entry is discarded, nothing is
 * accounted, and once the other process lets go the lock is free. */
static void
test_cancel_commit_waiting_for_size_lock (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *size_path = cache_file (fx, "cache.size");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *entry_dir = NULL;
  g_autofree char *target = g_build_filename (fx->cache_dir, "objects", "waiting", NULL);
  WaitState st = { 0 };
  FsCacheCommitStatus status;
  LockHolder *holder;
  guint64 size_before;

  fs_test_store_committed (fx->cache, "present", 10000);
  size_before = fs_test_read_cache_size (fx->cache_dir);
  entry = store_filled (fx, "waiting", 50000);
  entry_dir = g_path_get_dirname (fs_cache_entry_get_path (entry));

  holder = lock_holder_new (size_path, "write");
  fs_cache_entry_commit_async (entry, G_PRIORITY_DEFAULT, cancellable, got_wait_result, &st);
  wait_then_cancel (&st, cancellable);

  g_assert_false (fs_cache_entry_commit_finish (entry, st.result, &status, &error));
  assert_cancelled_error (error);
  g_clear_object (&st.result);
  g_assert_true (fs_cache_entry_is_released (entry));
  g_assert_false (g_file_test (entry_dir, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);

  lock_holder_release (holder);
  assert_no_lock_leaked (fx);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size_before);
  fs_test_assert_consistent (fx->cache_dir);

  /* and the cache still works */
  fs_test_store_committed (fx->cache, "after", 10000);
  fs_test_assert_consistent (fx->cache_dir);
}

typedef struct {
  GCancellable *cancellable;
  guint delay_ms;
} CancelLater;

static gpointer
cancel_later_thread (gpointer data)
{
  CancelLater *cl = data;

  g_usleep (cl->delay_ms * 1000);
  g_cancellable_cancel (cl->cancellable);
  return NULL;
}

/* The same with the synchronous commit, cancelled from another thread. */
static void
test_cancel_sync_commit_waiting_for_size_lock (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *size_path = cache_file (fx, "cache.size");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  CancelLater cl = { cancellable, 300 };
  FsCacheCommitStatus status;
  LockHolder *holder;
  GThread *thread;
  gint64 t0;

  entry = store_filled (fx, "waiting", 50000);
  holder = lock_holder_new (size_path, "write");
  t0 = g_get_monotonic_time ();
  thread = g_thread_new ("cancel", cancel_later_thread, &cl);
  g_assert_false (fs_cache_entry_commit (entry, &status, cancellable, &error));
  g_thread_join (thread);
  assert_cancelled_error (error);
  /* it did wait for the cancel, and stopped soon after it */
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 250 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 3 * G_USEC_PER_SEC);
  g_assert_true (fs_cache_entry_is_released (entry));
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);

  lock_holder_release (holder);
  assert_no_lock_leaked (fx);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 0);
  fs_test_assert_consistent (fx->cache_dir);
}

/* A commit that does not fit must evict, one evictor at a time: it waits for
 * journal/evict.lock, which another process holds. Cancelled, nothing is
 * evicted, the entry is discarded, no lock is kept. */
static void
test_cancel_commit_waiting_for_evict_lock (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *evict_lock = cache_file (fx, "journal/evict.lock");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  WaitState st = { 0 };
  FsCacheCommitStatus status;
  LockHolder *holder;
  guint64 size_before;
  int fd;

  /* room for one entry of 600 KiB, not two */
  fs_test_set_maximum_size (fx->cache, 1024 * 1024);
  fs_test_store_committed (fx->cache, "old", 600 * 1024);
  size_before = fs_test_read_cache_size (fx->cache_dir);
  entry = store_filled (fx, "new", 600 * 1024);

  fd = open (evict_lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  holder = lock_holder_new (evict_lock, "write");

  fs_cache_entry_commit_async (entry, G_PRIORITY_DEFAULT, cancellable, got_wait_result, &st);
  wait_then_cancel (&st, cancellable);
  g_assert_false (fs_cache_entry_commit_finish (entry, st.result, &status, &error));
  assert_cancelled_error (error);
  g_clear_object (&st.result);
  g_assert_true (fs_cache_entry_is_released (entry));

  lock_holder_release (holder);
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
  g_assert_true (g_file_test (fx->cache_dir, G_FILE_TEST_IS_DIR));
  {
    g_autoptr (GError) load_error = NULL;
    g_autoptr (FsCacheEntry) old = fs_cache_load (fx->cache, "old", NULL, &load_error);
    g_assert_no_error (load_error);
    (void) old;
  }
  assert_no_lock_leaked (fx);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size_before);
  fs_test_assert_consistent (fx->cache_dir);
}

/* set_maximum_size waits for the lock of cache.info held by another process;
 * cancelled, cache.info is unchanged and its lock free. */
static void
test_cancel_set_info_waiting_for_info_lock (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *info_path = cache_file (fx, "cache.info");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  WaitState st = { 0 };
  LockHolder *holder;

  g_assert_true (g_file_get_contents (info_path, &before, NULL, NULL));
  holder = lock_holder_new (info_path, "write");
  fs_cache_set_maximum_size_async (fx->cache, 12345, G_PRIORITY_DEFAULT, cancellable,
                                   got_wait_result, &st);
  wait_then_cancel (&st, cancellable);
  g_assert_false (fs_cache_set_maximum_size_finish (fx->cache, st.result, &error));
  assert_cancelled_error (error);
  g_clear_object (&st.result);
  lock_holder_release (holder);

  g_assert_true (g_file_get_contents (info_path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, before);
  g_assert_true (fs_test_can_lock (info_path, F_WRLCK));
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
}

/* Opening waits for the shared cache lock while another process holds it
 * for writing (as during a recovery); cancelled, the open fails and the
 * cache lock is not held. */
static void
test_cancel_open_waiting_for_cache_lock (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *lock = cache_file (fx, "cache.lock");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GFile) dir = g_file_new_for_path (fx->cache_dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;
  WaitState st = { 0 };
  LockHolder *holder;

  /* the scaffolding exists, nobody has the cache open */
  g_clear_object (&fx->cache);
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));

  holder = lock_holder_new (lock, "write");
  fs_cache_new_async (FS_TEST_APP_ID, dir, G_PRIORITY_DEFAULT, cancellable, got_wait_result, &st);
  wait_then_cancel (&st, cancellable);
  cache = fs_cache_new_finish (st.result, &error);
  assert_cancelled_error (error);
  g_assert_null (cache);
  g_clear_object (&st.result);
  lock_holder_release (holder);

  g_assert_true (eventually_can_lock (lock, F_WRLCK));
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
}

/* ------------------------------------------------------------------------ */
/* Cancelled after completion                                                */

typedef struct {
  GCancellable *cancellable;
  GAsyncResult *result;
} CancelInCallback;

/* The callback cancels before anyone calls finish. */
static void
cancel_then_keep (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CancelInCallback *c = user_data;

  g_cancellable_cancel (c->cancellable);
  c->result = g_object_ref (result);
}

/* A load, store or stage that completed, whose cancellable is cancelled
 * before finish: finish reports CANCELLED (GTask semantics), and the entry
 * the call had made is released with the result — no read lock kept, no
 * anonymous entry left. */
static void
test_cancel_after_completion_before_finish (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *present_lock = object_lock_path (fx, "present");

  fs_test_store_committed (fx->cache, "present", 10000);

  for (Op op = OP_LOAD; op <= OP_STAGE; op++)
    {
      g_autoptr (GCancellable) cancellable = g_cancellable_new ();
      g_autoptr (GError) error = NULL;
      CancelInCallback c = { cancellable, NULL };

      g_test_message ("cancel after completion: %s", op_names[op]);
      start_op (fx, op, NULL, cancellable, cancel_then_keep, &c);
      wait_result (&c.result);
      g_assert_false (finish_op (fx, op, NULL, c.result, &error));
      assert_cancelled_error (error);
      g_clear_object (&c.result);

      g_assert_cmpuint (eventually_no_uuid (fx->cache_dir), ==, 0);
      g_assert_true (eventually_can_lock (present_lock, F_WRLCK));
      assert_no_lock_leaked (fx);
    }
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
}

/* A cancel after finish changes nothing: the entry is the caller's, holds
 * its lock until released, and is released normally. */
static void
test_cancel_after_finish (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *present_lock = object_lock_path (fx, "present");
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) loaded = NULL;
  g_autoptr (FsCacheEntry) stored = NULL;
  FsCacheCommitStatus status;

  fs_test_store_committed (fx->cache, "present", 10000);

  fs_cache_load_async (fx->cache, "present", G_PRIORITY_DEFAULT, cancellable, got_result, &result);
  loaded = fs_cache_load_finish (fx->cache, wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_cancellable_cancel (cancellable);
  g_assert_false (fs_test_can_lock (present_lock, F_WRLCK));
  g_assert_true (fs_test_can_lock (present_lock, F_RDLCK));
  g_assert_false (fs_cache_entry_is_released (loaded));
  fs_cache_entry_release (loaded);
  g_assert_true (fs_test_can_lock (present_lock, F_WRLCK));

  g_cancellable_reset (cancellable);
  fs_cache_store_async (fx->cache, "new", G_PRIORITY_DEFAULT, cancellable, got_result, &result);
  stored = fs_cache_store_finish (fx->cache, wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_cancellable_cancel (cancellable);
  fs_test_write_entry_file (stored, "file", 5000);
  g_assert_true (fs_cache_entry_commit (stored, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  fs_cache_entry_release (stored);

  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
  assert_no_lock_leaked (fx);
  fs_test_assert_consistent (fx->cache_dir);
}

/* A commit that completed, cancelled before finish: whatever finish says,
 * the state is coherent — a STORED entry is loaded and visible, anything
 * else was discarded — and releasing leaves nothing behind. */
static void
test_cancel_commit_after_completion (FsTestFixture *fx, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (FsCacheEntry) entry = store_filled (fx, "new", 5000);
  g_autoptr (GError) error = NULL;
  g_autofree char *lock = object_lock_path (fx, "new");
  CancelInCallback c = { cancellable, NULL };
  FsCacheCommitStatus status = FS_CACHE_COMMIT_EXISTS;
  gboolean ok;

  fs_cache_entry_commit_async (entry, G_PRIORITY_DEFAULT, cancellable, cancel_then_keep, &c);
  wait_result (&c.result);
  ok = fs_cache_entry_commit_finish (entry, c.result, &status, &error);
  g_clear_object (&c.result);
  g_test_message ("commit_finish after a late cancel: %s",
                  ok ? fs_test_status_nick (status) : error->message);
  if (ok)
    g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  else
    assert_cancelled_error (error);

  /* the commit itself had run to its end before the cancel */
  g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_LOADED);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
  g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  fs_cache_entry_release (entry);
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
  assert_no_lock_leaked (fx);
  fs_test_assert_consistent (fx->cache_dir);
}

static void
count_and_drop (GObject *source, GAsyncResult *result, gpointer user_data)
{
  guint *n = user_data;

  (*n)++;
}

/* Results nobody finishes: the callback ignores them. The entries they own
 * are released with them. */
static void
test_unfinished_results (FsTestFixture *fx, gconstpointer data)
{
  g_autofree char *present_lock = object_lock_path (fx, "present");
  gint64 deadline;
  guint n = 0;

  fs_test_store_committed (fx->cache, "present", 10000);
  for (guint i = 0; i < 4; i++)
    {
      fs_cache_store_async (fx->cache, "new", G_PRIORITY_DEFAULT, NULL, count_and_drop, &n);
      fs_cache_stage_async (fx->cache, G_PRIORITY_DEFAULT, NULL, count_and_drop, &n);
      fs_cache_load_async (fx->cache, "present", G_PRIORITY_DEFAULT, NULL, count_and_drop, &n);
    }
  deadline = g_get_monotonic_time () + WAIT_TIMEOUT_US;
  while (n < 12)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  /* the tasks are freed once their callbacks returned */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (eventually_no_uuid (fx->cache_dir), ==, 0);
  g_assert_true (eventually_can_lock (present_lock, F_WRLCK));
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 1);
}

/* ------------------------------------------------------------------------ */
/* Many async calls in flight on one cache, from one main loop               */

#define N_CONCURRENT 48

typedef struct {
  FsTestFixture *fx;
  guint n_stored;
  guint n_exists;
  guint n_done;
  guint n_hits;
  guint n_misses;
  guint n_loads_done;
  GPtrArray *loaded;
} Concurrent;

typedef struct {
  Concurrent *conc;
  char *name;
} StoreOp;

static gsize
entry_bytes (const char *name)
{
  return 1000 + 37 * g_str_hash (name) % 20000;
}

static void
concurrent_committed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StoreOp *op = user_data;
  FsCacheEntry *entry = FS_CACHE_ENTRY (source);
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status;

  g_assert_true (fs_cache_entry_commit_finish (entry, result, &status, &error));
  g_assert_no_error (error);
  if (status == FS_CACHE_COMMIT_STORED)
    op->conc->n_stored++;
  else if (status == FS_CACHE_COMMIT_EXISTS)
    op->conc->n_exists++;
  else
    g_error ("unexpected status %s", fs_test_status_nick (status));
  op->conc->n_done++;
  g_object_unref (entry); /* drops the last reference: releases */
  g_free (op->name);
  g_free (op);
}

static void
concurrent_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StoreOp *op = user_data;
  g_autoptr (GError) error = NULL;
  FsCacheEntry *entry = fs_cache_store_finish (FS_CACHE (source), result, &error);

  g_assert_no_error (error);
  fs_test_write_entry_file (entry, "file", entry_bytes (op->name));
  fs_cache_entry_commit_async (entry, G_PRIORITY_DEFAULT, NULL, concurrent_committed, op);
}

static void
concurrent_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Concurrent *conc = user_data;
  g_autoptr (GError) error = NULL;
  FsCacheEntry *entry = fs_cache_load_finish (FS_CACHE (source), result, &error);

  conc->n_loads_done++;
  if (entry == NULL)
    {
      g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
      conc->n_misses++;
      return;
    }
  conc->n_hits++;
  /* a reader never sees a partial entry */
  {
    g_autofree char *file = g_build_filename (fs_cache_entry_get_path (entry), "file", NULL);
    GStatBuf st;
    g_assert_cmpint (g_stat (file, &st), ==, 0);
    g_assert_cmpint (st.st_size, ==, entry_bytes (fs_cache_entry_get_name (entry)));
  }
  g_ptr_array_add (conc->loaded, entry);
}

static void
test_concurrent_main_loop (FsTestFixture *fx, gconstpointer data)
{
  Concurrent conc = { fx, 0 };
  gint64 deadline = g_get_monotonic_time () + 4 * WAIT_TIMEOUT_US;
  guint n_loads = 0;

  conc.loaded = g_ptr_array_new_with_free_func (g_object_unref);

  /* N stores of N/2 names (every name raced by two writers), and loads of
   * every name issued while the stores are in flight. */
  for (guint i = 0; i < N_CONCURRENT; i++)
    {
      StoreOp *op = g_new0 (StoreOp, 1);
      op->conc = &conc;
      op->name = g_strdup_printf ("entry-%u", i % (N_CONCURRENT / 2));
      fs_cache_store_async (fx->cache, op->name, G_PRIORITY_DEFAULT, NULL, concurrent_stored, op);
      if (i % 3 == 0)
        {
          g_autofree char *name = g_strdup_printf ("entry-%u", i / 2);
          fs_cache_load_async (fx->cache, name, G_PRIORITY_DEFAULT, NULL, concurrent_loaded, &conc);
          n_loads++;
        }
    }
  while (conc.n_done < N_CONCURRENT || conc.n_loads_done < n_loads)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (conc.n_stored, ==, N_CONCURRENT / 2);
  g_assert_cmpuint (conc.n_exists, ==, N_CONCURRENT / 2);

  /* now every name hits, many readers at once */
  g_ptr_array_set_size (conc.loaded, 0);
  conc.n_hits = conc.n_misses = conc.n_loads_done = 0;
  for (guint round = 0; round < 4; round++)
    for (guint i = 0; i < N_CONCURRENT / 2 + 2; i++)
      {
        g_autofree char *name = g_strdup_printf ("entry-%u", i);
        fs_cache_load_async (fx->cache, name, G_PRIORITY_DEFAULT, NULL, concurrent_loaded, &conc);
      }
  while (conc.n_loads_done < 4 * (N_CONCURRENT / 2 + 2))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (conc.n_hits, ==, 4 * (N_CONCURRENT / 2));
  g_assert_cmpuint (conc.n_misses, ==, 4 * 2);
  g_assert_cmpuint (conc.loaded->len, ==, 4 * (N_CONCURRENT / 2));

  /* read-locked while held */
  {
    g_autofree char *lock = object_lock_path (fx, "entry-0");
    g_assert_false (fs_test_can_lock (lock, F_WRLCK));
    g_ptr_array_set_size (conc.loaded, 0);
    g_assert_true (fs_test_can_lock (lock, F_WRLCK));
  }

  g_ptr_array_unref (conc.loaded);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, N_CONCURRENT / 2);
  assert_no_lock_leaked (fx);
  fs_test_assert_consistent (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */

#define N_THREADS 8
#define N_ITERATIONS 150
#define N_NAMES 12

typedef struct {
  FsCache *cache;
  GAsyncQueue *handoff; /* entries made by one thread, released by another */
  gint n_stored;
  gint n_exists;
  gint n_declined;
  gint n_hits;
  gint n_misses;
  gint n_staged;
  gint n_removed;
  gint n_foreign_releases;
} Stress;

typedef struct {
  Stress *stress;
  guint seed;
} StressThread;

static gsize
stress_bytes (const char *name)
{
  return 512 + 101 * (g_str_hash (name) % 64);
}

static void
stress_check_entry (FsCacheEntry *entry)
{
  g_autofree char *file = g_build_filename (fs_cache_entry_get_path (entry), "file", NULL);
  GStatBuf st;

  g_assert_cmpint (g_stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, stress_bytes (fs_cache_entry_get_name (entry)));
}

static gpointer
stress_thread (gpointer data)
{
  StressThread *t = data;
  Stress *s = t->stress;
  g_autoptr (GRand) rand = g_rand_new_with_seed (t->seed);

  for (guint i = 0; i < N_ITERATIONS; i++)
    {
      g_autofree char *name = g_strdup_printf ("name-%d", g_rand_int_range (rand, 0, N_NAMES));
      g_autoptr (GError) error = NULL;
      FsCacheEntry *foreign;

      switch (g_rand_int_range (rand, 0, 5))
        {
        case 0: /* store and commit */
          {
            g_autoptr (FsCacheEntry) entry = fs_cache_store (s->cache, name, NULL, &error);
            FsCacheCommitStatus status;

            g_assert_no_error (error);
            fs_test_write_entry_file (entry, "file", stress_bytes (name));
            g_assert_true (fs_cache_entry_commit (entry, &status, NULL, &error));
            g_assert_no_error (error);
            if (status == FS_CACHE_COMMIT_STORED)
              {
                g_atomic_int_inc (&s->n_stored);
                stress_check_entry (entry);
                /* someone else releases it */
                g_async_queue_push (s->handoff, g_steal_pointer (&entry));
              }
            else if (status == FS_CACHE_COMMIT_EXISTS)
              g_atomic_int_inc (&s->n_exists);
            else
              g_atomic_int_inc (&s->n_declined); /* NO_SPACE when evicting */
          }
          break;
        case 1: /* load */
          {
            g_autoptr (FsCacheEntry) entry = fs_cache_load (s->cache, name, NULL, &error);

            if (entry == NULL)
              {
                g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
                g_atomic_int_inc (&s->n_misses);
                break;
              }
            g_atomic_int_inc (&s->n_hits);
            stress_check_entry (entry);
            if (g_rand_boolean (rand))
              g_async_queue_push (s->handoff, g_steal_pointer (&entry));
            else
              fs_cache_entry_release (entry);
          }
          break;
        case 2: /* stage */
          {
            g_autoptr (FsCacheEntry) entry = fs_cache_stage (s->cache, NULL, &error);

            g_assert_no_error (error);
            fs_test_write_entry_file (entry, "scratch", 1000);
            g_atomic_int_inc (&s->n_staged);
            if (g_rand_boolean (rand))
              g_async_queue_push (s->handoff, g_steal_pointer (&entry));
          }
          break;
        case 3: /* a store abandoned without commit */
          {
            g_autoptr (FsCacheEntry) entry = fs_cache_store (s->cache, name, NULL, &error);

            g_assert_no_error (error);
            fs_test_write_entry_file (entry, "file", 100);
            g_async_queue_push (s->handoff, g_steal_pointer (&entry));
          }
          break;
        case 4: /* remove: fails if absent or in use */
          if (fs_cache_remove (s->cache, name, NULL, &error))
            g_atomic_int_inc (&s->n_removed);
          else if (!g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
            g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_BUSY);
          break;
        default:
          g_assert_not_reached ();
        }

      /* release what another thread handed over, sometimes */
      while ((foreign = g_async_queue_try_pop (s->handoff)) != NULL)
        {
          g_atomic_int_inc (&s->n_foreign_releases);
          if (g_rand_boolean (rand))
            fs_cache_entry_release (foreign);
          g_object_unref (foreign);
          if (g_rand_boolean (rand))
            break;
        }
    }
  return NULL;
}

static void
run_stress (FsTestFixture *fx)
{
  Stress s = { fx->cache, g_async_queue_new_full (g_object_unref) };
  GThread *threads[N_THREADS];
  StressThread args[N_THREADS];
  FsCacheEntry *left;

  for (guint i = 0; i < N_THREADS; i++)
    {
      args[i].stress = &s;
      args[i].seed = 0x5eed + i;
      threads[i] = g_thread_new ("stress", stress_thread, &args[i]);
    }
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);
  while ((left = g_async_queue_try_pop (s.handoff)) != NULL)
    g_object_unref (left);
  g_async_queue_unref (s.handoff);

  g_test_message ("stored %d, exists %d, declined %d, hits %d, misses %d, staged %d, "
                  "removed %d, handed over %d",
                  s.n_stored, s.n_exists, s.n_declined, s.n_hits, s.n_misses, s.n_staged,
                  s.n_removed, s.n_foreign_releases);
  g_assert_cmpint (s.n_stored, >, N_NAMES);
  g_assert_cmpint (s.n_removed, >, 0);
  g_assert_cmpint (s.n_hits, >, 0);
  g_assert_cmpint (s.n_foreign_releases, >, 0);

  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
  assert_no_lock_leaked (fx);
  for (guint i = 0; i < N_NAMES; i++)
    {
      g_autofree char *name = g_strdup_printf ("name-%u", i);
      g_autofree char *lock = object_lock_path (fx, name);
      if (g_file_test (lock, G_FILE_TEST_EXISTS))
        g_assert_true (fs_test_can_lock (lock, F_WRLCK));
    }
  fs_test_assert_consistent (fx->cache_dir);
}

static void
test_thread_stress (FsTestFixture *fx, gconstpointer data)
{
  run_stress (fx);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), <=, N_NAMES);
}

/* The same while the cache is too small for all names: commits evict
 * concurrently with loads and other commits. */
static void
test_thread_stress_evicting (FsTestFixture *fx, gconstpointer data)
{
  fs_test_set_maximum_size (fx->cache, 48 * 1024);
  run_stress (fx);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), <=, 48 * 1024);
}

/* Async calls issued from several threads, each with its own main context,
 * on one cache. */
typedef struct {
  FsCache *cache;
  guint index;
} AsyncThread;

static gpointer
async_thread (gpointer data)
{
  AsyncThread *t = data;
  g_autoptr (GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("t%u-%u", t->index, i);
      g_autoptr (GAsyncResult) result = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (FsCacheEntry) entry = NULL;
      g_autoptr (FsCacheEntry) loaded = NULL;
      FsCacheCommitStatus status;

      fs_cache_store_async (t->cache, name, G_PRIORITY_DEFAULT, NULL, got_result, &result);
      while (result == NULL)
        g_main_context_iteration (context, TRUE);
      entry = fs_cache_store_finish (t->cache, result, &error);
      g_assert_no_error (error);
      g_clear_object (&result);
      fs_test_write_entry_file (entry, "file", 1000 + i);

      fs_cache_entry_commit_async (entry, G_PRIORITY_DEFAULT, NULL, got_result, &result);
      while (result == NULL)
        g_main_context_iteration (context, TRUE);
      g_assert_true (fs_cache_entry_commit_finish (entry, result, &status, &error));
      g_assert_no_error (error);
      g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
      g_clear_object (&result);
      fs_cache_entry_release (entry);

      fs_cache_load_async (t->cache, name, G_PRIORITY_DEFAULT, NULL, got_result, &result);
      while (result == NULL)
        g_main_context_iteration (context, TRUE);
      loaded = fs_cache_load_finish (t->cache, result, &error);
      g_assert_no_error (error);
      g_clear_object (&result);
    }
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_async_from_threads (FsTestFixture *fx, gconstpointer data)
{
  GThread *threads[4];
  AsyncThread args[4];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      args[i].cache = fx->cache;
      args[i].index = i;
      threads[i] = g_thread_new ("async", async_thread, &args[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 4 * 20);
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
  assert_no_lock_leaked (fx);
  fs_test_assert_consistent (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */

int
main (int argc, char **argv)
{
  if (argc == 4 && g_str_equal (argv[1], "--hold-lock"))
    return hold_lock_main (argv[2], argv[3]);

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                         \
  g_test_add (path, FsTestFixture, NULL, fs_test_fixture_setup_unlimited, func, \
              fs_test_fixture_teardown)

  ADD ("/async/cancel/before-start", test_cancelled_before_start);
  ADD ("/async/cancel/before-start-sync", test_cancelled_before_start_sync);
  g_test_add ("/async/cancel/before-start-new", FsTestFixture, NULL, fs_test_fixture_setup,
              test_cancelled_before_start_new, fs_test_fixture_teardown);
  ADD ("/async/cancel/release-anyway", test_release_async_cancelled);
  ADD ("/async/cancel/waiting/commit-size-lock", test_cancel_commit_waiting_for_size_lock);
  ADD ("/async/cancel/waiting/sync-commit-size-lock",
       test_cancel_sync_commit_waiting_for_size_lock);
  ADD ("/async/cancel/waiting/commit-evict-lock", test_cancel_commit_waiting_for_evict_lock);
  ADD ("/async/cancel/waiting/set-info-lock", test_cancel_set_info_waiting_for_info_lock);
  ADD ("/async/cancel/waiting/open-cache-lock", test_cancel_open_waiting_for_cache_lock);
  ADD ("/async/cancel/after/before-finish", test_cancel_after_completion_before_finish);
  ADD ("/async/cancel/after/after-finish", test_cancel_after_finish);
  ADD ("/async/cancel/after/commit", test_cancel_commit_after_completion);
  ADD ("/async/unfinished-results", test_unfinished_results);
  ADD ("/async/concurrent/main-loop", test_concurrent_main_loop);
  ADD ("/async/concurrent/threads-async", test_async_from_threads);
  ADD ("/async/threads/stress", test_thread_stress);
  ADD ("/async/threads/stress-evicting", test_thread_stress_evicting);

#undef ADD

  return g_test_run ();
}
