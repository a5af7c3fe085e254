/* fscache-manage.c: the management of a cache for people: stats, pin,
 * unpin, prune, gc, ensure, and `info NAME`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include <fscache.h>

#include "fscache-builtins.h"
#include "fscache-util.h"

/* ---- stats -------------------------------------------------------------- */

typedef struct {
  const char *key; /* JSON member, as FsCacheStats names the property */
  const char *label;
  guint64 (*get) (FsCacheStats *stats);
  gboolean bytes;
} StatRow;

static const StatRow stat_rows[] = {
  { "hits", N_ ("Hits"), fs_cache_stats_get_hits, FALSE },
  { "misses", N_ ("Misses"), fs_cache_stats_get_misses, FALSE },
  { "stored", N_ ("Stored"), fs_cache_stats_get_stored, FALSE },
  { "exists", N_ ("Already there"), fs_cache_stats_get_exists, FALSE },
  { "too-large", N_ ("Too large"), fs_cache_stats_get_too_large, FALSE },
  { "no-space", N_ ("No space"), fs_cache_stats_get_no_space, FALSE },
  { "incompatible", N_ ("Incompatible"), fs_cache_stats_get_incompatible, FALSE },
  { "evicted", N_ ("Evicted"), fs_cache_stats_get_evicted, FALSE },
  { "evicted-bytes", N_ ("Evicted space"), fs_cache_stats_get_evicted_bytes, TRUE },
  { "removed", N_ ("Removed"), fs_cache_stats_get_removed, FALSE },
  { "remote-hits", N_ ("Remote hits"), fs_cache_stats_get_remote_hits, FALSE },
  { "remote-misses", N_ ("Remote misses"), fs_cache_stats_get_remote_misses, FALSE },
  { "remote-errors", N_ ("Remote errors"), fs_cache_stats_get_remote_errors, FALSE },
  { "remote-bytes-up", N_ ("Sent to the remote"), fs_cache_stats_get_remote_bytes_up, TRUE },
  { "remote-bytes-down", N_ ("Received from the remote"), fs_cache_stats_get_remote_bytes_down,
    TRUE },
};

static void
add_row (GPtrArray *labels, GPtrArray *values, const char *label, char *value)
{
  g_ptr_array_add (labels, (gpointer) label);
  g_ptr_array_add (values, value);
}

static void
print_stats_json (const char *path, FsCacheStats *stats)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *since = fs_tool_format_time (fs_cache_stats_get_since (stats), FALSE);

  json_object_set_string_member (object, "cache", path);
  if (since != NULL)
    json_object_set_string_member (object, "since", since);
  else
    json_object_set_null_member (object, "since");
  for (gsize i = 0; i < G_N_ELEMENTS (stat_rows); i++)
    json_object_set_int_member (object, stat_rows[i].key, (gint64) stat_rows[i].get (stats));
  json_object_set_double_member (object, "hit-ratio", fs_cache_stats_get_hit_ratio (stats));
  json_node_set_object (node, object);
  fs_tool_print_json (node);
}

static void
print_stats (const char *path, FsCacheStats *stats)
{
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  GDateTime *since = fs_cache_stats_get_since (stats);
  guint64 loads = fs_cache_stats_get_hits (stats) + fs_cache_stats_get_misses (stats);

  add_row (labels, values, _ ("Cache"), g_strdup (path));
  if (since == NULL)
    add_row (labels, values, _ ("Since"), g_strdup (_ ("nothing counted yet")));
  else
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *when = fs_tool_format_time (since, TRUE);
      g_autofree char *ago = fs_tool_format_duration (g_date_time_difference (now, since));

      /* TRANSLATORS: a time, then how long ago it was ("3 days") */
      add_row (labels, values, _ ("Since"), g_strdup_printf (_ ("%s (%s ago)"), when, ago));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (stat_rows); i++)
    {
      guint64 value = stat_rows[i].get (stats);

      if (stat_rows[i].bytes)
        add_row (labels, values, _ (stat_rows[i].label), fs_tool_format_size (value));
      else
        add_row (labels, values, _ (stat_rows[i].label),
                 g_strdup_printf ("%" G_GUINT64_FORMAT, value));
      if (g_str_equal (stat_rows[i].key, "misses"))
        add_row (labels, values, _ ("Hit ratio"),
                 loads == 0
                   ? g_strdup (_ ("no loads yet"))
                   : g_strdup_printf ("%.1f%%", 100.0 * fs_cache_stats_get_hit_ratio (stats)));
    }
  fs_tool_print_rows (labels, values);
}

