/* fscache-integrity.c: the integrity of the cache: manifest, verify, fsck
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built from the public API only (DESIGN §8): an entry is checked by
 * loading it (a read lock: nobody can change or remove it meanwhile) and
 * re-hashing it against its manifest (fs_cache_entry_verify()); fsck adds a
 * dry-run garbage collection for the debris, the dead journal records and
 * the size counter, and its --repair removes corrupt entries with
 * fs_cache_remove() (so the accounting stays exact) before collecting the
 * garbage for real.
 *
 * What counts as wrong (fscache(1), EXIT STATUS): an entry whose tree
 * differs from its manifest, a manifest that is missing, does not parse or
 * is not the one object.info names, an entry that could not be checked, a
 * NAME that does not exist (verify, manifest: 3). An entry without a
 * manifest (osbuild's, libfscache 1.0's) or with a manifest of a newer
 * format is not wrong: it is reported as such, and only `verify --strict`
 * fails on it. fsck also fails on stale debris and on a size counter that
 * is off.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include <fscache.h>

#include "fscache-builtins.h"
#include "fscache-check.h"
#include "fscache-util.h"

/* ---- manifest ----------------------------------------------------------- */

static char
type_char (FsCacheNodeType type)
{
  switch (type)
    {
    case FS_CACHE_NODE_TYPE_REGULAR:
      return '-';
    case FS_CACHE_NODE_TYPE_DIRECTORY:
      return 'd';
    case FS_CACHE_NODE_TYPE_SYMLINK:
      return 'l';
    case FS_CACHE_NODE_TYPE_FIFO:
      return 'p';
    case FS_CACHE_NODE_TYPE_SOCKET:
      return 's';
    case FS_CACHE_NODE_TYPE_CHAR_DEVICE:
      return 'c';
    case FS_CACHE_NODE_TYPE_BLOCK_DEVICE:
      return 'b';
    default:
      return '?';
    }
}

/* "drwxr-sr-x", as ls -l writes it. */
static void
format_mode (FsCacheNodeType type, guint mode, char out[11])
{
  static const char rwx[] = "rwxrwxrwx";

  out[0] = type_char (type);
  for (int i = 0; i < 9; i++)
    out[i + 1] = (mode & (1u << (8 - i))) ? rwx[i] : '-';
  if (mode & 04000)
    out[3] = (mode & 0100) ? 's' : 'S';
  if (mode & 02000)
    out[6] = (mode & 0010) ? 's' : 'S';
  if (mode & 01000)
    out[9] = (mode & 0001) ? 't' : 'T';
  out[10] = '\0';
}

static void
print_manifest (const char *name, const char *cache_path, FsCacheManifest *manifest)
{
  guint n = fs_cache_manifest_get_n_nodes (manifest);
  g_autofree char *total = fs_tool_format_size (fs_cache_manifest_get_total_size (manifest));

  g_print (g_dngettext (GETTEXT_PACKAGE, "Manifest of “%s” in %s: %u node, %s in files\n",
                        "Manifest of “%s” in %s: %u nodes, %s in files\n", n),
           name, cache_path, n, total);
  g_print (_ ("Tree digest: %s\n"), fs_cache_manifest_get_digest (manifest));
  for (guint i = 0; i < n; i++)
    {
      FsCacheManifestNode *node = fs_cache_manifest_get_node (manifest, i);
      FsCacheNodeType type = fs_cache_manifest_node_get_node_type (node);
      g_autofree char *path = fs_tool_quote_path (fs_cache_manifest_node_get_path (node));
      g_autofree char *size = NULL;
      g_auto (GStrv) xattrs = fs_cache_manifest_node_dup_xattr_names (node);
      const char *sha256 = fs_cache_manifest_node_get_sha256 (node);
      g_autoptr (GString) tail = g_string_new (NULL);
      char mode[11];

      format_mode (type, fs_cache_manifest_node_get_mode (node), mode);
      if (type == FS_CACHE_NODE_TYPE_CHAR_DEVICE || type == FS_CACHE_NODE_TYPE_BLOCK_DEVICE)
        size = g_strdup_printf ("%u, %u", fs_cache_manifest_node_get_device_major (node),
                                fs_cache_manifest_node_get_device_minor (node));
      else if (type == FS_CACHE_NODE_TYPE_REGULAR || type == FS_CACHE_NODE_TYPE_SYMLINK)
        size = g_strdup_printf ("%" G_GUINT64_FORMAT, fs_cache_manifest_node_get_size (node));
      else
        size = g_strdup ("-");
      if (type == FS_CACHE_NODE_TYPE_SYMLINK)
        {
          g_autofree char *target =
            fs_tool_quote_path (fs_cache_manifest_node_get_symlink_target (node));
          g_string_append_printf (tail, " -> %s", target);
        }
      if (fs_cache_manifest_node_get_link_group (node) != 0)
        g_string_append_printf (tail, _ ("  [hard link group %u]"),
                                fs_cache_manifest_node_get_link_group (node));
      if (xattrs != NULL && xattrs[0] != NULL)
        {
          g_string_append (tail, _ ("  [xattrs:"));
          for (char **x = xattrs; *x != NULL; x++)
            {
              g_autofree char *q = fs_tool_quote_path (*x);
              g_string_append_printf (tail, " %s", q);
            }
          g_string_append_c (tail, ']');
        }
      g_print ("%s %5u %5u %12s %-64s %s%s\n", mode, fs_cache_manifest_node_get_uid (node),
               fs_cache_manifest_node_get_gid (node), size, sha256 != NULL ? sha256 : "-", path,
               tail->str);
    }
}

