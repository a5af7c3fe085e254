/* fscache-util.h: what the commands of the fscache tool share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The tool context (FsTool), which every command receives instead of
 * process-wide variables; the description of a command (FsToolCommand: the
 * table of them is in fscache.c); parsing a command's options; messages,
 * sizes, JSON output, the progress bar; opening the cache.
 *
 * Calls go one way: fscache.c (main, the command table, help, completion)
 * calls the commands (fscache-entries.c, fscache-admin.c), and all of them
 * call what is declared here; nothing here calls up.
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include <fscache.h>

G_BEGIN_DECLS

/* The application id the tool opens caches with. */
#define FS_TOOL_APP_ID "org.fscache.Tool"

/* Exit statuses of the tool (documented in fscache(1)). */
typedef enum {
  FS_TOOL_EXIT_OK = 0,
  FS_TOOL_EXIT_FAILURE = 1,
  FS_TOOL_EXIT_USAGE = 2,
  FS_TOOL_EXIT_MISS = 3,
} FsToolExit;

/* ---- commands and the tool context -------------------------------------- */

typedef struct _FsTool FsTool;
typedef struct _FsToolInterrupt FsToolInterrupt;

typedef enum {
  FS_TOOL_COMMAND_NONE = 0,
  FS_TOOL_COMMAND_JSON = 1 << 0,     /* has --json */
  FS_TOOL_COMMAND_PROGRESS = 1 << 1, /* has --no-progress */
  FS_TOOL_COMMAND_POSIX = 1 << 2,    /* options only before the first argument */
  FS_TOOL_COMMAND_HIDDEN = 1 << 3,   /* not listed in --help */
  FS_TOOL_COMMAND_NO_CACHE = 1 << 4, /* no --cache option */
  FS_TOOL_COMMAND_CREATES = 1 << 5,  /* creates the cache where there is none */
} FsToolCommandFlags;

/* A command runs with @argv as it was given (argv[0] is the command's
 * name; not to be modified) and returns the exit status. It starts with
 * fs_tool_parse_options(), which knows its options from the command alone:
 * the values of its own options live in the command's frame. */
typedef int (*FsToolCommandFunc) (FsTool *tool, char **argv);

typedef struct {
  const char *name;
  const char *parameters;  /* the arguments, as the usage line shows them */
  const char *summary;     /* one line for the list of commands */
  const char *description; /* more for --help, or NULL */
  /* What each argument completes to: "entry", "dir", "path", "command",
   * "key", "word:a,b" (those words), "-" (nothing); a final "..." repeats
   * the last kind. */
  const char *completion;
  FsToolCommandFlags flags;
  FsToolCommandFunc run;
} FsToolCommand;

/* The state of one run of the tool, passed to every command. */
struct _FsTool {
  const FsToolCommand *command; /* the command running; NULL before one is chosen */
  char *cache_option;           /* --cache DIR, before or after the command */
  char *cache_dir;              /* --cache, else $FSCACHE_DIR, else the default */
  gboolean json;                /* --json */
  gboolean no_progress;         /* --no-progress */
  /* Set by `__complete options COMMAND`: fs_tool_parse_options() prints
   * the command's options instead of parsing, and the command returns. */
  gboolean list_options;
  FsCache *cache;             /* opened by fs_tool_open_cache(), or NULL */
  FsToolInterrupt *interrupt; /* fs_tool_watch_signals(), or NULL */
};

/* Frees what @tool holds (not @tool itself). */
void fs_tool_clear (FsTool *tool);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FsTool, fs_tool_clear)

/* Parses the options of tool->command from @argv (argv[0] is its name):
 * @entries, which the command binds to its own variables (@data is given
 * to G_OPTION_ARG_CALLBACK ones; @entries may be NULL), then
 * --no-progress, --json and --cache as its flags say; "--" is dropped
 * except after the first argument of a POSIX command. Sets
 * tool->cache_dir. The arguments left, without the name, go to @out_args
 * (free with g_strfreev()). Returns FALSE when the command must return
 * *out_status at once: after a usage error (reported on stderr), or when
 * tool->list_options asked for the options to be listed (one per line, as
 * the bash completion reads them). --help prints the help and exits. */