int
fs_tool_stats (FsTool *tool, char **argv)
{
  gboolean zero = FALSE;
  const GOptionEntry options[] = { { "zero", 0, 0, G_OPTION_ARG_NONE, &zero,
                                     N_ ("Set every counter to 0; they count from now on"), NULL },
                                   { NULL } };
  g_auto (GStrv) args = NULL;
  g_autoptr (FsCacheStats) stats = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  int status;

  if (!fs_tool_parse_options (tool, options, NULL, argv, &args, &status))
    return status;
  if ((status = fs_tool_no_arguments (tool, args)) != FS_TOOL_EXIT_OK)
    return status;
  if (!fs_tool_open_cache (tool, zero, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = fs_tool_absolute_cache_dir (tool);

  if (zero)
    {
      if (!fs_cache_zero_stats (tool->cache, NULL, &error))
        {
          fs_tool_error ("%s", error->message);
          return FS_TOOL_EXIT_FAILURE;
        }
      if (!tool->json)
        {
          g_print (_ ("Zeroed the statistics of %s\n"), path);
          return FS_TOOL_EXIT_OK;
        }
    }
  stats = fs_cache_get_stats (tool->cache, NULL, &error);
  if (stats == NULL)
    {
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }
  if (tool->json)
    print_stats_json (path, stats);
  else
    print_stats (path, stats);
  return FS_TOOL_EXIT_OK;
}

/* ---- pin, unpin --------------------------------------------------------- */

static int
pin_or_unpin (FsTool *tool, char **argv, gboolean pinned)
{
  gboolean verbose = FALSE;
  const GOptionEntry options[] = { { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
                                     N_ ("Say what was done to each entry"), NULL },
                                   { NULL } };
  g_auto (GStrv) args = NULL;
  g_autoptr (JsonArray) done = json_array_new ();
  g_autoptr (JsonArray) errors = json_array_new ();
  gboolean failed = FALSE, missed = FALSE;
  int status;

  if (!fs_tool_parse_options (tool, options, NULL, argv, &args, &status))
    return status;
  if (args[0] == NULL)
    return fs_tool_usage_error (tool->command, _ ("%s needs at least one NAME"),
                                tool->command->name);
  for (char **a = args; *a != NULL; a++)
    if (!fs_tool_check_name (*a))
      return FS_TOOL_EXIT_USAGE;
  if (!fs_tool_open_cache (tool, TRUE, FALSE))
    return FS_TOOL_EXIT_FAILURE;

  for (char **a = args; *a != NULL; a++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *quoted = fs_tool_quote_name (*a);
      JsonObject *o;

      if (fs_cache_pin (tool->cache, *a, pinned, NULL, &error))
        {
          json_array_add_string_element (done, *a);
          if (verbose && !tool->json)
            g_print (pinned ? _ ("Pinned %s\n") : _ ("Unpinned %s\n"), quoted);
          continue;
        }
      if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
        missed = TRUE;
      else
        failed = TRUE;
      fs_tool_error ("%s", error->message);
      o = json_object_new ();
      json_object_set_string_member (o, "name", *a);
      json_object_set_string_member (o, "error",
                                     g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS)
                                       ? "miss"
                                       : "failed");
      json_object_set_string_member (o, "message", error->message);
      json_array_add_object_element (errors, o);
    }

  if (tool->json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_array_member (object, pinned ? "pinned" : "unpinned", json_array_ref (done));
      json_object_set_array_member (object, "errors", json_array_ref (errors));
      json_node_set_object (node, object);
      fs_tool_print_json (node);
    }
  if (failed)
    return FS_TOOL_EXIT_FAILURE;
  return missed ? FS_TOOL_EXIT_MISS : FS_TOOL_EXIT_OK;
}

int
fs_tool_pin (FsTool *tool, char **argv)
{
  return pin_or_unpin (tool, argv, TRUE);
}

int
fs_tool_unpin (FsTool *tool, char **argv)
{
  return pin_or_unpin (tool, argv, FALSE);
}

/* ---- prune -------------------------------------------------------------- */

typedef struct {
  char *to;          /* --to */
  char *older_than;  /* --older-than */
  char *max_entries; /* --max-entries */
  gboolean all;      /* --all */
  gboolean dry_run;  /* --dry-run */
  gboolean verbose;  /* -v */
} PruneOptions;

static void
prune_options_clear (PruneOptions *o)
{
  g_clear_pointer (&o->to, g_free);
  g_clear_pointer (&o->older_than, g_free);
  g_clear_pointer (&o->max_entries, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PruneOptions, prune_options_clear)

static JsonObject *
prune_item_to_json (FsCacheItem *item)
{
  JsonObject *o = json_object_new ();
  g_autofree char *when = fs_tool_format_time (fs_cache_item_get_last_used (item), FALSE);

  json_object_set_string_member (o, "name", fs_cache_item_get_name (item));
  json_object_set_int_member (o, "size", (gint64) fs_cache_item_get_size (item));
  json_object_set_string_member (o, "last-used", when);
  if (fs_cache_item_get_prune_outcome (item) != FS_CACHE_PRUNE_OUTCOME_REMOVED)
    json_object_set_string_member (o, "reason",
                                   fs_cache_item_get_prune_outcome (item) ==
                                       FS_CACHE_PRUNE_OUTCOME_SKIPPED_PINNED
                                     ? "pinned"
                                     : "in-use");
  return o;
}

/* One line per entry: removed ones with -v or in a dry run, skipped ones
 * always. */
static void
print_prune_items (GListModel *list, gboolean dry_run, gboolean verbose)
{
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
      g_autofree char *name = fs_tool_quote_name (fs_cache_item_get_name (item));
      g_autofree char *size = fs_tool_format_size (fs_cache_item_get_size (item));
      g_autofree char *when = fs_tool_format_time (fs_cache_item_get_last_used (item), TRUE);

      switch (fs_cache_item_get_prune_outcome (item))
        {
        case FS_CACHE_PRUNE_OUTCOME_REMOVED:
          if (dry_run)
            g_print (_ ("Would remove %s (%s, last used %s)\n"), name, size, when);
          else if (verbose)
            g_print (_ ("Removed %s (%s, last used %s)\n"), name, size, when);
          break;
        case FS_CACHE_PRUNE_OUTCOME_SKIPPED_PINNED:
          g_print (_ ("Kept %s: it is pinned\n"), name);
          break;
        case FS_CACHE_PRUNE_OUTCOME_SKIPPED_IN_USE:
          g_print (_ ("Kept %s: it is in use\n"), name);
          break;
        case FS_CACHE_PRUNE_OUTCOME_NONE:
        default:
          break;
        }
    }
}

int
fs_tool_prune (FsTool *tool, char **argv)
{
  g_auto (PruneOptions) opt = { NULL, NULL, NULL, FALSE, FALSE, FALSE };
  const GOptionEntry options[] = {
    { "to", 0, 0, G_OPTION_ARG_STRING, &opt.to,
      N_ ("Evict least recently used entries until the cache uses at most SIZE (default, without "
          "--older-than and --max-entries: the low watermark)"),
      N_ ("SIZE") },
    { "older-than", 0, 0, G_OPTION_ARG_STRING, &opt.older_than,
      N_ ("Evict the entries not used for DURATION or longer (7d, 12h, 30m, 2s, 1h30m…)"),
      N_ ("DURATION") },
    { "max-entries", 0, 0, G_OPTION_ARG_STRING, &opt.max_entries,
      N_ ("Evict least recently used entries until at most N are left"), N_ ("N") },
    { "all", 0, 0, G_OPTION_ARG_NONE, &opt.all,
      N_ ("Evict every entry (pinned entries and entries in use are kept)"), NULL },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &opt.dry_run,
      N_ ("Only say which entries would be removed"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt.verbose, N_ ("Name every entry removed"), NULL },
    { NULL }
  };
  g_auto (GStrv) args = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GListModel) list = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *target_s = NULL;
  g_autofree char *bytes_s = NULL;
  g_autofree char *used_s = NULL;
  guint64 target = FS_CACHE_SIZE_UNLIMITED, bytes = 0, used = 0, max_entries = 0;
  GTimeSpan older_than = 0;
  guint entries = 0, skipped = 0;
  gboolean by_size;
  int status;

  if (!fs_tool_parse_options (tool, options, NULL, argv, &args, &status))
    return status;
  if ((status = fs_tool_no_arguments (tool, args)) != FS_TOOL_EXIT_OK)
    return status;
  if (opt.all && (opt.to != NULL || opt.older_than != NULL || opt.max_entries != NULL))
    return fs_tool_usage_error (tool->command,
                                _ ("--all evicts every entry: it takes no --to, --older-than or "
                                   "--max-entries"));
  if (opt.to != NULL && !fs_tool_parse_size (opt.to, &target, &error))
    return fs_tool_usage_error (tool->command, "--to: %s", error->message);
  if (opt.older_than != NULL && !fs_tool_parse_duration (opt.older_than, &older_than, &error))
    return fs_tool_usage_error (tool->command, "--older-than: %s", error->message);
  if (opt.max_entries != NULL &&
      !g_ascii_string_to_unsigned (opt.max_entries, 10, 0, G_MAXINT64, &max_entries, NULL))
    return fs_tool_usage_error (tool->command,
                                _ ("--max-entries: “%s” is not a number of entries (0 or more)"),
                                opt.max_entries);
  if (opt.all)
    target = 0;

  if (!fs_tool_open_cache (tool, !opt.dry_run, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = fs_tool_absolute_cache_dir (tool);
  if (!opt.all && opt.to == NULL && opt.older_than == NULL && opt.max_entries == NULL)
    {
      guint64 maximum;

      info = fs_tool_dup_info (tool);
      if (info == NULL)
        return FS_TOOL_EXIT_FAILURE;
      maximum = fs_cache_info_get_maximum_size (info);
      if (maximum == 0 || maximum == FS_CACHE_SIZE_UNLIMITED)
        return fs_tool_usage_error (
          tool->command,
          _ ("The cache %s has no maximum size to prune to: give one with --to "
             "SIZE, or prune with --older-than, --max-entries or --all"),
          path);
      target = fs_tool_percent_of (maximum, fs_cache_info_get_low_watermark (info));
    }
  by_size = target != FS_CACHE_SIZE_UNLIMITED;

  list =
    fs_cache_prune_full (tool->cache, target, opt.max_entries != NULL ? (gint64) max_entries : -1,
                         older_than,
                         opt.dry_run ? FS_CACHE_MAINTENANCE_DRY_RUN : FS_CACHE_MAINTENANCE_NONE,
                         NULL, &error);
  if (list == NULL)
    {
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }
  if (!fs_cache_get_usage (tool->cache, &used, NULL, NULL, &error))
    {
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);

      if (fs_cache_item_get_prune_outcome (item) == FS_CACHE_PRUNE_OUTCOME_REMOVED)
        {
          entries++;
          bytes += fs_cache_item_get_size (item);
        }
      else
        skipped++;
    }

  if (tool->json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      JsonArray *removed = json_array_new ();
      JsonArray *kept = json_array_new ();

      for (guint i = 0; i < g_list_model_get_n_items (list); i++)
        {
          g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);

          json_array_add_object_element (fs_cache_item_get_prune_outcome (item) ==
                                             FS_CACHE_PRUNE_OUTCOME_REMOVED
                                           ? removed
                                           : kept,
                                         prune_item_to_json (item));
        }
      json_object_set_string_member (object, "cache", path);
      json_object_set_boolean_member (object, "dry-run", opt.dry_run);
      if (by_size)
        json_object_set_int_member (object, "target", (gint64) target);
      else
        json_object_set_null_member (object, "target");
      if (opt.max_entries != NULL)
        json_object_set_int_member (object, "max-entries", (gint64) max_entries);
      else
        json_object_set_null_member (object, "max-entries");
      if (older_than > 0)
        json_object_set_int_member (object, "older-than", older_than / G_TIME_SPAN_SECOND);
      else
        json_object_set_null_member (object, "older-than");
      json_object_set_int_member (object, "entries", entries);
      json_object_set_int_member (object, "bytes", (gint64) bytes);
      json_object_set_int_member (object, "used", (gint64) used);
      json_object_set_array_member (object, "removed", removed);
      json_object_set_array_member (object, "skipped", kept);
      json_node_set_object (node, object);
      fs_tool_print_json (node);
      return FS_TOOL_EXIT_OK;
    }

  print_prune_items (list, opt.dry_run, opt.verbose);
  target_s = fs_tool_format_size (target);
  bytes_s = fs_tool_format_size (bytes);
  used_s = fs_tool_format_size (used);
  if (entries == 0 && skipped > 0)
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "Nothing could be pruned: the entry to remove is pinned or in use\n",
                          "Nothing could be pruned: the entries to remove are pinned or in use\n",
                          skipped));
  else if (entries == 0 && by_size && used > target)
    g_print (_ ("Nothing could be pruned: the cache uses %s, more than the target %s, but its "
                "entries are in use\n"),
             used_s, target_s);
  else if (entries == 0 && by_size)
    g_print (_ ("Nothing to prune: the cache uses %s, the target is %s\n"), used_s, target_s);
  else if (entries == 0)
    g_print (_ ("Nothing to prune: the cache uses %s\n"), used_s);
  else if (opt.dry_run && by_size && !opt.all)
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "Would remove %u entry (%s) to bring the cache down to %s\n",
                          "Would remove %u entries (%s) to bring the cache down to %s\n", entries),
             entries, bytes_s, target_s);
  else if (opt.dry_run)
    g_print (g_dngettext (GETTEXT_PACKAGE, "Would remove %u entry (%s)\n",
                          "Would remove %u entries (%s)\n", entries),
             entries, bytes_s);
  else
    g_print (g_dngettext (GETTEXT_PACKAGE, "Removed %u entry (%s); the cache now uses %s\n",
                          "Removed %u entries (%s); the cache now uses %s\n", entries),
             entries, bytes_s, used_s);
  return FS_TOOL_EXIT_OK;
}