int
fs_tool_manifest (FsTool *tool, char **argv)
{
  g_auto (GStrv) args = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheManifest) manifest = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  const char *name;
  int status;

  if (!fs_tool_parse_options (tool, NULL, NULL, argv, &args, &status))
    return status;
  if (args[0] == NULL)
    return fs_tool_usage_error (tool->command, _ ("manifest needs a NAME"));
  if (args[1] != NULL)
    return fs_tool_usage_error (tool->command, _ ("Unexpected argument “%s”"), args[1]);
  name = args[0];
  if (!fs_tool_check_name (name))
    return FS_TOOL_EXIT_USAGE;
  if (!fs_tool_open_cache (tool, FALSE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = fs_tool_absolute_cache_dir (tool);

  entry = fs_cache_load (tool->cache, name, NULL, &error);
  if (entry != NULL)
    manifest = fs_cache_entry_read_manifest (entry, NULL, &error);
  if (manifest == NULL)
    {
      if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_MANIFEST))
        fs_tool_error (_ ("“%s” has no manifest: it was stored by osbuild or an older libfscache "
                          "(“fscache verify --add %s” gives it one)"),
                       name, name);
      else
        fs_tool_error ("%s", error->message);
      return g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS) ? FS_TOOL_EXIT_MISS
                                                                          : FS_TOOL_EXIT_FAILURE;
    }

  if (tool->json)
    {
      g_autofree char *text = fs_cache_manifest_to_json (manifest, FALSE);
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      g_autoptr (JsonObject) object = json_object_new ();
      JsonObject *from;
      g_autoptr (GList) members = NULL;

      if (!json_parser_load_from_data (parser, text, -1, &error))
        {
          fs_tool_error ("%s", error->message);
          return FS_TOOL_EXIT_FAILURE;
        }
      /* The cache and the name first, then the manifest's own members. */
      json_object_set_string_member (object, "cache", path);
      json_object_set_string_member (object, "name", name);
      from = json_node_get_object (json_parser_get_root (parser));
      members = json_object_get_members (from);
      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (object, l->data,
                                json_node_copy (json_object_get_member (from, l->data)));
      json_object_set_string_member (object, "tree-digest",
                                     fs_cache_manifest_get_digest (manifest));
      json_node_set_object (node, object);
      fs_tool_print_json (node);
      return FS_TOOL_EXIT_OK;
    }
  print_manifest (name, path, manifest);
  return FS_TOOL_EXIT_OK;
}

/* ---- verify ------------------------------------------------------------- */

typedef struct {
  gboolean add;    /* --add */
  gboolean strict; /* --strict */
} VerifyOptions;

