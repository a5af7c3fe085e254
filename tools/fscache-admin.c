/* fscache-admin.c: the administration of the cache: init, info, config
 * (`info NAME`, prune and gc are in fscache-manage.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Configuration keys have their own table (`keys`), from which both
 * `config get|set` and the options of `init` are made, so a new setting of
 * the library is one line there.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include <fscache.h>

#include "fscache-builtins.h"
#include "fscache-util.h"

/* The maximum size `init` gives a cache that has none. */
#define FS_TOOL_DEFAULT_MAXIMUM_SIZE (G_GUINT64_CONSTANT (10) << 30)

/* ---- configuration keys ------------------------------------------------- */

typedef enum {
  FS_TOOL_KEY_MAXIMUM_SIZE,    /* SIZE or "unlimited" */
  FS_TOOL_KEY_PERCENT,         /* N or N%, 1 to 100 */
  FS_TOOL_KEY_SIZE_OR_PERCENT, /* SIZE or N% */
  FS_TOOL_KEY_BOOLEAN,         /* a flag; an init option without argument */
  FS_TOOL_KEY_STRING,          /* text, checked by the key's check function */
  FS_TOOL_KEY_COUNT,           /* a whole number from min to max */
  FS_TOOL_KEY_REMOTE_MODE,     /* read-write or read-only */
} FsToolKeyType;

typedef struct {
  const char *name;        /* key of `config get|set` and of the JSON output */
  const char *init_option; /* long option of `init` */
  FsToolKeyType type;
  const char *arg_description;
  const char *description;
  gboolean (*has) (const FsCacheInfo *info);
  guint64 (*get_size) (const FsCacheInfo *info);
  void (*set_size) (FsCacheInfo *info, guint64 value);
  guint (*get_percent) (const FsCacheInfo *info);
  void (*set_percent) (FsCacheInfo *info, guint value);
  guint64 (*get_size_or_percent) (const FsCacheInfo *info, gboolean *out_is_percent);
  void (*set_size_or_percent) (FsCacheInfo *info, guint64 value, gboolean is_percent);
  gboolean (*get_boolean) (const FsCacheInfo *info);
  void (*set_boolean) (FsCacheInfo *info, gboolean value);
  const char *(*get_string) (const FsCacheInfo *info);
  void (*set_string) (FsCacheInfo *info, const char *value);
  gboolean (*check_string) (const char *value, GError **error);
  guint (*get_count) (const FsCacheInfo *info);
  void (*set_count) (FsCacheInfo *info, guint value);
  guint min, max;
} FsToolKey;

static gboolean check_remote_url (const char *text, GError **error);
static gboolean check_absolute_path (const char *text, GError **error);

/* One entry per setting: it gives `config get|set KEY`, an option of `init`
 * (a flag for a boolean), the JSON member and the completion. */
