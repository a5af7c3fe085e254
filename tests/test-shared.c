/* test-shared.c: a cache shared by several users of one group (DESIGN §5.9,
 * issue 5)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * As root, the tests run the helper program (tests/fs-test-helper session)
 * under other numeric user and group ids — no /etc/passwd or /etc/group
 * entries are needed — and look at the cache from this process:
 *
 *   alice    uid 65534 (nobody), primary gid 65534, member of the group
 *   bob      uid 65533,          primary gid 65532, member of the group
 *   mallory  uid 65531,          primary gid 65531, not a member
 *   group    gid 65533: the cache directory's group, mode 02775
 *
 * Without root those tests skip; the tests of the "shared" setting alone
 * run as any user.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-test-util.h"

#define GROUP ((gid_t) 65533)

static const gid_t member_groups[] = { GROUP };

static const FsTestCreds alice = { 65534, 65534, member_groups, 1, 022 };
static const FsTestCreds bob = { 65533, 65532, member_groups, 1, 022 };
static const FsTestCreds mallory = { 65531, 65531, NULL, 0, 022 };

typedef struct {
  FsTestFixture fx;
  char *helper;   /* a copy of the helper everyone can run */
  gboolean ready; /* root, and the directory reachable by everyone */
} SharedFixture;

static void
shared_setup (SharedFixture *sf, gconstpointer user_data)
{
  g_autofree char *bin = NULL;

  fs_test_fixture_setup (&sf->fx, user_data);
  if (geteuid () != 0)
    return;
  g_assert_cmpint (chmod (sf->fx.tmpdir, 0755), ==, 0);
  if (!fs_test_path_reachable_by_all (sf->fx.tmpdir))
    {
      g_test_message ("%s is not reachable by other users", sf->fx.tmpdir);
      return;
    }
  bin = g_build_filename (sf->fx.tmpdir, "bin", NULL);
  g_assert_cmpint (mkdir (bin, 0755), ==, 0);
  sf->helper = fs_test_helper_copy_to (bin);

  /* The cache directory as an administrator prepares a shared one. */
  g_assert_cmpint (mkdir (sf->fx.cache_dir, 0700), ==, 0);
  g_assert_cmpint (chown (sf->fx.cache_dir, 0, GROUP), ==, 0);
  g_assert_cmpint (chmod (sf->fx.cache_dir, 02775), ==, 0);
  sf->ready = TRUE;
}

static void
shared_teardown (SharedFixture *sf, gconstpointer user_data)
{
  g_clear_pointer (&sf->helper, g_free);
  fs_test_fixture_teardown (&sf->fx, user_data);
}

static gboolean
skip_unless_ready (SharedFixture *sf)
{
  if (geteuid () != 0)
    {
      g_test_skip ("running processes as other users needs root");
      return TRUE;
    }
  if (!sf->ready)
    {
      g_test_skip ("the temporary directory is not reachable by other users");
      return TRUE;
    }
  return FALSE;
}

/* A helper session on the cache as @who; asserts the cache opened. */
static FsTestHelper *
session (SharedFixture *sf, const FsTestCreds *who)
{
  FsTestHelper *helper =
    fs_test_helper_spawn_as (who, sf->helper, "session", sf->fx.cache_dir, NULL);
  g_autofree char *line = fs_test_helper_read_line (helper);

  g_assert_cmpstr (line, ==, "open ok");
  return helper;
}

static void
expect (FsTestHelper *helper, const char *command, const char *answer)
{
  g_autofree char *line = fs_test_helper_ask (helper, command);

  g_assert_cmpstr (line, ==, answer);
}

static void
expect_prefix (FsTestHelper *helper, const char *command, const char *prefix)
{
  g_autofree char *line = fs_test_helper_ask (helper, command);

  g_assert_nonnull (line);
  if (!g_str_has_prefix (line, prefix))
    g_error ("%s: expected an answer starting with \"%s\", got \"%s\"", command, prefix, line);
}

/* Ends the session; the helper must exit normally (no crash). */
static void
end_session (FsTestHelper *helper)
{
  fs_test_helper_write_line (helper, "quit");
  g_assert_cmpint (fs_test_helper_wait (helper), ==, 0);
  fs_test_helper_free (helper);
}

