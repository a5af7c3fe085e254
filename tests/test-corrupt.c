/* test-corrupt.c: corrupt metadata is never fatal (DESIGN §3, §5.5)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "fs-test-util.h"

typedef struct {
  const char *name;
  const char *contents; /* NULL: built at run time, or the file is removed */
} Variant;

/* ------------------------------------------------------------------------ */

/* Lets FsCache warnings through without aborting: for cases where the
 * contract says nothing about warning. */
static gboolean
tolerate_warnings (const char *log_domain,
                   GLogLevelFlags log_level,
                   const char *message,
                   gpointer user_data)
{
  if (g_strcmp0 (log_domain, "FsCache") == 0 && (log_level & G_LOG_LEVEL_WARNING) != 0)
    {
      g_test_message ("tolerated warning: %s", message);
      return FALSE;
    }
  return TRUE;
}

static void
count_messages (const char *log_domain,
                GLogLevelFlags log_level,
                const char *message,
                gpointer user_data)
{
  guint *count = user_data;

  (*count)++;
  g_test_message ("message: %s", message);
}

/* The fatal handler is process-wide: put the default back after each test. */
static void
corrupt_teardown (FsTestFixture *fx, gconstpointer user_data)
{
  g_test_log_set_fatal_handler (NULL, NULL);
  fs_test_fixture_teardown (fx, user_data);
}

/* Creates a version-1 cache at fx->cache_dir and closes it again. */
static void
create_cache (FsTestFixture *fx, guint64 maximum, const char *const *names, gsize n_bytes)
{
  g_autoptr (FsCache) cache = fs_test_open_cache (fx->cache_dir);

  if (maximum != 0)
    fs_test_set_maximum_size (cache, maximum);
  for (gsize i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autoptr (FsCacheEntry) entry = NULL;
      FsCacheCommitStatus status;

      entry = fs_test_store_commit (cache, names[i], n_bytes, &status);
      g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
    }
  fs_cache_close (cache);
}

