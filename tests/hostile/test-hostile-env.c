/* test-hostile-env.c: a hostile environment — someone else's cache, a
 * read-only cache, a full file system, no descriptors left
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each case runs in a subprocess (g_test_trap_subprocess), which may drop
 * its privileges, enter a mount namespace of its own (so the small tmpfs
 * goes away with it, whatever happens: it is always unmounted) or lower
 * its descriptor limit. The parent then checks what the child left: the
 * cache unchanged or consistent, no leftover, no leaked lock, nothing
 * outside the cache touched.
 *
 * Cases that need root skip cleanly without it, and the tmpfs case skips
 * where mounting is not allowed (containers).
 */

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hostile-util.h"

/* No lock of the cache is held by anyone: every object.lock and cache.lock
 * can be write-locked. */
static void
assert_no_lock_held (const char *cache_dir)
{
  g_autofree char *objects = g_build_filename (cache_dir, "objects", NULL);
  g_autofree char *cache_lock = g_build_filename (cache_dir, "cache.lock", NULL);
  g_autoptr (GDir) dir = g_dir_open (objects, 0, NULL);
  const char *name;

  g_assert_true (fs_test_can_lock (cache_lock, F_WRLCK));
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *lock = g_build_filename (objects, name, "object.lock", NULL);
      if (g_file_test (lock, G_FILE_TEST_IS_REGULAR))
        g_assert_true (fs_test_can_lock (lock, F_WRLCK));
    }
}

/* ------------------------------------------------------------------------ */
/* Someone else's cache; a read-only cache                                   */

static void
assert_denied (GError *error, const char *what)
{
  g_test_message ("%s: %s", what, error ? error->message : "ok");
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR || error->domain == FS_CACHE_ERROR);
  /* a clear message: it names the cache */
  g_assert_nonnull (strstr (error->message, fs_test_child_cache_dir ()));
}

/* As a user who may read the cache but not write it. */
static void
use_without_write_access (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  const char *dir = fs_test_child_cache_dir ();
  guint n = 0;
  guint64 bytes = 0, used = 0, max = 0;
  gint64 corr = 0;
  int status;

  cache = fs_cache_new_for_path (FS_TEST_APP_ID, dir, NULL, &error);
  if (cache == NULL)
    {
      assert_denied (error, "open");
      return;
    }

  /* reading works */
  entry = fs_cache_load (cache, "e0", NULL, &error);
  g_assert_no_error (error);
  {
    g_autofree char *file = g_build_filename (fs_cache_entry_get_path (entry), "file", NULL);
    g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  }
  g_clear_object (&entry);
  g_assert_true (fs_cache_get_usage (cache, &used, &max, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr (GListModel) list = fs_cache_list (cache, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (list), ==, 3);
  }

  /* writing fails, clearly, and leaves nothing */
  status = hostile_try_store (cache, "mine", 100, &error);
  g_assert_cmpint (status, ==, -1);
  assert_denied (error, "store");
  g_clear_error (&error);
  entry = fs_cache_stage (cache, NULL, &error);
  if (entry == NULL)
    assert_denied (error, "stage");
  g_clear_error (&error);
  g_clear_object (&entry);
  g_assert_false (fs_cache_remove (cache, "e1", NULL, &error));
  assert_denied (error, "remove");
  g_clear_error (&error);
  if (!fs_cache_prune (cache, 0, FS_CACHE_MAINTENANCE_NONE, &n, &bytes, NULL, &error))
    assert_denied (error, "prune");
  g_clear_error (&error);
  if (!fs_cache_collect_garbage (cache, FS_CACHE_MAINTENANCE_NONE, &n, &bytes, &corr, NULL, &error))
    assert_denied (error, "collect_garbage");
  g_clear_error (&error);
  if (!fs_cache_set_maximum_size (cache, 1, NULL, &error))
    assert_denied (error, "set_maximum_size");
  g_clear_error (&error);
  /* a load after all that still works */
  entry = fs_cache_load (cache, "e2", NULL, &error);
  g_assert_no_error (error);
}

static void
check_unchanged (HostileFixture *fx, const char *before, guint64 size_before)
{
  g_autofree char *after = hostile_cache_listing (fx->cache_dir);

  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size_before);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 3);
  fs_test_assert_consistent (fx->cache_dir);
  assert_no_lock_held (fx->cache_dir);
}

