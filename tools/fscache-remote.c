/* fscache-remote.c: the remote tier of the cache: push, pull
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Explicit transfers between the cache and its remote (configured with
 * `fscache config set remote URL`): each entry in turn, its contents on
 * several connections at once (the library's), with a progress bar on a
 * terminal. A failure of the remote is the command's failure here (exit 1
 * with the reason); a name the other side does not have is a miss (exit
 * 3). `store` and `load` use the remote too (fscache-entries.c), where a
 * remote that fails never fails them.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include <fscache.h>

#include "fscache-builtins.h"
#include "fscache-util.h"

/* ---- transfers, for push, pull and store
 * --------------------------------------------------------- */

JsonObject *
fs_tool_transfer_to_json (FsCacheTransfer *transfer)
{
  JsonObject *object = json_object_new ();
  const char *digest = fs_cache_transfer_get_tree_digest (transfer);

  json_object_set_string_member (object, "name", fs_cache_transfer_get_name (transfer));
  json_object_set_string_member (object, "remote", fs_cache_transfer_get_remote_url (transfer));
  if (digest != NULL)
    json_object_set_string_member (object, "tree-digest", digest);
  else
    json_object_set_null_member (object, "tree-digest");
  json_object_set_int_member (object, "bytes-sent",
                              (gint64) fs_cache_transfer_get_bytes_sent (transfer));
  json_object_set_int_member (object, "blobs-sent", fs_cache_transfer_get_blobs_sent (transfer));
  json_object_set_int_member (object, "blobs-skipped",
                              fs_cache_transfer_get_blobs_skipped (transfer));
  json_object_set_int_member (object, "bytes-received",
                              (gint64) fs_cache_transfer_get_bytes_received (transfer));
  json_object_set_int_member (object, "blobs-received",
                              fs_cache_transfer_get_blobs_received (transfer));
  json_object_set_int_member (object, "bytes-copied",
                              (gint64) fs_cache_transfer_get_bytes_copied (transfer));
  json_object_set_int_member (object, "blobs-copied",
                              fs_cache_transfer_get_blobs_copied (transfer));
  json_object_set_int_member (object, "requests", fs_cache_transfer_get_requests (transfer));
  return object;
}

