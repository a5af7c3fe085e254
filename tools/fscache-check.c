/* fscache-check.c: checking entries against their manifests, for verify
 * and fsck
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An entry is checked by loading it (a read lock: nobody can change or
 * remove it meanwhile) and re-hashing it against its manifest
 * (fs_cache_entry_verify()); the result says what is wrong in the terms of
 * fscache(1). Paths are shown the way `ls` quotes them, so that a path is
 * always one line.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include <fscache.h>

#include "fscache-check.h"

/* ---- how a path is shown ------------------------------------------------ */

/* Bytes that need no quoting, as `ls --quoting-style=shell-escape` sees
 * them (besides letters, digits and printable non-ASCII characters). */
static gboolean
is_plain_byte (guchar c)
{
  return g_ascii_isalnum (c) || strchr ("%+,-./:=@_^", c) != NULL;
}

char *
fs_tool_quote_path (const char *path)
{
  g_autoptr (GString) out = NULL;
  gboolean plain = TRUE, control = !g_utf8_validate (path, -1, NULL);
  const char *p;

  if (path[0] == '\0')
    return g_strdup ("''");
  for (p = path; *p != '\0' && !control; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x80 && is_plain_byte ((guchar) c))
        continue;
      plain = FALSE;
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && !g_unichar_isprint (c)))
        control = TRUE;
    }
  if (!control && plain && path[0] != '~')
    return g_strdup (path);

  out = g_string_new (NULL);
  if (!control)
    {
      g_string_append_c (out, '\'');
      for (p = path; *p != '\0'; p++)
        if (*p == '\'')
          g_string_append (out, "'\\''");
        else
          g_string_append_c (out, *p);
      g_string_append_c (out, '\'');
      return g_string_free (g_steal_pointer (&out), FALSE);
    }

  g_string_append (out, "$'");
  for (p = path; *p != '\0';)
    {
      guchar c = (guchar) *p;
      gunichar u = g_utf8_get_char_validated (p, -1);

      if (c >= 0x80 && u != (gunichar) -1 && u != (gunichar) -2 && g_unichar_isprint (u))
        {
          const char *next = g_utf8_next_char (p);
          g_string_append_len (out, p, next - p);
          p = next;
          continue;
        }
      if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\\' || c == '\'')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20 || c >= 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_c (out, (char) c);
      p++;
    }
  g_string_append_c (out, '\'');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Sets @member of @object to @path; a path that is not UTF-8 is given with
 * replacement characters, and exactly in @member-base64 (as
 * fs_cache_manifest_to_json() does). */
static void
json_set_path (JsonObject *object, const char *member, const char *path)
{
  if (g_utf8_validate (path, -1, NULL))
    {
      json_object_set_string_member (object, member, path);
      return;
    }
  {
    g_autofree char *shown = g_utf8_make_valid (path, -1);
    g_autofree char *exact = g_base64_encode ((const guchar *) path, strlen (path));
    g_autofree char *exact_member = g_strconcat (member, "-base64", NULL);

    json_object_set_string_member (object, member, shown);
    json_object_set_string_member (object, exact_member, exact);
  }
}

static const char *
enum_nick (GType type, int value)
{
  GEnumClass *klass = g_type_class_ref (type);
  GEnumValue *v = g_enum_get_value (klass, value);
  const char *nick = v != NULL ? v->value_nick : "unknown";

  g_type_class_unref (klass); /* the class of a static enum type stays */
  return nick;
}

/* "  PATH: KIND (DETAIL)", the path quoted. */
static void
print_difference (FsCacheDifference *difference)
{
  g_autofree char *path = fs_tool_quote_path (fs_cache_difference_get_path (difference));
  const char *detail = fs_cache_difference_get_detail (difference);

  if (detail[0] != '\0')
    g_print ("  %s: %s (%s)\n", path,
             fs_cache_difference_kind_to_string (fs_cache_difference_get_kind (difference)),
             detail);
  else
    g_print ("  %s: %s\n", path,
             fs_cache_difference_kind_to_string (fs_cache_difference_get_kind (difference)));
}

