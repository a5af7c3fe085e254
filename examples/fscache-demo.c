/* fscache-demo.c: a short tour of libfscache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Opens a cache (in $XDG_CACHE_HOME/fscache-demo, or the folder given as
 * the first argument), gives it a maximum size if it has none, stores a
 * small tree under a name, loads it back and lists it, stages a scratch
 * entry and releases it, and prints the cache usage. It uses only the
 * public API, as an application would.
 *
 *   build/examples/fscache-demo [CACHE-FOLDER]
 */

#include <errno.h>
#include <locale.h>
#include <stdlib.h>

#include <glib/gstdio.h>
#include <fscache.h>

#define DEMO_APP_ID "org.example.FsCacheDemo"
#define DEMO_ENTRY_NAME "demo-tree-v1"
#define DEMO_MAXIMUM_SIZE (64 * 1024 * 1024)

/* The small tree the demo stores: relative path and content. */
static const struct {
  const char *path;
  const char *content;
} demo_files[] = {
  { "README.txt", "A tree stored by fscache-demo.\n" },
  { "hello.txt", "Hello from libfscache!\n" },
  { "src/main.c", "int\nmain (void)\n{\n  return 0;\n}\n" },
  { "src/notes/todo.txt", "- store trees\n- load them back\n- share the cache with osbuild\n" },
};

static char *
format_size (guint64 size)
{
  return g_format_size_full (size, G_FORMAT_SIZE_IEC_UNITS);
}

static char *
format_maximum (guint64 maximum)
{
  if (maximum == FS_CACHE_SIZE_UNLIMITED)
    return g_strdup ("unlimited");
  return format_size (maximum);
}

/* Fills @dir with the demo tree. */
static gboolean
write_demo_tree (const char *dir, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (demo_files); i++)
    {
      g_autofree char *path = g_build_filename (dir, demo_files[i].path, NULL);
      g_autofree char *parent = g_path_get_dirname (path);

      if (g_mkdir_with_parents (parent, 0755) != 0)
        {
          int errsv = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "Could not create folder %s: %s", parent, g_strerror (errsv));
          return FALSE;
        }
      if (!g_file_set_contents (path, demo_files[i].content, -1, error))
        return FALSE;
    }

  return TRUE;
}

/* Adds the paths of the files below @dir to @out, relative to @root. */
static gboolean
collect_files (GFile *root, GFile *dir, GPtrArray *out, GError **error)
{
  g_autoptr (GFileEnumerator) children = NULL;

  children =
    g_file_enumerate_children (dir,
                               G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                               G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, error);
  if (children == NULL)
    return FALSE;

  for (;;)
    {
      GFileInfo *info = NULL;
      GFile *child = NULL;

      if (!g_file_enumerator_iterate (children, &info, &child, NULL, error))
        return FALSE;
      if (info == NULL)
        return TRUE;

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        {
          if (!collect_files (root, child, out, error))
            return FALSE;
        }
      else
        g_ptr_array_add (out, g_file_get_relative_path (root, child));
    }
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* Prints the files of @entry with their sizes, sorted by path. */
static gboolean
list_entry (FsCacheEntry *entry, GError **error)
{
  const char *data = fs_cache_entry_get_path (entry);
  g_autoptr (GFile) root = g_file_new_for_path (data);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  if (!collect_files (root, root, files, error))
    return FALSE;
  g_ptr_array_sort (files, compare_strings);

  g_print ("  %u files:\n", files->len);
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = files->pdata[i];
      g_autofree char *path = g_build_filename (data, file, NULL);
      GStatBuf st;

      if (g_lstat (path, &st) != 0)
        {
          int errsv = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "Could not stat %s: %s",
                       path, g_strerror (errsv));
          return FALSE;
        }
      g_print ("    %-24s %6" G_GUINT64_FORMAT " bytes\n", file, (guint64) st.st_size);
    }

  return TRUE;
}

/* Makes sure the cache keeps entries: a new cache has no maximum size, and
 * then keeps nothing. */
static gboolean
ensure_maximum_size (FsCache *cache, GError **error)
{
  g_autoptr (FsCacheInfo) info = fs_cache_dup_info (cache, NULL, error);
  g_autofree char *shown = NULL;

  if (info == NULL)
    return FALSE;
  if (fs_cache_info_has_maximum_size (info))
    {
      shown = format_maximum (fs_cache_info_get_maximum_size (info));
      g_print ("  maximum size: %s\n", shown);
      return TRUE;
    }

  if (!fs_cache_set_maximum_size (cache, DEMO_MAXIMUM_SIZE, NULL, error))
    return FALSE;

  shown = format_maximum (DEMO_MAXIMUM_SIZE);
  g_print ("  maximum size: none yet, set to %s\n", shown);
  return TRUE;
}

