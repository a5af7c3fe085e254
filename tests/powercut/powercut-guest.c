/* powercut-guest.c: the guest side of the power-cut test (powercut.py)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Run by guest-init.sh inside the user-mode Linux guest, with the disk image
 * under test mounted (which replayed its file system's journal):
 *
 *   powercut-guest CACHE
 *
 * What to do comes from the environment (guest.env, written by the host):
 *
 *   PC_INIT      1: create the cache (the first boot of an image)
 *   PC_VOLATILE  1: create it volatile (no syncs)
 *   PC_CHECK     1: repair the cache with the library — an idle open, then
 *                garbage collection (twice: the second must find nothing) —
 *                and check it against PC_EXPECTED, the entries the previous
 *                boots printed
 *   PC_STORE     1: then store entries with fs_cache_store_tree() (what
 *                `fscache store` runs) until the host cuts the power
 *   PC_CYCLE     the number of this boot, for the names of its entries
 *   PC_SCRATCH   a tmpfs of the guest's, where the trees to store are made
 *
 * Everything the host needs goes to the console as @@...@@ markers: BEGIN
 * NAME SUM before a store, STORED NAME SUM once it returned STORED, RESULT
 * {json} for the check, FAIL text when something else went wrong. SUM is a
 * digest of the tree (paths, sizes and contents of its files).
 *
 * One process does it all, with the library in-process: in the guest every
 * program started costs a fraction of a second, the power cut's budget.
 */

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fscache.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define APP_ID "org.libfscache.PowerCut"

/* One line on the console, in one write, '@' kept out of the text. */
G_GNUC_PRINTF (1, 2)
static void
say (const char *format, ...)
{
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  va_list ap;
  gsize len, done = 0;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_strdelimit (text, "@\n", '_');
  line = g_strdup_printf ("@@%s@@\n", text);
  len = strlen (line);
  while (done < len)
    {
      ssize_t w = write (STDOUT_FILENO, line + done, len - done);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return;
      done += (gsize) w;
    }
}

static void
collect_files (const char *root, const char *rel, GPtrArray *out)
{
  g_autofree char *dir_path = rel[0] ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child_rel = rel[0] ? g_build_filename (rel, name, NULL) : g_strdup (name);
      g_autofree char *child = g_build_filename (root, child_rel, NULL);
      struct stat st;

      if (lstat (child, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        collect_files (root, child_rel, out);
      else
        g_ptr_array_add (out, g_steal_pointer (&child_rel));
    }
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The digest of the files below @root: each one's path, size and SHA-256. */
static char *
tree_sum (const char *root)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  collect_files (root, "", files);
  g_ptr_array_sort (files, compare_strings);
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *path = g_build_filename (root, files->pdata[i], NULL);
      g_autofree char *data = NULL;
      g_autofree char *line = NULL;
      gsize len = 0;

      if (!g_file_get_contents (path, &data, &len, NULL))
        {
          data = g_strdup ("");
          len = (gsize) -1; /* unreadable: never matches */
        }
      line = g_strdup_printf ("%s %" G_GSIZE_FORMAT " %s\n", (char *) files->pdata[i], len,
                              g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) data,
                                                           len == (gsize) -1 ? 0 : len));
      g_checksum_update (sum, (guchar *) line, -1);
    }
  return g_strndup (g_checksum_get_string (sum), 32);
}

static char *
read_text (const char *path)
{
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, &error))
    return g_strdup_printf ("<%s>", error->message);
  if (len > 512)
    data[512] = '\0';
  return g_utf8_make_valid (data, -1);
}

/* The size in @path (an object.info), or FALSE when it is not valid. */
static gboolean
object_info_size (const char *path, gint64 *out_size)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root, *member;

  if (!json_parser_load_from_file (parser, path, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  member = json_object_get_member (json_node_get_object (root), "size");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) ||
      json_node_get_value_type (member) != G_TYPE_INT64)
    return FALSE;
  *out_size = json_node_get_int (member);
  return *out_size >= 0;
}

static gboolean
is_dir (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

static JsonNode *
describe_file (const char *path)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *text = NULL;
  struct stat st;

  if (lstat (path, &st) < 0)
    {
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);
      json_node_set_string (node, g_strerror (errno));
      return g_steal_pointer (&node);
    }
  text = read_text (path);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ino");
  json_builder_add_int_value (b, (gint64) st.st_ino);
  json_builder_set_member_name (b, "nlink");
  json_builder_add_int_value (b, (gint64) st.st_nlink);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, (gint64) st.st_size);
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, text);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* What the power cut left, before any repair: the diagnostics of a failed
 * check. */