static const FsToolKey keys[] = {
  { "maximum-size", "max-size", FS_TOOL_KEY_MAXIMUM_SIZE, N_ ("SIZE"),
    N_ ("Maximum size of the cache, or “unlimited” (init default: 10G when the cache has none)"),
    .has = fs_cache_info_has_maximum_size, .get_size = fs_cache_info_get_maximum_size,
    .set_size = fs_cache_info_set_maximum_size },
  { "low-watermark", "low-watermark", FS_TOOL_KEY_PERCENT, N_ ("PERCENT"),
    N_ ("Evict down to PERCENT of the maximum size when a store does not fit (default 80)"),
    .has = fs_cache_info_has_low_watermark, .get_percent = fs_cache_info_get_low_watermark,
    .set_percent = fs_cache_info_set_low_watermark },
  { "min-free-space", "min-free", FS_TOOL_KEY_SIZE_OR_PERCENT, N_ ("SIZE|N%"),
    N_ ("Keep at least this much of the file system free (bytes, or percent of its size)"),
    .has = fs_cache_info_has_min_free_space,
    .get_size_or_percent = fs_cache_info_get_min_free_space,
    .set_size_or_percent = fs_cache_info_set_min_free_space },
  { "volatile", "volatile", FS_TOOL_KEY_BOOLEAN, NULL,
    N_ ("Skip the syncs that make entries survive a power cut (tmpfs, CI)"),
    .has = fs_cache_info_has_volatile, .get_boolean = fs_cache_info_get_volatile,
    .set_boolean = fs_cache_info_set_volatile },
  { "shared", "shared", FS_TOOL_KEY_BOOLEAN, NULL,
    N_ ("Share the cache with the users of its group (group-writable files)"),
    .has = fs_cache_info_has_shared, .get_boolean = fs_cache_info_get_shared,
    .set_boolean = fs_cache_info_set_shared },
  { "remote", "remote", FS_TOOL_KEY_STRING, N_ ("URL"),
    N_ ("HTTP cache server to share entries through (http:// or https://, no credentials; \"\" "
        "for none)"),
    .has = fs_cache_info_has_remote_url, .get_string = fs_cache_info_get_remote_url,
    .set_string = fs_cache_info_set_remote_url, .check_string = check_remote_url },
  { "remote-mode", "remote-mode", FS_TOOL_KEY_REMOTE_MODE, N_ ("read-write|read-only"),
    N_ ("Pull and push (read-write, the default), or only pull (read-only)"),
    .has = fs_cache_info_has_remote_mode },
  { "remote-namespace", "remote-namespace", FS_TOOL_KEY_STRING, N_ ("NAME"),
    N_ ("Namespace of the entry names on the remote (default: none)"),
    .has = fs_cache_info_has_remote_namespace, .get_string = fs_cache_info_get_remote_namespace,
    .set_string = fs_cache_info_set_remote_namespace },
  { "remote-timeout", "remote-timeout", FS_TOOL_KEY_COUNT, N_ ("SECONDS"),
    N_ ("Give up on a remote that does not answer for this long (default 30)"),
    .has = fs_cache_info_has_remote_timeout, .get_count = fs_cache_info_get_remote_timeout,
    .set_count = fs_cache_info_set_remote_timeout, .min = 1, .max = G_MAXINT / 1000 },
  { "remote-connections", "remote-connections", FS_TOOL_KEY_COUNT, N_ ("N"),
    N_ ("Connections to the remote, and files transferred at once (default 8)"),
    .has = fs_cache_info_has_remote_connections, .get_count = fs_cache_info_get_remote_connections,
    .set_count = fs_cache_info_set_remote_connections, .min = 1,
    .max = FS_CACHE_REMOTE_MAX_CONNECTIONS },
  { "remote-credentials-file", "remote-credentials-file", FS_TOOL_KEY_STRING, N_ ("PATH"),
    N_ ("File to read the remote's credentials from (“bearer TOKEN” or “basic USER:PASSWORD”); "
        "never the credentials themselves"),
    .has = fs_cache_info_has_remote_credentials_file,
    .get_string = fs_cache_info_get_remote_credentials_file,
    .set_string = fs_cache_info_set_remote_credentials_file, .check_string = check_absolute_path },
  { "remote-zstd", "remote-zstd", FS_TOOL_KEY_BOOLEAN, NULL,
    N_ ("Compress what is pushed with zstd (pays on slow links only)"),
    .has = fs_cache_info_has_remote_zstd, .get_boolean = fs_cache_info_get_remote_zstd,
    .set_boolean = fs_cache_info_set_remote_zstd },
};

/* A URL the library can use as a remote; credentials in it are refused
 * (cache.info is readable by every user of the cache). "" is no remote. */
static gboolean
check_remote_url (const char *text, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  const char *scheme;

  if (*text == '\0')
    return TRUE;
  uri = g_uri_parse (text, G_URI_FLAGS_ENCODED, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("“%s” is not an http:// or https:// URL"), text);
      return FALSE;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _ ("the URL must not hold a user name or password (cache.info is "
                              "readable by every user of the cache): set FSCACHE_REMOTE_TOKEN, or "
                              "FSCACHE_REMOTE_USER and FSCACHE_REMOTE_PASSWORD, or "
                              "remote-credentials-file"));
      return FALSE;
    }
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("“%s”: a remote URL has no query or fragment"), text);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_absolute_path (const char *text, GError **error)
{
  if (g_path_is_absolute (text))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _ ("“%s” is not an absolute path"),
               text);
  return FALSE;
}

static const FsToolKey *
find_key (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_str_equal (keys[i].name, name))
      return &keys[i];
  return NULL;
}

char **
fs_tool_config_key_names (void)
{
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    g_strv_builder_add (names, keys[i].name);
  return g_strv_builder_end (names);
}