static JsonArray *
differences_to_json (GListModel *differences)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; differences != NULL && i < g_list_model_get_n_items (differences); i++)
    {
      g_autoptr (FsCacheDifference) d = g_list_model_get_item (differences, i);
      JsonObject *o = json_object_new ();

      json_set_path (o, "path", fs_cache_difference_get_path (d));
      json_object_set_string_member (o, "kind",
                                     enum_nick (FS_TYPE_CACHE_DIFFERENCE_KIND,
                                                fs_cache_difference_get_kind (d)));
      json_object_set_string_member (o, "detail", fs_cache_difference_get_detail (d));
      json_array_add_object_element (array, o);
    }
  return array;
}

/* ---- checking one entry ------------------------------------------------- */

void
fs_tool_entry_check_free (EntryCheck *c)
{
  g_free (c->name);
  g_free (c->tree_digest);
  g_clear_object (&c->differences);
  g_free (c->message);
  g_free (c->action_message);
  g_free (c);
}

const char *
fs_tool_check_status_nick (CheckStatus status)
{
  static const char *const nicks[] = {
    [CHECK_INTACT] = "intact",
    [CHECK_CORRUPT] = "corrupt",
    [CHECK_BAD_MANIFEST] = "damaged-manifest",
    [CHECK_NO_MANIFEST] = "no-manifest",
    [CHECK_NEWER_MANIFEST] = "unsupported-manifest",
    [CHECK_UNVERIFIABLE] = "unverifiable",
    [CHECK_MISSING] = "missing",
    [CHECK_VANISHED] = "vanished",
    [CHECK_MANIFEST_ADDED] = "manifest-added",
    [CHECK_BUSY] = "busy",
  };

  return nicks[status];
}

static const char *
repair_action_nick (RepairAction action)
{
  static const char *const nicks[] = {
    [REPAIR_NONE] = NULL,   [REPAIR_REMOVED] = "removed", [REPAIR_GONE] = "gone",
    [REPAIR_BUSY] = "busy", [REPAIR_FAILED] = "failed",
  };

  return nicks[action];
}

/* Whether every difference is a node that could not be read: the entry may
 * be intact (an unreadable file for this user), so it is not corrupt. */
static gboolean
only_unreadable (GListModel *differences)
{
  guint n = differences != NULL ? g_list_model_get_n_items (differences) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (FsCacheDifference) d = g_list_model_get_item (differences, i);
      if (fs_cache_difference_get_kind (d) != FS_CACHE_DIFFERENCE_UNREADABLE)
        return FALSE;
    }
  return n > 0;
}

/* Gives the entry without a manifest @c->name one (verify --add). FALSE
 * only when @cancellable was cancelled. */
static gboolean
add_manifest (FsTool *tool, EntryCheck *c, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (fs_cache_add_manifest (tool->cache, c->name, &c->tree_digest, cancellable, &local_error))
    {
      c->status = CHECK_MANIFEST_ADDED;
      return TRUE;
    }
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_BUSY))
    c->status = CHECK_BUSY;
  else if (g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
    c->status = CHECK_MISSING;
  else
    c->status = CHECK_UNVERIFIABLE;
  c->message = g_strdup (local_error->message);
  return TRUE;
}

/* The progress bar of a run over several entries: the bytes of the entries
 * done before, and the share of the one being checked. */
typedef struct {
  FsToolProgress *bar;
  guint64 base;  /* the sizes of the entries checked before */
  guint64 size;  /* the size of this one */
  guint64 total; /* the sizes of all */
} RunProgress;

static void
entry_progress (goffset current, goffset total, gpointer data)
{
  RunProgress *p = data;
  guint64 share = total > 0 ? (guint64) ((double) p->size * (double) current / (double) total) : 0;

  fs_tool_progress_update (p->bar, p->base + MIN (share, p->size), p->total);
}

/* Checks the entry @name against its manifest; with @add, gives it one if
 * it has none. NULL only when @cancellable was cancelled (@error). */