static void
test_other_users_cache (HostileFixture *fx, gconstpointer user_data)
{
  g_autofree char *before = NULL;
  guint64 size_before;

  if (g_test_subprocess ())
    {
      fs_test_drop_privileges ();
      use_without_write_access ();
      return;
    }
  if (geteuid () != 0)
    {
      g_test_skip ("needs root to run a part as another user");
      return;
    }
  /* root's cache, default modes: others may read, not write */
  hostile_make_cache (fx, 1000000, 3, 3000);
  before = hostile_cache_listing (fx->cache_dir);
  size_before = fs_test_read_cache_size (fx->cache_dir);
  fs_test_run_child (fx->cache_dir, 60);
  check_unchanged (fx, before, size_before);
}

static void
chmod_tree (const char *path, mode_t dirs, mode_t files)
{
  g_autofree char *d = g_strdup_printf ("%o", dirs);
  g_autofree char *f = g_strdup_printf ("%o", files);
  g_autofree char *cmd =
    g_strdup_printf ("find '%s' -type d -exec chmod %s {} + -o -type f -exec chmod %s {} +", path,
                     d, f);
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* The user's own cache, made read-only (chmod a-w): the same. */
static void
test_read_only_cache (HostileFixture *fx, gconstpointer user_data)
{
  g_autofree char *before = NULL;
  guint64 size_before;

  if (g_test_subprocess ())
    {
      fs_test_drop_privileges ();
      use_without_write_access ();
      return;
    }
  if (geteuid () != 0)
    {
      g_test_skip ("needs root to make the cache another user's");
      return;
    }
  hostile_make_cache (fx, 1000000, 3, 3000);
  {
    g_autofree char *cmd =
      g_strdup_printf ("chown -R %d:%d '%s'", FS_TEST_NOBODY, FS_TEST_NOBODY, fx->cache_dir);
    int status = 0;
    g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL));
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  chmod_tree (fx->cache_dir, 0555, 0444);
  before = hostile_cache_listing (fx->cache_dir);
  size_before = fs_test_read_cache_size (fx->cache_dir);
  fs_test_run_child (fx->cache_dir, 60);
  chmod_tree (fx->cache_dir, 0755, 0644);
  check_unchanged (fx, before, size_before);
}

/* ------------------------------------------------------------------------ */
/* ENOSPC                                                                    */

static void
assert_no_space (GError *error, const char *what)
{
  g_test_message ("%s: %s", what, error ? error->message : "ok");
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
}

static gsize
fill_up (const char *path)
{
  static char buf[65536];
  gsize total = 0;
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  memset (buf, 'f', sizeof buf);
  for (;;)
    {
      ssize_t n = write (fd, buf, sizeof buf);
      if (n <= 0)
        {
          g_assert_true (n == 0 || errno == ENOSPC);
          break;
        }
      total += (gsize) n;
    }
  /* and the last bytes a page at a time */
  for (;;)
    {
      ssize_t n = write (fd, buf, 1);
      if (n <= 0)
        break;
      total += (gsize) n;
    }
  close (fd);
  return total;
}

static void
assert_clean (const char *dir, guint64 size, guint entries)
{
  g_assert_cmpuint (fs_test_count_uuid (dir), ==, 0);
  g_assert_cmpuint (fs_test_read_cache_size (dir), ==, size);
  g_assert_cmpuint (fs_test_count_objects (dir), ==, entries);
  fs_test_assert_consistent (dir);
}