static char *
key_names (void)
{
  g_autoptr (GString) s = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", keys[i].name);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
parse_boolean (const char *text, gboolean *out_value)
{
  static const char *const yes[] = { "true", "yes", "on", "1" };
  static const char *const no[] = { "false", "no", "off", "0" };

  for (gsize i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (g_ascii_strcasecmp (text, yes[i]) == 0)
        return (*out_value = TRUE);
      if (g_ascii_strcasecmp (text, no[i]) == 0)
        return !(*out_value = FALSE);
    }
  return FALSE;
}

/* Parses @text as a value of @key into @info. */
static gboolean
key_parse (const FsToolKey *key, const char *text, FsCacheInfo *info, GError **error)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  guint64 size;
  guint percent;
  gboolean flag;

  switch (key->type)
    {
    case FS_TOOL_KEY_MAXIMUM_SIZE:
      if (g_ascii_strcasecmp (stripped, "unlimited") == 0)
        size = FS_CACHE_SIZE_UNLIMITED;
      else if (!fs_tool_parse_size (stripped, &size, error))
        return FALSE;
      key->set_size (info, size);
      return TRUE;
    case FS_TOOL_KEY_PERCENT:
      if (!fs_tool_parse_percent (stripped, 1, &percent, error))
        return FALSE;
      key->set_percent (info, percent);
      return TRUE;
    case FS_TOOL_KEY_SIZE_OR_PERCENT:
      if (g_str_has_suffix (stripped, "%"))
        {
          if (!fs_tool_parse_percent (stripped, 0, &percent, error))
            return FALSE;
          key->set_size_or_percent (info, percent, TRUE);
        }
      else
        {
          if (!fs_tool_parse_size (stripped, &size, error))
            return FALSE;
          key->set_size_or_percent (info, size, FALSE);
        }
      return TRUE;
    case FS_TOOL_KEY_BOOLEAN:
      if (!parse_boolean (stripped, &flag))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _ ("Invalid value “%s”: expected true or false"), text);
          return FALSE;
        }
      key->set_boolean (info, flag);
      return TRUE;
    case FS_TOOL_KEY_STRING:
      if (!g_utf8_validate (stripped, -1, NULL))
        {
          g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                               _ ("the value is not valid UTF-8"));
          return FALSE;
        }
      if (key->check_string != NULL && !key->check_string (stripped, error))
        return FALSE;
      key->set_string (info, stripped);
      return TRUE;
    case FS_TOOL_KEY_COUNT:
      if (!g_ascii_string_to_unsigned (stripped, 10, key->min, key->max, &size, NULL))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _ ("Invalid value “%s”: expected a whole number from %u to %u"), text,
                       key->min, key->max);
          return FALSE;
        }
      key->set_count (info, (guint) size);
      return TRUE;
    case FS_TOOL_KEY_REMOTE_MODE:
      if (g_ascii_strcasecmp (stripped, "read-write") == 0)
        fs_cache_info_set_remote_mode (info, FS_CACHE_REMOTE_MODE_READ_WRITE);
      else if (g_ascii_strcasecmp (stripped, "read-only") == 0)
        fs_cache_info_set_remote_mode (info, FS_CACHE_REMOTE_MODE_READ_ONLY);
      else
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _ ("Invalid value “%s”: expected read-write or read-only"), text);
          return FALSE;
        }
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static const char *
remote_mode_name (const FsCacheInfo *info)
{
  return fs_cache_info_get_remote_mode (info) == FS_CACHE_REMOTE_MODE_READ_ONLY ? "read-only"
                                                                                : "read-write";
}

