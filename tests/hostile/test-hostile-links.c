/* test-hostile-links.c: symbolic links planted in a cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Anyone who can write a shared cache can plant a link in it. The library
 * must never follow one out of the cache, never write (nor chmod, nor
 * truncate, nor touch the times of) anything outside it, never delete
 * through a link, and keep working: a planted link is at worst a miss or an
 * error, never a crash, never a cache that can no longer store.
 *
 * The fixture's "outside" tree stands for the rest of the system
 * (outside/etc/passwd for /etc/passwd); its teardown checks nothing there
 * changed.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hostile-util.h"

static void
plant_link (HostileFixture *fx, const char *rel, const char *target)
{
  g_autofree char *path = hostile_cache_path (fx, rel);

  /* replace whatever is there */
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    fs_test_rm_rf (path);
  else
    g_unlink (path);
  if (symlink (target, path) < 0)
    g_error ("symlink %s: %s", path, g_strerror (errno));
}

static gboolean
is_symlink (HostileFixture *fx, const char *rel)
{
  g_autofree char *path = hostile_cache_path (fx, rel);
  return g_file_test (path, G_FILE_TEST_IS_SYMLINK);
}

static gboolean
listed (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) list = fs_cache_list (cache, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
      if (g_strcmp0 (fs_cache_item_get_name (item), name) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
prune_all_ok (FsCache *cache)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (fs_cache_prune (cache, 0, FS_CACHE_MAINTENANCE_NONE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* objects/NAME -> a directory outside that looks like a committed entry. */
static void
test_entry_dir_link (HostileFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;

  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 2, 2000);
  plant_link (fx, "objects/evil", fx->fake_entry);
  cache = fs_test_open_cache (fx->cache_dir);

  fs_test_assert_miss (cache, "evil");
  g_assert_false (listed (cache, "evil"));
  g_assert_false (fs_cache_remove (cache, "evil", NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_clear_error (&error);
  /* the name is taken by the link: a store can't replace it */
  g_assert_cmpint (hostile_try_store (cache, "evil", 100, &error), ==, FS_CACHE_COMMIT_EXISTS);
  g_assert_no_error (error);
  hostile_gc_ok (cache);
  prune_all_ok (cache);
  hostile_exercise (cache, "evil");
  hostile_assert_consistent (fx->cache_dir);
}

/* objects/NAME/data -> a directory outside: removing, evicting or
 * collecting the entry deletes the link, never what it points to. */
static void
test_data_link (HostileFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;
  const char *const names[] = { "e0", "e1", "e2" };

  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 3, 2000);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *rel = g_build_filename ("objects", names[i], "data", NULL);
      plant_link (fx, rel, fx->fake_data);
    }
  cache = fs_test_open_cache (fx->cache_dir);

  {
    g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, "e0", NULL, &error);
    if (entry != NULL)
      g_test_message ("note: an entry whose data/ is a link outside is served (%s)",
                      fs_cache_entry_get_path (entry));
    g_clear_error (&error);
  }
  /* removal */
  if (!fs_cache_remove (cache, "e0", NULL, &error))
    g_test_message ("remove e0: %s", error->message);
  g_clear_error (&error);
  /* eviction */
  prune_all_ok (cache);
  /* garbage collection */
  hostile_gc_ok (cache);
  hostile_exercise (cache, "e2");
  hostile_assert_consistent (fx->cache_dir);
}

/* A stored tree that holds links pointing outside (legitimate content):
 * stored verbatim, and removal deletes the links only. */
static void
test_links_inside_tree (HostileFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *src = g_build_filename (fx->tmpdir, "cache", "src", NULL);
  g_autofree char *l1 = g_build_filename (src, "to-passwd", NULL);
  g_autofree char *l2 = g_build_filename (src, "to-dir", NULL);
  g_autofree char *l3 = g_build_filename (src, "sub", "up", NULL);
  g_autoptr (GFile) source = g_file_new_for_path (src);
  FsCacheCommitStatus status;

  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 0, 0);
  g_assert_cmpint (g_mkdir_with_parents (l3, 0755), ==, 0);
  g_assert_cmpint (g_rmdir (l3), ==, 0);
  g_assert_cmpint (symlink (fx->passwd, l1), ==, 0);
  g_assert_cmpint (symlink (fx->fake_data, l2), ==, 0);
  g_assert_cmpint (symlink ("../../../../outside", l3), ==, 0);
  cache = fs_test_open_cache (fx->cache_dir);

  g_assert_true (fs_cache_store_tree (cache, "links", source, FS_CACHE_STORE_NONE, NULL, NULL,
                                      &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  {
    g_autofree char *copied =
      g_build_filename (fx->cache_dir, "objects", "links", "data", "to-passwd", NULL);
    g_autofree char *target = g_file_read_link (copied, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (target, ==, fx->passwd);
  }
  g_assert_true (fs_cache_store_tree (cache, "moved", source, FS_CACHE_STORE_MOVE, NULL, NULL,
                                      &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);

  g_assert_true (fs_cache_remove (cache, "links", NULL, &error));
  g_assert_no_error (error);
  prune_all_ok (cache);
  hostile_gc_ok (cache);
  hostile_assert_consistent (fx->cache_dir);
}

/* objects/NAME/object.lock -> a file elsewhere: never opened through the
 * link (a load would set its times, a removal would write a journal record
 * into it and truncate it). */
static void
test_object_lock_link (HostileFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;

  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 3, 2000);
  plant_link (fx, "objects/e0/object.lock", fx->lockfile);
  plant_link (fx, "objects/e1/object.lock", fx->passwd);
  cache = fs_test_open_cache (fx->cache_dir);

  fs_test_assert_miss (cache, "e0");
  fs_test_assert_miss (cache, "e1");
  if (fs_cache_remove (cache, "e0", NULL, &error))
    g_error ("removed an entry through a link to its lock");
  g_clear_error (&error);
  prune_all_ok (cache);
  hostile_gc_ok (cache);
  hostile_exercise (cache, "e1");
  hostile_exercise (cache, "e0");
}

/* objects/NAME/object.info -> a valid object.info outside. */
static void
test_object_info_link (HostileFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCache) cache = NULL;
  g_autofree char *info = g_build_filename (fx->fake_entry, "object.info", NULL);

  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 2, 2000);
  plant_link (fx, "objects/e0/object.info", info);
  hostile_tolerate_warnings (fx);
  cache = fs_test_open_cache (fx->cache_dir);

  fs_test_assert_miss (cache, "e0");
  g_assert_false (listed (cache, "e0"));
  hostile_gc_ok (cache);
  prune_all_ok (cache);
  hostile_exercise (cache, "e0");
  /* what is left is consistent once idle */
  fs_cache_close (cache);
  g_clear_object (&cache);
  cache = fs_test_open_cache (fx->cache_dir);
  hostile_gc_ok (cache);
  hostile_assert_consistent (fx->cache_dir);
}

/* Metadata files of the cache replaced by links to a file outside (the
 * stand-in for /etc/passwd): opening may fail, stores may fail, but the
 * file outside is never read as metadata, never written, never truncated,
 * and nothing is left behind by the failures. */
static void
test_meta_link (HostileFixture *fx, gconstpointer user_data)
{
  const char *rel = user_data;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;

  hostile_make_cache (fx, 20000, 4, 2000);
  plant_link (fx, rel, fx->passwd);
  hostile_tolerate_warnings (fx);

  cache = fs_cache_new_for_path (FS_TEST_APP_ID, fx->cache_dir, NULL, &error);
  if (cache == NULL)
    {
      g_test_message ("open with %s -> outside: %s", rel, error->message);
      g_assert_true (error->domain == G_IO_ERROR || error->domain == FS_CACHE_ERROR);
      return;
    }
  for (int i = 0; i < 12; i++)
    {
      g_autofree char *name = g_strdup_printf ("n%d", i);
      int status = hostile_try_store (cache, name, 3000, &error);
      if (status < 0)
        g_test_message ("store with %s -> outside: %s", rel, error->message);
      g_clear_error (&error);
    }
  hostile_exercise (cache, "e1");
  {
    g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
    fs_cache_info_set_maximum_size (info, 30000);
    if (!fs_cache_set_info (cache, info, NULL, &error))
      g_test_message ("set_info with %s -> outside: %s", rel, error->message);
    g_clear_error (&error);
  }
  fs_cache_close (cache);
  g_clear_object (&cache);

  /* Once the link is gone, a lone open and a garbage collection leave an
   * exact, clean cache: whatever the failures above left (an eviction
   * whose accounting failed keeps its records for recovery) is repaired. */
  {
    g_autofree char *path = hostile_cache_path (fx, rel);
    g_assert_cmpint (g_unlink (path), ==, 0);
  }
  cache = fs_test_open_cache (fx->cache_dir);
  hostile_gc_ok (cache);
  hostile_assert_consistent (fx->cache_dir);
}

/* A link planted as a journal record (journal/uuid-X -> a file outside):
 * recovery must neither follow it nor give up on it — a cache that can no
 * longer evict can no longer store once full. */
static void
test_journal_record_link (HostileFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;
  guint stored = 0;

  hostile_make_cache (fx, 40000, 4, 6000);
  plant_link (fx, "journal/uuid-0123456789abcdef0123456789abcdef", fx->lockfile);
  plant_link (fx, "journal/uuid-fedcba9876543210fedcba9876543210", fx->passwd);
  hostile_tolerate_warnings (fx);
  cache = fs_test_open_cache (fx->cache_dir);

  /* The cache is full: these stores must evict, which recovers first. */
  for (int i = 0; i < 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("n%d", i);
      int status = hostile_try_store (cache, name, 6000, &error);
      g_assert_no_error (error);
      if (status == FS_CACHE_COMMIT_STORED)
        stored++;
    }
  g_assert_cmpuint (stored, ==, 8);
  hostile_gc_ok (cache);
  prune_all_ok (cache);
}

/* Anonymous names planted as links: objects/uuid-X and stage/uuid-X ->
 * directories outside. Sweeping must not delete through them. */
static void
test_anonymous_links (HostileFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCache) cache = NULL;

  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 2, 2000);
  plant_link (fx, "objects/uuid-0123456789abcdef0123456789abcdef", fx->fake_entry);
  plant_link (fx, "stage/uuid-0123456789abcdef0123456789abcdef", fx->fake_entry);
  plant_link (fx, "objects/uuid-11111111111111111111111111111111", fx->passwd);
  plant_link (fx, "stage/uuid-22222222222222222222222222222222", fx->passwd);
  /* an idle open recovers */
  cache = fs_test_open_cache (fx->cache_dir);
  hostile_gc_ok (cache);
  prune_all_ok (cache);
  hostile_exercise (cache, "e0");
  g_test_message ("links left: objects %d %d, stage %d %d",
                  is_symlink (fx, "objects/uuid-0123456789abcdef0123456789abcdef"),
                  is_symlink (fx, "objects/uuid-11111111111111111111111111111111"),
                  is_symlink (fx, "stage/uuid-0123456789abcdef0123456789abcdef"),
                  is_symlink (fx, "stage/uuid-22222222222222222222222222222222"));
}

