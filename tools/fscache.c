/* fscache.c: the fscache command-line tool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   fscache [--cache DIR] COMMAND [OPTIONS] [ARGS…]
 *
 * One table (`commands` below) names every command, its arguments and its
 * options; the option parser, `--help`, and the bash completion (through the
 * hidden `__complete` command) all read it. Configuration keys have their own
 * table (`keys`), from which both `config get|set` and the options of `init`
 * are made, so a new setting of the library is one line there.
 *
 * Exit statuses: 0 ok, 1 failure, 2 usage error, 3 miss (fscache(1)).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
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

#include "fscache-copy.h"
#include "fscache-util.h"

#define FS_TOOL_APP_ID "org.fscache.Tool"
/* The maximum size `init` gives a cache that has none. */
#define FS_TOOL_DEFAULT_MAXIMUM_SIZE (G_GUINT64_CONSTANT (10) << 30)

/* ---- options ------------------------------------------------------------ */

static char *opt_cache;
static gboolean opt_version;
static gboolean opt_json;
static gboolean opt_dry_run;
static gboolean opt_move;
static gboolean opt_no_progress;
static char *opt_sort;
static char *opt_to;

static const GOptionEntry cache_option[] = {
  { "cache", 0, 0, G_OPTION_ARG_FILENAME, &opt_cache,
    N_ ("Use the cache in DIR (default: $FSCACHE_DIR, else $XDG_CACHE_HOME/fscache)"), N_ ("DIR") },
  { NULL }
};

static const GOptionEntry json_option[] = { { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json,
                                              N_ ("Print the result as JSON (see fscache(1))"),
                                              NULL },
                                            { NULL } };

static const GOptionEntry progress_option[] = {
  { "no-progress", 0, 0, G_OPTION_ARG_NONE, &opt_no_progress,
    N_ ("Draw no progress bar, even on a terminal"), NULL },
  { NULL }
};

static const GOptionEntry main_options[] = { { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
                                               N_ ("Print the version and exit"), NULL },
                                             { NULL } };

static const GOptionEntry ls_options[] = {
  { "sort", 0, 0, G_OPTION_ARG_STRING, &opt_sort,
    N_ ("Order by name (the default), lru (least recently used first) or size (largest first)"),
    N_ ("lru|size|name") },
  { NULL }
};

static const GOptionEntry store_options[] = {
  { "move", 0, 0, G_OPTION_ARG_NONE, &opt_move,
    N_ ("Move PATH into the cache instead of copying it (a rename on the same file system)"),
    NULL },
  { NULL }
};

static const GOptionEntry prune_options[] = {
  { "to", 0, 0, G_OPTION_ARG_STRING, &opt_to,
    N_ ("Evict least recently used entries until the cache uses at most SIZE (default: the low "
        "watermark)"),
    N_ ("SIZE") },
  { "dry-run", 0, 0, G_OPTION_ARG_NONE, &opt_dry_run, N_ ("Only report what would be removed"),
    NULL },
  { NULL }
};

/* gc --wait-idle[=SECONDS]: -1 when not given, 0 for no limit. */
static gint64 opt_wait_idle = -1;

static gboolean
parse_wait_idle (const char *name, const char *value, gpointer data, GError **error)
{
  guint64 seconds = 0;

  if (value != NULL &&
      (!g_ascii_string_to_unsigned (value, 10, 1, G_MAXINT / 1000, &seconds, NULL)))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("%s: “%s” is not a number of seconds (1 or more)"), name, value);
      return FALSE;
    }
  opt_wait_idle = (gint64) seconds;
  return TRUE;
}

static const GOptionEntry gc_options[] = {
  { "dry-run", 0, 0, G_OPTION_ARG_NONE, &opt_dry_run, N_ ("Only report what would be removed"),
    NULL },
  { "wait-idle", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_wait_idle,
    N_ ("Wait until no other process has the cache open (at most SECONDS, if given), so that "
        "the size counter can be checked"),
    N_ ("SECONDS") },
  { NULL }
};

/* ---- configuration keys ------------------------------------------------- */

typedef enum {
  FS_TOOL_KEY_MAXIMUM_SIZE,    /* SIZE or "unlimited" */
  FS_TOOL_KEY_PERCENT,         /* N or N%, 1 to 100 */
  FS_TOOL_KEY_SIZE_OR_PERCENT, /* SIZE or N% */
  FS_TOOL_KEY_BOOLEAN,         /* a flag; an init option without argument */
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
} FsToolKey;

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
};

/* Values of the init options, one per key. */
static char *opt_key_values[G_N_ELEMENTS (keys)];
static gboolean opt_key_flags[G_N_ELEMENTS (keys)];

static const FsToolKey *
find_key (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_str_equal (keys[i].name, name))
      return &keys[i];
  return NULL;
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
    default:
      g_assert_not_reached ();
    }
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

/* ---- commands ----------------------------------------------------------- */

typedef struct _FsTool FsTool;

typedef enum {
  FS_TOOL_COMMAND_NONE = 0,
  FS_TOOL_COMMAND_JSON = 1 << 0,     /* has --json */
  FS_TOOL_COMMAND_PROGRESS = 1 << 1, /* has --no-progress */
  FS_TOOL_COMMAND_POSIX = 1 << 2,    /* options only before the first argument */
  FS_TOOL_COMMAND_HIDDEN = 1 << 3,   /* not listed in --help */
  FS_TOOL_COMMAND_NO_CACHE = 1 << 4, /* no --cache option */
  FS_TOOL_COMMAND_CREATES = 1 << 5,  /* creates the cache where there is none */
} FsToolCommandFlags;

typedef struct {
  const char *name;
  const char *parameters;  /* the arguments, as the usage line shows them */
  const char *summary;     /* one line for the list of commands */
  const char *description; /* more for --help, or NULL */
  const GOptionEntry *options;
  /* What each argument completes to: "entry", "dir", "path", "command",
   * "key", "word:a,b" (those words), "-" (nothing); a final "..." repeats
   * the last kind. */
  const char *completion;
  FsToolCommandFlags flags;
  int (*run) (FsTool *tool, char **args);
} FsToolCommand;

struct _FsTool {
  const FsToolCommand *command;
  char *cache_dir;
  FsCache *cache;
};

static int cmd_init (FsTool *tool, char **args);
static int cmd_info (FsTool *tool, char **args);
static int cmd_ls (FsTool *tool, char **args);
static int cmd_store (FsTool *tool, char **args);
static int cmd_load (FsTool *tool, char **args);
static int cmd_export (FsTool *tool, char **args);
static int cmd_rm (FsTool *tool, char **args);
static int cmd_prune (FsTool *tool, char **args);
static int cmd_gc (FsTool *tool, char **args);
static int cmd_config (FsTool *tool, char **args);
static int cmd_help (FsTool *tool, char **args);
static int cmd_complete (FsTool *tool, char **args);

