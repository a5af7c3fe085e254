/* test-accounting.c: cache.size is exact (DESIGN §5.4)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "fs-test-util.h"

/* cache.size == Σ object.info sizes, no uuid-* left, and fs_cache_get_usage()
 * reports the same used value and @maximum. Returns the used value. */
static guint64
check (FsTestFixture *fx, guint64 maximum)
{
  g_autoptr (GError) error = NULL;
  guint64 used = G_MAXUINT64, max_out = 1;

  fs_test_assert_consistent (fx->cache_dir);
  g_assert_true (fs_cache_get_usage (fx->cache, &used, &max_out, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (used, ==, fs_test_read_cache_size (fx->cache_dir));
  g_assert_cmpuint (max_out, ==, maximum);
  return used;
}

static FsCacheEntry *
store_filled (FsTestFixture *fx, const char *name, gsize n_bytes)
{
  g_autoptr (GError) error = NULL;
  FsCacheEntry *entry;

  entry = fs_cache_store (fx->cache, name, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (entry);
  fs_test_write_entry_file (entry, "file", n_bytes);
  return entry;
}

/* Every kind of operation keeps the invariant and moves cache.size by
 * exactly what it should. */
static void
test_each_operation (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheEntry) a = NULL;
  g_autoptr (FsCacheEntry) dup = NULL;
  g_autoptr (FsCacheEntry) big = NULL;
  g_autoptr (FsCacheEntry) b = NULL;
  g_autoptr (FsCacheEntry) dropped = NULL;
  g_autoptr (FsCacheEntry) staged = NULL;
  g_autoptr (FsCacheEntry) small = NULL;
  g_autoptr (GError) error = NULL;
  guint64 used, size_a, maximum;

  used = check (fx, FS_CACHE_SIZE_UNLIMITED);
  g_assert_cmpuint (used, ==, 0);

  /* STORED adds exactly the size */
  a = store_filled (fx, "a", 100000);
  g_assert_cmpint (fs_test_commit (a), ==, FS_CACHE_COMMIT_STORED);
  size_a = fs_cache_entry_get_size (a);
  g_assert_cmpuint (size_a, ==, fs_test_tree_space (fs_cache_entry_get_path (a)));
  used = check (fx, FS_CACHE_SIZE_UNLIMITED);
  g_assert_cmpuint (used, ==, size_a);

  /* EXISTS adds nothing */
  dup = store_filled (fx, "a", 5000);
  g_assert_cmpint (fs_test_commit (dup), ==, FS_CACHE_COMMIT_EXISTS);
  g_assert_cmpuint (check (fx, FS_CACHE_SIZE_UNLIMITED), ==, size_a);

  /* "a" stays loaded from here on, so nothing can evict it */
  maximum = 2 * size_a - 4096;
  fs_test_set_maximum_size (fx->cache, maximum);
  g_assert_cmpuint (check (fx, maximum), ==, size_a);

  /* TOO_LARGE adds nothing */
  big = store_filled (fx, "big", 2 * size_a);
  g_assert_cmpint (fs_test_commit (big), ==, FS_CACHE_COMMIT_TOO_LARGE);
  g_assert_cmpuint (check (fx, maximum), ==, size_a);

  /* NO_SPACE adds nothing: "b" is as large as "a", fits alone, not beside "a" */
  b = store_filled (fx, "b", 100000);
  g_assert_cmpuint (fs_test_tree_space (fs_cache_entry_get_path (b)), <=, maximum);
  g_assert_cmpint (fs_test_commit (b), ==, FS_CACHE_COMMIT_NO_SPACE);
  g_assert_cmpuint (check (fx, maximum), ==, size_a);

  /* released without commit adds nothing */
  dropped = store_filled (fx, "dropped", 1000);
  fs_cache_entry_release (dropped);
  g_assert_cmpuint (check (fx, maximum), ==, size_a);

  /* a stage adds nothing, held or released */
  staged = fs_cache_stage (fx->cache, NULL, &error);
  g_assert_no_error (error);
  fs_test_write_entry_file (staged, "file", 50000);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, size_a);
  fs_cache_entry_release (staged);
  g_assert_cmpuint (check (fx, maximum), ==, size_a);

  /* a small entry that fits adds exactly its size */
  small = store_filled (fx, "small", 100);
  g_assert_cmpint (fs_test_commit (small), ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (check (fx, maximum), ==, size_a + fs_cache_entry_get_size (small));
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 2);
}

static void
test_usage_maximum (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *info_path = g_build_filename (fx->cache_dir, "cache.info", NULL);
  g_autoptr (GError) error = NULL;
  guint64 used = 1, maximum = 1;

  /* new cache: unset reads as 0 */
  g_assert_true (fs_cache_get_usage (fx->cache, &used, &maximum, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (used, ==, 0);
  g_assert_cmpuint (maximum, ==, 0);

  /* out parameters are optional */
  g_assert_true (fs_cache_get_usage (fx->cache, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  fs_test_set_maximum_size (fx->cache, FS_CACHE_SIZE_UNLIMITED);
  g_assert_true (fs_cache_get_usage (fx->cache, &used, &maximum, NULL, &error));
  g_assert_cmpuint (maximum, ==, G_MAXUINT64);
  {
    g_autoptr (JsonObject) info = fs_test_read_json_object (info_path);
    g_autoptr (FsCacheInfo) cinfo = fs_test_dup_info (fx->cache);

    g_assert_cmpstr (json_object_get_string_member (info, "maximum-size"), ==, "unlimited");
    g_assert_true (fs_cache_info_has_maximum_size (cinfo));
    g_assert_cmpuint (fs_cache_info_get_maximum_size (cinfo), ==, FS_CACHE_SIZE_UNLIMITED);
  }

  fs_test_set_maximum_size (fx->cache, 123456789);
  g_assert_true (fs_cache_get_usage (fx->cache, &used, &maximum, NULL, &error));
  g_assert_cmpuint (maximum, ==, 123456789);
  {
    g_autoptr (JsonObject) info = fs_test_read_json_object (info_path);
    JsonNode *node = json_object_get_member (info, "maximum-size");
    g_autoptr (FsCacheInfo) cinfo = fs_test_dup_info (fx->cache);

    g_assert_nonnull (node);
    g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
    g_assert_cmpint (json_node_get_int (node), ==, 123456789);
    g_assert_cmpint (json_object_get_int_member (info, "version"), ==, 1);
    g_assert_true (fs_cache_info_has_maximum_size (cinfo));
    g_assert_cmpuint (fs_cache_info_get_maximum_size (cinfo), ==, 123456789);
  }

  /* another process' view: a new FsCache on the same directory */
  {
    g_autoptr (FsCache) other = fs_test_open_cache (fx->cache_dir);

    g_assert_true (fs_cache_get_usage (other, &used, &maximum, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (maximum, ==, 123456789);
  }
}

/* cache.size written by osbuild (just the number, no padding) is read and
 * updated correctly. */
static void
test_osbuild_size_format (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *size_path = g_build_filename (fx->cache_dir, "cache.size", NULL);
  const char *const suffixes[] = { "", "\n" };
  guint64 expected = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autoptr (FsCacheEntry) e = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *name = g_strdup_printf ("e%zu", i);
      g_autofree char *text = NULL;
      guint64 used = 0;

      e = store_filled (fx, name, 3000 + 1000 * i);
      g_assert_cmpint (fs_test_commit (e), ==, FS_CACHE_COMMIT_STORED);
      expected += fs_cache_entry_get_size (e);
      fs_test_assert_consistent (fx->cache_dir);

      /* rewrite it the way osbuild does */
      text = g_strdup_printf ("%" G_GUINT64_FORMAT "%s", expected, suffixes[i]);
      g_file_set_contents (size_path, text, -1, &error);
      g_assert_no_error (error);

      g_assert_true (fs_cache_get_usage (fx->cache, &used, NULL, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (used, ==, expected);
    }

  /* and a further commit adds to it */
  {
    g_autoptr (FsCacheEntry) last = store_filled (fx, "last", 20000);

    g_assert_cmpint (fs_test_commit (last), ==, FS_CACHE_COMMIT_STORED);
    expected += fs_cache_entry_get_size (last);
    g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, expected);
    fs_test_assert_consistent (fx->cache_dir);
  }
}

/* Fills @entry with a random small tree. */
static void
fill_random (FsCacheEntry *entry)
{
  int n_files = g_test_rand_int_range (0, 4);

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *rel = NULL;

      if (g_test_rand_bit ())
        rel = g_strdup_printf ("f%d", i);
      else
        rel = g_strdup_printf ("d%d/sub/f%d", g_test_rand_int_range (0, 3), i);
      fs_test_write_entry_file (entry, rel, (gsize) g_test_rand_int_range (0, 30000));
    }
}

static void
test_random (FsTestFixture *fx, gconstpointer user_data)
{
  enum { N_OPS = 200, N_NAMES = 24, MAX_HELD = 4 };
  g_autoptr (GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  guint64 maximum = FS_CACHE_SIZE_UNLIMITED;
  guint counts[8] = { 0 };

  for (int op = 0; op < N_OPS; op++)
    {
      g_autofree char *name = g_strdup_printf ("n%d", g_test_rand_int_range (0, N_NAMES));
      g_autoptr (GError) error = NULL;
      guint64 used_before;
      int kind = g_test_rand_int_range (0, 8);

      if (op == N_OPS / 2)
        {
          /* second half: a finite maximum, a little above what is used */
          maximum = fs_test_read_cache_size (fx->cache_dir) + 200000;
          fs_test_set_maximum_size (fx->cache, maximum);
        }
      used_before = fs_test_read_cache_size (fx->cache_dir);
      counts[kind]++;

      switch (kind)
        {
        case 0:
        case 1:
        case 2:
          {
            /* store a name; EXISTS when it is there (held while we commit so it
             * can't go away), else STORED, or NO_SPACE if it can't fit */
            g_autoptr (FsCacheEntry) present = fs_cache_load (fx->cache, name, NULL, NULL);
            g_autoptr (FsCacheEntry) entry = NULL;
            FsCacheCommitStatus status;
            guint64 space, used_after;

            entry = fs_cache_store (fx->cache, name, NULL, &error);
            g_assert_no_error (error);
            fill_random (entry);
            space = fs_test_tree_space (fs_cache_entry_get_path (entry));
            status = fs_test_commit (entry);
            used_after = fs_test_read_cache_size (fx->cache_dir);
            g_test_message ("op %d: store %s (%" G_GUINT64_FORMAT ") -> %s", op, name, space,
                            fs_test_status_nick (status));

            if (present != NULL && used_before + space <= maximum)
              {
                g_assert_cmpint (status, ==, FS_CACHE_COMMIT_EXISTS);
                g_assert_cmpuint (used_after, ==, used_before);
              }
            else if (present != NULL)
              {
                /* the name exists and the entry would not fit either: which
                 * of the two is checked first is not specified */
                g_assert_true (status == FS_CACHE_COMMIT_EXISTS ||
                               status == FS_CACHE_COMMIT_NO_SPACE);
                g_assert_cmpuint (used_after, <=, used_before);
              }
            else if (space > maximum)
              {
                g_assert_cmpint (status, ==, FS_CACHE_COMMIT_TOO_LARGE);
                g_assert_cmpuint (used_after, ==, used_before);
              }
            else if (used_before + space <= maximum)
              {
                g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
                g_assert_cmpuint (fs_cache_entry_get_size (entry), ==, space);
                g_assert_cmpuint (used_after, ==, used_before + space);
              }
            else
              {
                /* does not fit beside what is there: NO_SPACE, or STORED
                 * after eviction made room */
                g_assert_true (status == FS_CACHE_COMMIT_NO_SPACE ||
                               status == FS_CACHE_COMMIT_STORED);
                if (status == FS_CACHE_COMMIT_NO_SPACE)
                  g_assert_cmpuint (used_after, ==, used_before);
                else
                  g_assert_cmpuint (fs_cache_entry_get_size (entry), ==, space);
              }

            if (status == FS_CACHE_COMMIT_STORED)
              {
                g_assert_cmpint (fs_cache_entry_get_kind (entry), ==, FS_CACHE_ENTRY_KIND_LOADED);
                if (held->len < MAX_HELD && g_test_rand_bit ())
                  g_ptr_array_add (held, g_steal_pointer (&entry));
              }
            else
              {
                g_assert_true (fs_cache_entry_is_released (entry));
              }
          }
          break;

        case 3:
          {
            /* store, fill, release without commit */
            g_autoptr (FsCacheEntry) entry = fs_cache_store (fx->cache, name, NULL, &error);

            g_assert_no_error (error);
            fill_random (entry);
            fs_cache_entry_release (entry);
            g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, used_before);
          }
          break;

        case 4:
          {
            /* stage, fill, release */
            g_autoptr (FsCacheEntry) entry = fs_cache_stage (fx->cache, NULL, &error);

            g_assert_no_error (error);
            fill_random (entry);
            g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, used_before);
            fs_cache_entry_release (entry);
            g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, used_before);
          }
          break;

        case 5:
          {
            /* load; a hit carries the size of its object.info */
            g_autoptr (FsCacheEntry) entry = fs_cache_load (fx->cache, name, NULL, &error);

            if (entry == NULL)
              {
                g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
              }
            else
              {
                g_assert_no_error (error);
                g_assert_cmpuint (fs_cache_entry_get_size (entry), ==,
                                  fs_test_read_object_size (fx->cache_dir, name));
                if (held->len < MAX_HELD)
                  g_ptr_array_add (held, g_steal_pointer (&entry));
              }
            g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, used_before);
          }
          break;

        case 6:
          /* release a held entry */
          if (held->len > 0)
            g_ptr_array_remove_index_fast (held,
                                           (guint) g_test_rand_int_range (0, (gint32) held->len));
          g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, used_before);
          break;

        case 7:
          {
            /* an entry larger than the maximum (only meaningful when finite) */
            if (maximum != FS_CACHE_SIZE_UNLIMITED)
              {
                g_autofree char *big = g_strdup_printf ("big-%d", op);
                g_autoptr (FsCacheEntry) entry = store_filled (fx, big, (gsize) maximum + 1);

                g_assert_cmpint (fs_test_commit (entry), ==, FS_CACHE_COMMIT_TOO_LARGE);
                g_assert_true (fs_cache_entry_is_released (entry));
              }
            g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, used_before);
          }
          break;

        default:
          g_assert_not_reached ();
        }

      check (fx, maximum);
      if (maximum != FS_CACHE_SIZE_UNLIMITED)
        g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), <=, maximum);
    }

  g_ptr_array_set_size (held, 0);
  check (fx, maximum);
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (counts); i++)
    g_test_message ("operation %zu: %u times", i, counts[i]);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/accounting/each-operation", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_each_operation, fs_test_fixture_teardown);
  g_test_add ("/accounting/usage-maximum", FsTestFixture, NULL, fs_test_fixture_setup_cache,
              test_usage_maximum, fs_test_fixture_teardown);
  g_test_add ("/accounting/osbuild-size-format", FsTestFixture, NULL,
              fs_test_fixture_setup_unlimited, test_osbuild_size_format, fs_test_fixture_teardown);
  g_test_add ("/accounting/random", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_random, fs_test_fixture_teardown);

  return g_test_run ();
}