static void
enospc_child (const char *marker)
{
  const char *dir = fs_test_child_cache_dir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *filler = NULL;
  FsCacheCommitStatus status;
  guint64 size;

  /* A namespace of our own: the tmpfs dies with this process. */
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
      mount ("fscache-enospc", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") < 0)
    {
      g_test_message ("mounting a tmpfs is not allowed here: %s", g_strerror (errno));
      fs_test_write_text (marker, "", 0);
      return;
    }

  cache = fs_test_open_cache (dir);
  fs_test_set_maximum_size (cache, FS_CACHE_SIZE_UNLIMITED);
  {
    FsCacheEntry *e = fs_test_store_commit (cache, "before", 20000, &status);
    g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
    g_clear_object (&e);
  }
  size = fs_test_read_cache_size (dir);
  assert_clean (dir, size, 1);

  /* 1. The caller's data does not fit: its write fails; released, nothing
   *    is left. */
  entry = fs_cache_store (cache, "too-big", NULL, &error);
  g_assert_no_error (error);
  {
    g_autofree char *path = g_build_filename (fs_cache_entry_get_path (entry), "big", NULL);
    fill_up (path);
  }
  g_clear_object (&entry);
  assert_clean (dir, size, 1);

  /* 2. The caller's data fits, the library's own files don't: the commit
   *    fails with a clear error and nothing is left. */
  entry = fs_cache_store (cache, "no-room-for-metadata", NULL, &error);
  g_assert_no_error (error);
  {
    g_autofree char *path = g_build_filename (fs_cache_entry_get_path (entry), "big", NULL);
    fill_up (path);
  }
  g_assert_false (fs_cache_entry_commit (entry, &status, NULL, &error));
  assert_no_space (error, "commit on a full file system");
  g_assert_nonnull (strstr (error->message, dir));
  g_clear_error (&error);
  g_clear_object (&entry);
  assert_clean (dir, size, 1);

  /* 3. store_tree of a tree bigger than the file system. */
  {
    g_autofree char *src_dir = g_dir_make_tmp ("fscache-enospc-src-XXXXXX", &error);
    g_autofree char *src = g_build_filename (src_dir, "big", NULL);
    g_autoptr (GFile) source = g_file_new_for_path (src_dir);
    g_autofree char *buf = g_malloc0 (2 * 1024 * 1024);

    g_assert_no_error (error);
    fs_test_write_text (src, buf, 2 * 1024 * 1024);
    g_assert_false (fs_cache_store_tree (cache, "copied", source, FS_CACHE_STORE_NONE, NULL, NULL,
                                         &status, NULL, &error));
    assert_no_space (error, "store_tree on a full file system");
    g_clear_error (&error);
    /* across file systems, a move copies: same */
    g_assert_false (fs_cache_store_tree (cache, "moved", source, FS_CACHE_STORE_MOVE, NULL, NULL,
                                         &status, NULL, &error));
    assert_no_space (error, "store_tree (move) on a full file system");
    g_clear_error (&error);
    g_assert_true (g_file_test (src, G_FILE_TEST_IS_REGULAR)); /* the source is kept */
    fs_test_rm_rf (src_dir);
  }
  assert_clean (dir, size, 1);

  /* 4. A stage that can't be filled, and a stage while the disk is full. */
  filler = g_build_filename (dir, "filler", NULL);
  fill_up (filler);
  entry = fs_cache_stage (cache, NULL, &error);
  if (entry == NULL)
    {
      g_test_message ("stage on a full file system: %s", error->message);
      g_assert_true (error->domain == G_IO_ERROR);
      g_clear_error (&error);
    }
  g_clear_object (&entry);
  entry = fs_cache_store (cache, "while-full", NULL, &error);
  if (entry == NULL)
    {
      g_test_message ("store on a full file system: %s", error->message);
      g_assert_true (error->domain == G_IO_ERROR);
      g_clear_error (&error);
    }
  else if (!fs_cache_entry_commit (entry, &status, NULL, &error))
    {
      g_test_message ("commit on a full file system: %s", error->message);
      g_assert_true (error->domain == G_IO_ERROR);
      g_clear_error (&error);
    }
  g_clear_object (&entry);
  if (!fs_cache_remove (cache, "before", NULL, &error))
    {
      g_test_message ("remove on a full file system: %s", error->message);
      g_clear_error (&error);
    }
  else
    size = 0;
  g_unlink (filler);
  assert_clean (dir, size, size == 0 ? 0 : 1);

  /* 5. And the cache works again once there is room. */
  {
    FsCacheEntry *e = fs_test_store_commit (cache, "after", 20000, &status);
    g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
    g_clear_object (&e);
  }
  fs_test_assert_consistent (dir);
  g_assert_cmpuint (fs_test_count_uuid (dir), ==, 0);
  fs_cache_close (cache);
  assert_no_lock_held (dir);
}

static void
test_enospc (HostileFixture *fx, gconstpointer user_data)
{
  g_autofree char *marker = NULL;

  if (g_test_subprocess ())
    {
      enospc_child (g_getenv ("HOSTILE_MARKER"));
      return;
    }
  if (geteuid () != 0)
    {
      g_test_skip ("needs root to mount a small tmpfs");
      return;
    }
  marker = g_build_filename (fx->cache_dir, "mount-not-allowed", NULL);
  g_setenv ("HOSTILE_MARKER", marker, TRUE);
  fs_test_run_child (fx->cache_dir, 60);
  g_unsetenv ("HOSTILE_MARKER");
  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("mounting a tmpfs is not allowed here");
      return;
    }
  /* the tmpfs was the child's: nothing of it is left here */
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
}