/* The value of @key in the syntax key_parse() reads; "unset" when unset. */
static char *
key_to_string (const FsToolKey *key, const FsCacheInfo *info)
{
  gboolean is_percent;
  guint64 value;

  switch (key->type)
    {
    case FS_TOOL_KEY_MAXIMUM_SIZE:
      if (!key->has (info))
        return g_strdup ("unset");
      value = key->get_size (info);
      if (value == FS_CACHE_SIZE_UNLIMITED)
        return g_strdup ("unlimited");
      return fs_tool_format_size_exact (value);
    case FS_TOOL_KEY_PERCENT:
      return g_strdup_printf ("%u%%", key->get_percent (info));
    case FS_TOOL_KEY_SIZE_OR_PERCENT:
      if (!key->has (info))
        return g_strdup ("unset");
      value = key->get_size_or_percent (info, &is_percent);
      if (is_percent)
        return g_strdup_printf ("%" G_GUINT64_FORMAT "%%", value);
      return fs_tool_format_size_exact (value);
    case FS_TOOL_KEY_BOOLEAN:
      return g_strdup (key->get_boolean (info) ? "true" : "false");
    case FS_TOOL_KEY_STRING:
      if (!key->has (info))
        return g_strdup ("unset");
      return g_strdup (key->get_string (info) != NULL ? key->get_string (info) : "");
    case FS_TOOL_KEY_COUNT:
      return g_strdup_printf ("%u", key->get_count (info));
    case FS_TOOL_KEY_REMOTE_MODE:
      return g_strdup (remote_mode_name (info));
    default:
      g_assert_not_reached ();
    }
}

/* The JSON value of @key: see fscache(1) for the schema. */
static JsonNode *
key_to_json (const FsToolKey *key, const FsCacheInfo *info)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  gboolean is_percent;
  guint64 value;

  switch (key->type)
    {
    case FS_TOOL_KEY_MAXIMUM_SIZE:
      if (!key->has (info))
        return json_node_init_null (node);
      value = key->get_size (info);
      if (value == FS_CACHE_SIZE_UNLIMITED)
        return json_node_init_string (node, "unlimited");
      return json_node_init_int (node, (gint64) value);
    case FS_TOOL_KEY_PERCENT:
      return json_node_init_int (node, key->get_percent (info));
    case FS_TOOL_KEY_SIZE_OR_PERCENT:
      if (!key->has (info))
        return json_node_init_null (node);
      value = key->get_size_or_percent (info, &is_percent);
      if (is_percent)
        {
          g_autofree char *s = g_strdup_printf ("%" G_GUINT64_FORMAT "%%", value);
          return json_node_init_string (node, s);
        }
      return json_node_init_int (node, (gint64) value);
    case FS_TOOL_KEY_BOOLEAN:
      return json_node_init_boolean (node, key->get_boolean (info));
    case FS_TOOL_KEY_STRING:
      if (key->get_string (info) == NULL)
        return json_node_init_null (node);
      return json_node_init_string (node, key->get_string (info));
    case FS_TOOL_KEY_COUNT:
      return json_node_init_int (node, key->get_count (info));
    case FS_TOOL_KEY_REMOTE_MODE:
      return json_node_init_string (node, remote_mode_name (info));
    default:
      g_assert_not_reached ();
    }
}

/* The value of @key for people (info, init). */
static char *
key_describe (const FsToolKey *key, const FsCacheInfo *info)
{
  gboolean is_percent;
  guint64 value;

  switch (key->type)
    {
    case FS_TOOL_KEY_MAXIMUM_SIZE:
      if (!key->has (info))
        return g_strdup (_ ("none: nothing is kept (set one with “fscache init --max-size SIZE”)"));
      value = key->get_size (info);
      if (value == 0)
        return g_strdup (_ ("0: nothing is kept, every store is declined as too large"));
      if (value == FS_CACHE_SIZE_UNLIMITED)
        return g_strdup (_ ("unlimited"));
      return fs_tool_format_size (value);
    case FS_TOOL_KEY_PERCENT:
      if (key->has (info))
        return g_strdup_printf ("%u%%", key->get_percent (info));
      return g_strdup_printf (_ ("%u%% (default)"), key->get_percent (info));
    case FS_TOOL_KEY_SIZE_OR_PERCENT:
      value = key->get_size_or_percent (info, &is_percent);
      if (!key->has (info) || value == 0)
        return g_strdup (_ ("none"));
      if (is_percent)
        return g_strdup_printf (_ ("%u%% of the file system"), (guint) value);
      return fs_tool_format_size (value);
    case FS_TOOL_KEY_BOOLEAN:
      return g_strdup (key->get_boolean (info) ? _ ("yes") : _ ("no"));
    case FS_TOOL_KEY_STRING:
      if (key->get_string (info) == NULL || *key->get_string (info) == '\0')
        return g_strdup (_ ("none"));
      return g_strdup (key->get_string (info));
    case FS_TOOL_KEY_COUNT:
      if (key->has (info))
        return g_strdup_printf ("%u", key->get_count (info));
      return g_strdup_printf (_ ("%u (default)"), key->get_count (info));
    case FS_TOOL_KEY_REMOTE_MODE:
      return g_strdup (remote_mode_name (info));
    default:
      g_assert_not_reached ();
    }
}