/* ---- gc ----------------------------------------------------------------- */

typedef struct {
  gboolean dry_run; /* --dry-run */
  gint64 wait_idle; /* --wait-idle[=SECONDS]: -1 when not given, 0 for no limit */
} GcOptions;

static gboolean
parse_wait_idle (const char *name, const char *value, gpointer data, GError **error)
{
  GcOptions *opt = data;
  guint64 seconds = 0;

  if (value != NULL &&
      (!g_ascii_string_to_unsigned (value, 10, 1, G_MAXINT / 1000, &seconds, NULL)))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("%s: “%s” is not a number of seconds (1 or more)"), name, value);
      return FALSE;
    }
  opt->wait_idle = (gint64) seconds;
  return TRUE;
}

int
fs_tool_gc (FsTool *tool, char **argv)
{
  GcOptions opt = { FALSE, -1 };
  const GOptionEntry options[] = {
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &opt.dry_run, N_ ("Only report what would be removed"),
      NULL },
    { "wait-idle", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_wait_idle,
      N_ ("Wait until no other process has the cache open (at most SECONDS, if given), so that "
          "the size counter can be checked"),
      N_ ("SECONDS") },
    { NULL }
  };
  g_auto (GStrv) args = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = NULL;
  g_autofree char *path = NULL;
  FsCacheGcFlags flags = FS_CACHE_GC_NONE;
  guint64 reclaimed = 0;
  gint64 correction = 0;
  gboolean checked = FALSE;
  gboolean timed_out;
  guint removed = 0;
  int status;

  if (!fs_tool_parse_options (tool, options, &opt, argv, &args, &status))
    return status;
  if ((status = fs_tool_no_arguments (tool, args)) != FS_TOOL_EXIT_OK)
    return status;
  if (!fs_tool_open_cache (tool, !opt.dry_run, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = fs_tool_absolute_cache_dir (tool);
  if (opt.dry_run)
    flags |= FS_CACHE_GC_DRY_RUN;
  if (opt.wait_idle >= 0)
    {
      flags |= FS_CACHE_GC_WAIT_IDLE;
      /* Ctrl-C stops the wait cleanly. */
      cancellable = g_object_ref (fs_tool_watch_signals (tool));
    }
  if (!fs_cache_collect_garbage_full (tool->cache, flags,
                                      opt.wait_idle > 0 ? (int) (opt.wait_idle * 1000) : -1,
                                      &removed, &reclaimed, &correction, &checked, cancellable,
                                      &error))
    {
      int signum = fs_tool_interrupted_by (tool, error);

      if (signum != 0)
        {
          fs_tool_error (_ ("Interrupted"));
          return 128 + signum;
        }
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }
  /* Asked to wait, and the cache stayed in use: the counter is unchecked. */
  timed_out = !checked && opt.wait_idle >= 0;

  if (tool->json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_string_member (object, "cache", path);
      json_object_set_boolean_member (object, "dry-run", opt.dry_run);
      json_object_set_int_member (object, "removed", removed);
      json_object_set_int_member (object, "reclaimed", (gint64) reclaimed);
      if (checked)
        json_object_set_int_member (object, "correction", correction);
      else
        json_object_set_null_member (object, "correction");
      json_object_set_boolean_member (object, "counter-checked", checked);
      json_node_set_object (node, object);
      fs_tool_print_json (node);
    }
  else
    {
      if (removed == 0 && correction == 0)
        g_print (_ ("Nothing to collect in %s\n"), path);
      if (removed > 0)
        {
          g_autofree char *r = fs_tool_format_size (reclaimed);
          g_print (opt.dry_run ? g_dngettext (GETTEXT_PACKAGE, "Would remove %u stale item (%s)\n",
                                              "Would remove %u stale items (%s)\n", removed)
                               : g_dngettext (GETTEXT_PACKAGE, "Removed %u stale item (%s)\n",
                                              "Removed %u stale items (%s)\n", removed),
                   removed, r);
        }
      if (correction != 0)
        {
          g_autofree char *c = fs_tool_format_size ((guint64) ABS (correction));
          g_print (opt.dry_run ? _ ("Would correct the size counter by %s%s\n")
                               : _ ("Corrected the size counter by %s%s\n"),
                   correction > 0 ? "+" : "-", c);
        }
      if (!checked && !timed_out)
        g_print (opt.dry_run ? _ ("The size counter was not measured: the cache is in use by "
                                  "another process\n")
                             : _ ("The size counter was not checked: the cache is in use by "
                                  "another process (“fscache gc --wait-idle” waits until it is "
                                  "not)\n"));
    }

  if (timed_out)
    {
      g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, opt.wait_idle);
      fs_tool_error (_ ("The cache %s was still in use by another process after %s s: the size "
                        "counter was not checked"),
                     path, seconds);
      return FS_TOOL_EXIT_FAILURE;
    }
  return FS_TOOL_EXIT_OK;
}