/* init's options are made from `keys` at startup. */
static GOptionEntry init_options[G_N_ELEMENTS (keys) + 1];

static const FsToolCommand commands[] = {
  { "init", "", N_ ("Create the cache, or change its settings"),
    N_ ("Creates the cache directory if needed and sets the given settings. A cache without a "
        "maximum size keeps nothing, so init gives it 10G unless --max-size says otherwise."),
    init_options, "", FS_TOOL_COMMAND_JSON | FS_TOOL_COMMAND_CREATES, cmd_init },
  { "info", "", N_ ("Show the settings and the usage of the cache"), NULL, NULL, "",
    FS_TOOL_COMMAND_JSON, cmd_info },
  { "ls", "", N_ ("List the entries"), NULL, ls_options, "", FS_TOOL_COMMAND_JSON, cmd_ls },
  { "store", N_ ("NAME PATH"), N_ ("Store a copy of PATH as entry NAME"),
    N_ ("Copies the directory PATH (or a single file, kept under its name) into the cache, "
        "reflinking files where the file system can, and commits it as NAME. A symbolic link to "
        "a directory is followed, as “cp -a link/” does. An existing entry NAME is kept: storing "
        "it again is not an error. With --move, a tree the cache declines is moved back."),
    store_options, "- path",
    FS_TOOL_COMMAND_JSON | FS_TOOL_COMMAND_PROGRESS | FS_TOOL_COMMAND_CREATES, cmd_store },
  { "load", N_ ("NAME [--] CMD [ARGS…]"), N_ ("Run CMD with entry NAME locked"),
    N_ ("Runs CMD with the entry read-locked, so that it can't be evicted or removed until CMD "
        "exits. The entry's directory is in $FSCACHE_ENTRY and replaces {} in CMD and ARGS. The "
        "exit status is CMD's."),
    NULL, "entry command path ...", FS_TOOL_COMMAND_POSIX, cmd_load },
  { "export", N_ ("NAME DEST"), N_ ("Copy entry NAME out to the new directory DEST"), NULL, NULL,
    "entry dir", FS_TOOL_COMMAND_JSON | FS_TOOL_COMMAND_PROGRESS, cmd_export },
  { "rm", N_ ("NAME…"), N_ ("Remove entries"), NULL, NULL, "entry ...", FS_TOOL_COMMAND_JSON,
    cmd_rm },
  { "prune", "", N_ ("Evict least recently used entries"), NULL, prune_options, "",
    FS_TOOL_COMMAND_JSON, cmd_prune },
  { "gc", "", N_ ("Remove what crashed processes left and fix the size counter"), NULL, gc_options,
    "", FS_TOOL_COMMAND_JSON, cmd_gc },
  { "config", N_ ("get [KEY] | set KEY VALUE"), N_ ("Read or change a setting"),
    N_ ("Keys: maximum-size (SIZE or unlimited), low-watermark (percent of the maximum size), "
        "min-free-space (SIZE, or N% of the file system), volatile and shared (true or false)."),
    NULL, "word:get,set key -", FS_TOOL_COMMAND_JSON, cmd_config },
  { "help", N_ ("[COMMAND]"), N_ ("Show the help of a command"), NULL, NULL, "word:@commands",
    FS_TOOL_COMMAND_NO_CACHE, cmd_help },
  { "__complete", "", "", NULL, NULL, "", FS_TOOL_COMMAND_HIDDEN, cmd_complete },
};

static const FsToolCommand *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

static void
build_init_options (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GOptionEntry *e = &init_options[i];

      e->long_name = keys[i].init_option;
      e->description = keys[i].description;
      if (keys[i].type == FS_TOOL_KEY_BOOLEAN)
        {
          e->arg = G_OPTION_ARG_NONE;
          e->arg_data = &opt_key_flags[i];
        }
      else
        {
          e->arg = G_OPTION_ARG_STRING;
          e->arg_data = &opt_key_values[i];
          e->arg_description = keys[i].arg_description;
        }
    }
}

static char *
command_usage (const FsToolCommand *command)
{
  return g_strconcat (command->name, command->parameters[0] ? " " : "",
                      command->parameters[0] ? _ (command->parameters) : "", NULL);
}

static char *
commands_summary (void)
{
  g_autoptr (GString) s = g_string_new (_ ("Commands:"));
  glong width = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *usage = command_usage (&commands[i]);
      if (!(commands[i].flags & FS_TOOL_COMMAND_HIDDEN))
        width = MAX (width, g_utf8_strlen (usage, -1));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *usage = command_usage (&commands[i]);

      if (commands[i].flags & FS_TOOL_COMMAND_HIDDEN)
        continue;
      g_string_append_printf (s, "\n  %s%*s  %s", usage, (int) (width - g_utf8_strlen (usage, -1)),
                              "", _ (commands[i].summary));
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static const char main_description[] =
  N_ ("Run “fscache COMMAND --help” for the options of a command; fscache(1) has the details.\n"
      "Sizes: 10G, 512MiB, 1.5GB… (K, M, G, T and KiB, MiB… are powers of 1024; KB, MB, GB… "
      "powers of 1000).\n"
      "Exit status: 0 ok, 1 failure, 2 usage error, 3 no such entry.");

static GOptionContext *
command_context (const FsToolCommand *command)
{
  GOptionContext *context;

  /* The usage line is "fscache COMMAND [OPTION…] PARAMETERS": the program
   * name is "fscache COMMAND" (run_command()). */
  context = g_option_context_new (command->parameters[0] ? _ (command->parameters) : NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (command->options != NULL)
    g_option_context_add_main_entries (context, command->options, GETTEXT_PACKAGE);
  if (command->flags & FS_TOOL_COMMAND_PROGRESS)
    g_option_context_add_main_entries (context, progress_option, GETTEXT_PACKAGE);
  if (command->flags & FS_TOOL_COMMAND_JSON)
    g_option_context_add_main_entries (context, json_option, GETTEXT_PACKAGE);
  if (!(command->flags & FS_TOOL_COMMAND_NO_CACHE))
    g_option_context_add_main_entries (context, cache_option, GETTEXT_PACKAGE);
  if (command->summary[0] != '\0')
    g_option_context_set_summary (context, _ (command->summary));
  if (command->description != NULL)
    g_option_context_set_description (context, _ (command->description));
  if (command->flags & FS_TOOL_COMMAND_POSIX)
    g_option_context_set_strict_posix (context, TRUE);
  return context;
}

static int usage_error (const FsToolCommand *command, const char *format, ...) G_GNUC_PRINTF (2, 3);

static int
usage_error (const FsToolCommand *command, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (command != NULL)
    fs_tool_error (_ ("%s (see “fscache %s --help”)"), message, command->name);
  else
    fs_tool_error (_ ("%s (see “fscache --help”)"), message);
  return FS_TOOL_EXIT_USAGE;
}

/* ---- opening the cache -------------------------------------------------- */

static char *
default_cache_dir (void)
{
  const char *env;

  if (opt_cache != NULL)
    return g_strdup (opt_cache);
  env = g_getenv ("FSCACHE_DIR");
  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_cache_dir (), "fscache", NULL);
}

static gboolean
directory_is_empty (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);

  return dir != NULL && g_dir_read_name (dir) == NULL;
}