static JsonObject *
config_to_json (const FsCacheInfo *info)
{
  JsonObject *object = json_object_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    json_object_set_member (object, keys[i].name, key_to_json (&keys[i], info));
  return object;
}

/* ---- init --------------------------------------------------------------- */

/* A maximum size of 0 is allowed (osbuild's default: a cache used only to
 * stage), but rarely meant: say what it does. */
static void
warn_if_keeps_nothing (const FsCacheInfo *updates)
{
  if (fs_cache_info_has_maximum_size (updates) && fs_cache_info_get_maximum_size (updates) == 0)
    fs_tool_warning (_ ("a maximum size of 0 keeps nothing: every store is declined as too "
                        "large"));
}

static void
print_settings (const FsCacheInfo *info)
{
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *value = key_describe (&keys[i], info);
      g_print ("  %-16s %s\n", keys[i].name, value);
    }
}

/* The values of init's options, one per key. */
typedef struct {
  char *values[G_N_ELEMENTS (keys)];
  gboolean flags[G_N_ELEMENTS (keys)];
} InitOptions;

static void
init_options_clear (InitOptions *o)
{
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    g_clear_pointer (&o->values[i], g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (InitOptions, init_options_clear)

/* init's options, made from `keys` and bound to @opt. */
static void
init_option_entries (InitOptions *opt, GOptionEntry entries[G_N_ELEMENTS (keys) + 1])
{
  memset (entries, 0, sizeof (GOptionEntry) * (G_N_ELEMENTS (keys) + 1));
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GOptionEntry *e = &entries[i];

      e->long_name = keys[i].init_option;
      e->description = keys[i].description;
      if (keys[i].type == FS_TOOL_KEY_BOOLEAN)
        {
          e->arg = G_OPTION_ARG_NONE;
          e->arg_data = &opt->flags[i];
        }
      else
        {
          e->arg = G_OPTION_ARG_STRING;
          e->arg_data = &opt->values[i];
          e->arg_description = keys[i].arg_description;
        }
    }
}

int
fs_tool_init (FsTool *tool, char **argv)
{
  g_auto (InitOptions) opt = { { NULL } };
  GOptionEntry options[G_N_ELEMENTS (keys) + 1];
  g_auto (GStrv) args = NULL;
  g_autoptr (FsCacheInfo) updates = fs_cache_info_new ();
  g_autoptr (FsCacheInfo) current = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  gboolean existed, changed = FALSE;
  int status;

  init_option_entries (&opt, options);
  if (!fs_tool_parse_options (tool, options, NULL, argv, &args, &status))
    return status;
  if ((status = fs_tool_no_arguments (tool, args)) != FS_TOOL_EXIT_OK)
    return status;

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      if (keys[i].type == FS_TOOL_KEY_BOOLEAN)
        {
          if (opt.flags[i])
            {
              keys[i].set_boolean (updates, TRUE);
              changed = TRUE;
            }
          continue;
        }
      if (opt.values[i] == NULL)
        continue;
      if (!key_parse (&keys[i], opt.values[i], updates, &error))
        return fs_tool_usage_error (tool->command, "--%s: %s", keys[i].init_option, error->message);
      changed = TRUE;
    }

  existed = fs_tool_looks_like_cache (tool->cache_dir);
  if (!fs_tool_open_cache (tool, TRUE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = fs_tool_absolute_cache_dir (tool);

  current = fs_tool_dup_info (tool);
  if (current == NULL)
    return FS_TOOL_EXIT_FAILURE;
  if (!fs_cache_info_has_maximum_size (updates) && !fs_cache_info_has_maximum_size (current))
    {
      fs_cache_info_set_maximum_size (updates, FS_TOOL_DEFAULT_MAXIMUM_SIZE);
      changed = TRUE;
    }
  if (changed && !fs_cache_set_info (tool->cache, updates, NULL, &error))
    {
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }
  warn_if_keeps_nothing (updates);

  info = fs_tool_dup_info (tool);
  if (info == NULL)
    return FS_TOOL_EXIT_FAILURE;
  if (tool->json)
    {
      g_autoptr (JsonObject) object = config_to_json (info);
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_string_member (object, "cache", path);
      json_object_set_boolean_member (object, "created", !existed);
      json_object_set_boolean_member (object, "changed", changed);
      json_node_set_object (node, object);
      fs_tool_print_json (node);
      return FS_TOOL_EXIT_OK;
    }

  if (!existed)
    g_print (_ ("Created the cache %s\n"), path);
  else if (!fs_cache_info_has_maximum_size (current))
    g_print (_ ("Initialized the cache %s\n"), path);
  else if (changed)
    g_print (_ ("Updated the cache %s\n"), path);
  else
    g_print (_ ("The cache %s is ready; nothing changed\n"), path);
  print_settings (info);
  return FS_TOOL_EXIT_OK;
}

/* ---- info --------------------------------------------------------------- */

static void
add_row (GPtrArray *labels, GPtrArray *values, const char *label, char *value)
{
  g_ptr_array_add (labels, (gpointer) label);
  g_ptr_array_add (values, value);
}

int
fs_tool_info (FsTool *tool, char **argv)
{
  g_auto (GStrv) args = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GListModel) list = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  guint64 used = 0, maximum, reclaimable = 0;
  guint stale = 0;
  gint64 correction = 0;
  gboolean have_used, have_stale, compatible, others, checked = FALSE;
  int status;

  if (!fs_tool_parse_options (tool, NULL, NULL, argv, &args, &status))
    return status;
  if (args[0] != NULL && args[1] != NULL)
    return fs_tool_usage_error (tool->command, _ ("Unexpected argument “%s”"), args[1]);
  if (args[0] != NULL)
    return fs_tool_info_entry (tool, args[0]);
  if (!fs_tool_open_cache (tool, FALSE, TRUE))
    return FS_TOOL_EXIT_FAILURE;
  path = fs_tool_absolute_cache_dir (tool);
  info = fs_tool_dup_info (tool);
  if (info == NULL)
    return FS_TOOL_EXIT_FAILURE;
  compatible = fs_tool_info_is_compatible (info);

  have_used = fs_cache_get_usage (tool->cache, &used, NULL, NULL, &error);
  if (!have_used)
    {
      g_debug ("usage of %s: %s", path, error->message);
      g_clear_error (&error);
    }
  list = compatible ? fs_cache_list (tool->cache, NULL, &error) : NULL;
  if (compatible && list == NULL)
    {
      g_debug ("list of %s: %s", path, error->message);
      g_clear_error (&error);
    }
  /* A dry run: what gc would remove, and when nobody else has the cache
   * open, how far the size counter is off (osbuild makes it drift). */
  have_stale =
    compatible && fs_cache_collect_garbage_full (tool->cache, FS_CACHE_GC_DRY_RUN, 0, &stale,
                                                 &reclaimable, &correction, &checked, NULL, &error);
  if (compatible && !have_stale)
    {
      g_debug ("stale debris of %s: %s", path, error->message);
      g_clear_error (&error);
    }
  others = fs_cache_has_other_users (tool->cache);
  maximum = fs_cache_info_get_maximum_size (info);

  if (tool->json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonObject) config = config_to_json (info);
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      g_autoptr (GList) members = json_object_get_members (config);

      json_object_set_string_member (object, "cache", path);
      if (fs_cache_info_has_version (info))
        json_object_set_int_member (object, "version", fs_cache_info_get_version (info));
      else
        json_object_set_null_member (object, "version");
      json_object_set_boolean_member (object, "compatible", compatible);
      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (object, l->data,
                                json_node_copy (json_object_get_member (config, l->data)));
      if (have_used)
        json_object_set_int_member (object, "used", (gint64) used);
      else
        json_object_set_null_member (object, "used");
      if (list != NULL)
        json_object_set_int_member (object, "entries", g_list_model_get_n_items (list));
      else
        json_object_set_null_member (object, "entries");
      if (have_stale)
        {
          json_object_set_int_member (object, "stale-items", stale);
          json_object_set_int_member (object, "stale-bytes", (gint64) reclaimable);
        }
      else
        {
          json_object_set_null_member (object, "stale-items");
          json_object_set_null_member (object, "stale-bytes");
        }
      if (have_stale && checked)
        json_object_set_int_member (object, "size-correction", correction);
      else
        json_object_set_null_member (object, "size-correction");
      json_object_set_boolean_member (object, "counter-checked", have_stale && checked);
      json_object_set_boolean_member (object, "other-users", others);
      if (fs_cache_info_get_creation_boot_id (info) != NULL)
        json_object_set_string_member (object, "creation-boot-id",
                                       fs_cache_info_get_creation_boot_id (info));
      else
        json_object_set_null_member (object, "creation-boot-id");
      json_object_set_string_member (object, "boot-id", fs_cache_get_boot_id (tool->cache));
      json_node_set_object (node, object);
      fs_tool_print_json (node);
      return FS_TOOL_EXIT_OK;
    }

  {
    g_autoptr (GPtrArray) labels = g_ptr_array_new ();
    g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);

    add_row (labels, values, _ ("Cache"), g_strdup (path));
    if (!fs_cache_info_has_version (info))
      add_row (labels, values, _ ("Format version"),
               g_strdup_printf (_ ("none (incompatible: this fscache supports version %d)"),
                                FS_CACHE_FORMAT_VERSION));
    else if (!compatible)
      {
        g_autofree char *version =
          g_strdup_printf ("%" G_GINT64_FORMAT, fs_cache_info_get_version (info));
        add_row (labels, values, _ ("Format version"),
                 g_strdup_printf (_ ("%s (incompatible: this fscache supports version %d)"),
                                  version, FS_CACHE_FORMAT_VERSION));
      }
    else
      add_row (labels, values, _ ("Format version"),
               g_strdup_printf ("%" G_GINT64_FORMAT, fs_cache_info_get_version (info)));
    add_row (labels, values, _ ("Maximum size"), key_describe (find_key ("maximum-size"), info));
    if (!have_used)
      add_row (labels, values, _ ("Used"), g_strdup (_ ("unknown")));
    else
      {
        g_autofree char *u = fs_tool_format_size (used);

        if (maximum > 0 && maximum != FS_CACHE_SIZE_UNLIMITED)
          add_row (labels, values, _ ("Used"),
                   g_strdup_printf (_ ("%s (%.1f%% of the maximum)"), u,
                                    100.0 * (double) used / (double) maximum));
        else
          add_row (labels, values, _ ("Used"), g_strdup (u));
      }
    add_row (labels, values, _ ("Entries"),
             list != NULL ? g_strdup_printf ("%u", g_list_model_get_n_items (list))
                          : g_strdup (_ ("unknown")));
    {
      g_autofree char *lw = key_describe (find_key ("low-watermark"), info);

      if (maximum > 0 && maximum != FS_CACHE_SIZE_UNLIMITED)
        {
          g_autofree char *target = fs_tool_format_size (
            fs_tool_percent_of (maximum, fs_cache_info_get_low_watermark (info)));
          add_row (labels, values, _ ("Low watermark"), g_strdup_printf ("%s = %s", lw, target));
        }
      else
        add_row (labels, values, _ ("Low watermark"), g_steal_pointer (&lw));
    }
    add_row (labels, values, _ ("Minimum free space"),
             key_describe (find_key ("min-free-space"), info));
    if (fs_cache_info_get_remote_url (info) == NULL)
      add_row (labels, values, _ ("Remote"), g_strdup (_ ("none")));
    else if (*fs_cache_info_get_remote_namespace (info) == '\0')
      add_row (labels, values, _ ("Remote"),
               g_strdup_printf ("%s (%s)", fs_cache_info_get_remote_url (info),
                                remote_mode_name (info)));
    else
      add_row (labels, values, _ ("Remote"),
               g_strdup_printf (_ ("%s (%s, namespace “%s”)"), fs_cache_info_get_remote_url (info),
                                remote_mode_name (info),
                                fs_cache_info_get_remote_namespace (info)));
    if (!have_stale)
      add_row (labels, values, _ ("Stale debris"), g_strdup (_ ("unknown")));
    else if (stale == 0)
      add_row (labels, values, _ ("Stale debris"), g_strdup (_ ("none")));
    else
      {
        g_autofree char *r = fs_tool_format_size (reclaimable);
        add_row (labels, values, _ ("Stale debris"),
                 g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "%u item (%s); run “fscache gc” to remove it",
                                               "%u items (%s); run “fscache gc” to remove them",
                                               stale),
                                  stale, r));
      }
    if (!have_stale)
      add_row (labels, values, _ ("Size counter"), g_strdup (_ ("unknown")));
    else if (!checked)
      add_row (labels, values, _ ("Size counter"),
               g_strdup (_ ("not measured: the cache is in use by another process")));
    else if (correction == 0)
      add_row (labels, values, _ ("Size counter"), g_strdup (_ ("exact")));
    else
      {
        g_autofree char *c = fs_tool_format_size ((guint64) ABS (correction));
        add_row (labels, values, _ ("Size counter"),
                 g_strdup_printf (correction > 0
                                    ? _ ("%s too low; run “fscache gc” to correct it")
                                    : _ ("%s too high; run “fscache gc” to correct it"),
                                  c));
      }
    add_row (labels, values, _ ("Other users"),
             g_strdup (others ? _ ("yes: another process has the cache open") : _ ("none")));
    if (fs_cache_info_get_creation_boot_id (info) != NULL)
      add_row (labels, values, _ ("Created on boot"),
               g_strdup (fs_cache_info_get_creation_boot_id (info)));
    fs_tool_print_rows (labels, values);
  }
  return FS_TOOL_EXIT_OK;
}

