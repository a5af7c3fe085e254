/* test-i18n.c: the library's messages really come out of its catalog
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Run with LANG=C.UTF-8 LANGUAGE=de (docs/meson.build sets them). The only
 * locales of the build machines are C, C.UTF-8 and POSIX; gettext honours
 * LANGUAGE in any locale but C/POSIX, so C.UTF-8 with LANGUAGE=de looks
 * messages up in the German catalog without a German locale installed.
 *
 * The library binds its text domain to LOCALEDIR (<prefix>/share/locale)
 * once, on first use; this test first lets it do so and checks it, then
 * binds the domain again to the build's po/ folder, where the build put
 * de/LC_MESSAGES/fscache.mo. Nothing is installed. The program links the
 * shared library only, like any user.
 */

#include <errno.h>
#include <libintl.h>
#include <locale.h>

#include <fscache.h>
#include <glib/gstdio.h>

#define DOMAIN "fscache" /* DESIGN.md: the gettext domain */

static char *library_binding;

typedef struct {
  char *dir;
} Fixture;

static gboolean
rm_rf (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          rm_rf (child);
        else
          g_unlink (child);
      }
  return g_rmdir (path) == 0 || errno == ENOENT;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("fscache-i18n-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_assert_true (rm_rf (f->dir));
  g_free (f->dir);
}

/* After setlocale() glibc forgets the translations it looked up, so a
 * change of LANGUAGE takes effect at once. */
static void
set_language (const char *language)
{
  g_setenv ("LANGUAGE", language, TRUE);
  g_assert_nonnull (setlocale (LC_ALL, ""));
}

static char *
invalid_name_message (const char *name)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (fs_cache_name_is_valid (name, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INVALID_NAME);
  return g_strdup (error->message);
}

/* The library binds its domain itself, to its configured LOCALEDIR, in UTF-8. */
static void
test_library_binds_domain (void)
{
  g_assert_cmpstr (library_binding, ==, EXPECTED_LOCALEDIR);
}

/* The same call gives the English text when German is not asked for, so the
 * German text below comes from the catalog, not from the library. */
static void
test_english_without_catalog (void)
{
  g_autofree char *msg = NULL;

  set_language ("en");
  msg = invalid_name_message ("uuid-x");
  set_language ("de");
  g_assert_cmpstr (msg, ==,
                   "Invalid entry name “uuid-x”: names starting with “uuid-” are reserved");
}

/* fs-cache-error.c: every reason an entry name is refused. */
static void
test_invalid_name_reasons (void)
{
  static const struct {
    const char *name;
    const char *message;
  } cases[] = {
    { "", "Ungültiger Eintragsname „“: er ist leer" },
    { "a/b", "Ungültiger Eintragsname „a/b“: er enthält „/“" },
    { ".", "Ungültiger Eintragsname „.“: er ist „.“ oder „..“" },
    { "..", "Ungültiger Eintragsname „..“: er ist „.“ oder „..“" },
    { "uuid-0123", "Ungültiger Eintragsname „uuid-0123“: Namen, die mit „uuid-“ beginnen, sind "
                   "reserviert" },
    { "a\xff", "Ungültiger Eintragsname „a\xef\xbf\xbd“: er ist kein gültiges UTF-8" },
  };
  g_autofree char *long_name = g_strnfill (256, 'n');
  g_autofree char *shown = g_strnfill (64, 'n');
  g_autofree char *long_expected = NULL;
  g_autofree char *long_msg = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *msg = invalid_name_message (cases[i].name);
      g_assert_cmpstr (msg, ==, cases[i].message);
    }

  long_expected =
    g_strdup_printf ("Ungültiger Eintragsname „%s…“: er ist länger als 255 Bytes", shown);
  long_msg = invalid_name_message (long_name);
  g_assert_cmpstr (long_msg, ==, long_expected);
}

/* fs-cache.c: a miss, through the error a caller sees most. */
static void
test_miss (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *expected = NULL;

  cache = fs_cache_new_for_path ("org.example.I18n", f->dir, NULL, &error);
  g_assert_no_error (error);
  entry = fs_cache_load (cache, "absent", NULL, &error);
  g_assert_null (entry);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  expected = g_strdup_printf ("Kein Eintrag „absent“ in %s", f->dir);
  g_assert_cmpstr (error->message, ==, expected);
}

