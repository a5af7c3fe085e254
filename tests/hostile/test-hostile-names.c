/* test-hostile-names.c: hostile entry names through every call that takes one
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * DESIGN §4 "Names": 1–255 bytes of valid UTF-8, no "/", not "." or "..",
 * not starting with "uuid-". An invalid name is refused by every call with
 * FS_CACHE_ERROR_INVALID_NAME before anything on disk changes; every valid
 * name, however odd (255 bytes, newlines, format directives, control
 * characters), works end to end, journal records and crash recovery
 * included, and never reaches outside objects/.
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "hostile-util.h"

static GPtrArray *
invalid_names (void)
{
  static const char *const fixed[] = {
    "",
    "/",
    "//",
    "a/b",
    "/abs",
    "trailing/",
    ".",
    "..",
    "../x",
    "./x",
    "x/..",
    "x/../..",
    "../../../../../../../../etc/passwd",
    "..\xe2\x81\x84x", /* valid: U+2044 FRACTION SLASH is not "/" — checked below as valid */
    "uuid-",
    "uuid-x",
    "uuid-0123456789abcdef0123456789abcdef",
    "uuid-../../x",
    "\xff",
    "\xfe\xff",
    "ab\xc3",
    "\xc0\xaf",         /* overlong "/" */
    "\xc0\xae\xc0\xae", /* overlong ".." */
    "\xe0\x80\xaf",     /* overlong "/" in three bytes */
    "\xed\xa0\x80",     /* surrogate */
    "\xf4\x90\x80\x80", /* beyond U+10FFFF */
    "caf\xe9",
    "a\x80",
  };
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  char *s;

  for (gsize i = 0; i < G_N_ELEMENTS (fixed); i++)
    if (i != 13)
      g_ptr_array_add (names, g_strdup (fixed[i]));

  s = g_malloc0 (257); /* 256 bytes */
  memset (s, 'a', 256);
  g_ptr_array_add (names, s);
  s = g_malloc0 (257); /* 256 bytes of "é" */
  for (int i = 0; i < 128; i++)
    memcpy (s + 2 * i, "\xc3\xa9", 2);
  g_ptr_array_add (names, s);
  s = g_malloc0 (258); /* 255 bytes of "€" + 2: 257 bytes */
  for (int i = 0; i < 85; i++)
    memcpy (s + 3 * i, "\xe2\x82\xac", 3);
  memcpy (s + 255, "ab", 2);
  g_ptr_array_add (names, s);
  s = g_malloc0 (256); /* 255 bytes ending in a cut character */
  memset (s, 'c', 254);
  s[254] = '\xe2';
  g_ptr_array_add (names, s);
  s = g_malloc0 (65537); /* very long */
  memset (s, 'd', 65536);
  g_ptr_array_add (names, s);
  s = g_malloc0 (300); /* long, with a slash beyond 255 bytes */
  memset (s, 'e', 299);
  s[280] = '/';
  g_ptr_array_add (names, s);
  return names;
}