/* ---- config ------------------------------------------------------------- */

int
fs_tool_config (FsTool *tool, char **argv)
{
  g_auto (GStrv) args = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *names = key_names ();
  const FsToolKey *key = NULL;
  gboolean set;
  int status;

  if (!fs_tool_parse_options (tool, NULL, NULL, argv, &args, &status))
    return status;
  if (args[0] == NULL)
    return fs_tool_usage_error (tool->command, _ ("config needs “get” or “set”"));
  if (g_str_equal (args[0], "get"))
    {
      set = FALSE;
      if (args[1] != NULL && args[2] != NULL)
        return fs_tool_usage_error (tool->command, _ ("Unexpected argument “%s”"), args[2]);
    }
  else if (g_str_equal (args[0], "set"))
    {
      set = TRUE;
      if (args[1] == NULL || args[2] == NULL)
        return fs_tool_usage_error (tool->command, _ ("config set needs a KEY and a VALUE"));
      if (args[3] != NULL)
        return fs_tool_usage_error (tool->command, _ ("Unexpected argument “%s”"), args[3]);
    }
  else
    return fs_tool_usage_error (tool->command,
                                _ ("Unknown config action “%s”: expected get or set"), args[0]);

  if (args[1] != NULL && (key = find_key (args[1])) == NULL)
    return fs_tool_usage_error (tool->command,
                                _ ("Unknown configuration key “%s” (known keys: %s)"), args[1],
                                names);

  if (set)
    {
      g_autoptr (FsCacheInfo) updates = fs_cache_info_new ();

      if (!key_parse (key, args[2], updates, &error))
        return fs_tool_usage_error (tool->command, "%s: %s", key->name, error->message);
      if (!fs_tool_open_cache (tool, TRUE, FALSE))
        return FS_TOOL_EXIT_FAILURE;
      if (!fs_cache_set_info (tool->cache, updates, NULL, &error))
        {
          fs_tool_error ("%s", error->message);
          return FS_TOOL_EXIT_FAILURE;
        }
      warn_if_keeps_nothing (updates);
    }
  else if (!fs_tool_open_cache (tool, FALSE, FALSE))
    return FS_TOOL_EXIT_FAILURE;

  info = fs_tool_dup_info (tool);
  if (info == NULL)
    return FS_TOOL_EXIT_FAILURE;
  if (tool->json)
    {
      g_autoptr (JsonNode) node = NULL;

      if (key != NULL && !set)
        node = key_to_json (key, info);
      else
        {
          node = json_node_new (JSON_NODE_OBJECT);
          json_node_take_object (node, config_to_json (info));
        }
      fs_tool_print_json (node);
      return FS_TOOL_EXIT_OK;
    }

  if (set)
    {
      g_autofree char *value = key_to_string (key, info);
      g_print (_ ("Set %s to %s\n"), key->name, value);
    }
  else if (key != NULL)
    {
      g_autofree char *value = key_to_string (key, info);
      g_print ("%s\n", value);
    }
  else
    for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
      {
        g_autofree char *value = key_to_string (&keys[i], info);
        g_print ("%s=%s\n", keys[i].name, value);
      }
  return FS_TOOL_EXIT_OK;
}