/* ---- info NAME ---------------------------------------------------------- */

static void
print_entry_json (FsTool *tool, const char *path, FsCacheItem *item)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *created = fs_tool_format_time (fs_cache_item_get_created (item), FALSE);
  g_autofree char *used = fs_tool_format_time (fs_cache_item_get_last_used (item), FALSE);
  const char *boot_id = fs_cache_item_get_creation_boot_id (item);
  const char *digest = fs_cache_item_get_tree_digest (item);

  json_object_set_string_member (object, "cache", path);
  json_object_set_string_member (object, "name", fs_cache_item_get_name (item));
  json_object_set_int_member (object, "size", (gint64) fs_cache_item_get_size (item));
  if (created != NULL)
    json_object_set_string_member (object, "created", created);
  else
    json_object_set_null_member (object, "created");
  if (used != NULL)
    json_object_set_string_member (object, "last-used", used);
  else
    json_object_set_null_member (object, "last-used");
  if (boot_id != NULL)
    json_object_set_string_member (object, "creation-boot-id", boot_id);
  else
    json_object_set_null_member (object, "creation-boot-id");
  json_object_set_boolean_member (object, "this-boot",
                                  boot_id != NULL &&
                                    g_str_equal (boot_id, fs_cache_get_boot_id (tool->cache)));
  json_object_set_boolean_member (object, "pinned", fs_cache_item_get_pinned (item));
  json_object_set_boolean_member (object, "in-use", fs_cache_item_get_in_use (item));
  json_object_set_boolean_member (object, "has-manifest", fs_cache_item_get_has_manifest (item));
  if (digest != NULL)
    json_object_set_string_member (object, "tree-digest", digest);
  else
    json_object_set_null_member (object, "tree-digest");
  json_node_set_object (node, object);
  fs_tool_print_json (node);
}