/* "hit SIZE" → SIZE */
static guint64
expect_hit (FsTestHelper *helper, const char *name)
{
  g_autofree char *command = g_strconcat ("load ", name, NULL);
  g_autofree char *line = fs_test_helper_ask (helper, command);
  guint64 size = 0;

  g_assert_nonnull (line);
  if (!g_str_has_prefix (line, "hit "))
    g_error ("load %s: expected a hit, got \"%s\"", name, line);
  g_assert_true (g_ascii_string_to_unsigned (line + 4, 10, 0, G_MAXUINT64, &size, NULL));
  return size;
}

/* Every problem with the group and modes of the tree at @path: a list of
 * lines, empty when all is well. */
static void
check_shared_modes_at (const char *path, const char *rel, GPtrArray *problems)
{
  static const char *const library_files[] = { "CACHEDIR.TAG", "cache.info",  "cache.lock",
                                               "cache.size",   "object.info", "object.lock" };
  g_autofree char *base = g_path_get_basename (path);
  struct stat st;

  if (lstat (path, &st) < 0)
    g_error ("lstat %s: %s", path, g_strerror (errno));
  if (st.st_gid != GROUP)
    g_ptr_array_add (problems, g_strdup_printf ("%s: group %u, not the cache's %u", rel,
                                                (unsigned) st.st_gid, (unsigned) GROUP));
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      if ((st.st_mode & (S_ISGID | S_IRWXG)) != (S_ISGID | S_IRWXG))
        g_ptr_array_add (problems, g_strdup_printf ("%s: directory mode %04o lacks g+rwxs", rel,
                                                    st.st_mode & 07777));
      g_assert_nonnull (dir);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          g_autofree char *child_rel = g_build_filename (rel, name, NULL);
          check_shared_modes_at (child, child_rel, problems);
        }
    }
  else if (g_strv_contains (library_files, base) && (st.st_mode & 07777) != 0664)
    g_ptr_array_add (problems,
                     g_strdup_printf ("%s: mode %04o, not 0664", rel, st.st_mode & 07777));
}

static void
assert_shared_modes (const char *path)
{
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);

  check_shared_modes_at (path, ".", problems);
  for (guint i = 0; i < problems->len; i++)
    g_test_message ("%s", (const char *) problems->pdata[i]);
  g_assert_cmpuint (problems->len, ==, 0);
}