/* ------------------------------------------------------------------------ */
/* Descriptor exhaustion                                                     */

static guint
count_fds (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n - 1; /* the GDir's own */
}

static void
set_nofile (rlim_t soft)
{
  struct rlimit rl;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &rl), ==, 0);
  rl.rlim_cur = MIN (soft, rl.rlim_max);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &rl), ==, 0);
}

static int
highest_fd (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  int top = 0;

  while ((name = g_dir_read_name (dir)) != NULL)
    top = MAX (top, atoi (name));
  return top;
}

static void
nofile_round (FsCache *cache, const char *src_dir, guint extra, gboolean maintenance)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GFile) source = g_file_new_for_path (src_dir);
  FsCacheCommitStatus status;
  guint n = 0;
  guint64 bytes = 0;
  gint64 corr = 0;
  struct rlimit saved;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  /* descriptors are numbered from the lowest free one: the limit must be
   * above the highest open one */
  set_nofile ((rlim_t) highest_fd () + 1 + extra);

  for (int i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%d", i);
      FsCacheEntry *e = fs_cache_load (cache, name, NULL, &error);
      if (e != NULL)
        g_ptr_array_add (held, e);
      else
        {
          g_test_message ("load with %u spare: %s", extra, error->message);
          g_assert_true (error->domain == G_IO_ERROR || error->domain == FS_CACHE_ERROR);
        }
      g_clear_error (&error);
    }
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("n%u-%d", extra, i);
      if (hostile_try_store (cache, name, 100, &error) < 0)
        {
          g_test_message ("store with %u spare: %s", extra, error->message);
          g_assert_true (error->domain == G_IO_ERROR || error->domain == G_FILE_ERROR ||
                         error->domain == FS_CACHE_ERROR);
        }
      g_clear_error (&error);
    }
  {
    FsCacheEntry *e = fs_cache_stage (cache, NULL, &error);
    g_clear_object (&e);
    g_clear_error (&error);
  }
  {
    g_autofree char *name = g_strdup_printf ("tree%u", extra);
    if (!fs_cache_store_tree (cache, name, source, FS_CACHE_STORE_NONE, NULL, NULL, &status, NULL,
                              &error))
      g_test_message ("store_tree with %u spare: %s", extra, error->message);
    g_clear_error (&error);
  }
  {
    g_autofree char *name = g_strdup_printf ("n%u-0", extra);
    fs_cache_remove (cache, name, NULL, &error);
    g_clear_error (&error);
  }
  {
    GListModel *list = fs_cache_list (cache, NULL, &error);
    g_clear_object (&list);
    g_clear_error (&error);
  }
  if (maintenance)
    {
      fs_cache_prune (cache, 60000, FS_CACHE_MAINTENANCE_NONE, &n, &bytes, NULL, &error);
      g_clear_error (&error);
      fs_cache_collect_garbage (cache, FS_CACHE_MAINTENANCE_NONE, &n, &bytes, &corr, NULL, &error);
      g_clear_error (&error);
    }
  {
    g_autoptr (FsCache) other =
      fs_cache_new_for_path (FS_TEST_APP_ID, fs_test_child_cache_dir (), NULL, &error);
    if (other == NULL)
      g_test_message ("open with %u spare: %s", extra, error->message);
    g_clear_error (&error);
  }

  g_ptr_array_set_size (held, 0);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
}