static char *
describe_time (GDateTime *time)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = NULL;
  g_autofree char *ago = NULL;

  if (time == NULL)
    return g_strdup (_ ("unknown"));
  when = fs_tool_format_time (time, TRUE);
  ago = fs_tool_format_duration (g_date_time_difference (now, time));
  return g_strdup_printf (_ ("%s (%s ago)"), when, ago);
}

static void
print_entry (FsTool *tool, const char *path, FsCacheItem *item)
{
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *size = fs_tool_format_size (fs_cache_item_get_size (item));
  const char *boot_id = fs_cache_item_get_creation_boot_id (item);
  const char *digest = fs_cache_item_get_tree_digest (item);

  add_row (labels, values, _ ("Entry"), fs_tool_quote_name (fs_cache_item_get_name (item)));
  add_row (labels, values, _ ("Cache"), g_strdup (path));
  add_row (labels, values, _ ("Size"),
           g_strdup_printf (_ ("%s (%" G_GUINT64_FORMAT " bytes)"), size,
                            fs_cache_item_get_size (item)));
  add_row (labels, values, _ ("Created"), describe_time (fs_cache_item_get_created (item)));
  add_row (labels, values, _ ("Last used"), describe_time (fs_cache_item_get_last_used (item)));
  if (boot_id == NULL)
    add_row (labels, values, _ ("Boot id"), g_strdup (_ ("not recorded")));
  else if (g_str_equal (boot_id, fs_cache_get_boot_id (tool->cache)))
    add_row (labels, values, _ ("Boot id"), g_strdup_printf (_ ("%s (this boot)"), boot_id));
  else
    add_row (labels, values, _ ("Boot id"), g_strdup_printf (_ ("%s (another boot)"), boot_id));
  add_row (labels, values, _ ("Pinned"),
           g_strdup (fs_cache_item_get_pinned (item)
                       ? _ ("yes: eviction and prune leave it alone (osbuild does not know pins)")
                       : _ ("no")));
  add_row (labels, values, _ ("In use"),
           g_strdup (fs_cache_item_get_in_use (item) ? _ ("yes: a process has it loaded")
                                                     : _ ("no")));
  if (digest != NULL)
    add_row (labels, values, _ ("Tree digest"), g_strdup (digest));
  add_row (labels, values, _ ("Manifest"),
           g_strdup (fs_cache_item_get_has_manifest (item)
                       ? _ ("yes")
                       : _ ("none (stored by osbuild, or before manifests)")));
  fs_tool_print_rows (labels, values);
}