int
fs_tool_verify (FsTool *tool, char **argv)
{
  VerifyOptions opt = { FALSE, FALSE };
  const GOptionEntry options[] = {
    { "add", 0, 0, G_OPTION_ARG_NONE, &opt.add,
      N_ ("Give the entries without a manifest one, of their tree as it is now (each is "
          "write-locked meanwhile: one in use is not changed)"),
      NULL },
    { "strict", 0, 0, G_OPTION_ARG_NONE, &opt.strict,
      N_ ("Fail on entries that can't be verified because they have no manifest"), NULL },
    { NULL }
  };
  g_auto (GStrv) args = NULL;
  g_autoptr (GArray) targets = NULL;
  g_autoptr (GPtrArray) checks = NULL;
  g_autofree char *path = NULL;
  guint counts[CHECK_N_STATUSES] = { 0 };
  gboolean all, failed, missed;
  int status;

  if (!fs_tool_parse_options (tool, options, NULL, argv, &args, &status))
    return status;
  for (char **a = args; *a != NULL; a++)
    if (!fs_tool_check_name (*a))
      return FS_TOOL_EXIT_USAGE;
  if (!fs_tool_open_cache (tool, opt.add, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = fs_tool_absolute_cache_dir (tool);

  all = args[0] == NULL;
  if (all && !fs_tool_list_targets (tool, &targets))
    return FS_TOOL_EXIT_FAILURE;
  if (!all)
    {
      g_autoptr (GHashTable) sizes = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr (GListModel) list = NULL;

      /* The sizes, for the progress bar only: a failed list is no error. */
      if (fs_tool_use_progress (tool))
        list = fs_cache_list (tool->cache, NULL, NULL);
      for (guint i = 0; list != NULL && i < g_list_model_get_n_items (list); i++)
        {
          g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
          g_hash_table_insert (sizes, (gpointer) fs_cache_item_get_name (item),
                               GSIZE_TO_POINTER (fs_cache_item_get_size (item) + 1));
        }
      targets = g_array_new (FALSE, FALSE, sizeof (Target));
      g_array_set_clear_func (targets, (GDestroyNotify) fs_tool_target_clear);
      for (char **a = args; *a != NULL; a++)
        {
          gsize size = GPOINTER_TO_SIZE (g_hash_table_lookup (sizes, *a));
          Target t = { g_strdup (*a), size > 0 ? size - 1 : 0 };
          g_array_append_val (targets, t);
        }
    }

  if (!fs_tool_check_targets (tool, targets, opt.add, _ ("Verifying"), &checks, &status))
    return status;

  for (guint i = 0; i < checks->len; i++)
    {
      EntryCheck *c = checks->pdata[i];

      /* Listed, then removed by another process: not asked for by name. */
      if (all && c->status == CHECK_MISSING)
        c->status = CHECK_VANISHED;
      counts[c->status]++;
      if (c->status == CHECK_MISSING || (c->status == CHECK_UNVERIFIABLE && c->differences == NULL))
        fs_tool_error ("%s", c->message);
      else if (c->status == CHECK_BUSY)
        fs_tool_error (_ ("Cannot add a manifest to “%s”: %s"), c->name, c->message);
    }
  failed = counts[CHECK_CORRUPT] + counts[CHECK_BAD_MANIFEST] + counts[CHECK_UNVERIFIABLE] +
             counts[CHECK_BUSY] >
           0;
  if (opt.strict && counts[CHECK_NO_MANIFEST] + counts[CHECK_NEWER_MANIFEST] > 0)
    failed = TRUE;
  missed = counts[CHECK_MISSING] > 0;

  if (tool->json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < checks->len; i++)
        {
          EntryCheck *c = checks->pdata[i];
          if (c->status != CHECK_VANISHED)
            json_array_add_object_element (array, fs_tool_check_to_json (c, FALSE));
        }
      json_object_set_string_member (object, "cache", path);
      json_object_set_array_member (object, "entries", array);
      for (int s = CHECK_INTACT; s <= CHECK_BUSY; s++)
        if (s != CHECK_VANISHED)
          json_object_set_int_member (object, fs_tool_check_status_nick (s), counts[s]);
      json_object_set_boolean_member (object, "ok", !failed && !missed);
      json_node_set_object (node, object);
      fs_tool_print_json (node);
    }
  else
    {
      guint checked = checks->len - counts[CHECK_MISSING] - counts[CHECK_VANISHED];

      for (guint i = 0; i < checks->len; i++)
        fs_tool_print_check (checks->pdata[i]);
      if (checked == 0 && all)
        g_print (_ ("No entries in %s\n"), path);
      else if (checked > 1)
        {
          g_autoptr (GString) s = g_string_new (NULL);

          g_string_append_printf (s,
                                  g_dngettext (GETTEXT_PACKAGE, "%u entry: %u intact",
                                               "%u entries: %u intact", checked),
                                  checked, counts[CHECK_INTACT]);
          if (counts[CHECK_CORRUPT] + counts[CHECK_BAD_MANIFEST] > 0)
            g_string_append_printf (s, _ (", %u corrupt"),
                                    counts[CHECK_CORRUPT] + counts[CHECK_BAD_MANIFEST]);
          if (counts[CHECK_UNVERIFIABLE] > 0)
            g_string_append_printf (s, _ (", %u not verified"), counts[CHECK_UNVERIFIABLE]);
          if (counts[CHECK_NO_MANIFEST] + counts[CHECK_NEWER_MANIFEST] > 0)
            g_string_append_printf (s, _ (", %u without a manifest it can read"),
                                    counts[CHECK_NO_MANIFEST] + counts[CHECK_NEWER_MANIFEST]);
          if (counts[CHECK_MANIFEST_ADDED] > 0)
            g_string_append_printf (s, _ (", %u given a manifest"), counts[CHECK_MANIFEST_ADDED]);
          if (counts[CHECK_BUSY] > 0)
            g_string_append_printf (s, _ (", %u in use"), counts[CHECK_BUSY]);
          g_print ("%s\n", s->str);
        }
    }
  if (failed)
    return FS_TOOL_EXIT_FAILURE;
  return missed ? FS_TOOL_EXIT_MISS : FS_TOOL_EXIT_OK;
}

/* ---- fsck --------------------------------------------------------------- */

typedef struct {
  gboolean repair;  /* --repair */
  gint64 wait_idle; /* --wait-idle[=SECONDS]: -1 when not given, 0 for no limit */
} FsckOptions;

static gboolean
fsck_parse_wait_idle (const char *name, const char *value, gpointer data, GError **error)
{
  FsckOptions *opt = data;
  guint64 seconds = 0;

  if (value != NULL && !g_ascii_string_to_unsigned (value, 10, 1, G_MAXINT / 1000, &seconds, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("%s: “%s” is not a number of seconds (1 or more)"), name, value);
      return FALSE;
    }
  opt->wait_idle = (gint64) seconds;
  return TRUE;
}

static gboolean
is_damage (CheckStatus status)
{
  return status == CHECK_CORRUPT || status == CHECK_BAD_MANIFEST;
}

/* Removes the damaged entries of @checks through the ordinary removal: the
 * accounting stays exact, and an entry in use is not removed. */
static void
remove_damaged (FsTool *tool, GPtrArray *checks)
{
  for (guint i = 0; i < checks->len; i++)
    {
      EntryCheck *c = checks->pdata[i];
      g_autoptr (GError) error = NULL;

      if (!is_damage (c->status))
        continue;
      if (fs_cache_remove (tool->cache, c->name, NULL, &error))
        c->action = REPAIR_REMOVED;
      else if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
        c->action = REPAIR_GONE;
      else
        {
          c->action = g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_BUSY) ? REPAIR_BUSY
                                                                                   : REPAIR_FAILED;
          c->action_message = g_strdup (error->message);
        }
    }
}

