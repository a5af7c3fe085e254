/* test-names.c: entry names (DESIGN §4, "Names")
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "fs-test-util.h"

/* Names refused by every call; built at run time for the long ones. */
static GPtrArray *
invalid_names (void)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  static const char *const fixed[] = {
    "",
    "/",
    "a/b",
    "/abs",
    "trailing/",
    ".",
    "..",
    "../x",
    "./x",
    "x/..",
    "../../../../etc/passwd",
    "uuid-",
    "uuid-x",
    "uuid-0123456789abcdef0123456789abcdef",
    "\xff",         /* invalid UTF-8 */
    "ab\xc3",       /* truncated sequence */
    "\xc0\xaf",     /* overlong encoding of '/' */
    "\xed\xa0\x80", /* UTF-16 surrogate */
    "caf\xe9",      /* Latin-1 */
  };
  char *s;

  for (gsize i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (names, g_strdup (fixed[i]));

  /* 256 bytes */
  s = g_malloc (257);
  memset (s, 'a', 256);
  s[256] = '\0';
  g_ptr_array_add (names, s);

  /* 256 bytes of valid multi-byte UTF-8 (128 × "é") */
  s = g_malloc (257);
  for (int i = 0; i < 128; i++)
    memcpy (s + 2 * i, "\xc3\xa9", 2);
  s[256] = '\0';
  g_ptr_array_add (names, s);

  /* very long */
  s = g_malloc (5001);
  memset (s, 'b', 5000);
  s[5000] = '\0';
  g_ptr_array_add (names, s);

  /* 255 bytes whose last character is cut: invalid UTF-8 */
  s = g_malloc (256);
  memset (s, 'c', 254);
  s[254] = '\xc3';
  s[255] = '\0';
  g_ptr_array_add (names, s);

  return names;
}

static char *
printable (const char *name)
{
  gsize len = strlen (name);
  g_autofree char *escaped = g_strescape (name, NULL);

  if (len > 40)
    return g_strdup_printf ("(%zu bytes) %.40s…", len, escaped);
  return g_strdup_printf ("'%s'", escaped);
}

static void
test_is_valid_refuses (void)
{
  g_autoptr (GPtrArray) names = invalid_names ();

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autofree char *shown = printable (name);
      g_autoptr (GError) error = NULL;

      g_test_message ("name %s", shown);
      g_assert_false (fs_cache_name_is_valid (name, &error));
      g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME);
      g_assert_nonnull (error->message);
      /* and with no GError */
      g_assert_false (fs_cache_name_is_valid (name, NULL));
    }
}

static void
test_is_valid_accepts (void)
{
  g_autofree char *max = g_malloc (256);
  g_autofree char *max_utf8 = g_malloc (256);
  const char *const valid[] = {
    "a",
    "x",
    "uuid",
    "uuidx",
    "UUID-x",
    "xuuid-",
    "...",
    ".hidden",
    "a.b",
    "with space",
    "na\xc3\xafve-\xe6\x97\xa5\xe6\x9c\xac", /* "naïve-日本" */
    "sha256:0123456789abcdef",
    max,
    max_utf8,
  };

  memset (max, 'a', 255);
  max[255] = '\0';
  /* 85 × "日" (3 bytes each) = 255 bytes */
  for (int i = 0; i < 85; i++)
    memcpy (max_utf8 + 3 * i, "\xe6\x97\xa5", 3);
  max_utf8[255] = '\0';
  g_assert_cmpuint (strlen (max), ==, 255);
  g_assert_cmpuint (strlen (max_utf8), ==, 255);

  for (gsize i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autofree char *shown = printable (valid[i]);
      g_autoptr (GError) error = NULL;

      g_test_message ("name %s", shown);
      g_assert_true (fs_cache_name_is_valid (valid[i], &error));
      g_assert_no_error (error);
    }
}

/* load() and store() refuse every invalid name, and touch nothing anywhere. */
static void
test_load_store_refuse (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (GPtrArray) names = invalid_names ();
  g_autofree char *before = fs_test_snapshot (fx->tmpdir);
  g_autofree char *after = NULL;

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autofree char *shown = printable (name);
      g_autoptr (GError) error = NULL;
      g_autoptr (FsCacheEntry) loaded = NULL;
      g_autoptr (FsCacheEntry) stored = NULL;

      g_test_message ("name %s", shown);
      loaded = fs_cache_load (fx->cache, name, NULL, &error);
      g_assert_null (loaded);
      g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME);
      g_clear_error (&error);

      stored = fs_cache_store (fx->cache, name, NULL, &error);
      g_assert_null (stored);
      g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME);
    }

  after = fs_test_snapshot (fx->tmpdir);
  g_assert_cmpstr (before, ==, after);
  fs_test_assert_consistent (fx->cache_dir);
}