/* Stores the demo tree under DEMO_ENTRY_NAME. */
static gboolean
store_tree (FsCache *cache, GError **error)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  FsCacheCommitStatus status;
  g_autofree char *size = NULL;

  g_print ("Storing \"%s\"…\n", DEMO_ENTRY_NAME);

  entry = fs_cache_store (cache, DEMO_ENTRY_NAME, NULL, error);
  if (entry == NULL)
    return FALSE;

  g_print ("  filling %s\n", fs_cache_entry_get_path (entry));
  if (!write_demo_tree (fs_cache_entry_get_path (entry), error))
    return FALSE;

  if (!fs_cache_entry_commit (entry, &status, NULL, error))
    return FALSE;

  switch (status)
    {
    case FS_CACHE_COMMIT_STORED:
      size = format_size (fs_cache_entry_get_size (entry));
      g_print ("  stored: %zu files, %s on disk\n", G_N_ELEMENTS (demo_files), size);
      break;
    case FS_CACHE_COMMIT_EXISTS:
      g_print ("  already in the cache (stored by an earlier run): kept the old copy\n");
      break;
    case FS_CACHE_COMMIT_TOO_LARGE:
      g_print ("  not kept: larger than the maximum size of the cache\n");
      break;
    case FS_CACHE_COMMIT_NO_SPACE:
      g_print ("  not kept: no room left, even after evicting old entries\n");
      break;
    case FS_CACHE_COMMIT_INCOMPATIBLE:
      g_print ("  not kept: the cache has an on-disk format this library does not know\n");
      break;
    default:
      g_print ("  not kept (status %d)\n", (int) status);
      break;
    }

  fs_cache_entry_release (entry);
  return TRUE;
}

/* Loads DEMO_ENTRY_NAME back and lists its files. A miss is not an error:
 * the cache may always drop an entry. */
static gboolean
load_tree (FsCache *cache, GError **error)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *size = NULL;

  g_print ("Loading \"%s\"…\n", DEMO_ENTRY_NAME);

  entry = fs_cache_load (cache, DEMO_ENTRY_NAME, NULL, &local_error);
  if (entry == NULL)
    {
      if (g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
        {
          g_print ("  miss: the cache does not hold it (any more)\n");
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  size = format_size (fs_cache_entry_get_size (entry));
  g_print ("  hit: %s (%s), read-locked until released\n", fs_cache_entry_get_path (entry), size);
  if (!list_entry (entry, error))
    return FALSE;

  fs_cache_entry_release (entry);
  return TRUE;
}

/* Stages a scratch entry, uses it, and releases it: it is discarded. */
static gboolean
stage_scratch (FsCache *cache, GError **error)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *path = NULL;
  g_autofree char *scratch = NULL;

  g_print ("Staging a scratch entry…\n");

  entry = fs_cache_stage (cache, NULL, error);
  if (entry == NULL)
    return FALSE;

  path = g_strdup (fs_cache_entry_get_path (entry));
  scratch = g_build_filename (path, "scratch.txt", NULL);
  if (!g_file_set_contents (scratch, "work in progress\n", -1, error))
    return FALSE;
  g_print ("  working in %s\n", path);

  fs_cache_entry_release (entry);
  g_print ("  released: %s\n",
           g_file_test (path, G_FILE_TEST_EXISTS) ? "still there (unexpected)" : "discarded");
  return TRUE;
}

static gboolean
print_usage (FsCache *cache, GError **error)
{
  guint64 used = 0;
  guint64 maximum = 0;
  g_autofree char *used_s = NULL;
  g_autofree char *maximum_s = NULL;

  if (!fs_cache_get_usage (cache, &used, &maximum, NULL, error))
    return FALSE;

  used_s = format_size (used);
  maximum_s = format_maximum (maximum);
  if (maximum == FS_CACHE_SIZE_UNLIMITED || maximum == 0)
    g_print ("Usage: %s of %s\n", used_s, maximum_s);
  else if (used > 0 && used * 1000 < maximum)
    g_print ("Usage: %s of %s (< 0.1 %%)\n", used_s, maximum_s);
  else
    g_print ("Usage: %s of %s (%.1f %%)\n", used_s, maximum_s,
             100.0 * (double) used / (double) maximum);

  return TRUE;
}

/* The tour itself; @dir is the cache folder. */
static gboolean
run_demo (const char *dir, GError **error)
{
  g_autoptr (FsCache) cache = NULL;

  g_print ("Opening the cache in %s\n", dir);
  cache = fs_cache_new_for_path (DEMO_APP_ID, dir, NULL, error);
  if (cache == NULL)
    return FALSE;
  g_print ("  boot id of this app: %s\n", fs_cache_get_boot_id (cache));

  if (!ensure_maximum_size (cache, error) || !store_tree (cache, error) ||
      !load_tree (cache, error) || !stage_scratch (cache, error) || !print_usage (cache, error))
    return FALSE;

  fs_cache_close (cache);
  return TRUE;
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;

  setlocale (LC_ALL, "");

  if (argc > 2 || (argc == 2 && (g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "--help"))))
    {
      g_printerr ("Usage: %s [CACHE-FOLDER]\n", argv[0]);
      return argc > 2 ? 2 : EXIT_SUCCESS;
    }

  if (argc == 2 && argv[1][0] != '\0')
    dir = g_strdup (argv[1]);
  else
    dir = g_build_filename (g_get_user_cache_dir (), "fscache-demo", NULL);

  if (!run_demo (dir, &error))
    {
      g_printerr ("fscache-demo: %s\n", error->message);
      return EXIT_FAILURE;
    }

  return EXIT_SUCCESS;
}