typedef struct {
  gboolean done; /* the collection ran */
  guint stale;   /* items found (or removed, with --repair) */
  guint64 stale_bytes;
  gint64 correction;  /* of the size counter, when checked */
  gboolean checked;   /* the counter was measured: nobody else had the cache open */
  gboolean timed_out; /* --wait-idle=N, and the cache stayed in use */
  GError *error;      /* when the collection failed */
} GcResult;

static void
collect (FsTool *tool, const FsckOptions *opt, GcResult *out)
{
  FsCacheGcFlags flags = opt->repair ? FS_CACHE_GC_NONE : FS_CACHE_GC_DRY_RUN;

  if (opt->wait_idle >= 0)
    flags |= FS_CACHE_GC_WAIT_IDLE;
  out->done =
    fs_cache_collect_garbage_full (tool->cache, flags,
                                   opt->wait_idle > 0 ? (int) (opt->wait_idle * 1000) : -1,
                                   &out->stale, &out->stale_bytes, &out->correction, &out->checked,
                                   fs_tool_watch_signals (tool), &out->error);
  out->timed_out = out->done && !out->checked && opt->wait_idle >= 0;
}

static void
print_fsck (const char *path, GPtrArray *checks, const GcResult *gc, const FsckOptions *opt)
{
  guint counts[CHECK_N_STATUSES] = { 0 };
  guint checked;

  for (guint i = 0; i < checks->len; i++)
    {
      EntryCheck *c = checks->pdata[i];

      counts[c->status]++;
      if (c->status == CHECK_INTACT || c->status == CHECK_NO_MANIFEST ||
          c->status == CHECK_VANISHED)
        continue;
      fs_tool_print_check (c);
      switch (c->action)
        {
        case REPAIR_REMOVED:
          g_print (_ ("  removed\n"));
          break;
        case REPAIR_GONE:
          g_print (_ ("  removed meanwhile by another process\n"));
          break;
        case REPAIR_BUSY:
          g_print (_ ("  not removed: it is in use (run “fscache fsck --repair” again later)\n"));
          break;
        case REPAIR_FAILED:
          g_print (_ ("  not removed: %s\n"), c->action_message);
          break;
        case REPAIR_NONE:
        default:
          break;
        }
    }
  checked = checks->len - counts[CHECK_VANISHED];
  g_print (g_dngettext (GETTEXT_PACKAGE, "Entries: %u checked, %u intact",
                        "Entries: %u checked, %u intact", checked),
           checked, counts[CHECK_INTACT]);
  if (counts[CHECK_CORRUPT] + counts[CHECK_BAD_MANIFEST] > 0)
    g_print (_ (", %u corrupt"), counts[CHECK_CORRUPT] + counts[CHECK_BAD_MANIFEST]);
  if (counts[CHECK_UNVERIFIABLE] > 0)
    g_print (_ (", %u not verified"), counts[CHECK_UNVERIFIABLE]);
  if (counts[CHECK_NO_MANIFEST] + counts[CHECK_NEWER_MANIFEST] > 0)
    g_print (_ (", %u without a manifest it can read (“fscache verify --add” gives them one)"),
             counts[CHECK_NO_MANIFEST] + counts[CHECK_NEWER_MANIFEST]);
  g_print ("\n");

  if (!gc->done)
    {
      g_print (_ ("Stale debris and size counter: not checked: %s\n"), gc->error->message);
      return;
    }
  if (gc->stale == 0)
    g_print (_ ("Stale debris: none\n"));
  else
    {
      g_autofree char *bytes = fs_tool_format_size (gc->stale_bytes);
      g_print (opt->repair ? g_dngettext (GETTEXT_PACKAGE, "Stale debris: %u item (%s), removed\n",
                                          "Stale debris: %u items (%s), removed\n", gc->stale)
                           : g_dngettext (GETTEXT_PACKAGE, "Stale debris: %u item (%s)\n",
                                          "Stale debris: %u items (%s)\n", gc->stale),
               gc->stale, bytes);
    }
  if (!gc->checked)
    g_print (_ ("Size counter: not checked: the cache is in use by another process "
                "(“--wait-idle” waits until it is not)\n"));
  else if (gc->correction == 0)
    g_print (_ ("Size counter: exact\n"));
  else
    {
      g_autofree char *c = fs_tool_format_size ((guint64) ABS (gc->correction));
      if (opt->repair)
        g_print (_ ("Size counter: corrected by %s%s\n"), gc->correction > 0 ? "+" : "-", c);
      else
        g_print (gc->correction > 0 ? _ ("Size counter: %s too low\n")
                                    : _ ("Size counter: %s too high\n"),
                 c);
    }
}