static GPtrArray *
valid_names (void)
{
  static const char *const fixed[] = {
    "a",
    "a..",
    "x.",
    " ",
    " leading and trailing ",
    "-rf",
    "--",
    "a\nb",
    "a\n1 remove 99999999\nb", /* looks like a journal record */
    "\n",
    "\t\r\v\f",
    "\x01\x02\x1f\x7f",
    "%s%s%s%n%n%x",
    "${HOME}$(id)`id`",
    "*?[]{}~",
    "\\",
    "a\\..\\b",
    "objects",
    "stage",
    "journal",
    "cache.size",
    "object.info",
    "data",
    "UUID-x",
    "uuid",
    "uuid_x",
    " uuid-x",
    "xuuid-",
    "\xef\xbc\x8f",                 /* U+FF0F FULLWIDTH SOLIDUS */
    "\xe2\x80\xae\x74\x78\x74",     /* right-to-left override */
    "\xef\xbb\xbf\x62om",           /* byte-order mark */
    "\xf0\x9f\x97\x83\xef\xb8\x8f", /* emoji + variation selector */
    "\xe2\x80\x8b",                 /* zero-width space only */
  };
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  char *s;

  for (gsize i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (names, g_strdup (fixed[i]));
  s = g_malloc0 (256); /* 255 bytes */
  memset (s, 'z', 255);
  g_ptr_array_add (names, s);
  s = g_malloc0 (256); /* 255 bytes of "€" */
  for (int i = 0; i < 85; i++)
    memcpy (s + 3 * i, "\xe2\x82\xac", 3);
  g_ptr_array_add (names, s);
  s = g_malloc0 (256); /* 255 bytes: 127 × "é" + "." */
  for (int i = 0; i < 127; i++)
    memcpy (s + 2 * i, "\xc3\xa9", 2);
  s[254] = '.';
  g_ptr_array_add (names, s);
  s = g_malloc0 (256); /* 255 bytes of 4-byte characters and 3 ASCII */
  for (int i = 0; i < 63; i++)
    memcpy (s + 4 * i, "\xf0\x9f\x97\x83", 4);
  memcpy (s + 252, "abc", 3);
  g_ptr_array_add (names, s);
  return names;
}

static char *
shown (const char *name)
{
  g_autofree char *escaped = g_strescape (name, NULL);

  if (strlen (escaped) > 48)
    return g_strdup_printf ("(%zu bytes) %.48s…", strlen (name), escaped);
  return g_strdup_printf ("“%s”", escaped);
}

static void
got_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
assert_invalid (GError *error, const char *what, const char *name)
{
  g_autofree char *s = shown (name);

  if (!g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME))
    g_error ("%s %s: expected INVALID_NAME, got %s", what, s, error ? error->message : "success");
  /* The message shows valid UTF-8 only, whatever the name was. */
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* Every call refuses every invalid name, and nothing on disk changes. */
static void
test_invalid_everywhere (HostileFixture *fx, gconstpointer user_data)
{
  g_autoptr (GPtrArray) names = invalid_names ();
  g_autoptr (FsCache) cache = NULL;
  g_autofree char *before = NULL;
  g_autofree char *source = g_build_filename (fx->outside, "etc", NULL);
  g_autoptr (GFile) source_file = g_file_new_for_path (source);

  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 2, 1000);
  cache = fs_test_open_cache (fx->cache_dir);
  before = hostile_cache_listing (fx->cache_dir);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autoptr (GError) error = NULL;
      FsCacheCommitStatus status;
      GAsyncResult *res = NULL;

      g_assert_false (fs_cache_name_is_valid (name, &error));
      assert_invalid (error, "name_is_valid", name);
      g_clear_error (&error);

      g_assert_null (fs_cache_load (cache, name, NULL, &error));
      assert_invalid (error, "load", name);
      g_clear_error (&error);

      g_assert_null (fs_cache_store (cache, name, NULL, &error));
      assert_invalid (error, "store", name);
      g_clear_error (&error);

      g_assert_false (fs_cache_remove (cache, name, NULL, &error));
      assert_invalid (error, "remove", name);
      g_clear_error (&error);

      g_assert_false (fs_cache_store_tree (cache, name, source_file, FS_CACHE_STORE_NONE, NULL,
                                           NULL, &status, NULL, &error));
      assert_invalid (error, "store_tree", name);
      g_clear_error (&error);

      /* MOVE must not move anything either */
      g_assert_false (fs_cache_store_tree (cache, name, source_file, FS_CACHE_STORE_MOVE, NULL,
                                           NULL, &status, NULL, &error));
      assert_invalid (error, "store_tree (move)", name);
      g_clear_error (&error);

      fs_cache_load_async (cache, name, G_PRIORITY_DEFAULT, NULL, got_result, &res);
      g_assert_null (fs_cache_load_finish (cache, wait_for (&res), &error));
      assert_invalid (error, "load_async", name);
      g_clear_error (&error);
      g_clear_object (&res);

      fs_cache_store_async (cache, name, G_PRIORITY_DEFAULT, NULL, got_result, &res);
      g_assert_null (fs_cache_store_finish (cache, wait_for (&res), &error));
      assert_invalid (error, "store_async", name);
      g_clear_error (&error);
      g_clear_object (&res);

      fs_cache_remove_async (cache, name, G_PRIORITY_DEFAULT, NULL, got_result, &res);
      g_assert_false (fs_cache_remove_finish (cache, wait_for (&res), &error));
      assert_invalid (error, "remove_async", name);
      g_clear_error (&error);
      g_clear_object (&res);
    }

  {
    g_autofree char *after = hostile_cache_listing (fx->cache_dir);
    g_assert_cmpstr (after, ==, before);
  }
  fs_test_assert_consistent (fx->cache_dir);
}