static JsonNode *
snapshot (const char *cache_dir, GPtrArray *names)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *journal = g_build_filename (cache_dir, "journal", NULL);
  g_autofree char *size_path = g_build_filename (cache_dir, "cache.size", NULL);
  g_autofree char *intent_path = g_build_filename (journal, "size.intent", NULL);
  g_autofree char *size_text = read_text (size_path);
  g_autofree char *intent_text = read_text (intent_path);
  const char *areas[] = { "objects", "stage" };
  g_autoptr (GDir) dir = NULL;
  const char *name;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cache.size");
  json_builder_add_string_value (b, size_text);
  json_builder_set_member_name (b, "intent");
  json_builder_add_string_value (b, intent_text);

  json_builder_set_member_name (b, "journal");
  json_builder_begin_object (b);
  dir = g_dir_open (journal, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (strcmp (name, "size.intent") != 0)
      {
        g_autofree char *path = g_build_filename (journal, name, NULL);
        json_builder_set_member_name (b, name);
        json_builder_add_value (b, describe_file (path));
      }
  json_builder_end_object (b);
  g_clear_pointer (&dir, g_dir_close);

  json_builder_set_member_name (b, "debris");
  json_builder_begin_array (b);
  for (guint a = 0; a < G_N_ELEMENTS (areas); a++)
    {
      g_autofree char *area = g_build_filename (cache_dir, areas[a], NULL);
      dir = g_dir_open (area, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_prefix (name, "uuid-"))
          {
            g_autofree char *label = g_strdup_printf ("%s/%s", areas[a], name);
            json_builder_add_string_value (b, label);
          }
      g_clear_pointer (&dir, g_dir_close);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "entries");
  json_builder_begin_object (b);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *entry = g_build_filename (cache_dir, "objects", names->pdata[i], NULL);
      g_autofree char *info = g_build_filename (entry, "object.info", NULL);
      g_autofree char *lock = g_build_filename (entry, "object.lock", NULL);

      json_builder_set_member_name (b, names->pdata[i]);
      if (!is_dir (entry))
        {
          json_builder_add_string_value (b, "absent");
          continue;
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "object.info");
      json_builder_add_value (b, describe_file (info));
      json_builder_set_member_name (b, "object.lock");
      json_builder_add_value (b, describe_file (lock));
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

typedef struct {
  GPtrArray *names;   /* in the order printed: the last ones are the most at risk */
  GHashTable *sums;   /* name -> digest */
  GHashTable *stored; /* the names printed STORED (the others only began) */
} Expected;

static void
expected_clear (Expected *e)
{
  g_clear_pointer (&e->names, g_ptr_array_unref);
  g_clear_pointer (&e->sums, g_hash_table_unref);
  g_clear_pointer (&e->stored, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Expected, expected_clear)

static gboolean
read_expected (const char *path, Expected *e, GError **error)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return FALSE;
  e->names = g_ptr_array_new_with_free_func (g_free);
  e->sums = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  e->stored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], " ", 3);
      if (g_strv_length (f) != 3)
        continue;
      g_ptr_array_add (e->names, g_strdup (f[1]));
      g_hash_table_replace (e->sums, g_strdup (f[1]), g_strdup (f[2]));
      if (strcmp (f[0], "stored") == 0)
        g_hash_table_add (e->stored, g_strdup (f[1]));
    }
  return TRUE;
}

static void
add_strings (JsonBuilder *b, const char *member, GPtrArray *strings)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint i = 0; i < strings->len; i++)
    json_builder_add_string_value (b, strings->pdata[i]);
  json_builder_end_array (b);
}

/* Repair with the library, then check every expected entry, the accounting
 * and the debris. Returns the RESULT object. */