static guint
count_dir (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* ------------------------------------------------------------------------ */

/* A member creates the cache's contents under umask 022: everything gets
 * the directory's group, directories g+rwxs, the library's files 0664,
 * and the entries' own directories group-writable once committed. */
static void
test_new_files_follow_directory (SharedFixture *sf, gconstpointer user_data)
{
  g_autofree char *lock = NULL;
  g_autofree char *sub = NULL;
  FsTestHelper *a;
  struct stat st;

  if (skip_unless_ready (sf))
    return;

  a = session (sf, &alice);
  expect (a, "set-max unlimited", "ok");
  expect (a, "store first 5000", "stored");
  expect (a, "store second 7000", "stored");
  expect (a, "stage", "ok");
  expect_hit (a, "first");
  end_session (a);

  assert_shared_modes (sf->fx.cache_dir);

  /* Made by alice, whose own group is not the cache's. */
  lock = g_build_filename (sf->fx.cache_dir, "objects", "first", "object.lock", NULL);
  g_assert_cmpint (lstat (lock, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, alice.uid);
  /* A directory alice made 0755 (umask 022) in her entry. */
  sub = g_build_filename (sf->fx.cache_dir, "objects", "first", "data", "sub", NULL);
  g_assert_cmpint (lstat (sub, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, alice.uid);
  g_assert_cmpuint (st.st_mode & 07777, ==, 02775);
  fs_test_assert_consistent (sf->fx.cache_dir);
}

/* Bob loads alice's entry: its last use (the atime of object.lock, a file
 * bob does not own) is recorded. */
static void
test_mark_used_by_other (SharedFixture *sf, gconstpointer user_data)
{
  g_autofree char *lock = g_build_filename (sf->fx.cache_dir, "objects", "e", "object.lock", NULL);
  struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
  FsTestHelper *a;
  FsTestHelper *b;
  struct stat st;
  gint64 now;

  if (skip_unless_ready (sf))
    return;

  a = session (sf, &alice);
  expect (a, "set-max unlimited", "ok");
  expect (a, "store e 3000", "stored");
  end_session (a);

  g_assert_cmpint (utimensat (AT_FDCWD, lock, old, 0), ==, 0);
  g_assert_cmpint (lstat (lock, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, alice.uid);
  g_assert_cmpint (st.st_atim.tv_sec, ==, 1000000000);

  now = g_get_real_time () / G_USEC_PER_SEC;
  b = session (sf, &bob);
  expect_hit (b, "e");
  g_assert_cmpint (lstat (lock, &st), ==, 0);
  g_assert_cmpint (st.st_atim.tv_sec, >=, now - 5);
  g_assert_cmpint (st.st_atim.tv_sec, <=, now + 60);
  /* Still alice's: bob did not need to own it. */
  g_assert_cmpuint (st.st_uid, ==, alice.uid);

  /* Held by bob: nobody may remove it meanwhile. */
  expect_prefix (b, "hold e", "hit ");
  g_assert_false (fs_test_can_lock (lock, F_WRLCK));
  expect (b, "unhold e", "ok");
  g_assert_true (fs_test_can_lock (lock, F_WRLCK));
  end_session (b);
  fs_test_assert_consistent (sf->fx.cache_dir);
}

/* Mallory, not in the group, can read the cache (hits and misses) and
 * gets clean permission errors for anything that writes; nothing changes
 * on disk, nothing is left behind, the helper does not crash. */
static void
test_reader_without_write_access (SharedFixture *sf, gconstpointer user_data)
{
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *src = g_build_filename (sf->fx.tmpdir, "mallory-src", NULL);
  g_autofree char *src_file = g_build_filename (src, "f", NULL);
  g_autofree char *store_tree = NULL;
  g_autofree char *move_tree = NULL;
  guint64 size_a;
  FsTestHelper *a;
  FsTestHelper *m;

  if (skip_unless_ready (sf))
    return;

  a = session (sf, &alice);
  expect (a, "set-max unlimited", "ok");
  expect (a, "store a 3000", "stored");
  expect (a, "store b 4000", "stored");
  end_session (a);

  /* A tree mallory owns, to try store_tree with. */
  fs_test_write_file (src_file, 1000);
  g_assert_cmpint (chown (src, mallory.uid, mallory.gid), ==, 0);
  g_assert_cmpint (chown (src_file, mallory.uid, mallory.gid), ==, 0);
  store_tree = g_strdup_printf ("store-tree c %s", src);
  move_tree = g_strdup_printf ("store-tree c %s move", src);

  /* Entries' file times are left out: a load may not record a use here. */
  before = fs_test_snapshot_except (sf->fx.cache_dir, "./objects/a/object.lock");

  m = session (sf, &mallory);
  size_a = expect_hit (m, "a");
  g_assert_cmpuint (size_a, ==, fs_test_read_object_size (sf->fx.cache_dir, "a"));
  expect_hit (m, "b");
  expect (m, "load absent", "miss");
  expect_prefix (m, "hold a", "hit ");
  {
    g_autofree char *usage =
      g_strdup_printf ("ok %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                       fs_test_read_cache_size (sf->fx.cache_dir), FS_CACHE_SIZE_UNLIMITED);
    expect (m, "usage", usage);
  }
  expect_prefix (m, "store c 1000", "error gio permission-denied");
  expect_prefix (m, "stage", "error gio permission-denied");
  expect_prefix (m, store_tree, "error gio permission-denied");
  expect_prefix (m, move_tree, "error gio permission-denied");
  expect_prefix (m, "remove b", "error gio permission-denied");
  expect_prefix (m, "set-max 1000", "error gio permission-denied");
  /* Maintenance may refuse or find nothing it may do; either way the cache
   * stays as it is (checked below). */
  {
    g_autofree char *prune = fs_test_helper_ask (m, "prune 0");
    g_autofree char *gc = fs_test_helper_ask (m, "gc");
    g_assert_nonnull (prune);
    g_assert_nonnull (gc);
    g_assert_true (g_str_has_prefix (prune, "ok 0 0") ||
                   g_str_has_prefix (prune, "error gio permission-denied"));
    g_assert_true (g_str_has_prefix (gc, "ok ") ||
                   g_str_has_prefix (gc, "error gio permission-denied"));
  }
  expect_hit (m, "b");
  expect (m, "unhold a", "ok");
  end_session (m);

  after = fs_test_snapshot_except (sf->fx.cache_dir, "./objects/a/object.lock");
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (fs_test_count_uuid (sf->fx.cache_dir), ==, 0);
  g_assert_true (g_file_test (src_file, G_FILE_TEST_IS_REGULAR));
  fs_test_assert_consistent (sf->fx.cache_dir);

  /* The members still use it normally. */
  a = session (sf, &alice);
  expect_hit (a, "a");
  expect_hit (a, "b");
  expect (a, "store c 1000", "stored");
  end_session (a);
  fs_test_assert_consistent (sf->fx.cache_dir);
}

/* A user who may read the cache but not write it has cache.lock open
 * read-only: alone in the cache, nobody else uses it (issue 11: a write
 * lock that fails on a read-only descriptor was taken for another user);
 * with someone else in, somebody does. */
static void
test_reader_sees_other_users (SharedFixture *sf, gconstpointer user_data)
{
  FsTestHelper *a;
  FsTestHelper *m;

  if (skip_unless_ready (sf))
    return;

  a = session (sf, &alice);
  expect (a, "set-max unlimited", "ok");
  expect (a, "others", "no");
  end_session (a);

  m = session (sf, &mallory);
  expect (m, "others", "no");
  expect (m, "others", "no"); /* asking twice changes nothing */

  a = session (sf, &alice);
  expect (m, "others", "yes");
  expect (a, "others", "yes");
  end_session (a);
  expect (m, "others", "no");

  /* Another open cache of another process, and of this one. */
  sf->fx.cache = fs_test_open_cache (sf->fx.cache_dir);
  expect (m, "others", "yes");
  g_assert_true (fs_cache_has_other_users (sf->fx.cache));
  end_session (m);
  g_assert_false (fs_cache_has_other_users (sf->fx.cache));
  fs_cache_close (sf->fx.cache);
  g_clear_object (&sf->fx.cache);
}

/* Bob removes and prunes alice's entries, including the directories she
 * made 0755 and 0555 inside them: nothing is left. */
static void
test_remove_by_other_member (SharedFixture *sf, gconstpointer user_data)
{
  g_autofree char *objects = g_build_filename (sf->fx.cache_dir, "objects", NULL);
  g_autofree char *a_dir = g_build_filename (objects, "a", NULL);
  FsTestHelper *a;
  FsTestHelper *b;

  if (skip_unless_ready (sf))
    return;

  a = session (sf, &alice);
  expect (a, "set-max unlimited", "ok");
  expect (a, "store a 30000", "stored");
  expect (a, "store b 30000", "stored");
  expect (a, "store c 30000", "stored");
  end_session (a);

  b = session (sf, &bob);
  expect (b, "remove a", "ok");
  g_assert_false (g_file_test (a_dir, G_FILE_TEST_EXISTS));
  expect (b, "load a", "miss");
  fs_test_assert_consistent (sf->fx.cache_dir);

  expect_prefix (b, "prune 0", "ok 2 ");
  expect (b, "load b", "miss");
  expect (b, "load c", "miss");
  {
    g_autofree char *usage = g_strdup_printf ("ok 0 %" G_GUINT64_FORMAT, FS_CACHE_SIZE_UNLIMITED);
    expect (b, "usage", usage);
  }
  end_session (b);

  g_assert_cmpuint (count_dir (objects), ==, 0);
  g_assert_cmpuint (fs_test_read_cache_size (sf->fx.cache_dir), ==, 0);
  fs_test_assert_consistent (sf->fx.cache_dir);
}

/* Bob's store needs room: alice's entry is evicted by bob's process. */
static void
test_evict_by_other_member (SharedFixture *sf, gconstpointer user_data)
{
  g_autofree char *objects = g_build_filename (sf->fx.cache_dir, "objects", NULL);
  g_autofree char *set_max = NULL;
  guint64 size_a;
  FsTestHelper *a;
  FsTestHelper *b;

  if (skip_unless_ready (sf))
    return;

  a = session (sf, &alice);
  expect (a, "set-max unlimited", "ok");
  expect (a, "store a 200000", "stored");
  size_a = expect_hit (a, "a");
  /* Room for one such entry, not two. */
  set_max = g_strdup_printf ("set-max %" G_GUINT64_FORMAT, size_a + size_a / 2);
  expect (a, set_max, "ok");
  end_session (a);

  b = session (sf, &bob);
  expect (b, "store b 200000", "stored");
  expect (b, "load a", "miss");
  expect_hit (b, "b");
  end_session (b);

  g_assert_cmpuint (count_dir (objects), ==, 1);
  fs_test_assert_consistent (sf->fx.cache_dir);
  assert_shared_modes (sf->fx.cache_dir);
}

/* ------------------------------------------------------------------------ */
/* The "shared" setting, in this process (any user)                         */

static void
set_shared (FsCache *cache, gboolean shared)
{
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autoptr (GError) error = NULL;

  fs_cache_info_set_shared (info, shared);
  g_assert_true (fs_cache_set_info (cache, info, NULL, &error));
  g_assert_no_error (error);
}

static FsCacheEntry *
store_with_private_dirs (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = fs_cache_store (cache, name, NULL, &error);
  g_autofree char *sub = NULL;

  g_assert_no_error (error);
  fs_test_write_entry_file (entry, "sub/file", 1000);
  sub = g_build_filename (fs_cache_entry_get_path (entry), "sub", NULL);
  g_assert_cmpint (chmod (sub, 0755), ==, 0);
  g_assert_cmpint (fs_test_commit (entry), ==, FS_CACHE_COMMIT_STORED);
  return g_steal_pointer (&entry);
}

static mode_t
mode_of (const char *path)
{
  struct stat st;

  if (lstat (path, &st) < 0)
    g_error ("lstat %s: %s", path, g_strerror (errno));
  return st.st_mode & 07777;
}

/* Set in cache.info, on a directory that is not group-writable. */
static void
test_setting_on (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autofree char *entry_dir = NULL;
  g_autofree char *path = NULL;

  g_assert_cmpint (g_mkdir_with_parents (fx->cache_dir, 0755), ==, 0);
  g_assert_cmpint (chmod (fx->cache_dir, 0755), ==, 0);
  fx->cache = fs_test_open_cache (fx->cache_dir);
  fs_test_set_maximum_size (fx->cache, FS_CACHE_SIZE_UNLIMITED);
  set_shared (fx->cache, TRUE);
  info = fs_test_dup_info (fx->cache);
  g_assert_true (fs_cache_info_has_shared (info));
  g_assert_true (fs_cache_info_get_shared (info));

  entry = store_with_private_dirs (fx->cache, "e");
  entry_dir = g_build_filename (fx->cache_dir, "objects", "e", NULL);
  g_assert_cmpuint (mode_of (entry_dir), ==, 02775);
  path = g_build_filename (entry_dir, "data", NULL);
  g_assert_cmpuint (mode_of (path), ==, 02775);
  g_clear_pointer (&path, g_free);
  path = g_build_filename (entry_dir, "data", "sub", NULL);
  g_assert_cmpuint (mode_of (path) & (S_ISGID | S_IRWXG), ==, S_ISGID | S_IRWXG);
  g_clear_pointer (&path, g_free);
  path = g_build_filename (entry_dir, "object.lock", NULL);
  g_assert_cmpuint (mode_of (path), ==, 0664);
  g_clear_pointer (&path, g_free);
  path = g_build_filename (entry_dir, "object.info", NULL);
  g_assert_cmpuint (mode_of (path), ==, 0664);
  g_clear_pointer (&path, g_free);
  /* cache.info written again now that the cache is shared. */
  fs_test_set_maximum_size (fx->cache, G_GUINT64_CONSTANT (1) << 40);
  path = g_build_filename (fx->cache_dir, "cache.info", NULL);
  g_assert_cmpuint (mode_of (path), ==, 0664);
  fs_cache_entry_release (entry);
  fs_test_assert_consistent (fx->cache_dir);
}

/* The cache.info that turns sharing on is itself a new file of the shared
 * cache: group-writable, or the other members can't take its write lock
 * (O_RDWR) to change the configuration. */
static void
test_setting_on_cache_info (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *path = g_build_filename (fx->cache_dir, "cache.info", NULL);

  g_assert_cmpint (g_mkdir_with_parents (fx->cache_dir, 0755), ==, 0);
  fx->cache = fs_test_open_cache (fx->cache_dir);
  g_assert_cmpuint (mode_of (path), ==, 0644);
  set_shared (fx->cache, TRUE);
  g_assert_cmpuint (mode_of (path), ==, 0664);
}

/* Set to false, it wins over a group-writable directory. */
static void
test_setting_off (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *entry_dir = NULL;
  g_autofree char *path = NULL;

  g_assert_cmpint (g_mkdir_with_parents (fx->cache_dir, 0755), ==, 0);
  g_assert_cmpint (chmod (fx->cache_dir, 02775), ==, 0);
  fx->cache = fs_test_open_cache (fx->cache_dir);
  fs_test_set_maximum_size (fx->cache, FS_CACHE_SIZE_UNLIMITED);
  set_shared (fx->cache, FALSE);

  entry = store_with_private_dirs (fx->cache, "e");
  entry_dir = g_build_filename (fx->cache_dir, "objects", "e", NULL);
  path = g_build_filename (entry_dir, "data", "sub", NULL);
  g_assert_cmpuint (mode_of (path) & S_IWGRP, ==, 0);
  g_clear_pointer (&path, g_free);
  path = g_build_filename (entry_dir, "object.info", NULL);
  g_assert_cmpuint (mode_of (path) & S_IWGRP, ==, 0);
  fs_cache_entry_release (entry);
  fs_test_assert_consistent (fx->cache_dir);
}

/* Inferred from a group-writable directory when not set. */
static void
test_inferred (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autofree char *path = NULL;

  g_assert_cmpint (g_mkdir_with_parents (fx->cache_dir, 0755), ==, 0);
  g_assert_cmpint (chmod (fx->cache_dir, 02775), ==, 0);
  fx->cache = fs_test_open_cache (fx->cache_dir);
  fs_test_set_maximum_size (fx->cache, FS_CACHE_SIZE_UNLIMITED);
  info = fs_test_dup_info (fx->cache);
  g_assert_false (fs_cache_info_has_shared (info));

  entry = store_with_private_dirs (fx->cache, "e");
  path = g_build_filename (fx->cache_dir, "objects", "e", "data", "sub", NULL);
  g_assert_cmpuint (mode_of (path) & (S_ISGID | S_IRWXG), ==, S_ISGID | S_IRWXG);
  g_clear_pointer (&path, g_free);
  path = g_build_filename (fx->cache_dir, "objects", "e", "object.lock", NULL);
  g_assert_cmpuint (mode_of (path), ==, 0664);
  g_clear_pointer (&path, g_free);
  path = g_build_filename (fx->cache_dir, "cache.size", NULL);
  g_assert_cmpuint (mode_of (path), ==, 0664);
  fs_cache_entry_release (entry);
  fs_test_assert_consistent (fx->cache_dir);
}

/* A tree moved into a shared cache and not stored goes back as it was:
 * its directories are not left group-writable (that would let the group
 * change a tree the cache gave back to its owner). */
static void
test_move_declined_keeps_modes (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *tree = g_build_filename (fx->tmpdir, "tree", NULL);
  g_autofree char *file = g_build_filename (tree, "sub", "f", NULL);
  g_autofree char *sub = g_build_filename (tree, "sub", NULL);
  g_autoptr (GFile) source = g_file_new_for_path (tree);
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  FsCacheCommitStatus status = FS_CACHE_COMMIT_STORED;
  FsCacheEntry *taken;

  g_assert_cmpint (g_mkdir_with_parents (fx->cache_dir, 0755), ==, 0);
  fx->cache = fs_test_open_cache (fx->cache_dir);
  fs_test_set_maximum_size (fx->cache, FS_CACHE_SIZE_UNLIMITED);
  set_shared (fx->cache, TRUE);
  taken = fs_test_store_commit (fx->cache, "taken", 1000, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  g_object_unref (taken);

  fs_test_write_file (file, 5000);
  g_assert_cmpint (chmod (sub, 0700), ==, 0);
  g_assert_cmpint (chmod (tree, 0755), ==, 0);
  before = fs_test_snapshot (tree);

  g_assert_true (fs_cache_store_tree (fx->cache, "taken", source, FS_CACHE_STORE_MOVE, NULL, NULL,
                                      &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_EXISTS);
  after = fs_test_snapshot (tree);
  g_assert_cmpstr (after, ==, before);
  fs_test_assert_consistent (fx->cache_dir);
}

/* A tree moved into a shared cache and stored: its directories become
 * group-writable like a copied one's, so another member can evict it. */
static void
test_move_stored_group_writable (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *tree = g_build_filename (fx->tmpdir, "tree", NULL);
  g_autofree char *file = g_build_filename (tree, "sub", "f", NULL);
  g_autofree char *sub = g_build_filename (tree, "sub", NULL);
  g_autofree char *data = g_build_filename (fx->cache_dir, "objects", "moved", "data", NULL);
  g_autofree char *data_sub = g_build_filename (data, "sub", NULL);

  g_assert_cmpint (g_mkdir_with_parents (fx->cache_dir, 0755), ==, 0);
  fx->cache = fs_test_open_cache (fx->cache_dir);
  fs_test_set_maximum_size (fx->cache, FS_CACHE_SIZE_UNLIMITED);
  set_shared (fx->cache, TRUE);

  fs_test_write_file (file, 5000);
  g_assert_cmpint (chmod (sub, 0700), ==, 0);
  g_assert_cmpint (chmod (tree, 0755), ==, 0);
  {
    g_autoptr (GFile) source = g_file_new_for_path (tree);
    g_autoptr (GError) error = NULL;
    FsCacheCommitStatus status = FS_CACHE_COMMIT_EXISTS;

    g_assert_true (fs_cache_store_tree (fx->cache, "moved", source, FS_CACHE_STORE_MOVE, NULL, NULL,
                                        &status, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  }
  g_assert_cmpuint (mode_of (data) & (S_ISGID | S_IRWXG), ==, S_ISGID | S_IRWXG);
  g_assert_cmpuint (mode_of (data_sub) & (S_ISGID | S_IRWXG), ==, S_ISGID | S_IRWXG);
  fs_test_assert_consistent (fx->cache_dir);
}

int
main (int argc, char **argv)
{
  umask (022);
  g_test_init (&argc, &argv, NULL);

#define ADD_USERS(path, func) \
  g_test_add (path, SharedFixture, NULL, shared_setup, func, shared_teardown)
#define ADD(path, setup, func) \
  g_test_add (path, FsTestFixture, NULL, setup, func, fs_test_fixture_teardown)

  ADD_USERS ("/shared/users/new-files-follow-directory", test_new_files_follow_directory);
  ADD_USERS ("/shared/users/mark-used-by-other", test_mark_used_by_other);
  ADD_USERS ("/shared/users/reader-without-write-access", test_reader_without_write_access);
  ADD_USERS ("/shared/users/reader-sees-other-users", test_reader_sees_other_users);
  ADD_USERS ("/shared/users/remove-by-other-member", test_remove_by_other_member);
  ADD_USERS ("/shared/users/evict-by-other-member", test_evict_by_other_member);
  ADD ("/shared/setting/on", fs_test_fixture_setup, test_setting_on);
  ADD ("/shared/setting/on-cache-info", fs_test_fixture_setup, test_setting_on_cache_info);
  ADD ("/shared/setting/off", fs_test_fixture_setup, test_setting_off);
  ADD ("/shared/setting/inferred", fs_test_fixture_setup, test_inferred);
  ADD ("/shared/setting/move-stored-group-writable", fs_test_fixture_setup,
       test_move_stored_group_writable);
  ADD ("/shared/setting/move-declined-keeps-modes", fs_test_fixture_setup,
       test_move_declined_keeps_modes);

#undef ADD
#undef ADD_USERS

  return g_test_run ();
}