static EntryCheck *
check_entry (FsTool *tool,
             const char *name,
             guint64 size,
             gboolean add,
             RunProgress *progress,
             GCancellable *cancellable,
             GError **error)
{
  g_autoptr (EntryCheck) c = g_new0 (EntryCheck, 1);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) local_error = NULL;

  c->name = g_strdup (name);
  c->size = size;
  entry = fs_cache_load (tool->cache, name, cancellable, &local_error);
  if (entry == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      c->status = g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS)
                    ? CHECK_MISSING
                    : CHECK_UNVERIFIABLE;
      c->message = g_strdup (local_error->message);
      return g_steal_pointer (&c);
    }
  c->size = fs_cache_entry_get_size (entry);
  c->tree_digest = g_strdup (fs_cache_entry_get_tree_digest (entry));

  if (c->tree_digest == NULL && add)
    {
      /* add_manifest write-locks the entry: our read lock goes first. */
      fs_cache_entry_release (entry);
      return add_manifest (tool, c, cancellable, error) ? g_steal_pointer (&c) : NULL;
    }

  if (progress != NULL)
    progress->size = MIN (c->size, progress->size); /* the sizes of the list, as estimated */
  c->differences = fs_cache_entry_list_differences (entry, progress != NULL ? entry_progress : NULL,
                                                    progress, cancellable, &local_error);
  fs_cache_entry_release (entry);
  if (c->differences != NULL)
    {
      guint n = g_list_model_get_n_items (c->differences);

      if (n == 0)
        c->status = CHECK_INTACT;
      else
        {
          /* Nodes that could not be read may be intact: not verified. */
          c->status = only_unreadable (c->differences) ? CHECK_UNVERIFIABLE : CHECK_CORRUPT;
          c->message =
            g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u difference", "%u differences", n),
                             n);
        }
      return g_steal_pointer (&c);
    }
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  c->message = g_strdup (local_error->message);
  if (g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_MANIFEST))
    c->status = CHECK_NO_MANIFEST;
  else if (g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE))
    c->status = CHECK_NEWER_MANIFEST;
  else if (g_error_matches (local_error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT))
    c->status = CHECK_BAD_MANIFEST;
  else
    c->status = CHECK_UNVERIFIABLE;
  return g_steal_pointer (&c);
}

void
fs_tool_target_clear (Target *t)
{
  g_free (t->name);
}

static int
compare_targets (gconstpointer a, gconstpointer b)
{
  return strcmp (((const Target *) a)->name, ((const Target *) b)->name);
}

/* Every committed entry, by name (@out_targets: an array of Target). */
gboolean
fs_tool_list_targets (FsTool *tool, GArray **out_targets)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) list = fs_cache_list (tool->cache, NULL, &error);
  GArray *targets;

  if (list == NULL)
    {
      fs_tool_error ("%s", error->message);
      return FALSE;
    }
  targets = g_array_new (FALSE, FALSE, sizeof (Target));
  g_array_set_clear_func (targets, (GDestroyNotify) fs_tool_target_clear);
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
      Target t = { g_strdup (fs_cache_item_get_name (item)), fs_cache_item_get_size (item) };

      g_array_append_val (targets, t);
    }
  g_array_sort (targets, compare_targets);
  *out_targets = targets;
  return TRUE;
}

/* Checks @targets in order, with a progress bar labelled @label on a
 * terminal; the results (EntryCheck) in *@out_checks. FALSE, after printing
 * why, when a signal interrupted it (*@out_status: 128 + the signal). */