static JsonNode *
check (const char *cache_dir, const char *expected_path, GError **error)
{
  g_auto (Expected) e = { 0 };
  g_autoptr (GPtrArray) lost = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) torn = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (JsonNode) before = NULL;
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GListModel) list = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *objects = g_build_filename (cache_dir, "objects", NULL);
  const char *areas[] = { "stage", "journal" };
  guint64 used = 0, listed_sum = 0, info_sum = 0, reclaimed = 0;
  guint removed = 0, removed_again = 0, info_entries = 0, n_stored;
  gint64 correction = 0, correction_again = 0;
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (!read_expected (expected_path, &e, error))
    return NULL;
  n_stored = g_hash_table_size (e.stored);

  /* For the diagnostics of a failure: what the power cut left. */
  before = snapshot (cache_dir, e.names);

  /* The repair: the idle open recovers, garbage collection sweeps. */
  cache = fs_cache_new_for_path (APP_ID, cache_dir, NULL, error);
  if (cache == NULL)
    return NULL;
  if (!fs_cache_collect_garbage (cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed,
                                 &correction, NULL, error))
    return NULL;
  /* A second pass finds nothing left to do. */
  if (!fs_cache_collect_garbage (cache, FS_CACHE_MAINTENANCE_NONE, &removed_again, NULL,
                                 &correction_again, NULL, error))
    return NULL;
  if (removed_again != 0 || correction_again != 0)
    g_ptr_array_add (
      problems,
      g_strdup_printf ("a second garbage collection removed %u, corrected %" G_GINT64_FORMAT,
                       removed_again, correction_again));

  list = fs_cache_list (cache, NULL, error);
  if (list == NULL)
    return NULL;
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
      g_hash_table_add (listed, g_strdup (fs_cache_item_get_name (item)));
      listed_sum += fs_cache_item_get_size (item);
    }
  if (!fs_cache_get_usage (cache, &used, NULL, NULL, error))
    return NULL;

  /* Every entry printed as stored is there, whole; an entry that only began
   * may be there, but then whole too. */
  for (guint i = 0; i < e.names->len; i++)
    {
      const char *n = e.names->pdata[i];
      g_autofree char *data = NULL;
      g_autofree char *got = NULL;

      if (!g_hash_table_contains (listed, n))
        {
          if (g_hash_table_contains (e.stored, n))
            g_ptr_array_add (lost, g_strdup (n));
          continue;
        }
      data = g_build_filename (objects, n, "data", NULL);
      got = tree_sum (data);
      if (strcmp (got, g_hash_table_lookup (e.sums, n)) != 0)
        g_ptr_array_add (torn, g_strdup (n));
      else if (!g_hash_table_contains (e.stored, n))
        g_ptr_array_add (kept, g_strdup (n));
    }

  /* The accounting: the counter, the list and object.info agree. */
  dir = g_dir_open (objects, 0, error);
  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *info = g_build_filename (objects, name, "object.info", NULL);
      gint64 size;

      if (g_str_has_prefix (name, "uuid-"))
        g_ptr_array_add (problems, g_strdup_printf ("debris objects/%s", name));
      else if (!object_info_size (info, &size))
        g_ptr_array_add (problems, g_strdup_printf ("objects/%s has no valid object.info", name));
      else
        {
          info_sum += (guint64) size;
          info_entries++;
        }
    }
  g_clear_pointer (&dir, g_dir_close);
  if (used != info_sum || listed_sum != info_sum || info_entries != g_hash_table_size (listed))
    g_ptr_array_add (problems, g_strdup_printf ("accounting: cache.size says %" G_GUINT64_FORMAT
                                                ", the list %" G_GUINT64_FORMAT " in %u entries, "
                                                "object.info %" G_GUINT64_FORMAT " in %u entries",
                                                used, listed_sum, g_hash_table_size (listed),
                                                info_sum, info_entries));
  for (guint a = 0; a < G_N_ELEMENTS (areas); a++)
    {
      g_autofree char *area = g_build_filename (cache_dir, areas[a], NULL);
      dir = g_dir_open (area, 0, error);
      if (dir == NULL)
        return NULL;
      while ((name = g_dir_read_name (dir)) != NULL)
        if (strcmp (name, "size.intent") != 0)
          g_ptr_array_add (problems, g_strdup_printf ("left over: %s/%s", areas[a], name));
      g_clear_pointer (&dir, g_dir_close);
    }
  fs_cache_close (cache);
  sync ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "stored");
  json_builder_add_int_value (b, n_stored);
  add_strings (b, "lost", lost);
  add_strings (b, "torn", torn);
  add_strings (b, "kept", kept);
  add_strings (b, "problems", problems);
  json_builder_set_member_name (b, "entries");
  json_builder_add_int_value (b, info_entries);
  json_builder_set_member_name (b, "bytes");
  json_builder_add_int_value (b, (gint64) info_sum);
  json_builder_set_member_name (b, "gc-removed");
  json_builder_add_int_value (b, removed);
  json_builder_set_member_name (b, "gc-correction");
  json_builder_add_int_value (b, correction);
  if (lost->len > 0 || torn->len > 0 || problems->len > 0)
    {
      /* The entries that failed, and the last few for context. */
      JsonObject *all = json_object_get_object_member (json_node_get_object (before), "entries");
      JsonObject *some = json_object_new ();
      GPtrArray *shown[] = { lost, torn };

      for (guint k = 0; k < G_N_ELEMENTS (shown); k++)
        for (guint i = 0; i < shown[k]->len; i++)
          json_object_set_member (some, shown[k]->pdata[i],
                                  json_object_dup_member (all, shown[k]->pdata[i]));
      for (guint i = e.names->len > 3 ? e.names->len - 3 : 0; i < e.names->len; i++)
        json_object_set_member (some, e.names->pdata[i],
                                json_object_dup_member (all, e.names->pdata[i]));
      json_object_set_object_member (json_node_get_object (before), "entries", some);
      json_builder_set_member_name (b, "before-repair");
      json_builder_add_value (b, g_steal_pointer (&before));
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
write_random_file (GRand *rand, const char *path, GError **error)
{
  static const guint32 limits[] = { 1, 100, 20000, 150000 };
  guint32 limit = limits[g_rand_int_range (rand, 0, G_N_ELEMENTS (limits))];
  gsize size = limit == 1 ? 0 : (gsize) g_rand_int_range (rand, 1, (gint32) limit);
  g_autofree guint8 *data = g_malloc (size + 4);

  for (gsize i = 0; i < size; i += 4)
    {
      guint32 r = g_rand_int (rand);
      memcpy (data + i, &r, 4);
    }
  return g_file_set_contents (path, (char *) data, (gssize) size, error);
}

/* Store entries until the power goes. */
static gboolean
store_forever (const char *cache_dir, int cycle, GError **error)
{
  static const char *paths[] = { "a", "d/b", "d/e/c" };
  g_autoptr (FsCache) cache = fs_cache_new_for_path (APP_ID, cache_dir, NULL, error);
  g_autoptr (GRand) rand = g_rand_new ();
  g_autofree char *src = g_build_filename (g_getenv ("PC_SCRATCH"), "src", NULL);
  g_autoptr (GFile) source = g_file_new_for_path (src);
  g_autofree char *deep = g_build_filename (src, "d", "e", NULL);

  if (cache == NULL)
    return FALSE;
  if (g_mkdir_with_parents (deep, 0755) < 0)
    return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "mkdir %s: %s", deep,
                        g_strerror (errno)),
           FALSE;
  say ("STORING");
  for (guint i = 0;; i++)
    {
      g_autofree char *name = g_strdup_printf ("c%d-%u", cycle, i);
      g_autofree char *sum = NULL;
      FsCacheCommitStatus status = FS_CACHE_COMMIT_NO_SPACE;
      guint n_files = (guint) g_rand_int_range (rand, 1, G_N_ELEMENTS (paths) + 1);

      for (guint f = 0; f < G_N_ELEMENTS (paths); f++)
        {
          g_autofree char *path = g_build_filename (src, paths[f], NULL);
          if (f >= n_files)
            g_unlink (path);
          else if (!write_random_file (rand, path, error))
            return FALSE;
        }
      sum = tree_sum (src);
      say ("BEGIN %s %s", name, sum);
      if (!fs_cache_store_tree (cache, name, source, FS_CACHE_STORE_NONE, NULL, NULL, &status, NULL,
                                error))
        return FALSE;
      if (status != FS_CACHE_COMMIT_STORED)
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "storing %s: status %d", name,
                            (int) status),
               FALSE;
      say ("STORED %s %s", name, sum);
    }
  return TRUE;
}