/* fs-cache.c: a closed cache. */
static void
test_closed (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *expected = NULL;

  cache = fs_cache_new_for_path ("org.example.I18n", f->dir, NULL, &error);
  g_assert_no_error (error);
  fs_cache_close (cache);
  entry = fs_cache_stage (cache, NULL, &error);
  g_assert_null (entry);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CLOSED);
  expected = g_strdup_printf ("Der Cache %s ist geschlossen", f->dir);
  g_assert_cmpstr (error->message, ==, expected);
}

/* fs-cache.c: a cache of another format version is never changed. */
static void
test_incompatible (Fixture *f, gconstpointer data)
{
  static const char *const files[][2] = {
    { "cache.info", "{\"version\": 2}" },
    { "cache.lock", "" },
    { "cache.size", "0" },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autofree char *expected = NULL;

  /* The scaffolding of a cache of a later format version. */
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (f->dir, files[i][0], NULL);
      g_assert_true (g_file_set_contents (path, files[i][1], -1, &error));
    }
  for (gsize i = 0; i < 2; i++)
    {
      g_autofree char *path = g_build_filename (f->dir, i == 0 ? "objects" : "stage", NULL);
      g_assert_cmpint (g_mkdir (path, 0755), ==, 0);
    }
  cache = fs_cache_new_for_path ("org.example.I18n", f->dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (fs_cache_set_maximum_size (cache, 1 << 20, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE);
  expected =
    g_strdup_printf ("Der Cache %s hat eine inkompatible Version und kann nicht geändert werden",
                     f->dir);
  g_assert_cmpstr (error->message, ==, expected);
}

/* fs-cache.c: a system call failure is the errno text (which comes from
 * GLib's own catalog, if installed) behind a translated prefix naming the
 * path. */
static void
test_io_error_prefix (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autofree char *file = g_build_filename (f->dir, "file", NULL);
  g_autofree char *below = g_build_filename (file, "cache", NULL);
  g_autofree char *expected = NULL;

  g_assert_true (g_file_set_contents (file, "", -1, &error));
  cache = fs_cache_new_for_path ("org.example.I18n", below, NULL, &error);
  g_assert_null (cache);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
  expected = g_strdup_printf ("Anlegen des Cache-Verzeichnisses %s: ", below);
  g_assert_true (g_str_has_prefix (error->message, expected));
}

int
main (int argc, char *argv[])
{
  const char *lc_messages;
  const char *language = g_getenv ("LANGUAGE");

  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  /* Without these the test would prove nothing: say so, loudly. */
  lc_messages = setlocale (LC_MESSAGES, NULL);
  if (lc_messages == NULL || g_str_equal (lc_messages, "C") || g_str_equal (lc_messages, "POSIX"))
    g_error ("run with LANG=C.UTF-8 (the C locale ignores LANGUAGE); the locale is %s",
             lc_messages != NULL ? lc_messages : "unknown");
  if (language == NULL || !g_str_has_prefix (language, "de"))
    g_error ("run with LANGUAGE=de (it is %s)", language != NULL ? language : "unset");

  /* Any call of the library binds its domain (once); then record where,
   * and bind it to the catalogs of this build. */
  g_assert_true (fs_cache_name_is_valid ("first-use", NULL));
  library_binding = g_strdup (bindtextdomain (DOMAIN, NULL));
  g_assert_cmpstr (bind_textdomain_codeset (DOMAIN, NULL), ==, "UTF-8");
  g_assert_nonnull (bindtextdomain (DOMAIN, TEST_LOCALEDIR));
  {
    g_autofree char *mo =
      g_build_filename (TEST_LOCALEDIR, "de", "LC_MESSAGES", DOMAIN ".mo", NULL);
    if (!g_file_test (mo, G_FILE_TEST_IS_REGULAR))
      g_error ("the German catalog %s was not built", mo);
  }

  g_test_add_func ("/i18n/library-binds-domain", test_library_binds_domain);
  g_test_add_func ("/i18n/english-without-catalog", test_english_without_catalog);
  g_test_add_func ("/i18n/invalid-name-reasons", test_invalid_name_reasons);
  g_test_add ("/i18n/miss", Fixture, NULL, fixture_set_up, test_miss, fixture_tear_down);
  g_test_add ("/i18n/closed", Fixture, NULL, fixture_set_up, test_closed, fixture_tear_down);
  g_test_add ("/i18n/incompatible", Fixture, NULL, fixture_set_up, test_incompatible,
              fixture_tear_down);
  g_test_add ("/i18n/io-error-prefix", Fixture, NULL, fixture_set_up, test_io_error_prefix,
              fixture_tear_down);

  {
    int ret = g_test_run ();
    g_free (library_binding);
    return ret;
  }
}