/* As the library tells a cache (FsCache:create): cache.info, or objects/,
 * which libfscache and osbuild make first. */
static gboolean
looks_like_cache (const char *path)
{
  g_autofree char *info = g_build_filename (path, "cache.info", NULL);
  g_autofree char *objects = g_build_filename (path, "objects", NULL);
  struct stat st;

  return lstat (info, &st) == 0 || (lstat (objects, &st) == 0 && S_ISDIR (st.st_mode));
}

static void
no_cache_error (const char *path)
{
  fs_tool_error (_ ("No cache at %s (create one with “fscache init”)"), path);
}

/* Refuses, with one line on stderr, a directory that is not a cache (and
 * not empty: an empty one becomes one when @creates, else it is no cache),
 * a missing one unless @creates, one that can't be read, or that can't be
 * written when @writes. */
static gboolean
check_cache_dir (const char *path, gboolean creates, gboolean writes)
{
  struct stat st;
  gboolean is_cache;

  if (stat (path, &st) < 0)
    {
      if (errno == ENOENT && creates)
        return TRUE; /* created on first use */
      if (errno == ENOENT)
        no_cache_error (path);
      else
        fs_tool_error (_ ("Cannot use the cache directory %s: %s"), path, g_strerror (errno));
      return FALSE;
    }
  if (!S_ISDIR (st.st_mode))
    {
      fs_tool_error (_ ("%s is not a directory, so it can't be a cache"), path);
      return FALSE;
    }
  if (access (path, R_OK | X_OK) < 0)
    {
      fs_tool_error (_ ("Cannot read the cache directory %s: %s"), path, g_strerror (errno));
      return FALSE;
    }
  is_cache = looks_like_cache (path);
  if (!is_cache && !directory_is_empty (path))
    {
      fs_tool_error (_ ("%s is not a cache: the directory has other files and no cache.info"),
                     path);
      return FALSE;
    }
  if (!is_cache && !creates)
    {
      no_cache_error (path);
      return FALSE;
    }
  if ((writes || !is_cache) && access (path, W_OK) < 0)
    {
      fs_tool_error (_ ("The cache directory %s is not writable: %s"), path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
info_is_compatible (const FsCacheInfo *info)
{
  return fs_cache_info_has_version (info) &&
         fs_cache_info_get_version (info) == FS_CACHE_FORMAT_VERSION;
}

/* Opens the cache of @tool; on failure prints why and returns FALSE. */
static gboolean
open_cache (FsTool *tool, gboolean writes, gboolean any_version)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GFile) directory = NULL;
  gboolean creates = (tool->command->flags & FS_TOOL_COMMAND_CREATES) != 0;

  if (tool->cache_dir[0] == '\0')
    {
      fs_tool_error (_ ("The cache directory can't be an empty path"));
      return FALSE;
    }
  if (!check_cache_dir (tool->cache_dir, creates, writes))
    return FALSE;

  /* Only init and store make a cache: the other commands on a mistyped
   * path must not leave a new cache there. */
  directory = g_file_new_for_path (tool->cache_dir);
  tool->cache = g_initable_new (FS_TYPE_CACHE, NULL, &error, "app-id", FS_TOOL_APP_ID, "directory",
                                directory, "create", creates, NULL);
  if (tool->cache == NULL)
    {
      fs_tool_error ("%s", error->message);
      return FALSE;
    }

  info = fs_cache_get_info (tool->cache);
  if (!any_version && !info_is_compatible (info))
    {
      if (fs_cache_info_has_version (info))
        {
          g_autofree char *version =
            g_strdup_printf ("%" G_GINT64_FORMAT, fs_cache_info_get_version (info));
          fs_tool_error (_ ("The cache %s has format version %s; this fscache supports version %d "
                            "only"),
                         tool->cache_dir, version, FS_CACHE_FORMAT_VERSION);
        }
      else
        fs_tool_error (_ ("The cache %s has no format version in its cache.info; this fscache "
                          "supports version %d only"),
                       tool->cache_dir, FS_CACHE_FORMAT_VERSION);
      return FALSE;
    }
  return TRUE;
}

/* @percent % of @value, without overflow nor rounding error. */
static guint64
percent_of (guint64 value, guint percent)
{
  return (guint64) ((unsigned __int128) value * percent / 100);
}

static char *
absolute_cache_dir (FsTool *tool)
{
  return g_file_get_path (fs_cache_get_directory (tool->cache));
}

/* Checks @name, printing why it is invalid. */
static gboolean
check_name (const char *name)
{
  g_autoptr (GError) error = NULL;

  if (fs_cache_name_is_valid (name, &error))
    return TRUE;
  fs_tool_error ("%s", error->message);
  return FALSE;
}

static gboolean
use_progress (void)
{
  return !opt_no_progress && isatty (STDERR_FILENO);
}

/* SIGINT, SIGTERM and SIGHUP during a store or an export cancel it cleanly
 * (the entry is discarded, a partial export removed): a thread waits for
 * them with sigwait() and cancels the operation's cancellable. */
static GCancellable *interrupt_cancellable;
static int interrupt_signal;
static sigset_t interrupt_signals;

static gpointer
signal_thread (gpointer data)
{
  int signum;

  if (sigwait (&interrupt_signals, &signum) == 0)
    {
      g_atomic_int_set (&interrupt_signal, signum);
      g_cancellable_cancel (interrupt_cancellable);
    }
  return NULL;
}

static GCancellable *
watch_signals (void)
{
  sigemptyset (&interrupt_signals);
  sigaddset (&interrupt_signals, SIGINT);
  sigaddset (&interrupt_signals, SIGTERM);
  sigaddset (&interrupt_signals, SIGHUP);
  pthread_sigmask (SIG_BLOCK, &interrupt_signals, NULL);
  interrupt_cancellable = g_cancellable_new ();
  g_thread_unref (g_thread_new ("fscache-signals", signal_thread, NULL));
  return interrupt_cancellable;
}

/* Reports a failed store or export; returns the exit status. */
static int
operation_failed (GError *error)
{
  int signum = g_atomic_int_get (&interrupt_signal);

  if (signum != 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      fs_tool_error (_ ("Interrupted; nothing was kept"));
      return 128 + signum;
    }
  fs_tool_error ("%s", error->message);
  return FS_TOOL_EXIT_FAILURE;
}

static int
no_arguments (FsTool *tool, char **args)
{
  if (args[0] != NULL)
    return usage_error (tool->command, _ ("Unexpected argument “%s”"), args[0]);
  return FS_TOOL_EXIT_OK;
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

static int
cmd_init (FsTool *tool, char **args)
{
  g_autoptr (FsCacheInfo) updates = fs_cache_info_new ();
  g_autoptr (FsCacheInfo) current = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  gboolean existed, changed = FALSE;
  int status;

  if ((status = no_arguments (tool, args)) != FS_TOOL_EXIT_OK)
    return status;

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      if (keys[i].type == FS_TOOL_KEY_BOOLEAN)
        {
          if (opt_key_flags[i])
            {
              keys[i].set_boolean (updates, TRUE);
              changed = TRUE;
            }
          continue;
        }
      if (opt_key_values[i] == NULL)
        continue;
      if (!key_parse (&keys[i], opt_key_values[i], updates, &error))
        return usage_error (tool->command, "--%s: %s", keys[i].init_option, error->message);
      changed = TRUE;
    }

  existed = looks_like_cache (tool->cache_dir);
  if (!open_cache (tool, TRUE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = absolute_cache_dir (tool);

  current = fs_cache_get_info (tool->cache);
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

  info = fs_cache_get_info (tool->cache);
  if (opt_json)
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
print_rows (GPtrArray *labels, GPtrArray *values)
{
  glong width = 0;

  for (guint i = 0; i < labels->len; i++)
    width = MAX (width, g_utf8_strlen (labels->pdata[i], -1));
  for (guint i = 0; i < labels->len; i++)
    {
      const char *label = labels->pdata[i];
      glong pad = width - g_utf8_strlen (label, -1);

      g_print ("%s:%*s %s\n", label, (int) pad + 1, "", (const char *) values->pdata[i]);
    }
}

static void
add_row (GPtrArray *labels, GPtrArray *values, const char *label, char *value)
{
  g_ptr_array_add (labels, (gpointer) label);
  g_ptr_array_add (values, value);
}

static int
cmd_info (FsTool *tool, char **args)
{
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GListModel) list = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  guint64 used = 0, maximum, reclaimable = 0;
  guint stale = 0;
  gint64 correction = 0;
  gboolean have_used, have_stale, compatible, others, checked = FALSE;
  int status;

  if ((status = no_arguments (tool, args)) != FS_TOOL_EXIT_OK)
    return status;
  if (!open_cache (tool, FALSE, TRUE))
    return FS_TOOL_EXIT_FAILURE;
  path = absolute_cache_dir (tool);
  info = fs_cache_get_info (tool->cache);
  compatible = info_is_compatible (info);

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

  if (opt_json)
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
          g_autofree char *target =
            fs_tool_format_size (percent_of (maximum, fs_cache_info_get_low_watermark (info)));
          add_row (labels, values, _ ("Low watermark"), g_strdup_printf ("%s = %s", lw, target));
        }
      else
        add_row (labels, values, _ ("Low watermark"), g_steal_pointer (&lw));
    }
    add_row (labels, values, _ ("Minimum free space"),
             key_describe (find_key ("min-free-space"), info));
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
    print_rows (labels, values);
  }
  return FS_TOOL_EXIT_OK;
}