/* The folders of the cache replaced by links to folders outside. */
static void
test_area_link (HostileFixture *fx, gconstpointer user_data)
{
  const char *rel = user_data;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;

  /* The folder outside holds an entry-looking directory ("entry"). */
  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 2, 2000);
  plant_link (fx, rel, fx->outside);
  hostile_tolerate_warnings (fx);

  cache = fs_cache_new_for_path (FS_TEST_APP_ID, fx->cache_dir, NULL, &error);
  if (cache == NULL)
    {
      g_test_message ("open with %s -> outside: %s", rel, error->message);
      return;
    }
  fs_test_assert_miss (cache, "entry");
  hostile_exercise (cache, "entry");
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("n%d", i);
      if (hostile_try_store (cache, name, 1000, &error) < 0)
        g_test_message ("store with %s -> outside: %s", rel, error->message);
      g_clear_error (&error);
    }
}

/* Link loops and dangling links where entries are. */
static void
test_loops (HostileFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCache) cache = NULL;
  g_autofree char *self = hostile_cache_path (fx, "objects/loop");
  g_autofree char *a = hostile_cache_path (fx, "objects/a");
  g_autofree char *b = hostile_cache_path (fx, "objects/b");

  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 1, 2000);
  g_assert_cmpint (symlink ("loop", self), ==, 0);
  g_assert_cmpint (symlink ("b", a), ==, 0);
  g_assert_cmpint (symlink ("a", b), ==, 0);
  plant_link (fx, "objects/dangling", "/nonexistent/fscache/target");
  plant_link (fx, "objects/e0/data", "data"); /* self-loop inside an entry */
  cache = fs_test_open_cache (fx->cache_dir);

  fs_test_assert_miss (cache, "loop");
  fs_test_assert_miss (cache, "a");
  fs_test_assert_miss (cache, "dangling");
  hostile_gc_ok (cache);
  prune_all_ok (cache);
  hostile_exercise (cache, "loop");
  hostile_exercise (cache, "e0");
  hostile_assert_consistent (fx->cache_dir);
}

