/* fscache-entries.c: the commands on entries: ls, store, load, export, rm
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include <fscache.h>

#include "fscache-builtins.h"
#include "fscache-util.h"

/* ---- ls ----------------------------------------------------------------- */

typedef struct {
  char *sort; /* --sort */
} LsOptions;

static void
ls_options_clear (LsOptions *o)
{
  g_clear_pointer (&o->sort, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LsOptions, ls_options_clear)

static int
compare_by_name (gconstpointer a, gconstpointer b)
{
  FsCacheItem *x = *(FsCacheItem **) a, *y = *(FsCacheItem **) b;

  return strcmp (fs_cache_item_get_name (x), fs_cache_item_get_name (y));
}

static int
compare_by_lru (gconstpointer a, gconstpointer b)
{
  FsCacheItem *x = *(FsCacheItem **) a, *y = *(FsCacheItem **) b;
  GDateTime *tx = fs_cache_item_get_last_used (x), *ty = fs_cache_item_get_last_used (y);
  int c;

  if (tx == NULL || ty == NULL)
    c = (tx == NULL ? 0 : 1) - (ty == NULL ? 0 : 1);
  else
    c = g_date_time_compare (tx, ty);
  return c != 0 ? c : compare_by_name (a, b);
}

static int
compare_by_size (gconstpointer a, gconstpointer b)
{
  guint64 x = fs_cache_item_get_size (*(FsCacheItem **) a);
  guint64 y = fs_cache_item_get_size (*(FsCacheItem **) b);

  if (x != y)
    return x > y ? -1 : 1;
  return compare_by_name (a, b);
}

int
fs_tool_ls (FsTool *tool, char **argv)
{
  g_auto (LsOptions) opt = { NULL };
  const GOptionEntry options[] = {
    { "sort", 0, 0, G_OPTION_ARG_STRING, &opt.sort,
      N_ ("Order by name (the default), lru (least recently used first) or size (largest first)"),
      N_ ("lru|size|name") },
    { NULL }
  };
  g_auto (GStrv) args = NULL;
  g_autoptr (GListModel) list = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  GCompareFunc compare = compare_by_name;
  guint64 total = 0;
  int status;

  if (!fs_tool_parse_options (tool, options, NULL, argv, &args, &status))
    return status;
  if ((status = fs_tool_no_arguments (tool, args)) != FS_TOOL_EXIT_OK)
    return status;
  if (opt.sort == NULL || g_str_equal (opt.sort, "name"))
    compare = compare_by_name;
  else if (g_str_equal (opt.sort, "lru"))
    compare = compare_by_lru;
  else if (g_str_equal (opt.sort, "size"))
    compare = compare_by_size;
  else
    return fs_tool_usage_error (tool->command,
                                _ ("Invalid sort order “%s”: expected lru, size or name"),
                                opt.sort);

  if (!fs_tool_open_cache (tool, FALSE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = fs_tool_absolute_cache_dir (tool);
  list = fs_cache_list (tool->cache, NULL, &error);
  if (list == NULL)
    {
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      FsCacheItem *item = g_list_model_get_item (list, i);
      total += fs_cache_item_get_size (item);
      g_ptr_array_add (items, item);
    }
  g_ptr_array_sort (items, compare);

  if (tool->json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      JsonArray *array = json_array_sized_new (items->len);

      for (guint i = 0; i < items->len; i++)
        {
          FsCacheItem *item = items->pdata[i];
          JsonObject *o = json_object_new ();
          g_autofree char *when = fs_tool_format_time (fs_cache_item_get_last_used (item), FALSE);

          json_object_set_string_member (o, "name", fs_cache_item_get_name (item));
          json_object_set_int_member (o, "size", (gint64) fs_cache_item_get_size (item));
          if (when != NULL)
            json_object_set_string_member (o, "last-used", when);
          else
            json_object_set_null_member (o, "last-used");
          if (fs_cache_item_get_creation_boot_id (item) != NULL)
            json_object_set_string_member (o, "creation-boot-id",
                                           fs_cache_item_get_creation_boot_id (item));
          else
            json_object_set_null_member (o, "creation-boot-id");
          json_object_set_boolean_member (o, "pinned", fs_cache_item_get_pinned (item));
          if (fs_cache_item_get_tree_digest (item) != NULL)
            json_object_set_string_member (o, "tree-digest", fs_cache_item_get_tree_digest (item));
          else
            json_object_set_null_member (o, "tree-digest");
          json_array_add_object_element (array, o);
        }
      json_object_set_string_member (object, "cache", path);
      json_object_set_array_member (object, "entries", array);
      json_object_set_int_member (object, "total-size", (gint64) total);
      json_node_set_object (node, object);
      fs_tool_print_json (node);
      return FS_TOOL_EXIT_OK;
    }

  if (items->len == 0)
    {
      g_print (_ ("No entries in %s\n"), path);
      return FS_TOOL_EXIT_OK;
    }

  {
    g_autoptr (GPtrArray) sizes = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
    g_autofree char *total_s = fs_tool_format_size (total);
    const char *h_name = _ ("NAME"), *h_size = _ ("SIZE"), *h_used = _ ("LAST USED");
    glong name_w = g_utf8_strlen (h_name, -1), size_w = g_utf8_strlen (h_size, -1);
    gboolean any_pinned = FALSE;

    /* Names quoted as GNU ls quotes them: one entry, one line. */
    for (guint i = 0; i < items->len; i++)
      {
        char *s = fs_tool_format_size (fs_cache_item_get_size (items->pdata[i]));
        char *n = fs_tool_quote_name (fs_cache_item_get_name (items->pdata[i]));

        name_w = MAX (name_w, g_utf8_strlen (n, -1));
        size_w = MAX (size_w, g_utf8_strlen (s, -1));
        g_ptr_array_add (sizes, s);
        g_ptr_array_add (names, n);
        any_pinned = any_pinned || fs_cache_item_get_pinned (items->pdata[i]);
      }
    g_print ("%s%*s  %*s%s  %s\n", h_name, (int) (name_w - g_utf8_strlen (h_name, -1)), "",
             (int) (size_w - g_utf8_strlen (h_size, -1)), "", h_size, h_used);
    for (guint i = 0; i < items->len; i++)
      {
        FsCacheItem *item = items->pdata[i];
        const char *name = names->pdata[i];
        const char *size = sizes->pdata[i];
        g_autofree char *when = fs_tool_format_time (fs_cache_item_get_last_used (item), TRUE);

        g_print ("%s%*s  %*s%s  %s%s\n", name, (int) (name_w - g_utf8_strlen (name, -1)), "",
                 (int) (size_w - g_utf8_strlen (size, -1)), "", size, when != NULL ? when : "-",
                 /* TRANSLATORS: after the last use of a pinned entry in ls */
                 fs_cache_item_get_pinned (item) ? _ ("  pinned") : "");
      }
    if (any_pinned)
      g_print (_ ("Pinned entries are never evicted by fscache (osbuild does not know pins).\n"));
    g_print (g_dngettext (GETTEXT_PACKAGE, "%u entry, %s\n", "%u entries, %s\n", items->len),
             items->len, total_s);
  }
  return FS_TOOL_EXIT_OK;
}

/* ---- store -------------------------------------------------------------- */

typedef struct {
  gboolean move;      /* --move */
  gboolean no_remote; /* --no-remote */
} StoreOptions;

static const char *
commit_status_nick (FsCacheCommitStatus status)
{
  switch (status)
    {
    case FS_CACHE_COMMIT_STORED:
      return "stored";
    case FS_CACHE_COMMIT_EXISTS:
      return "exists";
    case FS_CACHE_COMMIT_TOO_LARGE:
      return "too-large";
    case FS_CACHE_COMMIT_NO_SPACE:
      return "no-space";
    case FS_CACHE_COMMIT_INCOMPATIBLE:
      return "incompatible";
    default:
      return "unknown";
    }
}

/* @pushed: the upload after the commit, or NULL (with @push_error when it
 * failed). */
static void
print_store_json (const char *cache,
                  const char *name,
                  FsCacheCommitStatus status,
                  gboolean has_size,
                  guint64 size,
                  gboolean moved,
                  FsCacheTransfer *pushed,
                  const GError *push_error)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (object, "cache", cache);
  json_object_set_string_member (object, "name", name);
  json_object_set_string_member (object, "status", commit_status_nick (status));
  if (has_size)
    json_object_set_int_member (object, "size", (gint64) size);
  else
    json_object_set_null_member (object, "size");
  json_object_set_boolean_member (object, "moved", moved && status == FS_CACHE_COMMIT_STORED);
  if (pushed != NULL)
    json_object_set_object_member (object, "remote", fs_tool_transfer_to_json (pushed));
  else
    json_object_set_null_member (object, "remote");
  if (push_error != NULL)
    json_object_set_string_member (object, "remote-error", push_error->message);
  json_node_set_object (node, object);
  fs_tool_print_json (node);
}

/* Reports a store the cache declined; returns the exit status. */
static int
report_declined (FsTool *tool,
                 const char *path,
                 const char *name,
                 FsCacheCommitStatus status,
                 gboolean moved)
{
  g_autoptr (FsCacheInfo) info = fs_tool_dup_info (tool);
  guint64 maximum;

  if (info == NULL)
    return FS_TOOL_EXIT_FAILURE;
  maximum = fs_cache_info_get_maximum_size (info);

  if (tool->json)
    print_store_json (path, name, status, FALSE, 0, moved, NULL, NULL);

  switch (status)
    {
    case FS_CACHE_COMMIT_EXISTS:
      if (!tool->json)
        g_print (_ ("The entry “%s” already exists in %s; nothing stored\n"), name, path);
      return FS_TOOL_EXIT_OK;
    case FS_CACHE_COMMIT_TOO_LARGE:
      if (maximum == 0 && fs_cache_info_has_maximum_size (info))
        fs_tool_error (_ ("The cache %s has a maximum size of 0, so it keeps nothing; "
                          "raise it with “fscache init --max-size SIZE”"),
                       path);
      else if (maximum == 0)
        fs_tool_error (_ ("The cache %s has no maximum size, so it keeps nothing; set one with "
                          "“fscache init --max-size SIZE”"),
                       path);
      else
        {
          g_autofree char *max_s = fs_tool_format_size (maximum);
          fs_tool_error (_ ("“%s” is larger than the maximum size of the cache %s (%s); nothing "
                            "stored"),
                         name, path, max_s);
        }
      return FS_TOOL_EXIT_FAILURE;
    case FS_CACHE_COMMIT_NO_SPACE:
      fs_tool_error (_ ("Not enough space in the cache %s for “%s”: the entries in use could not "
                        "be evicted, or the file system is too full; nothing stored"),
                     path, name);
      return FS_TOOL_EXIT_FAILURE;
    case FS_CACHE_COMMIT_INCOMPATIBLE:
      fs_tool_error (_ ("The cache %s has an incompatible format version; nothing stored"), path);
      return FS_TOOL_EXIT_FAILURE;
    case FS_CACHE_COMMIT_STORED:
    default:
      g_assert_not_reached ();
    }
}

/* When @source is a symbolic link to a directory (written with or without
 * a trailing slash), the directory it leads to, as `cp -a link/` and
 * `rsync link/` copy it; else NULL: a directory, a file, and a link to
 * anything else are stored as they are. */
static char *
follow_root_link (const char *source)
{
  g_autofree char *bare = g_strdup (source);
  gsize len = strlen (bare);
  struct stat st;
  char *resolved, *copy;

  while (len > 1 && bare[len - 1] == '/')
    bare[--len] = '\0';
  if (lstat (bare, &st) < 0 || !S_ISLNK (st.st_mode))
    return NULL;
  if (stat (bare, &st) < 0 || !S_ISDIR (st.st_mode))
    return NULL;
  resolved = realpath (bare, NULL);
  copy = g_strdup (resolved); /* for g_free() */
  free (resolved);
  return copy;
}

int
fs_tool_store (FsTool *tool, char **argv)
{
  StoreOptions opt = { FALSE, FALSE };
  const GOptionEntry options[] = {
    { "move", 0, 0, G_OPTION_ARG_NONE, &opt.move,
      N_ ("Move PATH into the cache instead of copying it (a rename on the same file system)"),
      NULL },
    { "no-remote", 0, 0, G_OPTION_ARG_NONE, &opt.no_remote,
      N_ ("Do not upload the entry to the remote after storing it"), NULL },
    { NULL }
  };
  g_auto (GStrv) args = NULL;
  g_autoptr (FsCacheItem) item = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autofree char *size = NULL;
  g_autofree char *followed = NULL;
  g_autoptr (FsCacheTransfer) pushed = NULL;
  FsToolProgress *progress = NULL;
  GCancellable *cancellable;
  const char *name, *source;
  FsCacheCommitStatus status;
  struct stat st;
  gboolean ok;
  int exit_status;

  if (!fs_tool_parse_options (tool, options, NULL, argv, &args, &exit_status))
    return exit_status;
  if (args[0] == NULL || args[1] == NULL)
    return fs_tool_usage_error (tool->command, _ ("store needs a NAME and a PATH"));
  if (args[2] != NULL)
    return fs_tool_usage_error (tool->command, _ ("Unexpected argument “%s”"), args[2]);
  name = args[0];
  source = args[1];
  if (!fs_tool_check_name (name))
    return FS_TOOL_EXIT_USAGE;
  if (lstat (source, &st) < 0)
    {
      fs_tool_error (_ ("Cannot store %s: %s"), source, g_strerror (errno));
      return FS_TOOL_EXIT_FAILURE;
    }
  if ((followed = follow_root_link (source)) != NULL)
    {
      /* Moving the tree behind a link would leave the link dangling, and
       * moving the link would store no tree: refused. */
      if (opt.move)
        {
          fs_tool_error (_ ("%s is a symbolic link: --move needs the directory itself (%s)"),
                         source, followed);
          return FS_TOOL_EXIT_FAILURE;
        }
      source = followed;
    }

  if (!fs_tool_open_cache (tool, TRUE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = fs_tool_absolute_cache_dir (tool);

  /* Declines known before copying anything. */
  info = fs_tool_dup_info (tool);
  if (info == NULL)
    return FS_TOOL_EXIT_FAILURE;
  if (fs_cache_info_get_maximum_size (info) == 0)
    return report_declined (tool, path, name, FS_CACHE_COMMIT_TOO_LARGE, opt.move);
  /* A look, not a load: the statistics count no miss for it. */
  item = fs_cache_describe (tool->cache, name, NULL, &error);
  if (item != NULL)
    return report_declined (tool, path, name, FS_CACHE_COMMIT_EXISTS, opt.move);
  if (!g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
    {
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }
  g_clear_error (&error);

  if (fs_tool_use_progress (tool))
    {
      g_autofree char *quoted = fs_tool_quote_name (name);
      g_autofree char *label = g_strdup_printf (_ ("Storing %s"), quoted);
      progress = fs_tool_progress_new (label);
      /* After the copy, the commit: a sync of the file system unless the
       * cache is volatile. */
      fs_tool_progress_set_finishing (progress, fs_cache_info_get_volatile (info)
                                                  /* TRANSLATORS: the copy is done, the
                                                   * entry is being committed */
                                                  ? _ ("committing…")
                                                  /* TRANSLATORS: the copy is done, the
                                                   * data is being written to the disk */
                                                  : _ ("syncing…"));
    }
  cancellable = fs_tool_watch_signals (tool);
  file = g_file_new_for_path (source);
  /* A moved tree the cache declines is moved back. */
  ok = fs_cache_store_tree (tool->cache, name, file,
                            opt.move ? FS_CACHE_STORE_MOVE : FS_CACHE_STORE_NONE,
                            progress != NULL ? fs_tool_progress_callback : NULL, progress, &status,
                            cancellable, &error);
  fs_tool_progress_finish (progress, ok && status == FS_CACHE_COMMIT_STORED);
  if (!ok)
    return fs_tool_operation_failed (tool, error);
  if (status != FS_CACHE_COMMIT_STORED)
    return report_declined (tool, path, name, status, opt.move);

  /* The size as the cache accounted it. */
  item = fs_cache_describe (tool->cache, name, NULL, NULL);
  size = item != NULL ? fs_tool_format_size (fs_cache_item_get_size (item)) : g_strdup ("?");
  if (!tool->json)
    {
      if (opt.move)
        g_print (_ ("Moved %s into %s as “%s” (%s)\n"), source, path, name, size);
      else
        g_print (_ ("Stored “%s” in %s (%s)\n"), name, path, size);
    }
  if (!opt.no_remote && item != NULL)
    pushed = fs_tool_write_through (tool, info, name, !tool->json, cancellable, &error);
  if (tool->json)
    print_store_json (path, name, status, item != NULL,
                      item != NULL ? fs_cache_item_get_size (item) : 0, opt.move, pushed, error);
  if (error != NULL && fs_tool_interrupted_by (tool, error) != 0)
    return 128 + fs_tool_interrupted_by (tool, error);
  return FS_TOOL_EXIT_OK;
}

/* ---- load --------------------------------------------------------------- */

int
fs_tool_load (FsTool *tool, char **argv)
{
  gboolean no_remote = FALSE;
  int miss_status = FS_TOOL_EXIT_MISS;
  const GOptionEntry options[] = {
    { "miss-status", 0, 0, G_OPTION_ARG_INT, &miss_status,
      N_ ("Exit with status N, not 3, when NAME is not in the cache: a status CMD never uses, so "
          "that a script can tell a miss from CMD's own exit status"),
      N_ ("N") },
    { "no-remote", 0, 0, G_OPTION_ARG_NONE, &no_remote,
      N_ ("Do not ask the remote when the cache does not have NAME"), NULL },
    { NULL }
  };
  g_auto (GStrv) args = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  const char *name;
  char **cmd;
  int status;

  if (!fs_tool_parse_options (tool, options, NULL, argv, &args, &status))
    return status;
  if (miss_status < 0 || miss_status > 255)
    return fs_tool_usage_error (tool->command,
                                _ ("--miss-status: %d is not an exit status (0 to 255)"),
                                miss_status);
  if (args[0] == NULL)
    return fs_tool_usage_error (tool->command, _ ("load needs a NAME and a command"));
  name = args[0];
  cmd = args + 1;
  if (cmd[0] != NULL && g_str_equal (cmd[0], "--"))
    cmd++;
  if (cmd[0] == NULL)
    return fs_tool_usage_error (tool->command,
                                _ ("load needs a command to run: fscache load NAME -- CMD "
                                   "[ARGS…]"));
  if (!fs_tool_check_name (name))
    return FS_TOOL_EXIT_USAGE;

  if (!fs_tool_open_cache (tool, FALSE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  /* On a local miss the remote, if the cache has one: a remote that fails
   * is one warning (the library's message) and a miss. */
  entry = fs_cache_load_full (tool->cache, name,
                              no_remote ? FS_CACHE_LOAD_NONE : FS_CACHE_LOAD_REMOTE, NULL, &error);
  if (entry == NULL)
    {
      fs_tool_error ("%s", error->message);
      return g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS) ? miss_status
                                                                          : FS_TOOL_EXIT_FAILURE;
    }
  /* CMD runs with the entry read-locked; released when it is done. */
  status = fs_tool_run_command (tool, cmd, name, fs_cache_entry_get_path (entry));
  fs_cache_entry_release (entry);
  return status;
}

/* ---- export ------------------------------------------------------------- */

int
fs_tool_export (FsTool *tool, char **argv)
{
  g_auto (GStrv) args = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) destination = NULL;
  g_autofree char *dest_abs = NULL;
  FsToolProgress *progress = NULL;
  const char *name, *dest;
  struct stat st;
  gboolean ok;
  int exit_status;

  if (!fs_tool_parse_options (tool, NULL, NULL, argv, &args, &exit_status))
    return exit_status;
  if (args[0] == NULL || args[1] == NULL)
    return fs_tool_usage_error (tool->command, _ ("export needs a NAME and a DEST"));
  if (args[2] != NULL)
    return fs_tool_usage_error (tool->command, _ ("Unexpected argument “%s”"), args[2]);
  name = args[0];
  dest = args[1];
  if (!fs_tool_check_name (name))
    return FS_TOOL_EXIT_USAGE;
  if (lstat (dest, &st) == 0)
    {
      fs_tool_error (_ ("%s already exists; give a path that does not exist yet"), dest);
      return FS_TOOL_EXIT_FAILURE;
    }

  if (!fs_tool_open_cache (tool, FALSE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  entry = fs_cache_load (tool->cache, name, NULL, &error);
  if (entry == NULL)
    {
      fs_tool_error ("%s", error->message);
      return g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS) ? FS_TOOL_EXIT_MISS
                                                                          : FS_TOOL_EXIT_FAILURE;
    }

  if (fs_tool_use_progress (tool))
    {
      g_autofree char *quoted = fs_tool_quote_name (name);
      g_autofree char *label = g_strdup_printf (_ ("Exporting %s"), quoted);
      progress = fs_tool_progress_new (label);
    }
  /* The library creates DEST, and removes what it made if the copy fails
   * or is interrupted. */
  destination = g_file_new_for_path (dest);
  ok = fs_cache_entry_export (entry, destination, FS_CACHE_EXPORT_NONE,
                              progress != NULL ? fs_tool_progress_callback : NULL, progress,
                              fs_tool_watch_signals (tool), &error);
  fs_tool_progress_finish (progress, ok);
  if (!ok && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      /* Made since the check above. */
      fs_tool_error (_ ("%s already exists; give a path that does not exist yet"), dest);
      return FS_TOOL_EXIT_FAILURE;
    }
  if (!ok)
    return fs_tool_operation_failed (tool, error);

  dest_abs = g_canonicalize_filename (dest, NULL);
  if (tool->json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_string_member (object, "name", name);
      json_object_set_string_member (object, "destination", dest_abs);
      json_object_set_int_member (object, "size", (gint64) fs_cache_entry_get_size (entry));
      json_node_set_object (node, object);
      fs_tool_print_json (node);
    }
  else
    g_print (_ ("Exported “%s” to %s\n"), name, dest_abs);
  return FS_TOOL_EXIT_OK;
}

/* ---- rm ----------------------------------------------------------------- */

int
fs_tool_rm (FsTool *tool, char **argv)
{
  gboolean force = FALSE;
  const GOptionEntry options[] = {
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      N_ ("A NAME that is not in the cache is no error (nor a message)"), NULL },
    { NULL }
  };
  g_auto (GStrv) args = NULL;
  g_autoptr (JsonArray) removed = json_array_new ();
  g_autoptr (JsonArray) errors = json_array_new ();
  gboolean failed = FALSE, missed = FALSE;
  int status;

  if (!fs_tool_parse_options (tool, options, NULL, argv, &args, &status))
    return status;
  if (args[0] == NULL)
    return fs_tool_usage_error (tool->command, _ ("rm needs at least one NAME"));
  for (char **a = args; *a != NULL; a++)
    if (!fs_tool_check_name (*a))
      return FS_TOOL_EXIT_USAGE;
  if (!fs_tool_open_cache (tool, TRUE, FALSE))
    return FS_TOOL_EXIT_FAILURE;

  for (char **a = args; *a != NULL; a++)
    {
      g_autoptr (GError) error = NULL;
      JsonObject *o;
      const char *kind;

      if (fs_cache_remove (tool->cache, *a, NULL, &error))
        {
          json_array_add_string_element (removed, *a);
          if (!tool->json)
            g_print (_ ("Removed “%s”\n"), *a);
          continue;
        }
      if (force && g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
        continue;
      if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
        {
          kind = "miss";
          missed = TRUE;
          fs_tool_error ("%s", error->message);
        }
      else if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_BUSY))
        {
          kind = "busy";
          failed = TRUE;
          fs_tool_error (_ ("Cannot remove “%s”: %s"), *a, error->message);
        }
      else
        {
          kind = "failed";
          failed = TRUE;
          fs_tool_error ("%s", error->message);
        }
      o = json_object_new ();
      json_object_set_string_member (o, "name", *a);
      json_object_set_string_member (o, "error", kind);
      json_object_set_string_member (o, "message", error->message);
      json_array_add_object_element (errors, o);
    }

  if (tool->json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_array_member (object, "removed", json_array_ref (removed));
      json_object_set_array_member (object, "errors", json_array_ref (errors));
      json_node_set_object (node, object);
      fs_tool_print_json (node);
    }
  if (failed)
    return FS_TOOL_EXIT_FAILURE;
  return missed ? FS_TOOL_EXIT_MISS : FS_TOOL_EXIT_OK;
}