/* ---- ls ----------------------------------------------------------------- */

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

static char *
format_time (GDateTime *time, gboolean local)
{
  g_autoptr (GDateTime) shown = NULL;

  if (time == NULL)
    return NULL;
  if (!local)
    return g_date_time_format_iso8601 (time);
  shown = g_date_time_to_local (time);
  return g_date_time_format (shown, "%Y-%m-%d %H:%M:%S");
}

static int
cmd_ls (FsTool *tool, char **args)
{
  g_autoptr (GListModel) list = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  GCompareFunc compare = compare_by_name;
  guint64 total = 0;
  int status;

  if ((status = no_arguments (tool, args)) != FS_TOOL_EXIT_OK)
    return status;
  if (opt_sort == NULL || g_str_equal (opt_sort, "name"))
    compare = compare_by_name;
  else if (g_str_equal (opt_sort, "lru"))
    compare = compare_by_lru;
  else if (g_str_equal (opt_sort, "size"))
    compare = compare_by_size;
  else
    return usage_error (tool->command, _ ("Invalid sort order “%s”: expected lru, size or name"),
                        opt_sort);

  if (!open_cache (tool, FALSE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = absolute_cache_dir (tool);
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

  if (opt_json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      JsonArray *array = json_array_sized_new (items->len);

      for (guint i = 0; i < items->len; i++)
        {
          FsCacheItem *item = items->pdata[i];
          JsonObject *o = json_object_new ();
          g_autofree char *when = format_time (fs_cache_item_get_last_used (item), FALSE);

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
    g_autofree char *total_s = fs_tool_format_size (total);
    const char *h_name = _ ("NAME"), *h_size = _ ("SIZE"), *h_used = _ ("LAST USED");
    glong name_w = g_utf8_strlen (h_name, -1), size_w = g_utf8_strlen (h_size, -1);

    for (guint i = 0; i < items->len; i++)
      {
        char *s = fs_tool_format_size (fs_cache_item_get_size (items->pdata[i]));
        name_w = MAX (name_w, g_utf8_strlen (fs_cache_item_get_name (items->pdata[i]), -1));
        size_w = MAX (size_w, g_utf8_strlen (s, -1));
        g_ptr_array_add (sizes, s);
      }
    g_print ("%s%*s  %*s%s  %s\n", h_name, (int) (name_w - g_utf8_strlen (h_name, -1)), "",
             (int) (size_w - g_utf8_strlen (h_size, -1)), "", h_size, h_used);
    for (guint i = 0; i < items->len; i++)
      {
        FsCacheItem *item = items->pdata[i];
        const char *name = fs_cache_item_get_name (item);
        const char *size = sizes->pdata[i];
        g_autofree char *when = format_time (fs_cache_item_get_last_used (item), TRUE);

        g_print ("%s%*s  %*s%s  %s\n", name, (int) (name_w - g_utf8_strlen (name, -1)), "",
                 (int) (size_w - g_utf8_strlen (size, -1)), "", size, when != NULL ? when : "-");
      }
    g_print (g_dngettext (GETTEXT_PACKAGE, "%u entry, %s\n", "%u entries, %s\n", items->len),
             items->len, total_s);
  }
  return FS_TOOL_EXIT_OK;
}

/* ---- store -------------------------------------------------------------- */

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

static void
print_store_json (const char *cache,
                  const char *name,
                  FsCacheCommitStatus status,
                  gboolean has_size,
                  guint64 size)
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
  json_object_set_boolean_member (object, "moved", opt_move && status == FS_CACHE_COMMIT_STORED);
  json_node_set_object (node, object);
  fs_tool_print_json (node);
}

/* Reports a store the cache declined; returns the exit status. */
static int
report_declined (FsTool *tool, const char *path, const char *name, FsCacheCommitStatus status)
{
  g_autoptr (FsCacheInfo) info = fs_cache_get_info (tool->cache);
  guint64 maximum = fs_cache_info_get_maximum_size (info);

  if (opt_json)
    print_store_json (path, name, status, FALSE, 0);

  switch (status)
    {
    case FS_CACHE_COMMIT_EXISTS:
      if (!opt_json)
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

static void
store_progress (goffset current, goffset total, gpointer data)
{
  fs_tool_progress_update (data, (guint64) MAX (current, 0), (guint64) MAX (total, 0));
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

static int
cmd_store (FsTool *tool, char **args)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autofree char *size = NULL;
  g_autofree char *followed = NULL;
  FsToolProgress *progress = NULL;
  GCancellable *cancellable;
  const char *name, *source;
  FsCacheCommitStatus status;
  struct stat st;
  gboolean ok;

  if (args[0] == NULL || args[1] == NULL)
    return usage_error (tool->command, _ ("store needs a NAME and a PATH"));
  if (args[2] != NULL)
    return usage_error (tool->command, _ ("Unexpected argument “%s”"), args[2]);
  name = args[0];
  source = args[1];
  if (!check_name (name))
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
      if (opt_move)
        {
          fs_tool_error (_ ("%s is a symbolic link: --move needs the directory itself (%s)"),
                         source, followed);
          return FS_TOOL_EXIT_FAILURE;
        }
      source = followed;
    }

  if (!open_cache (tool, TRUE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = absolute_cache_dir (tool);

  /* Declines known before copying anything. */
  info = fs_cache_get_info (tool->cache);
  if (fs_cache_info_get_maximum_size (info) == 0)
    return report_declined (tool, path, name, FS_CACHE_COMMIT_TOO_LARGE);
  entry = fs_cache_load (tool->cache, name, NULL, &error);
  if (entry != NULL)
    return report_declined (tool, path, name, FS_CACHE_COMMIT_EXISTS);
  if (!g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
    {
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }
  g_clear_error (&error);

  if (use_progress ())
    {
      g_autofree char *label = g_strdup_printf (_ ("Storing %s"), name);
      progress = fs_tool_progress_new (label);
    }
  cancellable = watch_signals ();
  file = g_file_new_for_path (source);
  /* A moved tree the cache declines is moved back. */
  ok = fs_cache_store_tree (tool->cache, name, file,
                            opt_move ? FS_CACHE_STORE_MOVE : FS_CACHE_STORE_NONE,
                            progress != NULL ? store_progress : NULL, progress, &status,
                            cancellable, &error);
  fs_tool_progress_finish (progress, ok && status == FS_CACHE_COMMIT_STORED);
  if (!ok)
    return operation_failed (error);
  if (status != FS_CACHE_COMMIT_STORED)
    return report_declined (tool, path, name, status);

  /* The size as the cache accounted it. */
  entry = fs_cache_load (tool->cache, name, NULL, NULL);
  if (opt_json)
    {
      print_store_json (path, name, status, entry != NULL,
                        entry != NULL ? fs_cache_entry_get_size (entry) : 0);
      return FS_TOOL_EXIT_OK;
    }
  size = entry != NULL ? fs_tool_format_size (fs_cache_entry_get_size (entry)) : g_strdup ("?");
  if (opt_move)
    g_print (_ ("Moved %s into %s as “%s” (%s)\n"), source, path, name, size);
  else
    g_print (_ ("Stored “%s” in %s (%s)\n"), name, path, size);
  return FS_TOOL_EXIT_OK;
}

/* ---- load --------------------------------------------------------------- */

static void
child_setup (gpointer data)
{
  signal (SIGINT, SIG_DFL);
  signal (SIGQUIT, SIG_DFL);
}

static char *
substitute (const char *arg, const char *path)
{
  g_auto (GStrv) parts = NULL;

  if (strstr (arg, "{}") == NULL)
    return g_strdup (arg);
  parts = g_strsplit (arg, "{}", -1);
  return g_strjoinv (path, parts);
}

static int
cmd_load (FsTool *tool, char **args)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) envp = NULL;
  g_autofree char *path = NULL;
  const char *name, *entry_path;
  struct sigaction ignore = { 0 }, old_int, old_quit;
  char **cmd;
  int wait_status = 0;
  gboolean spawned;

  if (args[0] == NULL)
    return usage_error (tool->command, _ ("load needs a NAME and a command"));
  name = args[0];
  cmd = args + 1;
  if (cmd[0] != NULL && g_str_equal (cmd[0], "--"))
    cmd++;
  if (cmd[0] == NULL)
    return usage_error (tool->command, _ ("load needs a command to run: fscache load NAME -- CMD "
                                          "[ARGS…]"));
  if (!check_name (name))
    return FS_TOOL_EXIT_USAGE;

  if (!open_cache (tool, FALSE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = absolute_cache_dir (tool);
  entry = fs_cache_load (tool->cache, name, NULL, &error);
  if (entry == NULL)
    {
      fs_tool_error ("%s", error->message);
      return g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS) ? FS_TOOL_EXIT_MISS
                                                                          : FS_TOOL_EXIT_FAILURE;
    }
  entry_path = fs_cache_entry_get_path (entry);

  for (char **a = cmd; *a != NULL; a++)
    g_ptr_array_add (argv, substitute (*a, entry_path));
  g_ptr_array_add (argv, NULL);
  envp = g_get_environ ();
  envp = g_environ_setenv (envp, "FSCACHE_ENTRY", entry_path, TRUE);
  envp = g_environ_setenv (envp, "FSCACHE_ENTRY_NAME", name, TRUE);
  envp = g_environ_setenv (envp, "FSCACHE_DIR", path, TRUE);

  /* Like system(): the terminal's ^C and ^\ are for CMD, which decides;
   * we wait for it and keep the entry locked meanwhile. */
  ignore.sa_handler = SIG_IGN;
  sigemptyset (&ignore.sa_mask);
  sigaction (SIGINT, &ignore, &old_int);
  sigaction (SIGQUIT, &ignore, &old_quit);
  fflush (stdout);
  spawned = g_spawn_sync (NULL, (char **) argv->pdata, envp,
                          G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN |
                            G_SPAWN_LEAVE_DESCRIPTORS_OPEN,
                          child_setup, NULL, NULL, NULL, &wait_status, &error);
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGQUIT, &old_quit, NULL);
  fs_cache_entry_release (entry);

  if (!spawned)
    {
      fs_tool_error (_ ("Cannot run %s: %s"), cmd[0], error->message);
      if (g_error_matches (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
        return 127;
      return 126;
    }
  if (WIFEXITED (wait_status))
    return WEXITSTATUS (wait_status);
  if (WIFSIGNALED (wait_status))
    return 128 + WTERMSIG (wait_status);
  return FS_TOOL_EXIT_FAILURE;
}

/* ---- export ------------------------------------------------------------- */

static int
cmd_export (FsTool *tool, char **args)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dest_abs = NULL;
  FsToolProgress *progress = NULL;
  const char *name, *dest;
  struct stat st;
  gboolean ok;

  if (args[0] == NULL || args[1] == NULL)
    return usage_error (tool->command, _ ("export needs a NAME and a DEST"));
  if (args[2] != NULL)
    return usage_error (tool->command, _ ("Unexpected argument “%s”"), args[2]);
  name = args[0];
  dest = args[1];
  if (!check_name (name))
    return FS_TOOL_EXIT_USAGE;
  if (lstat (dest, &st) == 0)
    {
      fs_tool_error (_ ("%s already exists; give a path that does not exist yet"), dest);
      return FS_TOOL_EXIT_FAILURE;
    }

  if (!open_cache (tool, FALSE, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  entry = fs_cache_load (tool->cache, name, NULL, &error);
  if (entry == NULL)
    {
      fs_tool_error ("%s", error->message);
      return g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS) ? FS_TOOL_EXIT_MISS
                                                                          : FS_TOOL_EXIT_FAILURE;
    }

  /* Created here, so that a failed copy removes only what it made. */
  if (mkdir (dest, 0700) < 0)
    {
      if (errno == EEXIST)
        fs_tool_error (_ ("%s already exists; give a path that does not exist yet"), dest);
      else
        fs_tool_error (_ ("Cannot create %s: %s"), dest, g_strerror (errno));
      return FS_TOOL_EXIT_FAILURE;
    }
  if (use_progress ())
    {
      g_autofree char *label = g_strdup_printf (_ ("Exporting %s"), name);
      progress = fs_tool_progress_new (label);
    }
  ok =
    fs_tool_copy_tree (fs_cache_entry_get_path (entry), dest, progress, watch_signals (), &error);
  fs_tool_progress_finish (progress, ok);
  if (!ok)
    {
      g_autoptr (GError) remove_error = NULL;
      int status = operation_failed (error);

      if (!fs_tool_remove_tree (dest, &remove_error))
        fs_tool_warning ("%s", remove_error->message);
      return status;
    }

  dest_abs = g_canonicalize_filename (dest, NULL);
  if (opt_json)
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

static int
cmd_rm (FsTool *tool, char **args)
{
  g_autoptr (JsonArray) removed = json_array_new ();
  g_autoptr (JsonArray) errors = json_array_new ();
  gboolean failed = FALSE, missed = FALSE;

  if (args[0] == NULL)
    return usage_error (tool->command, _ ("rm needs at least one NAME"));
  for (char **a = args; *a != NULL; a++)
    if (!check_name (*a))
      return FS_TOOL_EXIT_USAGE;
  if (!open_cache (tool, TRUE, FALSE))
    return FS_TOOL_EXIT_FAILURE;

  for (char **a = args; *a != NULL; a++)
    {
      g_autoptr (GError) error = NULL;
      JsonObject *o;
      const char *kind;

      if (fs_cache_remove (tool->cache, *a, NULL, &error))
        {
          json_array_add_string_element (removed, *a);
          if (!opt_json)
            g_print (_ ("Removed “%s”\n"), *a);
          continue;
        }
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

  if (opt_json)
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

/* ---- prune -------------------------------------------------------------- */

static int
cmd_prune (FsTool *tool, char **args)
{
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *target_s = NULL;
  g_autofree char *bytes_s = NULL;
  g_autofree char *used_s = NULL;
  guint64 target = 0, bytes = 0, used = 0;
  guint entries = 0;
  int status;

  if ((status = no_arguments (tool, args)) != FS_TOOL_EXIT_OK)
    return status;
  if (opt_to != NULL && !fs_tool_parse_size (opt_to, &target, &error))
    return usage_error (tool->command, "--to: %s", error->message);

  if (!open_cache (tool, !opt_dry_run, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = absolute_cache_dir (tool);
  if (opt_to == NULL)
    {
      guint64 maximum;

      info = fs_cache_get_info (tool->cache);
      maximum = fs_cache_info_get_maximum_size (info);
      if (maximum == 0 || maximum == FS_CACHE_SIZE_UNLIMITED)
        return usage_error (tool->command,
                            _ ("The cache %s has no maximum size to prune to: give one with --to "
                               "SIZE"),
                            path);
      target = percent_of (maximum, fs_cache_info_get_low_watermark (info));
    }

  if (!fs_cache_prune (tool->cache, target,
                       opt_dry_run ? FS_CACHE_MAINTENANCE_DRY_RUN : FS_CACHE_MAINTENANCE_NONE,
                       &entries, &bytes, NULL, &error))
    {
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }
  if (!fs_cache_get_usage (tool->cache, &used, NULL, NULL, &error))
    {
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }

  if (opt_json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_string_member (object, "cache", path);
      json_object_set_boolean_member (object, "dry-run", opt_dry_run);
      json_object_set_int_member (object, "target", (gint64) target);
      json_object_set_int_member (object, "entries", entries);
      json_object_set_int_member (object, "bytes", (gint64) bytes);
      json_object_set_int_member (object, "used", (gint64) used);
      json_node_set_object (node, object);
      fs_tool_print_json (node);
      return FS_TOOL_EXIT_OK;
    }

  target_s = fs_tool_format_size (target);
  bytes_s = fs_tool_format_size (bytes);
  used_s = fs_tool_format_size (used);
  if (entries == 0 && used <= target)
    g_print (_ ("Nothing to prune: the cache uses %s, the target is %s\n"), used_s, target_s);
  else if (entries == 0)
    g_print (_ ("Nothing could be pruned: the cache uses %s, more than the target %s, but its "
                "entries are in use\n"),
             used_s, target_s);
  else if (opt_dry_run)
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "Would remove %u entry (%s) to bring the cache down to %s\n",
                          "Would remove %u entries (%s) to bring the cache down to %s\n", entries),
             entries, bytes_s, target_s);
  else
    g_print (g_dngettext (GETTEXT_PACKAGE, "Removed %u entry (%s); the cache now uses %s\n",
                          "Removed %u entries (%s); the cache now uses %s\n", entries),
             entries, bytes_s, used_s);
  return FS_TOOL_EXIT_OK;
}

/* ---- gc ----------------------------------------------------------------- */

static int
cmd_gc (FsTool *tool, char **args)
{
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

  if ((status = no_arguments (tool, args)) != FS_TOOL_EXIT_OK)
    return status;
  if (!open_cache (tool, !opt_dry_run, FALSE))
    return FS_TOOL_EXIT_FAILURE;
  path = absolute_cache_dir (tool);
  if (opt_dry_run)
    flags |= FS_CACHE_GC_DRY_RUN;
  if (opt_wait_idle >= 0)
    {
      flags |= FS_CACHE_GC_WAIT_IDLE;
      /* Ctrl-C stops the wait cleanly. */
      cancellable = g_object_ref (watch_signals ());
    }
  if (!fs_cache_collect_garbage_full (tool->cache, flags,
                                      opt_wait_idle > 0 ? (int) (opt_wait_idle * 1000) : -1,
                                      &removed, &reclaimed, &correction, &checked, cancellable,
                                      &error))
    {
      int signum = g_atomic_int_get (&interrupt_signal);

      if (signum != 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          fs_tool_error (_ ("Interrupted"));
          return 128 + signum;
        }
      fs_tool_error ("%s", error->message);
      return FS_TOOL_EXIT_FAILURE;
    }
  /* Asked to wait, and the cache stayed in use: the counter is unchecked. */
  timed_out = !checked && opt_wait_idle >= 0;

  if (opt_json)
    {
      g_autoptr (JsonObject) object = json_object_new ();
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_object_set_string_member (object, "cache", path);
      json_object_set_boolean_member (object, "dry-run", opt_dry_run);
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
          g_print (opt_dry_run ? g_dngettext (GETTEXT_PACKAGE, "Would remove %u stale item (%s)\n",
                                              "Would remove %u stale items (%s)\n", removed)
                               : g_dngettext (GETTEXT_PACKAGE, "Removed %u stale item (%s)\n",
                                              "Removed %u stale items (%s)\n", removed),
                   removed, r);
        }
      if (correction != 0)
        {
          g_autofree char *c = fs_tool_format_size ((guint64) ABS (correction));
          g_print (opt_dry_run ? _ ("Would correct the size counter by %s%s\n")
                               : _ ("Corrected the size counter by %s%s\n"),
                   correction > 0 ? "+" : "-", c);
        }
      if (!checked && !timed_out)
        g_print (opt_dry_run ? _ ("The size counter was not measured: the cache is in use by "
                                  "another process\n")
                             : _ ("The size counter was not checked: the cache is in use by "
                                  "another process (“fscache gc --wait-idle” waits until it is "
                                  "not)\n"));
    }

  if (timed_out)
    {
      g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, opt_wait_idle);
      fs_tool_error (_ ("The cache %s was still in use by another process after %s s: the size "
                        "counter was not checked"),
                     path, seconds);
      return FS_TOOL_EXIT_FAILURE;
    }
  return FS_TOOL_EXIT_OK;
}

/* ---- config ------------------------------------------------------------- */

static int
cmd_config (FsTool *tool, char **args)
{
  g_autoptr (FsCacheInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *names = key_names ();
  const FsToolKey *key = NULL;
  gboolean set;

  if (args[0] == NULL)
    return usage_error (tool->command, _ ("config needs “get” or “set”"));
  if (g_str_equal (args[0], "get"))
    {
      set = FALSE;
      if (args[1] != NULL && args[2] != NULL)
        return usage_error (tool->command, _ ("Unexpected argument “%s”"), args[2]);
    }
  else if (g_str_equal (args[0], "set"))
    {
      set = TRUE;
      if (args[1] == NULL || args[2] == NULL)
        return usage_error (tool->command, _ ("config set needs a KEY and a VALUE"));
      if (args[3] != NULL)
        return usage_error (tool->command, _ ("Unexpected argument “%s”"), args[3]);
    }
  else
    return usage_error (tool->command, _ ("Unknown config action “%s”: expected get or set"),
                        args[0]);

  if (args[1] != NULL && (key = find_key (args[1])) == NULL)
    return usage_error (tool->command, _ ("Unknown configuration key “%s” (known keys: %s)"),
                        args[1], names);

  if (set)
    {
      g_autoptr (FsCacheInfo) updates = fs_cache_info_new ();

      if (!key_parse (key, args[2], updates, &error))
        return usage_error (tool->command, "%s: %s", key->name, error->message);
      if (!open_cache (tool, TRUE, FALSE))
        return FS_TOOL_EXIT_FAILURE;
      if (!fs_cache_set_info (tool->cache, updates, NULL, &error))
        {
          fs_tool_error ("%s", error->message);
          return FS_TOOL_EXIT_FAILURE;
        }
      warn_if_keeps_nothing (updates);
    }
  else if (!open_cache (tool, FALSE, FALSE))
    return FS_TOOL_EXIT_FAILURE;

  info = fs_cache_get_info (tool->cache);
  if (opt_json)
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

/* ---- help and completion ------------------------------------------------ */

static int run_command (const FsToolCommand *command, char **argv);

static int
cmd_help (FsTool *tool, char **args)
{
  const FsToolCommand *command;
  char *argv[] = { NULL, (char *) "--help", NULL };

  if (args[0] == NULL)
    {
      g_autofree char *summary = commands_summary ();
      g_print ("%s\n  fscache [--cache DIR] COMMAND [OPTION…] [ARGS…]\n\n%s\n\n%s\n", _ ("Usage:"),
               summary, _ (main_description));
      return FS_TOOL_EXIT_OK;
    }
  if (args[1] != NULL)
    return usage_error (tool->command, _ ("Unexpected argument “%s”"), args[1]);
  command = find_command (args[0]);
  if (command == NULL || (command->flags & FS_TOOL_COMMAND_HIDDEN))
    return usage_error (NULL, _ ("Unknown command “%s”"), args[0]);
  argv[0] = (char *) command->name;
  return run_command (command, argv);
}

static void
print_option_entries (const GOptionEntry *entries)
{
  for (const GOptionEntry *e = entries; e != NULL && e->long_name != NULL; e++)
    {
      /* An optional value only follows "=": the next word is not it. */
      if (e->arg == G_OPTION_ARG_NONE || (e->flags & G_OPTION_FLAG_OPTIONAL_ARG))
        g_print ("--%s\n", e->long_name);
      else
        g_print ("--%s %s\n", e->long_name, e->arg_description);
    }
}

/* The argument kind at @index of @command's completion spec. */
static char *
completion_kind (const FsToolCommand *command, guint index)
{
  g_auto (GStrv) kinds = g_strsplit (command->completion, " ", -1);
  guint n = g_strv_length (kinds);

  if (n == 0 || kinds[0][0] == '\0')
    return g_strdup ("-");
  if (n >= 2 && g_str_equal (kinds[n - 1], "...") && index >= n - 2)
    return g_strdup (kinds[n - 2]);
  if (index >= n)
    return g_strdup ("-");
  return g_strdup (kinds[index]);
}

/* fscache [--cache DIR] __complete commands
 *                                  options [COMMAND]
 *                                  argument COMMAND INDEX
 * prints one candidate per line for the bash completion; "@dir", "@path",
 * "@command" ask the shell to complete those itself. */
static int
cmd_complete (FsTool *tool, char **args)
{
  const FsToolCommand *command;

  if (args[0] == NULL)
    return FS_TOOL_EXIT_USAGE;
  if (g_str_equal (args[0], "commands"))
    {
      for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
        if (!(commands[i].flags & FS_TOOL_COMMAND_HIDDEN))
          g_print ("%s\n", commands[i].name);
      return FS_TOOL_EXIT_OK;
    }
  if (g_str_equal (args[0], "options"))
    {
      if (args[1] == NULL)
        {
          print_option_entries (cache_option);
          print_option_entries (main_options);
          g_print ("--help\n");
          return FS_TOOL_EXIT_OK;
        }
      command = find_command (args[1]);
      if (command == NULL)
        return FS_TOOL_EXIT_USAGE;
      print_option_entries (command->options);
      if (command->flags & FS_TOOL_COMMAND_PROGRESS)
        print_option_entries (progress_option);
      if (command->flags & FS_TOOL_COMMAND_JSON)
        print_option_entries (json_option);
      if (!(command->flags & FS_TOOL_COMMAND_NO_CACHE))
        print_option_entries (cache_option);
      g_print ("--help\n");
      if (command->flags & FS_TOOL_COMMAND_POSIX)
        g_print ("@posix\n");
      return FS_TOOL_EXIT_OK;
    }
  if (g_str_equal (args[0], "argument") && args[1] != NULL && args[2] != NULL)
    {
      g_autofree char *kind = NULL;
      guint64 index;

      command = find_command (args[1]);
      if (command == NULL || !g_ascii_string_to_unsigned (args[2], 10, 0, 1000, &index, NULL))
        return FS_TOOL_EXIT_USAGE;
      kind = completion_kind (command, (guint) index);
      if (g_str_equal (kind, "entry"))
        {
          g_autoptr (GFile) directory = g_file_new_for_path (tool->cache_dir);
          g_autoptr (GListModel) list = NULL;

          /* Quietly: a completion must not print errors, nor create a
           * cache. */
          if (tool->cache_dir[0] != '\0')
            tool->cache = g_initable_new (FS_TYPE_CACHE, NULL, NULL, "app-id", FS_TOOL_APP_ID,
                                          "directory", directory, "create", FALSE, NULL);
          if (tool->cache != NULL)
            list = fs_cache_list (tool->cache, NULL, NULL);
          for (guint i = 0; list != NULL && i < g_list_model_get_n_items (list); i++)
            {
              g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
              g_print ("%s\n", fs_cache_item_get_name (item));
            }
        }
      else if (g_str_equal (kind, "key"))
        for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
          g_print ("%s\n", keys[i].name);
      else if (g_str_equal (kind, "word:@commands"))
        {
          char *sub[] = { (char *) "commands", NULL };
          return cmd_complete (tool, sub);
        }
      else if (g_str_has_prefix (kind, "word:"))
        {
          g_auto (GStrv) words = g_strsplit (kind + 5, ",", -1);
          for (char **w = words; *w != NULL; w++)
            g_print ("%s\n", *w);
        }
      else if (!g_str_equal (kind, "-"))
        g_print ("@%s\n", kind);
      return FS_TOOL_EXIT_OK;
    }
  return FS_TOOL_EXIT_USAGE;
}

/* ---- main --------------------------------------------------------------- */

static void
log_handler (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  fs_tool_warning ("%s", message);
}

static int
run_command (const FsToolCommand *command, char **argv)
{
  g_autoptr (GOptionContext) context = command_context (command);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) args = g_strdupv (argv);
  g_autofree char *prgname = g_strconcat ("fscache ", command->name, NULL);
  FsTool tool = { command, NULL, NULL };
  int status;

  g_set_prgname (prgname);
  if (!g_option_context_parse_strv (context, &args, &error))
    return usage_error (command, "%s", error->message);
  /* GOption stops at "--" and leaves it: drop it, except where it is an
   * argument of load's CMD (after NAME). */
  for (guint i = 1; args[i] != NULL; i++)
    if (g_str_equal (args[i], "--"))
      {
        if (!(command->flags & FS_TOOL_COMMAND_POSIX) || i == 1)
          {
            g_free (args[i]);
            memmove (args + i, args + i + 1, sizeof (char *) * (g_strv_length (args + i + 1) + 1));
          }
        break;
      }

  tool.cache_dir = default_cache_dir ();
  status = command->run (&tool, args + 1);
  g_clear_object (&tool.cache);
  g_free (tool.cache_dir);
  return status;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) args = NULL;
  g_autofree char *summary = NULL;
  const FsToolCommand *command;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("fscache");
  g_log_set_handler ("FsCache", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, log_handler, NULL);

  build_init_options ();

  context = g_option_context_new (_ ("COMMAND [ARGS…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, cache_option, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, main_options, GETTEXT_PACKAGE);
  g_option_context_set_strict_posix (context, TRUE);
  summary = commands_summary ();
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, _ (main_description));

  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  if (!g_option_context_parse_strv (context, &args, &error))
    return usage_error (NULL, "%s", error->message);

  if (opt_version)
    {
      g_print ("fscache %s\n", PACKAGE_VERSION);
      return FS_TOOL_EXIT_OK;
    }
  if (args[1] != NULL && g_str_equal (args[1], "--"))
    {
      g_free (args[1]);
      memmove (args + 1, args + 2, sizeof (char *) * (g_strv_length (args + 2) + 1));
    }
  if (args[1] == NULL)
    return usage_error (NULL, _ ("No command given"));
  command = find_command (args[1]);
  if (command == NULL)
    return usage_error (NULL, _ ("Unknown command “%s”"), args[1]);
  return run_command (command, args + 1);
}