gboolean
fs_tool_check_targets (FsTool *tool,
                       GArray *targets,
                       gboolean add,
                       const char *label,
                       GPtrArray **out_checks,
                       int *out_status)
{
  g_autoptr (GPtrArray) checks =
    g_ptr_array_new_with_free_func ((GDestroyNotify) fs_tool_entry_check_free);
  GCancellable *cancellable = fs_tool_watch_signals (tool);
  RunProgress progress = { NULL, 0, 0, 0 };

  for (guint i = 0; i < targets->len; i++)
    progress.total += g_array_index (targets, Target, i).size;
  if (fs_tool_use_progress (tool) && targets->len > 0)
    progress.bar = fs_tool_progress_new (label);
  for (guint i = 0; i < targets->len; i++)
    {
      const Target *t = &g_array_index (targets, Target, i);
      g_autoptr (GError) error = NULL;
      EntryCheck *c;

      if (progress.bar != NULL)
        fs_tool_progress_update (progress.bar, progress.base, progress.total);
      progress.size = t->size;
      c = check_entry (tool, t->name, t->size, add, progress.bar != NULL ? &progress : NULL,
                       cancellable, &error);
      if (c == NULL)
        {
          int signum = fs_tool_interrupted_by (tool, error);

          fs_tool_progress_finish (progress.bar, FALSE);
          if (signum != 0)
            fs_tool_error (_ ("Interrupted"));
          else
            fs_tool_error ("%s", error->message);
          *out_status = signum != 0 ? 128 + signum : FS_TOOL_EXIT_FAILURE;
          return FALSE;
        }
      progress.base += t->size;
      g_ptr_array_add (checks, c);
    }
  fs_tool_progress_finish (progress.bar, TRUE);
  *out_checks = g_steal_pointer (&checks);
  return TRUE;
}

JsonObject *
fs_tool_check_to_json (const EntryCheck *c, gboolean repair)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "name", c->name);
  json_object_set_string_member (o, "status", fs_tool_check_status_nick (c->status));
  json_object_set_int_member (o, "size", (gint64) c->size);
  if (c->tree_digest != NULL)
    json_object_set_string_member (o, "tree-digest", c->tree_digest);
  else
    json_object_set_null_member (o, "tree-digest");
  json_object_set_array_member (o, "differences", differences_to_json (c->differences));
  if (c->message != NULL)
    json_object_set_string_member (o, "message", c->message);
  else
    json_object_set_null_member (o, "message");
  if (repair)
    {
      if (c->action != REPAIR_NONE)
        json_object_set_string_member (o, "repair", repair_action_nick (c->action));
      else
        json_object_set_null_member (o, "repair");
    }
  return o;
}

/* The lines of one checked entry, for people. */
void
fs_tool_print_check (const EntryCheck *c)
{
  guint n = c->differences != NULL ? g_list_model_get_n_items (c->differences) : 0;

  switch (c->status)
    {
    case CHECK_INTACT:
      g_print (_ ("“%s”: intact\n"), c->name);
      return;
    case CHECK_CORRUPT:
    case CHECK_UNVERIFIABLE:
      if (n > 0)
        {
          g_print (c->status == CHECK_CORRUPT
                     ? g_dngettext (GETTEXT_PACKAGE,
                                    "“%s”: corrupt, %u difference from its manifest:\n",
                                    "“%s”: corrupt, %u differences from its manifest:\n", n)
                     : g_dngettext (GETTEXT_PACKAGE,
                                    "“%s”: not verified, %u node could not be read:\n",
                                    "“%s”: not verified, %u nodes could not be read:\n", n),
                   c->name, n);
          for (guint i = 0; i < n; i++)
            {
              g_autoptr (FsCacheDifference) d = g_list_model_get_item (c->differences, i);
              print_difference (d);
            }
        }
      else
        g_print (_ ("“%s”: not verified: %s\n"), c->name, c->message);
      return;
    case CHECK_BAD_MANIFEST:
      g_print (_ ("“%s”: corrupt, its manifest is damaged: %s\n"), c->name, c->message);
      return;
    case CHECK_NO_MANIFEST:
      g_print (_ ("“%s”: no manifest (stored by osbuild or an older libfscache), not verified; "
                  "“fscache verify --add” gives it one\n"),
               c->name);
      return;
    case CHECK_NEWER_MANIFEST:
      g_print (_ ("“%s”: not verified: its manifest has a newer format (%s)\n"), c->name,
               c->message);
      return;
    case CHECK_MANIFEST_ADDED:
      g_print (_ ("“%s”: manifest added (tree digest %s)\n"), c->name, c->tree_digest);
      return;
    case CHECK_MISSING:
    case CHECK_BUSY:
    case CHECK_VANISHED:
    default:
      return; /* on stderr, or nothing to say */
    }
}