gboolean fs_tool_parse_options (FsTool *tool,
                                const GOptionEntry *entries,
                                gpointer data,
                                char **argv,
                                char ***out_args,
                                int *out_status);

/* The --cache option bound to @tool, as a GOptionEntry array ending with
 * an empty entry (free with g_free()): the main command line has it too. */
GOptionEntry *fs_tool_cache_options (FsTool *tool);

/* Prints each option of @entries on a line, followed by its argument
 * description when its value is the next word (for the completion). */
void fs_tool_print_option_entries (const GOptionEntry *entries);

/* Reports a usage error of @command (NULL: of the main command line) on
 * stderr; returns FS_TOOL_EXIT_USAGE. */
int fs_tool_usage_error (const FsToolCommand *command, const char *format, ...)
  G_GNUC_PRINTF (2, 3);

/* FS_TOOL_EXIT_OK when @args is empty, else a usage error. */
int fs_tool_no_arguments (FsTool *tool, char **args);

/* ---- messages ----------------------------------------------------------- */

/* Prints "fscache: MESSAGE" and a newline on stderr. */
void fs_tool_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* Prints "fscache: MESSAGE" and a newline on stderr: news, not an error. */
void fs_tool_message (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* Prints "fscache: warning: MESSAGE" and a newline on stderr. */
void fs_tool_warning (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Writes @node as indented JSON and a newline on stdout. */
void fs_tool_print_json (JsonNode *node);

/* Prints "LABEL: VALUE" lines, the values aligned (@labels: strings,
 * @values: strings). */
void fs_tool_print_rows (GPtrArray *labels, GPtrArray *values);

/* ---- names, times, durations -------------------------------------------- */

/* @name as GNU ls shows it on a terminal (its "shell-escape" quoting): as
 * it is when it has only characters a shell leaves alone; else in single
 * quotes, with control characters (a newline…) as $'\n'. Whatever the
 * name, the text is one line and pasting it in a shell gives the name. */
char *fs_tool_quote_name (const char *name);

/* @name with backslashes before the characters a shell would split or
 * expand (as bash's printf %q), control characters as $'\n': the form
 * the completion inserts. */
char *fs_tool_shell_escape (const char *name);

/* A time for people (local, "2026-12-05 14:03:12") or for JSON (ISO 8601,
 * UTC); NULL for NULL. */
char *fs_tool_format_time (GDateTime *time, gboolean local);

/* Parses a duration: one or more groups of a whole number and a unit, s
 * (seconds), m (minutes), h (hours), d (days) or w (weeks) — "7d", "12h",
 * "30m", "2s", "1h30m". Nothing else is accepted (no unit, a fraction, a
 * sign): the error says what is. */
gboolean fs_tool_parse_duration (const char *text, GTimeSpan *out_duration, GError **error);

/* A duration for people, rounded to its largest unit: "3 days", "5 hours",
 * "12 minutes", "40 seconds". */
char *fs_tool_format_duration (GTimeSpan duration);

/* ---- sizes -------------------------------------------------------------- */

/* Parses a size in bytes written in human units: a decimal number
 * ("10", "1.5") with an optional unit, case-insensitive, with or without a
 * space: B; K, M, G, T, P, E (powers of 1024, like du); KiB, MiB, … (the
 * same); KB, MB, GB, … (powers of 1000). A size that is not a whole number
 * of bytes ("1.5", "0.3K") is refused, never rounded. Sizes above 2^63 - 1
 * bytes are refused: cache.info can't hold them. */
gboolean fs_tool_parse_size (const char *text, guint64 *out_size, GError **error);

/* Parses a percentage "N" or "N%" with @min <= N <= 100. */
gboolean fs_tool_parse_percent (const char *text, guint min, guint *out_percent, GError **error);

/* A size for people: "512 B", "10 GiB", "1.5 GiB" (powers of 1024, at most
 * one decimal). */
char *fs_tool_format_size (guint64 size);

/* A size as fs_tool_parse_size() reads it back exactly: the largest binary
 * unit that divides it ("10GiB", "512MiB"), else the number of bytes. */
char *fs_tool_format_size_exact (guint64 size);

/* @percent % of @value, without overflow nor rounding error. */
guint64 fs_tool_percent_of (guint64 value, guint percent);

/* ---- progress and interruption ------------------------------------------ */

/* A one-line progress bar on stderr, redrawn at most ten times a second:
 * percentage, bytes, rate and time left; once everything is copied, what
 * fs_tool_progress_set_finishing() gave until it finishes. It leaves the last columns of the
 * terminal free (a ^C echoed there does not wrap the line). */
typedef struct _FsToolProgress FsToolProgress;

FsToolProgress *fs_tool_progress_new (const char *label);
/* What to show once everything is copied until the bar finishes (the
 * commit's sync: "syncing…"); by default the bar stays at 100%. */
void fs_tool_progress_set_finishing (FsToolProgress *self, const char *text);
/* Shows @done of @total bytes. */
void fs_tool_progress_update (FsToolProgress *self, guint64 done, guint64 total);
/* Draws the last state (100% when @completed) and ends the line; frees.
 * @self may be NULL. */
void fs_tool_progress_finish (FsToolProgress *self, gboolean completed);
/* A GFileProgressCallback that updates the FsToolProgress @data. */
void fs_tool_progress_callback (goffset current, goffset total, gpointer data);

/* Whether to draw a progress bar: stderr is a terminal and no
 * --no-progress. */
gboolean fs_tool_use_progress (FsTool *tool);

/* From now on SIGINT, SIGTERM and SIGHUP cancel the returned cancellable
 * (owned by @tool) instead of killing the process, so that an operation
 * stops cleanly (a store discards its entry, an export removes what it
 * copied). */
GCancellable *fs_tool_watch_signals (FsTool *tool);

/* The signal that cancelled the operation that failed with @error, or 0
 * when it failed otherwise. */
int fs_tool_interrupted_by (FsTool *tool, const GError *error);

/* Reports a failed store or export; returns the exit status (128 + the
 * signal when a signal interrupted it). */
int fs_tool_operation_failed (FsTool *tool, const GError *error);

/* ---- the cache ---------------------------------------------------------- */

/* As the library tells a cache (FsCache:create): cache.info, or objects/,
 * which libfscache and osbuild make first. */
gboolean fs_tool_looks_like_cache (const char *path);

/* Whether this fscache reads the format of the cache @info describes. */
gboolean fs_tool_info_is_compatible (const FsCacheInfo *info);

/* Opens tool->cache in tool->cache_dir, creating it if the command creates
 * caches; refuses a directory that is not a cache, one that can't be read,
 * or written when @writes, and a format this fscache does not read unless
 * @any_version. On failure prints why and returns FALSE. */
gboolean fs_tool_open_cache (FsTool *tool, gboolean writes, gboolean any_version);

/* The absolute path of the open cache. */
char *fs_tool_absolute_cache_dir (FsTool *tool);

/* fscache-run.c: runs @cmd (`{}` in its words replaced by @path) as `load` and `ensure`
 * do: $FSCACHE_ENTRY, $FSCACHE_ENTRY_NAME and $FSCACHE_DIR set, ^C and ^\
 * left to CMD while the tool waits. Returns CMD's exit status as a shell
 * gives it (128 + N for signal N; 127 and 126 when it can't be run, with
 * one line on stderr). */
int fs_tool_run_command (FsTool *tool, char **cmd, const char *name, const char *path);

/* The cache's configuration (fs_cache_dup_info()), or NULL after printing
 * why it can't be read. */
FsCacheInfo *fs_tool_dup_info (FsTool *tool);

/* Checks an entry name, printing why it is invalid. */
gboolean fs_tool_check_name (const char *name);

G_END_DECLS