/* Every valid name works end to end, at objects/NAME exactly. */
static void
test_valid_edge_names (HostileFixture *fx, gconstpointer user_data)
{
  g_autoptr (GPtrArray) names = valid_names ();
  g_autoptr (FsCache) cache = NULL;

  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 0, 0);
  cache = fs_test_open_cache (fx->cache_dir);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autofree char *s = shown (name);
      g_autofree char *dir = g_build_filename (fx->cache_dir, "objects", name, NULL);
      g_autofree char *data = g_build_filename (dir, "data", NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (FsCacheEntry) entry = NULL;
      g_autoptr (GListModel) list = NULL;
      FsCacheCommitStatus status;
      gboolean listed = FALSE;

      g_test_message ("name %s", s);
      g_assert_true (fs_cache_name_is_valid (name, &error));
      g_assert_no_error (error);

      entry = fs_test_store_commit (cache, name, 1000, &status);
      g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
      g_assert_cmpstr (fs_cache_entry_get_name (entry), ==, name);
      g_assert_cmpstr (fs_cache_entry_get_path (entry), ==, data);
      g_clear_object (&entry);
      g_assert_true (g_file_test (data, G_FILE_TEST_IS_DIR));

      entry = fs_cache_load (cache, name, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (fs_cache_entry_get_name (entry), ==, name);
      g_assert_cmpstr (fs_cache_entry_get_path (entry), ==, data);
      g_clear_object (&entry);

      /* A second store of the name: EXISTS, nothing left. */
      entry = fs_test_store_commit (cache, name, 10, &status);
      g_assert_cmpint (status, ==, FS_CACHE_COMMIT_EXISTS);
      g_clear_object (&entry);

      list = fs_cache_list (cache, NULL, &error);
      g_assert_no_error (error);
      for (guint k = 0; k < g_list_model_get_n_items (list); k++)
        {
          g_autoptr (FsCacheItem) item = g_list_model_get_item (list, k);
          if (g_strcmp0 (fs_cache_item_get_name (item), name) == 0)
            listed = TRUE;
        }
      g_assert_true (listed);
      fs_test_assert_consistent (fx->cache_dir);

      g_assert_true (fs_cache_remove (cache, name, NULL, &error));
      g_assert_no_error (error);
      g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
      fs_test_assert_consistent (fx->cache_dir);
    }
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 0);
  g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==, 0);
}

/* Names starting with a dot are valid names (DESIGN §4 refuses only "."
 * and ".."): they must be listed, evictable and counted by a recount like
 * any other entry — an entry that can't be evicted fills the cache for
 * good, and one a recount skips makes the counter drift. */