int
main (int argc, char **argv)
{
  static const char *const meta[] = {
    "cache.size", "journal/size.intent", "cache.info",
    "cache.lock", "CACHEDIR.TAG",        "journal/evict.lock",
  };
  static const char *const areas[] = { "objects", "journal" };

  g_test_init (&argc, &argv, NULL);

  g_test_add ("/hostile/links/objects-name-to-outside", HostileFixture, NULL, hostile_setup,
              test_entry_dir_link, hostile_teardown);
  g_test_add ("/hostile/links/data-to-outside", HostileFixture, NULL, hostile_setup, test_data_link,
              hostile_teardown);
  g_test_add ("/hostile/links/links-inside-a-stored-tree", HostileFixture, NULL, hostile_setup,
              test_links_inside_tree, hostile_teardown);
  g_test_add ("/hostile/links/object-lock-to-outside", HostileFixture, NULL, hostile_setup,
              test_object_lock_link, hostile_teardown);
  g_test_add ("/hostile/links/object-info-to-outside", HostileFixture, NULL, hostile_setup,
              test_object_info_link, hostile_teardown);
  for (gsize i = 0; i < G_N_ELEMENTS (meta); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hostile/links/meta-to-outside/%s", meta[i]);
      g_test_add (path, HostileFixture, meta[i], hostile_setup, test_meta_link, hostile_teardown);
    }
  g_test_add ("/hostile/links/journal-record-to-outside", HostileFixture, NULL, hostile_setup,
              test_journal_record_link, hostile_teardown);
  g_test_add ("/hostile/links/anonymous-to-outside", HostileFixture, NULL, hostile_setup,
              test_anonymous_links, hostile_teardown);
  for (gsize i = 0; i < G_N_ELEMENTS (areas); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hostile/links/folder-to-outside/%s", areas[i]);
      g_test_add (path, HostileFixture, areas[i], hostile_setup, test_area_link, hostile_teardown);
    }
  g_test_add ("/hostile/links/loops-and-dangling", HostileFixture, NULL, hostile_setup, test_loops,
              hostile_teardown);
  return g_test_run ();
}