static void
test_nofile (HostileFixture *fx, gconstpointer user_data)
{
  if (g_test_subprocess ())
    {
      const char *dir = fs_test_child_cache_dir ();
      g_autoptr (FsCache) cache = fs_test_open_cache (dir);
      g_autofree char *src_dir = g_build_filename (dir, "src", NULL);
      g_autofree char *src = g_build_filename (src_dir, "a", NULL);
      guint baseline;

      g_assert_cmpint (g_mkdir (src_dir, 0755), ==, 0);
      fs_test_write_text (src, "some data", -1);
      baseline = count_fds ();
      for (guint extra = 0; extra < 12; extra++)
        {
          nofile_round (cache, src_dir, extra, TRUE);
          /* no descriptor leaked */
          g_assert_cmpuint (count_fds (), ==, baseline);
        }
      /* Last, failures with no maintenance after them: what they leave is
       * for the next idle open to collect (checked by the parent). */
      for (guint extra = 0; extra < 4; extra++)
        {
          nofile_round (cache, src_dir, extra, FALSE);
          g_assert_cmpuint (count_fds (), ==, baseline);
        }
      fs_cache_close (cache);
      g_clear_object (&cache);
      g_assert_cmpuint (count_fds (), <, baseline);
      fs_test_rm_rf (src_dir);
      return;
    }
  hostile_make_cache (fx, 1000000, 4, 3000);
  fs_test_run_child (fx->cache_dir, 60);
  /* No lock is left held by anyone. */
  assert_no_lock_held (fx->cache_dir);
  /* What the failures could not clean up is collected automatically —
   * DESIGN §5.6: "at the latest by the next eviction or by an open that
   * finds the cache idle" (the open is O(1) in the number of entries, so
   * what has no journal record waits for the next eviction pass) — with no
   * garbage collection asked for. */
  {
    g_autoptr (FsCache) cache = fs_test_open_cache (fx->cache_dir);
    g_autoptr (FsCacheEntry) big = NULL;
    g_autofree char *listing = NULL;
    FsCacheCommitStatus status;
    guint64 used = fs_test_read_cache_size (fx->cache_dir);

    g_assert_false (fs_cache_has_other_users (cache));
    /* a store that does not fit: an eviction pass */
    fs_test_set_maximum_size (cache, used + 8192);
    big = fs_test_store_commit (cache, "does-not-fit", 16384, &status);
    g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
    g_clear_object (&big);
    listing = hostile_cache_listing (fx->cache_dir);
    if (fs_test_count_uuid (fx->cache_dir) != 0)
      g_test_message ("left after an idle open and an eviction:\n%s", listing);
    g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
    fs_test_assert_consistent (fx->cache_dir);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/hostile/env/someone-elses-cache", HostileFixture, NULL, hostile_setup,
              test_other_users_cache, hostile_teardown);
  g_test_add ("/hostile/env/read-only-cache", HostileFixture, NULL, hostile_setup,
              test_read_only_cache, hostile_teardown);
  g_test_add ("/hostile/env/enospc-on-small-tmpfs", HostileFixture, NULL, hostile_setup,
              test_enospc, hostile_teardown);
  g_test_add ("/hostile/env/rlimit-nofile", HostileFixture, NULL, hostile_setup, test_nofile,
              hostile_teardown);
  return g_test_run ();
}