char *
fs_tool_describe_transfer (FsCacheTransfer *transfer)
{
  g_autoptr (GString) s = g_string_new (NULL);
  guint sent = fs_cache_transfer_get_blobs_sent (transfer);
  guint skipped = fs_cache_transfer_get_blobs_skipped (transfer);
  guint received = fs_cache_transfer_get_blobs_received (transfer);
  guint copied = fs_cache_transfer_get_blobs_copied (transfer);
  guint requests = fs_cache_transfer_get_requests (transfer);

  if (sent > 0 || skipped > 0)
    {
      g_autofree char *size = fs_tool_format_size (fs_cache_transfer_get_bytes_sent (transfer));
      g_string_append_printf (s,
                              g_dngettext (GETTEXT_PACKAGE, "%u blob sent (%s), %u already there",
                                           "%u blobs sent (%s), %u already there", sent),
                              sent, size, skipped);
    }
  if (received > 0 || copied > 0)
    {
      g_autofree char *size = fs_tool_format_size (fs_cache_transfer_get_bytes_received (transfer));
      g_autofree char *copied_size =
        fs_tool_format_size (fs_cache_transfer_get_bytes_copied (transfer));
      g_string_append_printf (s, "%s", s->len > 0 ? ", " : "");
      g_string_append_printf (s,
                              g_dngettext (GETTEXT_PACKAGE,
                                           "%u blob received (%s), %u copied locally (%s)",
                                           "%u blobs received (%s), %u copied locally (%s)",
                                           received),
                              received, size, copied, copied_size);
    }
  g_string_append_printf (s, "%s", s->len > 0 ? ", " : "");
  g_string_append_printf (s, g_dngettext (GETTEXT_PACKAGE, "%u request", "%u requests", requests),
                          requests);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* ---- for store and ensure ----------------------------------------------- */

FsCacheTransfer *
fs_tool_write_through (FsTool *tool,
                       const FsCacheInfo *info,
                       const char *name,
                       gboolean report,
                       GCancellable *cancellable,
                       GError **error)
{
  const char *url = fs_cache_info_get_remote_url (info);
  FsToolProgress *progress = NULL;
  FsCacheTransfer *pushed;

  if (url == NULL || fs_cache_info_get_remote_mode (info) != FS_CACHE_REMOTE_MODE_READ_WRITE)
    return NULL;
  if (fs_tool_use_progress (tool))
    {
      g_autofree char *label = g_strdup_printf (_ ("Pushing %s"), name);
      progress = fs_tool_progress_new (label);
    }
  pushed = fs_cache_push (tool->cache, name, progress != NULL ? fs_tool_progress_callback : NULL,
                          progress, cancellable, error);
  fs_tool_progress_finish (progress, pushed != NULL);
  if (pushed == NULL)
    {
      fs_tool_warning (_ ("“%s” is stored, but could not be pushed to the remote %s: %s"), name,
                       url, (*error)->message);
      return NULL;
    }
  if (report)
    {
      g_autofree char *summary = fs_tool_describe_transfer (pushed);
      g_print (_ ("Pushed “%s” to %s: %s\n"), name, url, summary);
    }
  return pushed;
}

/* The exit status of the whole command: the worst of the entries'. */
static int
worse (int status, const GError *error, FsTool *tool)
{
  int signum = fs_tool_interrupted_by (tool, error);

  if (signum != 0)
    return 128 + signum;
  if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
    return status == FS_TOOL_EXIT_OK ? FS_TOOL_EXIT_MISS : status;
  return status == FS_TOOL_EXIT_OK || status == FS_TOOL_EXIT_MISS ? FS_TOOL_EXIT_FAILURE : status;
}

static const char *
status_nick (FsCacheCommitStatus status)
{
  GEnumClass *klass = g_type_class_ref (FS_TYPE_CACHE_COMMIT_STATUS);
  GEnumValue *value = g_enum_get_value (klass, (int) status);
  const char *nick = value != NULL ? value->value_nick : "unknown";

  g_type_class_unref (klass);
  return nick;
}

/* Runs `push` (@pull FALSE) or `pull` on each name of @args. */
static int
transfer_all (FsTool *tool, char **args, gboolean pull)
{
  g_autoptr (JsonArray) results = json_array_new ();
  g_autofree char *path = NULL;
  GCancellable *cancellable;
  int status = FS_TOOL_EXIT_OK;

  if (args[0] == NULL)
    return fs_tool_usage_error (tool->command, pull ? _ ("pull needs at least one NAME")
                                                    : _ ("push needs at least one NAME"));
  for (char **a = args; *a != NULL; a++)
    if (!fs_tool_check_name (*a))
      return FS_TOOL_EXIT_USAGE;
  if (!fs_tool_open_cache (tool, pull, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = fs_tool_absolute_cache_dir (tool);
  cancellable = fs_tool_watch_signals (tool);

  for (char **a = args; *a != NULL && !g_cancellable_is_cancelled (cancellable); a++)
    {
      g_autoptr (FsCacheTransfer) transfer = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) object = NULL;
      FsCacheCommitStatus commit = FS_CACHE_COMMIT_STORED;
      FsToolProgress *progress = NULL;

      if (fs_tool_use_progress (tool))
        {
          g_autofree char *label = g_strdup_printf (pull ? _ ("Pulling %s") : _ ("Pushing %s"), *a);
          progress = fs_tool_progress_new (label);
        }
      if (pull)
        transfer =
          fs_cache_pull (tool->cache, *a, progress != NULL ? fs_tool_progress_callback : NULL,
                         progress, &commit, cancellable, &error);
      else
        transfer =
          fs_cache_push (tool->cache, *a, progress != NULL ? fs_tool_progress_callback : NULL,
                         progress, cancellable, &error);
      fs_tool_progress_finish (progress, transfer != NULL);

      if (transfer == NULL)
        {
          status = worse (status, error, tool);
          fs_tool_error ("%s", error->message);
          object = json_object_new ();
          json_object_set_string_member (object, "name", *a);
          json_object_set_string_member (object, "error", error->message);
          json_array_add_object_element (results, g_steal_pointer (&object));
          continue;
        }
      object = fs_tool_transfer_to_json (transfer);
      if (pull)
        json_object_set_string_member (object, "status", status_nick (commit));
      json_array_add_object_element (results, g_steal_pointer (&object));
      if (tool->json)
        continue;
      if (!pull)
        {
          g_autofree char *summary = fs_tool_describe_transfer (transfer);
          g_print (_ ("Pushed “%s” to %s: %s\n"), *a, fs_cache_transfer_get_remote_url (transfer),
                   summary);
          continue;
        }
      switch (commit)
        {
        case FS_CACHE_COMMIT_STORED:
          {
            g_autofree char *summary = fs_tool_describe_transfer (transfer);
            g_print (_ ("Pulled “%s” from %s into %s: %s\n"), *a,
                     fs_cache_transfer_get_remote_url (transfer), path, summary);
          }
          break;
        case FS_CACHE_COMMIT_EXISTS:
          g_print (_ ("The entry “%s” is in %s already; nothing pulled\n"), *a, path);
          break;
        case FS_CACHE_COMMIT_TOO_LARGE:
        case FS_CACHE_COMMIT_NO_SPACE:
        case FS_CACHE_COMMIT_INCOMPATIBLE:
        default:
          fs_tool_error (_ ("The cache %s declined “%s” (%s); nothing kept"), path, *a,
                         status_nick (commit));
          status = worse (status, NULL, tool);
          break;
        }
    }

  if (tool->json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_string_member (object, "cache", path);
      json_object_set_array_member (object, "entries", g_steal_pointer (&results));
      json_node_set_object (node, object);
      fs_tool_print_json (node);
    }
  return status;
}

int
fs_tool_push (FsTool *tool, char **argv)
{
  g_auto (GStrv) args = NULL;
  int status;

  if (!fs_tool_parse_options (tool, NULL, NULL, argv, &args, &status))
    return status;
  return transfer_all (tool, args, FALSE);
}

int
fs_tool_pull (FsTool *tool, char **argv)
{
  g_auto (GStrv) args = NULL;
  int status;

  if (!fs_tool_parse_options (tool, NULL, NULL, argv, &args, &status))
    return status;
  return transfer_all (tool, args, TRUE);
}
