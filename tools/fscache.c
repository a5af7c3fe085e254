/* fscache.c: the fscache command-line tool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   fscache [--cache DIR] COMMAND [OPTIONS] [ARGS…]
 *
 * One table (`commands` below) names every command, its arguments, what
 * they complete to and the function that runs it; the function parses its
 * own options (fs_tool_parse_options()), so that --help, the option parser
 * and the bash completion (through the hidden `__complete` command) all
 * read the same entries. The commands on entries are in fscache-entries.c,
 * the administration of the cache in fscache-admin.c, the integrity
 * commands (manifest, verify, fsck) in fscache-integrity.c, what they share
 * in fscache-util.c. Each run has one tool context (FsTool), passed to the
 * command: no process-wide option variables.
 *
 * Exit statuses: 0 ok, 1 failure, 2 usage error, 3 miss (fscache(1)).
 */

#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gi18n.h>

#include <fscache.h>

#include "fscache-builtins.h"
#include "fscache-util.h"

static int cmd_help (FsTool *tool, char **argv);
static int cmd_complete (FsTool *tool, char **argv);

static const FsToolCommand commands[] = {
  { "init", "", N_ ("Create the cache, or change its settings"),
    N_ ("Creates the cache directory if needed and sets the given settings. A cache without a "
        "maximum size keeps nothing, so init gives it 10G unless --max-size says otherwise."),
    "", FS_TOOL_COMMAND_JSON | FS_TOOL_COMMAND_CREATES, fs_tool_init },
  { "info", N_ ("[NAME]"), N_ ("Show the settings and the usage of the cache, or one entry"),
    N_ ("Without NAME: the settings, the usage and the state of the cache. With NAME: the entry's "
        "size, when it was committed and last used, its boot id, whether it is pinned or in use "
        "now, and its manifest. Exits with 3 when there is no entry NAME."),
    "entry", FS_TOOL_COMMAND_JSON, fs_tool_info },
  { "ls", "", N_ ("List the entries"), NULL, "", FS_TOOL_COMMAND_JSON, fs_tool_ls },
  { "store", N_ ("NAME PATH"), N_ ("Store a copy of PATH as entry NAME"),
    N_ ("Copies the directory PATH (or a single file, kept under its name) into the cache, "
        "reflinking files where the file system can, and commits it as NAME. A symbolic link to "
        "a directory is followed, as “cp -a link/” does. An existing entry NAME is kept: storing "
        "it again is not an error. With --move, a tree the cache declines is moved back."),
    "- path", FS_TOOL_COMMAND_JSON | FS_TOOL_COMMAND_PROGRESS | FS_TOOL_COMMAND_CREATES,
    fs_tool_store },
  { "load", N_ ("NAME [--] CMD [ARGS…]"), N_ ("Run CMD with entry NAME locked"),
    N_ ("Runs CMD with the entry read-locked, so that it can't be evicted or removed until CMD "
        "exits. The entry's directory is in $FSCACHE_ENTRY and replaces {} in CMD and ARGS. The "
        "exit status is CMD's; when NAME is not in the cache, CMD is not run and the status is 3, "
        "or N with --miss-status N (pick one CMD never exits with, to tell a miss from CMD's "
        "status)."),
    "entry command path ...", FS_TOOL_COMMAND_POSIX, fs_tool_load },
  { "export", N_ ("NAME DEST"), N_ ("Copy entry NAME out to the new directory DEST"), NULL,
    "entry dir", FS_TOOL_COMMAND_JSON | FS_TOOL_COMMAND_PROGRESS, fs_tool_export },
  { "rm", N_ ("NAME…"), N_ ("Remove entries"),
    N_ ("Removes the entries, pinned or not (with their pin). An entry in use can't be removed. "
        "Exits with 3 when a NAME is not in the cache, unless --force."),
    "entry ...", FS_TOOL_COMMAND_JSON, fs_tool_rm },
  { "push", N_ ("NAME…"), N_ ("Upload entries to the remote"),
    N_ ("Uploads each entry to the cache's remote (fscache config set remote URL): the file "
        "contents the server does not have yet, then the entry's manifest, then its name. A "
        "failure of the remote is an error here."),
    "entry ...", FS_TOOL_COMMAND_JSON | FS_TOOL_COMMAND_PROGRESS, fs_tool_push },
  { "pull", N_ ("NAME…"), N_ ("Download entries from the remote"),
    N_ ("Downloads each entry from the cache's remote and stores it, every file checked against "
        "its digest; contents the cache holds already are copied locally. An entry the cache "
        "has is not downloaded again. A failure of the remote is an error here."),
    "- ...", FS_TOOL_COMMAND_JSON | FS_TOOL_COMMAND_PROGRESS, fs_tool_pull },
  { "ensure", N_ ("NAME [--] CMD [ARGS…]"), N_ ("Make sure entry NAME is there, building it once"),
    N_ ("Exits with 0 at once when NAME is in the cache. Otherwise, when another process is "
        "building NAME (with fscache ensure or fs_cache_load_or_store()), waits for it and exits "
        "with 0 once it is stored; else runs CMD to build it, with the new entry's empty directory "
        "in $FSCACHE_ENTRY and in place of {}, and stores it when CMD exits with 0. When CMD "
        "fails, nothing is stored, a process waiting for NAME builds it in turn, and the exit "
        "status is CMD's. A cache with a remote pulls NAME from it before building (one process "
        "pulls, the others wait for it), and pushes what it built (not with --no-remote)."),
    "entry command path ...", FS_TOOL_COMMAND_POSIX, fs_tool_ensure },
  { "pin", N_ ("NAME…"), N_ ("Pin entries: never evict them"),
    N_ ("Pinned entries are never evicted to make room, nor by prune; rm still removes them. "
        "osbuild does not know pins and may evict a pinned entry."),
    "entry ...", FS_TOOL_COMMAND_JSON, fs_tool_pin },
  { "unpin", N_ ("NAME…"), N_ ("Unpin entries"), NULL, "entry ...", FS_TOOL_COMMAND_JSON,
    fs_tool_unpin },
  { "prune", "", N_ ("Evict least recently used entries"),
    N_ ("Evicts least recently used entries while the cache uses more than the target size (--to, "
        "by default the low watermark), has more than --max-entries entries, or has entries not "
        "used for --older-than; --all evicts them all. Pinned entries and entries in use are kept, "
        "and named."),
    "", FS_TOOL_COMMAND_JSON, fs_tool_prune },
  { "gc", "", N_ ("Remove what crashed processes left and fix the size counter"), NULL, "",
    FS_TOOL_COMMAND_JSON, fs_tool_gc },
  { "stats", "", N_ ("Show the hits, misses, stores and evictions of the cache"),
    N_ ("The counters are shared by every process that uses the cache (osbuild does not count), "
        "since they were last zeroed; the counts of running processes reach them about once a "
        "second."),
    "", FS_TOOL_COMMAND_JSON, fs_tool_stats },
  { "manifest", N_ ("NAME"), N_ ("Show the manifest of entry NAME"),
    N_ ("Lists every node of the entry's tree as its manifest records it: type and mode, owner, "
        "size (or device numbers), the SHA-256 of a regular file, the path, the target of a "
        "symbolic link, hard-link groups and extended attributes; and the tree digest. Exit "
        "status 1 for an entry without a manifest (stored by osbuild or an older libfscache)."),
    "entry", FS_TOOL_COMMAND_JSON, fs_tool_manifest },
  { "verify", N_ ("[NAME…]"), N_ ("Check entries against their manifests (all without NAME)"),
    N_ ("Re-hashes each entry (read-locked meanwhile) and compares every node with its manifest: "
        "content, type, mode, owner, symbolic link target, extended attributes, device numbers, "
        "hard links, missing and extra files. Exit status 0 when all are intact, 1 when one "
        "differs (every difference is listed), 3 when a NAME does not exist. An entry without a "
        "manifest (osbuild's) is reported and is no failure unless --strict."),
    "entry ...", FS_TOOL_COMMAND_JSON | FS_TOOL_COMMAND_PROGRESS, fs_tool_verify },
  { "fsck", "", N_ ("Check the whole cache: entries, debris, size counter"),
    N_ ("Verifies every entry against its manifest, looks for what crashed processes left and "
        "for dead journal records, and measures the size counter against the entries when no "
        "other process has the cache open. Exit status 1 when anything is wrong. --repair "
        "removes the corrupt entries through the ordinary removal (an entry in use is only "
        "reported), then the debris, and corrects the counter."),
    "", FS_TOOL_COMMAND_JSON | FS_TOOL_COMMAND_PROGRESS, fs_tool_fsck },
  { "config", N_ ("get [KEY] | set KEY VALUE"), N_ ("Read or change a setting"),
    N_ ("Keys: maximum-size (SIZE or unlimited), low-watermark (percent of the maximum size), "
        "min-free-space (SIZE, or N% of the file system), volatile and shared (true or false); "
        "the remote: remote (URL, \"\" for none), remote-mode (read-write or read-only), "
        "remote-namespace, remote-timeout (seconds), remote-connections, "
        "remote-credentials-file (a path) and remote-zstd (true or false)."),
    "word:get,set key -", FS_TOOL_COMMAND_JSON, fs_tool_config },
  { "help", N_ ("[COMMAND]"), N_ ("Show the help of a command"), NULL, "word:@commands",
    FS_TOOL_COMMAND_NO_CACHE, cmd_help },
  { "__complete", "", "", NULL, "", FS_TOOL_COMMAND_HIDDEN, cmd_complete },
};