int
fs_tool_info_entry (FsTool *tool, const char *name)
{
  g_autoptr (FsCacheItem) item = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  if (!fs_tool_check_name (name))
    return FS_TOOL_EXIT_USAGE;
  if (!fs_tool_open_cache (tool, FALSE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = fs_tool_absolute_cache_dir (tool);
  item = fs_cache_describe (tool->cache, name, NULL, &error);
  if (item == NULL)
    {
      fs_tool_error ("%s", error->message);
      return g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS) ? FS_TOOL_EXIT_MISS
                                                                          : FS_TOOL_EXIT_FAILURE;
    }
  if (tool->json)
    print_entry_json (tool, path, item);
  else
    print_entry (tool, path, item);
  return FS_TOOL_EXIT_OK;
}

/* ---- ensure ------------------------------------------------------------- */

typedef struct {
  char *timeout; /* --timeout */
  gboolean verbose;
  gboolean no_remote;
} EnsureOptions;

static void
ensure_options_clear (EnsureOptions *o)
{
  g_clear_pointer (&o->timeout, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EnsureOptions, ensure_options_clear)

static int
report_commit (FsTool *tool, const char *name, FsCacheCommitStatus status, gboolean verbose)
{
  g_autofree char *quoted = fs_tool_quote_name (name);
  g_autofree char *path = fs_tool_absolute_cache_dir (tool);

  switch (status)
    {
    case FS_CACHE_COMMIT_STORED:
      if (verbose)
        fs_tool_message (_ ("Stored %s in %s"), quoted, path);
      return FS_TOOL_EXIT_OK;
    case FS_CACHE_COMMIT_EXISTS:
      if (verbose)
        fs_tool_message (_ ("%s was stored meanwhile by another process; it is in %s"), quoted,
                         path);
      return FS_TOOL_EXIT_OK;
    case FS_CACHE_COMMIT_TOO_LARGE:
      fs_tool_error (_ ("%s is larger than the maximum size of the cache %s (or it keeps nothing); "
                        "nothing stored"),
                     quoted, path);
      return FS_TOOL_EXIT_FAILURE;
    case FS_CACHE_COMMIT_NO_SPACE:
      fs_tool_error (_ ("Not enough space in the cache %s for %s; nothing stored"), path, quoted);
      return FS_TOOL_EXIT_FAILURE;
    case FS_CACHE_COMMIT_INCOMPATIBLE:
    default:
      fs_tool_error (_ ("The cache %s has an incompatible format version; nothing stored"), path);
      return FS_TOOL_EXIT_FAILURE;
    }
}

int
fs_tool_ensure (FsTool *tool, char **argv)
{
  g_auto (EnsureOptions) opt = { NULL, FALSE, FALSE };
  const GOptionEntry options[] = {
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &opt.timeout,
      N_ ("Wait at most DURATION for another process building NAME (default: no limit; "
          "7d, 12h, 30m, 2s…)"),
      N_ ("DURATION") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt.verbose,
      N_ ("Say on stderr what happened: found, waited, built"), NULL },
    { "no-remote", 0, 0, G_OPTION_ARG_NONE, &opt.no_remote,
      N_ ("Neither pull NAME from the remote before building it nor push it after"), NULL },
    { NULL }
  };
  g_auto (GStrv) args = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (FsCacheTransfer) pushed = NULL;
  GCancellable *cancellable;
  int signum;
  g_autoptr (GError) error = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *entry_path = NULL;
  GTimeSpan timeout = -1;
  FsCacheLoadFlags flags = FS_CACHE_LOAD_NONE;
  FsCacheCommitStatus commit_status;
  const char *name;
  char **cmd;
  int status;

  if (!fs_tool_parse_options (tool, options, NULL, argv, &args, &status))
    return status;
  if (args[0] == NULL)
    return fs_tool_usage_error (tool->command, _ ("ensure needs a NAME and a command"));
  name = args[0];
  cmd = args + 1;
  if (cmd[0] != NULL && g_str_equal (cmd[0], "--"))
    cmd++;
  if (cmd[0] == NULL)
    return fs_tool_usage_error (tool->command,
                                _ ("ensure needs a command that builds the entry: fscache ensure "
                                   "NAME -- CMD [ARGS…]"));
  if (opt.timeout != NULL && !fs_tool_parse_duration (opt.timeout, &timeout, &error))
    return fs_tool_usage_error (tool->command, "--timeout: %s", error->message);
  if (!fs_tool_check_name (name))
    return FS_TOOL_EXIT_USAGE;
  if (!fs_tool_open_cache (tool, TRUE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  quoted = fs_tool_quote_name (name);
  /* ^C, SIGTERM and SIGHUP stop a pull or a wait cleanly. */
  cancellable = fs_tool_watch_signals (tool);

  /* With a remote (unless --no-remote): the process that would build
   * NAME first pulls it, and the others wait for that pull as for a build;
   * a remote that fails is one warning (the library's message), then the
   * build. */
  if (!opt.no_remote && (info = fs_tool_dup_info (tool)) == NULL)
    return FS_TOOL_EXIT_FAILURE;
  if (info != NULL && fs_cache_info_get_remote_url (info) != NULL)
    flags |= FS_CACHE_LOAD_REMOTE;
  entry =
    fs_cache_load_or_store_full (tool->cache, name, flags,
                                 timeout < 0 ? -1
                                             : (int) MIN (timeout / 1000, (GTimeSpan) G_MAXINT),
                                 cancellable, &error);
  if (entry == NULL)
    {
      signum = fs_tool_interrupted_by (tool, error);
      if (signum != 0)
        {
          if (flags & FS_CACHE_LOAD_REMOTE)
            fs_tool_error (_ ("Interrupted while pulling or waiting for %s"), quoted);
          else
            fs_tool_error (_ ("Interrupted while waiting for %s"), quoted);
          return 128 + signum;
        }
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }
  if (fs_cache_entry_get_kind (entry) == FS_CACHE_ENTRY_KIND_LOADED)
    {
      if (opt.verbose)
        fs_tool_message (_ ("%s is in the cache"), quoted);
      return FS_TOOL_EXIT_OK;
    }

  if (opt.verbose)
    fs_tool_message (_ ("Building %s"), quoted);
  entry_path = g_strdup (fs_cache_entry_get_path (entry));
  status = fs_tool_run_command (tool, cmd, name, entry_path);
  if (status != 0)
    {
      /* Discarded: another waiter builds it in turn. */
      fs_cache_entry_release (entry);
      if (opt.verbose)
        fs_tool_message (_ ("The command failed (status %d); nothing stored"), status);
      return status;
    }
  /* Not cancellable: CMD succeeded, its work is kept whatever came since. */
  if (!fs_cache_entry_commit (entry, &commit_status, NULL, &error))
    {
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }
  status = report_commit (tool, name, commit_status, opt.verbose);
  /* The write-through, as for store: a remote that fails is one warning. */
  if (commit_status == FS_CACHE_COMMIT_STORED && info != NULL)
    {
      fs_cache_entry_release (entry);
      pushed = fs_tool_write_through (tool, info, name, FALSE, NULL, &error);
      if (pushed != NULL && opt.verbose)
        {
          g_autofree char *summary = fs_tool_describe_transfer (pushed);
          fs_tool_message (_ ("Pushed %s to %s: %s"), quoted, fs_cache_info_get_remote_url (info),
                           summary);
        }
    }
  return status;
}