static char *
deep_nesting (void)
{
  const gsize depth = 100000;
  GString *s = g_string_sized_new (2 * depth + 1);

  for (gsize i = 0; i < depth; i++)
    g_string_append_c (s, '[');
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static void
assert_info_defaults (FsTestFixture *fx, FsCache *cache)
{
  g_autofree char *info_path = g_build_filename (fx->cache_dir, "cache.info", NULL);
  g_autoptr (JsonObject) info = fs_test_read_json_object (info_path);
  g_autoptr (FsCacheInfo) cinfo = fs_test_dup_info (cache);
  JsonNode *version = json_object_get_member (info, "version");

  g_assert_nonnull (version);
  g_assert_cmpint (json_node_get_value_type (version), ==, G_TYPE_INT64);
  g_assert_cmpint (json_node_get_int (version), ==, 1);
  g_assert_false (json_object_has_member (info, "maximum-size"));

  g_assert_true (fs_cache_info_has_version (cinfo));
  g_assert_cmpint (fs_cache_info_get_version (cinfo), ==, 1);
  g_assert_false (fs_cache_info_has_maximum_size (cinfo));
}

/* ------------------------------------------------------------------------ */
/* cache.info                                                                */

static const Variant info_variants[] = {
  { "garbage", "this is not json" },
  { "empty", "" },
  { "truncated", "{\"version\": 1, \"maximum-" },
  { "array", "[1, 2, 3]" },
  { "number", "1" },
  { "null", "null" },
  { "string", "\"version\"" },
  { "binary", "\x01\x02\xff\xfe{" },
  { "deep-nesting", NULL },
};

static void
test_cache_info_corrupt (FsTestFixture *fx, gconstpointer user_data)
{
  const Variant *variant = user_data;
  g_autofree char *info_path = g_build_filename (fx->cache_dir, "cache.info", NULL);
  g_autofree char *deep = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;

  create_cache (fx, 0, NULL, 0);
  if (variant->contents != NULL)
    fs_test_write_text (info_path, variant->contents, -1);
  else
    fs_test_write_text (info_path, (deep = deep_nesting ()), -1);

  /* A message, not a warning: anyone who can write a shared cache can
   * cause it. */
  g_test_expect_message ("FsCache", G_LOG_LEVEL_MESSAGE, "*cache.info*");
  cache = fs_cache_new_for_path (FS_TEST_APP_ID, fx->cache_dir, NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_nonnull (cache);

  /* rewritten from defaults */
  assert_info_defaults (fx, cache);

  /* the cache works: configure it and store */
  fs_test_set_maximum_size (cache, FS_CACHE_SIZE_UNLIMITED);
  {
    g_autoptr (FsCacheEntry) entry = NULL;
    FsCacheCommitStatus status;

    entry = fs_test_store_commit (cache, "after", 100, &status);
    g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  }
  fs_test_assert_consistent (fx->cache_dir);

  /* and opening again says nothing (a warning would abort here) */
  {
    guint messages = 0;
    guint handler = g_log_set_handler ("FsCache", G_LOG_LEVEL_MESSAGE, count_messages, &messages);
    g_autoptr (FsCache) again = fs_test_open_cache (fx->cache_dir);
    g_autoptr (FsCacheInfo) info = fs_test_dup_info (again);

    g_log_remove_handler ("FsCache", handler);
    g_assert_cmpuint (messages, ==, 0);
    g_assert_cmpuint (fs_cache_info_get_maximum_size (info), ==, FS_CACHE_SIZE_UNLIMITED);
  }
}

/* A cache.info deleted by someone: open recreates it. */
static void
test_cache_info_missing (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *info_path = g_build_filename (fx->cache_dir, "cache.info", NULL);
  g_autoptr (FsCache) cache = NULL;

  create_cache (fx, 0, NULL, 0);
  g_assert_cmpint (g_unlink (info_path), ==, 0);

  g_test_log_set_fatal_handler (tolerate_warnings, NULL);
  cache = fs_test_open_cache (fx->cache_dir);
  assert_info_defaults (fx, cache);
}

/* ------------------------------------------------------------------------ */
/* cache.size                                                                */

static const Variant size_variants[] = {
  { "garbage", "garbage" },
  { "empty", "" },
  { "blank", "      \n" },
  { "negative", "-4096" },
  { "float", "4096.5" },
  { "overflow", "123456789012345678901234567890" },
  { "json-object", "{\"size\": 4096}" },
  { "trailing-garbage", "4096x" },
};

static void
test_cache_size_corrupt (FsTestFixture *fx, gconstpointer user_data)
{
  const Variant *variant = user_data;
  const char *const names[] = { "a", "b", NULL };
  g_autofree char *size_path = g_build_filename (fx->cache_dir, "cache.size", NULL);
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status;
  guint64 sum, used = 0;

  create_cache (fx, FS_CACHE_SIZE_UNLIMITED, names, 5000);
  fs_test_write_text (size_path, variant->contents, -1);

  /* A message, not a warning: a corrupt counter is repaired, and a warning
   * would kill programs run with G_DEBUG=fatal-warnings. */
  g_test_expect_message ("FsCache", G_LOG_LEVEL_MESSAGE, "*cache.size*");
  cache = fs_test_open_cache (fx->cache_dir);

  /* the next commit recounts */
  entry = fs_test_store_commit (cache, "c", 7000, &status);
  g_test_assert_expected_messages ();
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);

  sum = fs_test_sum_object_sizes (fx->cache_dir);
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 3);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, sum);
  fs_test_assert_consistent (fx->cache_dir);

  g_assert_true (fs_cache_get_usage (cache, &used, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (used, ==, sum);

  /* and stays exact afterwards */
  g_clear_object (&entry);
  entry = fs_test_store_commit (cache, "d", 9000, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==,
                    sum + fs_cache_entry_get_size (entry));
  fs_test_assert_consistent (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* object.info                                                               */

static const Variant object_variants[] = {
  { "garbage", "not json at all" },
  { "empty", "" },
  { "truncated", "{\"size\": 40" },
  { "array", "[]" },
  { "null", "null" },
  { "deep-nesting", NULL },
  { "missing", NULL },
};

static void
test_object_info_corrupt (FsTestFixture *fx, gconstpointer user_data)
{
  const Variant *variant = user_data;
  const char *const names[] = { "a", "b", NULL };
  g_autofree char *info_path =
    g_build_filename (fx->cache_dir, "objects", "a", "object.info", NULL);
  g_autofree char *deep = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;

  create_cache (fx, FS_CACHE_SIZE_UNLIMITED, names, 1000);
  if (g_str_equal (variant->name, "missing"))
    g_assert_cmpint (g_unlink (info_path), ==, 0);
  else if (variant->contents != NULL)
    fs_test_write_text (info_path, variant->contents, -1);
  else
    fs_test_write_text (info_path, (deep = deep_nesting ()), -1);

  g_test_log_set_fatal_handler (tolerate_warnings, NULL);
  cache = fs_test_open_cache (fx->cache_dir);

  {
    g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, "a", NULL, &error);

    g_assert_null (entry);
    g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
    g_clear_error (&error);
  }

  /* in another process too */
  {
    g_autoptr (FsTestHelper) helper = fs_test_helper_spawn ("load", fx->cache_dir, "a", NULL);
    g_autofree char *line = fs_test_helper_read_line (helper);

    g_assert_cmpstr (line, ==, "miss");
    g_assert_cmpint (fs_test_helper_wait (helper), ==, 0);
  }

  /* the other entry is unaffected */
  {
    g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, "b", NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (fs_cache_entry_get_size (entry), ==,
                      fs_test_read_object_size (fx->cache_dir, "b"));
  }

  /* storing the broken name again is not a failure either */
  {
    g_autoptr (FsCacheEntry) entry = fs_cache_store (cache, "a", NULL, &error);
    FsCacheCommitStatus status;

    g_assert_no_error (error);
    fs_test_write_entry_file (entry, "file", 10);
    status = fs_test_commit (entry);
    g_test_message ("re-store of a broken entry: %s", fs_test_status_nick (status));
  }
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
}

/* ------------------------------------------------------------------------ */
/* version                                                                   */

static void
test_incompatible_version (FsTestFixture *fx, gconstpointer user_data)
{
  const char *const names[] = { "a", NULL };
  g_autofree char *info_path = g_build_filename (fx->cache_dir, "cache.info", NULL);
  g_autofree char *stage = g_build_filename (fx->cache_dir, "stage", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (FsCacheInfo) new_info = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *entry_dir = NULL;
  g_autofree char *entry_parent = NULL;

  create_cache (fx, FS_CACHE_SIZE_UNLIMITED, names, 1000);
  fs_test_write_text (info_path,
                      "{\"version\": 2, \"maximum-size\": \"unlimited\", \"future\": true}", -1);
  before = fs_test_snapshot (fx->cache_dir);

  /* whether opening warns about the version is not specified */
  g_test_log_set_fatal_handler (tolerate_warnings, NULL);
  cache = fs_test_open_cache (fx->cache_dir);
  info = fs_test_dup_info (cache);
  g_assert_true (fs_cache_info_has_version (info));
  g_assert_cmpint (fs_cache_info_get_version (info), ==, 2);

  /* loads miss, even for an entry that is there */
  {
    g_autoptr (FsCacheEntry) miss = fs_cache_load (cache, "a", NULL, &error);

    g_assert_null (miss);
    g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
    g_clear_error (&error);
  }
  {
    g_autoptr (FsCacheEntry) miss = fs_cache_load (cache, "absent", NULL, &error);

    g_assert_null (miss);
    g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
    g_clear_error (&error);
  }

  /* a store acts like a stage; its commit says INCOMPATIBLE and drops it */
  entry = fs_cache_store (cache, "new", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (entry);
  entry_dir = g_path_get_dirname (fs_cache_entry_get_path (entry));
  entry_parent = g_path_get_dirname (entry_dir);
  g_assert_cmpstr (entry_parent, ==, stage);
  fs_test_write_entry_file (entry, "file", 5000);
  g_assert_cmpint (fs_test_commit (entry), ==, FS_CACHE_COMMIT_INCOMPATIBLE);
  g_assert_true (fs_cache_entry_is_released (entry));
  g_assert_false (g_file_test (entry_dir, G_FILE_TEST_EXISTS));

  /* the configuration can't be changed */
  g_assert_false (fs_cache_set_maximum_size (cache, 1000, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE);
  g_clear_error (&error);

  new_info = fs_cache_info_new ();
  fs_cache_info_set_maximum_size (new_info, 2000);
  g_assert_false (fs_cache_set_info (cache, new_info, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE);
  g_clear_error (&error);

  /* another process misses too */
  {
    g_autoptr (FsTestHelper) helper = fs_test_helper_spawn ("load", fx->cache_dir, "a", NULL);
    g_autofree char *line = fs_test_helper_read_line (helper);

    g_assert_cmpstr (line, ==, "miss");
    g_assert_cmpint (fs_test_helper_wait (helper), ==, 0);
  }

  fs_cache_close (cache);

  /* nothing on disk changed */
  after = fs_test_snapshot (fx->cache_dir);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpuint (fs_test_count_uuid (fx->cache_dir), ==, 0);
}

/* ------------------------------------------------------------------------ */
/* unknown keys                                                              */

static void
test_unknown_keys_kept (FsTestFixture *fx, gconstpointer user_data)
{
  const char *boot_id = "0123456789abcdef0123456789abcdef";
  g_autofree char *info_path = g_build_filename (fx->cache_dir, "cache.info", NULL);
  g_autofree char *original = g_strdup_printf (
    "{\"version\": 1, \"maximum-size\": 5, \"creation-boot-id\": \"%s\", "
    "\"x-future\": {\"nested\": [1, 2.5, {\"a\": null}, \"s\"]}, \"other\": \"value\", "
    "\"flag\": false}",
    boot_id);
  g_autoptr (JsonNode) original_node = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (FsCacheInfo) cinfo = NULL;
  const char *const kept_keys[] = { "x-future", "other", "flag", "creation-boot-id" };

  create_cache (fx, 0, NULL, 0);
  fs_test_write_text (info_path, original, -1);
  original_node = json_from_string (original, NULL);
  g_assert_nonnull (original_node);

  cache = fs_test_open_cache (fx->cache_dir);
  cinfo = fs_test_dup_info (cache);
  g_assert_cmpuint (fs_cache_info_get_maximum_size (cinfo), ==, 5);
  g_assert_cmpstr (fs_cache_info_get_creation_boot_id (cinfo), ==, boot_id);

  for (int round = 0; round < 2; round++)
    {
      g_autoptr (JsonObject) now = NULL;
      JsonObject *orig = json_node_get_object (original_node);
      JsonNode *max;

      fs_test_set_maximum_size (cache, round == 0 ? 1000 : FS_CACHE_SIZE_UNLIMITED);
      now = fs_test_read_json_object (info_path);

      g_assert_cmpint (json_object_get_int_member (now, "version"), ==, 1);
      max = json_object_get_member (now, "maximum-size");
      g_assert_nonnull (max);
      if (round == 0)
        {
          g_assert_cmpint (json_node_get_value_type (max), ==, G_TYPE_INT64);
          g_assert_cmpint (json_node_get_int (max), ==, 1000);
        }
      else
        {
          g_assert_cmpint (json_node_get_value_type (max), ==, G_TYPE_STRING);
          g_assert_cmpstr (json_node_get_string (max), ==, "unlimited");
        }

      for (gsize i = 0; i < G_N_ELEMENTS (kept_keys); i++)
        {
          JsonNode *a = json_object_get_member (orig, kept_keys[i]);
          JsonNode *b = json_object_get_member (now, kept_keys[i]);

          g_test_message ("key %s", kept_keys[i]);
          g_assert_nonnull (b);
          g_assert_true (json_node_equal (a, b));
        }
    }

  /* and a later open reads the merged result */
  {
    g_autoptr (FsCache) again = fs_test_open_cache (fx->cache_dir);
    g_autoptr (FsCacheInfo) info = fs_test_dup_info (again);

    g_assert_cmpuint (fs_cache_info_get_maximum_size (info), ==, FS_CACHE_SIZE_UNLIMITED);
    g_assert_cmpstr (fs_cache_info_get_creation_boot_id (info), ==, boot_id);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (info_variants); i++)
    {
      g_autofree char *path = g_strdup_printf ("/corrupt/cache-info/%s", info_variants[i].name);

      g_test_add (path, FsTestFixture, &info_variants[i], fs_test_fixture_setup,
                  test_cache_info_corrupt, corrupt_teardown);
    }
  g_test_add ("/corrupt/cache-info/missing", FsTestFixture, NULL, fs_test_fixture_setup,
              test_cache_info_missing, corrupt_teardown);

  for (gsize i = 0; i < G_N_ELEMENTS (size_variants); i++)
    {
      g_autofree char *path = g_strdup_printf ("/corrupt/cache-size/%s", size_variants[i].name);

      g_test_add (path, FsTestFixture, &size_variants[i], fs_test_fixture_setup,
                  test_cache_size_corrupt, corrupt_teardown);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (object_variants); i++)
    {
      g_autofree char *path = g_strdup_printf ("/corrupt/object-info/%s", object_variants[i].name);

      g_test_add (path, FsTestFixture, &object_variants[i], fs_test_fixture_setup,
                  test_object_info_corrupt, corrupt_teardown);
    }

  g_test_add ("/corrupt/version/incompatible", FsTestFixture, NULL, fs_test_fixture_setup,
              test_incompatible_version, corrupt_teardown);
  g_test_add ("/corrupt/cache-info/unknown-keys-kept", FsTestFixture, NULL, fs_test_fixture_setup,
              test_unknown_keys_kept, corrupt_teardown);

  return g_test_run ();
}