static const char main_description[] =
  N_ ("Run “fscache COMMAND --help” for the options of a command; fscache(1) has the details.\n"
      "Sizes: 10G, 512MiB, 1.5GB… (K, M, G, T and KiB, MiB… are powers of 1024; KB, MB, GB… "
      "powers of 1000).\n"
      "Exit status: 0 ok, 1 failure, 2 usage error, 3 no such entry.");

static const FsToolCommand *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
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

/* Runs @command with @argv (argv[0] is its name). */
static int
run_command (FsTool *tool, const FsToolCommand *command, char **argv)
{
  tool->command = command;
  return command->run (tool, argv);
}

/* ---- help and completion ------------------------------------------------ */

static int
cmd_help (FsTool *tool, char **argv)
{
  g_auto (GStrv) args = NULL;
  const FsToolCommand *command;
  char *help_argv[] = { NULL, (char *) "--help", NULL };
  int status;

  if (!fs_tool_parse_options (tool, NULL, NULL, argv, &args, &status))
    return status;
  if (args[0] == NULL)
    {
      g_autofree char *summary = commands_summary ();
      g_print ("%s\n  fscache [--cache DIR] COMMAND [OPTION…] [ARGS…]\n\n%s\n\n%s\n", _ ("Usage:"),
               summary, _ (main_description));
      return FS_TOOL_EXIT_OK;
    }
  if (args[1] != NULL)
    return fs_tool_usage_error (tool->command, _ ("Unexpected argument “%s”"), args[1]);
  command = find_command (args[0]);
  if (command == NULL || (command->flags & FS_TOOL_COMMAND_HIDDEN))
    return fs_tool_usage_error (NULL, _ ("Unknown command “%s”"), args[0]);
  help_argv[0] = (char *) command->name;
  return run_command (tool, command, help_argv);
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

static void
complete_commands (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (!(commands[i].flags & FS_TOOL_COMMAND_HIDDEN))
      g_print ("%s\n", commands[i].name);
}

/* The main command line's own options (besides --cache), bound to
 * @version. */
static GOptionEntry *
main_options (gboolean *version)
{
  const GOptionEntry entries[] = { { "version", 0, 0, G_OPTION_ARG_NONE, version,
                                     N_ ("Print the version and exit"), NULL },
                                   { NULL } };

  return g_memdup2 (entries, sizeof entries);
}

static int
complete_options (FsTool *tool, const char *name)
{
  const FsToolCommand *command;
  char *command_argv[] = { NULL, NULL };

  if (name == NULL)
    {
      g_autofree GOptionEntry *cache_entries = fs_tool_cache_options (tool);
      g_autofree GOptionEntry *version_entries = main_options (NULL);

      fs_tool_print_option_entries (cache_entries);
      fs_tool_print_option_entries (version_entries);
      g_print ("--help\n");
      return FS_TOOL_EXIT_OK;
    }
  command = find_command (name);
  if (command == NULL)
    return FS_TOOL_EXIT_USAGE;
  /* The command lists its options instead of parsing them, and returns. */
  command_argv[0] = (char *) command->name;
  tool->list_options = TRUE;
  return run_command (tool, command, command_argv);
}

static void
complete_entries (FsTool *tool)
{
  g_autoptr (GFile) directory = g_file_new_for_path (tool->cache_dir);
  g_autoptr (GListModel) list = NULL;

  /* Quietly: a completion must not print errors, nor create a cache. */
  if (tool->cache_dir[0] != '\0')
    tool->cache = g_initable_new (FS_TYPE_CACHE, NULL, NULL, "app-id", FS_TOOL_APP_ID, "directory",
                                  directory, "create", FALSE, NULL);
  if (tool->cache != NULL)
    list = fs_cache_list (tool->cache, NULL, NULL);
  /* "=" and the name quoted for the shell: one per line whatever the
   * name, inserted as it is (a name with a space stays one word). */
  for (guint i = 0; list != NULL && i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
      g_autofree char *escaped = fs_tool_shell_escape (fs_cache_item_get_name (item));
      g_print ("=%s\n", escaped);
    }
}

/* fscache [--cache DIR] __complete commands
 *                                  options [COMMAND]
 *                                  argument COMMAND INDEX
 * prints one candidate per line for the bash completion; "@dir", "@path",
 * "@command" ask the shell to complete those itself; "=WORD" is a word
 * already quoted for the shell (an entry name), to insert as it is. */
static int
cmd_complete (FsTool *tool, char **argv)
{
  g_auto (GStrv) args = NULL;
  g_autofree char *kind = NULL;
  const FsToolCommand *command;
  guint64 index;
  int status;

  if (!fs_tool_parse_options (tool, NULL, NULL, argv, &args, &status))
    return status;
  if (args[0] == NULL)
    return FS_TOOL_EXIT_USAGE;
  if (g_str_equal (args[0], "commands"))
    {
      complete_commands ();
      return FS_TOOL_EXIT_OK;
    }
  if (g_str_equal (args[0], "options"))
    return complete_options (tool, args[1]);
  if (!g_str_equal (args[0], "argument") || args[1] == NULL || args[2] == NULL)
    return FS_TOOL_EXIT_USAGE;

  command = find_command (args[1]);
  if (command == NULL || !g_ascii_string_to_unsigned (args[2], 10, 0, 1000, &index, NULL))
    return FS_TOOL_EXIT_USAGE;
  kind = completion_kind (command, (guint) index);
  if (g_str_equal (kind, "entry"))
    complete_entries (tool);
  else if (g_str_equal (kind, "key"))
    {
      g_auto (GStrv) keys = fs_tool_config_key_names ();
      for (char **k = keys; *k != NULL; k++)
        g_print ("%s\n", *k);
    }
  else if (g_str_equal (kind, "word:@commands"))
    complete_commands ();
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

/* ---- main --------------------------------------------------------------- */

static void
log_handler (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  fs_tool_warning ("%s", message);
}

int
main (int argc, char **argv)
{
  g_auto (FsTool) tool = { NULL };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) args = NULL;
  g_autofree char *summary = NULL;
  g_autofree GOptionEntry *cache_entries = fs_tool_cache_options (&tool);
  g_autofree GOptionEntry *version_entries = NULL;
  const FsToolCommand *command;
  gboolean version = FALSE;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("fscache");
  g_log_set_handler ("FsCache", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, log_handler, NULL);

  version_entries = main_options (&version);
  context = g_option_context_new (_ ("COMMAND [ARGS…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, cache_entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, version_entries, GETTEXT_PACKAGE);
  g_option_context_set_strict_posix (context, TRUE);
  summary = commands_summary ();
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, _ (main_description));

  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  if (!g_option_context_parse_strv (context, &args, &error))
    return fs_tool_usage_error (NULL, "%s", error->message);

  if (version)
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
    return fs_tool_usage_error (NULL, _ ("No command given"));
  command = find_command (args[1]);
  if (command == NULL)
    return fs_tool_usage_error (NULL, _ ("Unknown command “%s”"), args[1]);
  return run_command (&tool, command, args + 1);
}