static gboolean
init_cache (const char *cache_dir, gboolean is_volatile, GError **error)
{
  g_autoptr (FsCache) cache = fs_cache_new_for_path (APP_ID, cache_dir, NULL, error);
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();

  if (cache == NULL)
    return FALSE;
  /* What `fscache init` gives a new cache. */
  fs_cache_info_set_maximum_size (info, G_GUINT64_CONSTANT (10) << 30);
  fs_cache_info_set_volatile (info, is_volatile);
  if (!fs_cache_set_info (cache, info, NULL, error))
    return FALSE;
  fs_cache_close (cache);
  sync ();
  return TRUE;
}

static gboolean
env_is (const char *name)
{
  return g_strcmp0 (g_getenv (name), "1") == 0;
}

static gboolean
run (const char *cache_dir, GError **error)
{
  if (env_is ("PC_INIT") && !init_cache (cache_dir, env_is ("PC_VOLATILE"), error))
    return FALSE;
  if (env_is ("PC_CHECK"))
    {
      g_autoptr (JsonNode) result = check (cache_dir, g_getenv ("PC_EXPECTED"), error);
      g_autofree char *text = NULL;

      if (result == NULL)
        return FALSE;
      text = json_to_string (result, FALSE);
      say ("RESULT %s", text);
    }
  if (env_is ("PC_STORE"))
    return store_forever (cache_dir, (int) g_ascii_strtoll (g_getenv ("PC_CYCLE"), NULL, 10),
                          error);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  if (argc != 2 || g_getenv ("PC_EXPECTED") == NULL || g_getenv ("PC_SCRATCH") == NULL ||
      g_getenv ("PC_CYCLE") == NULL)
    {
      g_printerr ("usage: PC_EXPECTED=… PC_SCRATCH=… PC_CYCLE=… %s CACHE (see powercut.py)\n",
                  argv[0]);
      return 2;
    }
  say ("GUEST");
  if (!run (argv[1], &error))
    {
      say ("FAIL %s", error->message);
      return 1;
    }
  return 0;
}