static void
test_dot_names (HostileFixture *fx, gconstpointer user_data)
{
  static const char *const names[] = { ".hidden", "...", "..a", ".e", "..\xe2\x81\x84x" };
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) list = NULL;
  gint64 correction = 0;
  guint evicted = 0;

  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 1, 1000);
  cache = fs_test_open_cache (fx->cache_dir);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (FsCacheEntry) entry = NULL;
      FsCacheCommitStatus status;

      entry = fs_test_store_commit (cache, names[i], 1000, &status);
      g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
    }
  fs_test_assert_consistent (fx->cache_dir);

  /* listed */
  list = fs_cache_list (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 1 + G_N_ELEMENTS (names));

  /* counted by the exact recount of an idle garbage collection */
  g_assert_true (fs_cache_collect_garbage (cache, FS_CACHE_MAINTENANCE_NONE, NULL, NULL,
                                           &correction, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (correction, ==, 0);
  fs_test_assert_consistent (fx->cache_dir);

  /* evictable */
  g_assert_true (
    fs_cache_prune (cache, 0, FS_CACHE_MAINTENANCE_NONE, &evicted, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (evicted, ==, 1 + G_N_ELEMENTS (names));
  g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), ==, 0);
  fs_test_assert_consistent (fx->cache_dir);
}

/* A store or a removal of an odd name killed at each step, then a lone
 * open: the journal record holds the name (newlines and all); recovery
 * must find it again and leave exact accounting. */
static const char *const crash_points[] = {
  "anon-record", "commit-record", "commit-accounted", "commit-renamed", "txn-intent",
  "txn-size",    "txn-record",    "remove-record",    "remove-hidden",  "remove-accounted",
};

static const char *odd_name = "a\n1 remove 4096\n%s\nuuid-0123456789abcdef0123456789abcdef";

static void
test_odd_name_crash (HostileFixture *fx, gconstpointer user_data)
{
  const char *point = user_data;
  gboolean is_remove = g_str_has_prefix (point, "remove-");

  if (g_test_subprocess ())
    {
      /* The parent's cache, not the one of this process's own fixture. */
      g_autoptr (FsCache) cache = fs_test_open_cache (g_getenv ("HOSTILE_CACHE_DIR"));
      g_autoptr (GError) error = NULL;

      g_setenv ("FSCACHE_CRASH_AT", point, TRUE);
      if (is_remove)
        fs_cache_remove (cache, odd_name, NULL, &error);
      else
        hostile_try_store (cache, odd_name, 5000, &error);
      /* Not killed: the library was built without fault points. */
      exit (0);
    }

  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 2, 3000);
  if (is_remove)
    {
      g_autoptr (FsCache) cache = fs_test_open_cache (fx->cache_dir);
      g_autoptr (GError) error = NULL;
      g_assert_cmpint (hostile_try_store (cache, odd_name, 5000, &error), ==,
                       FS_CACHE_COMMIT_STORED);
    }
  g_setenv ("HOSTILE_CACHE_DIR", fx->cache_dir, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("HOSTILE_CACHE_DIR");
  if (g_test_trap_has_passed ())
    {
      g_test_skip ("fault points are not compiled in");
      return;
    }

  {
    /* The lone open repairs. */
    g_autoptr (FsCache) cache = fs_test_open_cache (fx->cache_dir);
    g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, odd_name, NULL, NULL);

    fs_test_assert_consistent (fx->cache_dir);
    if (entry != NULL)
      {
        g_autofree char *file = g_build_filename (fs_cache_entry_get_path (entry), "file", NULL);
        g_autofree char *contents = NULL;
        gsize len;
        g_assert_true (g_file_get_contents (file, &contents, &len, NULL));
        g_assert_cmpuint (len, ==, 5000);
      }
    g_assert_cmpuint (fs_test_count_objects (fx->cache_dir), >=, 2);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/hostile/names/invalid-everywhere", HostileFixture, NULL, hostile_setup,
              test_invalid_everywhere, hostile_teardown);
  g_test_add ("/hostile/names/valid-edge-cases", HostileFixture, NULL, hostile_setup,
              test_valid_edge_names, hostile_teardown);
  g_test_add ("/hostile/names/leading-dot-listed-counted-evictable", HostileFixture, NULL,
              hostile_setup, test_dot_names, hostile_teardown);
  for (gsize i = 0; i < G_N_ELEMENTS (crash_points); i++)
    {
      g_autofree char *path =
        g_strdup_printf ("/hostile/names/odd-name-killed-at/%s", crash_points[i]);
      g_test_add (path, HostileFixture, crash_points[i], hostile_setup, test_odd_name_crash,
                  hostile_teardown);
    }
  return g_test_run ();
}