int
fs_tool_fsck (FsTool *tool, char **argv)
{
  FsckOptions opt = { FALSE, -1 };
  const GOptionEntry options[] = {
    { "repair", 0, 0, G_OPTION_ARG_NONE, &opt.repair,
      N_ ("Remove the corrupt entries (not those in use), then the debris, and correct the size "
          "counter"),
      NULL },
    { "wait-idle", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, fsck_parse_wait_idle,
      N_ ("Wait until no other process has the cache open (at most SECONDS, if given), so that "
          "the size counter can be checked"),
      N_ ("SECONDS") },
    { NULL }
  };
  g_auto (GStrv) args = NULL;
  g_autoptr (GArray) targets = NULL;
  g_autoptr (GPtrArray) checks = NULL;
  g_autofree char *path = NULL;
  GcResult gc = { FALSE };
  guint damaged = 0, unverifiable = 0, left = 0;
  gboolean wrong;
  int status;

  if (!fs_tool_parse_options (tool, options, &opt, argv, &args, &status))
    return status;
  if ((status = fs_tool_no_arguments (tool, args)) != FS_TOOL_EXIT_OK)
    return status;
  if (!fs_tool_open_cache (tool, opt.repair, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = fs_tool_absolute_cache_dir (tool);

  if (!fs_tool_list_targets (tool, &targets) ||
      !fs_tool_check_targets (tool, targets, FALSE, _ ("Checking"), &checks, &status))
    return targets == NULL ? FS_TOOL_EXIT_FAILURE : status;
  for (guint i = 0; i < checks->len; i++)
    {
      EntryCheck *c = checks->pdata[i];

      if (c->status == CHECK_MISSING)
        c->status = CHECK_VANISHED; /* removed by another process since the list */
      damaged += is_damage (c->status);
      unverifiable += c->status == CHECK_UNVERIFIABLE;
    }
  if (opt.repair)
    remove_damaged (tool, checks);
  collect (tool, &opt, &gc);
  if (!gc.done && fs_tool_interrupted_by (tool, gc.error) != 0)
    {
      status = 128 + fs_tool_interrupted_by (tool, gc.error);
      fs_tool_error (_ ("Interrupted"));
      g_error_free (gc.error);
      return status;
    }

  for (guint i = 0; i < checks->len; i++)
    {
      EntryCheck *c = checks->pdata[i];
      left += c->action == REPAIR_BUSY || c->action == REPAIR_FAILED;
    }
  /* Without --repair: anything found. With it: what is still wrong. */
  if (opt.repair)
    wrong = left > 0 || unverifiable > 0 || !gc.done || gc.timed_out;
  else
    wrong = damaged > 0 || unverifiable > 0 || !gc.done || gc.timed_out || gc.stale > 0 ||
            (gc.checked && gc.correction != 0);

  if (tool->json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      JsonArray *problems = json_array_new ();
      JsonArray *without = json_array_new ();
      guint counts[CHECK_N_STATUSES] = { 0 };

      for (guint i = 0; i < checks->len; i++)
        {
          EntryCheck *c = checks->pdata[i];

          counts[c->status]++;
          if (c->status == CHECK_NO_MANIFEST || c->status == CHECK_NEWER_MANIFEST)
            json_array_add_string_element (without, c->name);
          if (is_damage (c->status) || c->status == CHECK_UNVERIFIABLE)
            json_array_add_object_element (problems, fs_tool_check_to_json (c, opt.repair));
        }
      json_object_set_string_member (object, "cache", path);
      json_object_set_boolean_member (object, "repair", opt.repair);
      json_object_set_int_member (object, "checked", checks->len - counts[CHECK_VANISHED]);
      json_object_set_int_member (object, "intact", counts[CHECK_INTACT]);
      json_object_set_int_member (object, "corrupt", counts[CHECK_CORRUPT]);
      json_object_set_int_member (object, "damaged-manifest", counts[CHECK_BAD_MANIFEST]);
      json_object_set_int_member (object, "unverifiable", counts[CHECK_UNVERIFIABLE]);
      json_object_set_int_member (object, "no-manifest",
                                  counts[CHECK_NO_MANIFEST] + counts[CHECK_NEWER_MANIFEST]);
      json_object_set_int_member (object, "vanished", counts[CHECK_VANISHED]);
      json_object_set_array_member (object, "problems", problems);
      json_object_set_array_member (object, "without-manifest", without);
      if (gc.done)
        {
          json_object_set_int_member (object, "stale-items", gc.stale);
          json_object_set_int_member (object, "stale-bytes", (gint64) gc.stale_bytes);
        }
      else
        {
          json_object_set_null_member (object, "stale-items");
          json_object_set_null_member (object, "stale-bytes");
        }
      if (gc.done && gc.checked)
        json_object_set_int_member (object, "size-correction", gc.correction);
      else
        json_object_set_null_member (object, "size-correction");
      json_object_set_boolean_member (object, "counter-checked", gc.done && gc.checked);
      if (gc.error != NULL)
        json_object_set_string_member (object, "gc-error", gc.error->message);
      json_object_set_boolean_member (object, "ok", !wrong);
      json_node_set_object (node, object);
      fs_tool_print_json (node);
    }
  else
    print_fsck (path, checks, &gc, &opt);

  if (gc.timed_out)
    {
      g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, opt.wait_idle);
      fs_tool_error (_ ("The cache %s was still in use by another process after %s s: the size "
                        "counter was not checked"),
                     path, seconds);
    }
  else if (!gc.done)
    fs_tool_error ("%s", gc.error->message);
  else if (wrong && !tool->json)
    fs_tool_error (opt.repair ? _ ("The cache %s still has problems (see above)")
                              : _ ("The cache %s has problems (see above); “fscache fsck --repair” "
                                   "removes the corrupt entries and the debris and corrects the "
                                   "size counter"),
                   path);
  g_clear_error (&gc.error);
  return wrong ? FS_TOOL_EXIT_FAILURE : FS_TOOL_EXIT_OK;
}