/* The longest names (255 bytes) work end to end. */
static void
test_max_length_roundtrip (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *name = g_malloc (256);
  g_autofree char *expected = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheEntry) again = NULL;
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status;

  memset (name, 'n', 255);
  name[255] = '\0';

  entry = fs_test_store_commit (fx->cache, name, 1000, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpstr (fs_cache_entry_get_name (entry), ==, name);
  expected = g_build_filename (fx->cache_dir, "objects", name, "data", NULL);
  g_assert_cmpstr (fs_cache_entry_get_path (entry), ==, expected);
  fs_cache_entry_release (entry);

  again = fs_cache_load (fx->cache, name, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fs_cache_entry_get_name (again), ==, name);
  g_assert_cmpstr (fs_cache_entry_get_path (again), ==, expected);
  fs_test_assert_consistent (fx->cache_dir);
}

/* Non-ASCII UTF-8 names work end to end. */
static void
test_utf8_roundtrip (FsTestFixture *fx, gconstpointer user_data)
{
  const char *name = "na\xc3\xafve-\xe6\x97\xa5\xe6\x9c\xac";
  g_autofree char *expected = g_build_filename (fx->cache_dir, "objects", name, "data", NULL);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheEntry) again = NULL;
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status;

  entry = fs_test_store_commit (fx->cache, name, 10, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  fs_cache_entry_release (entry);

  again = fs_cache_load (fx->cache, name, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fs_cache_entry_get_path (again), ==, expected);
  g_assert_true (g_file_test (expected, G_FILE_TEST_IS_DIR));
}

/* Lays out something that looks exactly like a committed entry at @path. */
static void
plant_fake_entry (const char *path)
{
  g_autofree char *data = g_build_filename (path, "data", NULL);
  g_autofree char *info = g_build_filename (path, "object.info", NULL);
  g_autofree char *lock = g_build_filename (path, "object.lock", NULL);
  g_autofree char *payload = g_build_filename (data, "payload", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (data, 0755), ==, 0);
  fs_test_write_file (payload, 100);
  g_file_set_contents (info,
                       "{\"size\": 8192, \"creation-boot-id\": "
                       "\"00000000000040008000000000000000\"}",
                       -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (lock, "", 0, &error);
  g_assert_no_error (error);
}

/* A name such as "../x" never reaches outside objects/, even when what it
 * would point at looks like a valid entry. */
static void
test_no_escape (FsTestFixture *fx, gconstpointer user_data)
{
  const char *const escapes[] = { "../x", "../../x", "..", "../objects/../x", "/x", "x/../../x" };
  g_autofree char *cache_x = g_build_filename (fx->cache_dir, "x", NULL);
  g_autofree char *tmp_x = g_build_filename (fx->tmpdir, "x", NULL);
  g_autofree char *expected = g_build_filename (fx->cache_dir, "objects", "x", "data", NULL);
  g_autofree char *cache_x_before = NULL;
  g_autofree char *tmp_x_before = NULL;
  g_autofree char *cache_x_after = NULL;
  g_autofree char *tmp_x_after = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  FsCacheCommitStatus status;

  /* Entry-shaped decoys beside objects/ and beside the cache. */
  plant_fake_entry (cache_x);
  plant_fake_entry (tmp_x);
  cache_x_before = fs_test_snapshot (cache_x);
  tmp_x_before = fs_test_snapshot (tmp_x);

  for (gsize i = 0; i < G_N_ELEMENTS (escapes); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (FsCacheEntry) loaded = NULL;
      g_autoptr (FsCacheEntry) stored = NULL;

      g_test_message ("name '%s'", escapes[i]);
      loaded = fs_cache_load (fx->cache, escapes[i], NULL, &error);
      g_assert_null (loaded);
      g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME);
      g_clear_error (&error);

      stored = fs_cache_store (fx->cache, escapes[i], NULL, &error);
      g_assert_null (stored);
      g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME);
    }

  /* A valid store of "x" goes into objects/x, never into the decoys. */
  entry = fs_test_store_commit (fx->cache, "x", 10, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  g_assert_cmpstr (fs_cache_entry_get_path (entry), ==, expected);
  fs_cache_entry_release (entry);

  /* The decoys were neither served nor touched. */
  cache_x_after = fs_test_snapshot (cache_x);
  tmp_x_after = fs_test_snapshot (tmp_x);
  g_assert_cmpstr (cache_x_before, ==, cache_x_after);
  g_assert_cmpstr (tmp_x_before, ==, tmp_x_after);
  fs_test_assert_consistent (fx->cache_dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/names/is-valid/refuses", test_is_valid_refuses);
  g_test_add_func ("/names/is-valid/accepts", test_is_valid_accepts);
  g_test_add ("/names/load-store-refuse", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_load_store_refuse, fs_test_fixture_teardown);
  g_test_add ("/names/max-length", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_max_length_roundtrip, fs_test_fixture_teardown);
  g_test_add ("/names/utf8", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_utf8_roundtrip, fs_test_fixture_teardown);
  g_test_add ("/names/no-escape", FsTestFixture, NULL, fs_test_fixture_setup_unlimited,
              test_no_escape, fs_test_fixture_teardown);

  return g_test_run ();
}
