/* fs-test-helper.c: a separate process for the cross-process tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The tests run this program (its path is in $FSCACHE_TEST_HELPER) as a real
 * separate process, talk to it through its stdin and stdout, and observe the
 * cache from their own process. Every answer is one line on stdout, flushed
 * at once. Commands:
 *
 *   open DIR                  wait for EOF on stdin, then open the cache;
 *                             print "ok"
 *   load DIR NAME             load NAME; print "hit" or "miss"; hold the
 *                             entry until EOF on stdin; release; print
 *                             "released"
 *   store DIR NAME BYTES      store NAME with one file data/file of BYTES,
 *                             commit, print the status nick ("stored", …),
 *                             release
 *   store-hold DIR NAME       store NAME; print "ready PATH"; hold the write
 *                             lock until EOF on stdin; release without
 *                             commit; print "released"
 *   store-commit DIR NAME BYTES
 *                             store NAME, write data/file of BYTES; print
 *                             "ready PATH"; wait for a line on stdin; commit
 *                             and print the status nick; hold the entry until
 *                             EOF; release; print "released"
 *   lock DIR NAME read|write  without the library: open DIR/objects/NAME/
 *                             object.lock and take an OFD lock without
 *                             waiting; print "locked" or "busy"; hold it
 *                             until EOF on stdin
 *   session DIR               open the cache (print "open ok", or "open error
 *                             DOMAIN CODE-NICK: MESSAGE" and exit 0), then
 *                             run one command per line of stdin until EOF
 *                             or "quit", answering one line each (a
 *                             failure is "error DOMAIN CODE-NICK: MESSAGE";
 *                             DOMAIN is "fscache", "gio" or the quark):
 *       load NAME             "hit SIZE" or "miss"; the entry is released
 *       hold NAME             load NAME and keep it until "unhold NAME";
 *                             "hit SIZE" or "miss"
 *       unhold NAME           release a held entry; "ok"
 *       store NAME BYTES      store NAME with data/file of BYTES, data/sub/
 *                             (mkdir 0777, so the umask decides) with
 *                             sub/file, data/ro/ (0555) with ro/file;
 *                             commit; print the status nick
 *       stage                 stage an entry, write data/file, release; "ok"
 *       store-tree NAME PATH [move] [no-copy]
 *                             fs_cache_store_tree(); the status nick
 *       remove NAME           "ok"
 *       prune BYTES           "ok ENTRIES BYTES"
 *       gc                    "ok REMOVED RECLAIMED CORRECTION"
 *       set-max BYTES|unlimited
 *                             "ok"
 *       usage                 "ok USED MAXIMUM"
 *       others                fs_cache_has_other_users(): "yes" or "no"
 *
 *   lock-file PATH read|write the same as lock for any file (osbuild's
 *                             way of holding an anonymous object)
 *   hold DIR [NAME…]          open the cache, load every NAME (a miss is
 *                             an error; --all: every committed entry);
 *                             print "ok"; hold them and the
 *                             cache until EOF on stdin; release, close,
 *                             print "closed"
 *   store-named DIR NAME BYTES
 *                             store NAME filled with the content derived
 *                             from its name (tests/fs-test-content.h),
 *                             commit, print the status nick, release
 *   stage-hold DIR BYTES      stage, write data/file of BYTES; print
 *                             "ready PATH"; hold until EOF on stdin;
 *                             release; print "released"
 *   remove DIR NAME           fs_cache_remove(); print "removed", "miss"
 *                             or "busy"
 *   prune DIR TARGET [dry-run]
 *                             fs_cache_prune(); print "pruned N BYTES"
 *   gc DIR [dry-run]          fs_cache_collect_garbage(); print
 *                             "gc REMOVED RECLAIMED CORRECTION"
 *   writer DIR PREFIX COUNT MIN MAX OTHERS
 *                             store PREFIX-0 … PREFIX-(COUNT-1), each
 *                             filled with its name-derived content of a
 *                             random size in [MIN, MAX] bytes; after each,
 *                             load two random entries wK-J (K < OTHERS,
 *                             J < COUNT) and check their content (a bad
 *                             one prints "bad NAME: WHY" and exits 1); at
 *                             the end print "done STORED NO_SPACE HITS
 *                             MISSES"
 *
 *   ensure DIR NAME BYTES COUNTFILE SLEEP_MS
 *                             fs_cache_load_or_store() without a timeout:
 *                             print "loaded" for a loaded entry; for one to
 *                             build, append "PID" and a newline to
 *                             COUNTFILE, write data/file of BYTES, sleep
 *                             SLEEP_MS, commit and print "built STATUS"
 *   ensure-hold DIR NAME COUNTFILE
 *                             the same, but a builder appends to COUNTFILE,
 *                             prints "building PATH" and waits for a line on
 *                             stdin: "commit" (write data/file of 4096
 *                             bytes, commit, print "built STATUS") or
 *                             "fail" (release, print "gave up"); a loaded
 *                             entry prints "loaded"
 *   ensure-try DIR NAME TIMEOUT_MS
 *                             fs_cache_load_or_store() with the timeout:
 *                             print "loaded", "storing" (released without
 *                             commit) or the error as a session does
 *   stats DIR HITS MISSES     open the cache, load a missing name MISSES
 *                             times and store-then-load "stats-hit" (an
 *                             entry of 4 KiB, stored once) HITS times;
 *                             close; print "ok"
 *
 * A first argument --crash-at=POINT sets FSCACHE_CRASH_AT=POINT before the
 * library is used: the helper kills itself (SIGKILL) at that fault point
 * (builds with -Dfault_injection=true).
 *
 * Any failure prints "error: MESSAGE" and exits with status 1.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-test-content.h"
#include "fs-test-util.h"

static void say (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
say (const char *format, ...)
{
  va_list ap;

  va_start (ap, format);
  vfprintf (stdout, format, ap);
  va_end (ap);
  fputc ('\n', stdout);
  fflush (stdout);
}

G_GNUC_NORETURN static void
fail (const char *what, const GError *error)
{
  say ("error: %s: %s", what, error != NULL ? error->message : g_strerror (errno));
  exit (1);
}

static void
wait_for_eof (void)
{
  char buf[256];

  while (fgets (buf, sizeof buf, stdin) != NULL)
    ;
}

static void
wait_for_line (void)
{
  char buf[256];

  if (fgets (buf, sizeof buf, stdin) == NULL)
    {
      say ("error: stdin closed before the line");
      exit (1);
    }
}

static FsCache *
open_cache (const char *dir)
{
  g_autoptr (GError) error = NULL;
  FsCache *cache;

  cache = fs_cache_new_for_path (FS_TEST_APP_ID, dir, NULL, &error);
  if (cache == NULL)
    fail ("open", error);
  return cache;
}

static guint64
parse_bytes (const char *text)
{
  g_autoptr (GError) error = NULL;
  guint64 value = 0;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &value, &error))
    fail ("bytes", error);
  return value;
}

static void
write_file (FsCacheEntry *entry, guint64 n_bytes)
{
  g_autofree char *path = g_build_filename (fs_cache_entry_get_path (entry), "file", NULL);
  g_autofree char *buf = g_malloc0 (65536);
  guint64 done = 0;
  int fd;

  memset (buf, 'x', 65536);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    fail (path, NULL);
  while (done < n_bytes)
    {
      ssize_t w = write (fd, buf, (size_t) MIN (n_bytes - done, (guint64) 65536));

      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        fail (path, NULL);
      done += (guint64) w;
    }
  close (fd);
}

static FsCacheCommitStatus
commit (FsCacheEntry *entry)
{
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status = FS_CACHE_COMMIT_STORED;

  if (!fs_cache_entry_commit (entry, &status, NULL, &error))
    fail ("commit", error);
  return status;
}

static int
cmd_open (const char *dir)
{
  g_autoptr (FsCache) cache = NULL;

  wait_for_eof ();
  cache = open_cache (dir);
  say ("ok");
  fs_cache_close (cache);
  return 0;
}

static int
cmd_load (const char *dir, const char *name)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  entry = fs_cache_load (cache, name, NULL, &error);
  if (entry != NULL)
    say ("hit");
  else if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
    say ("miss");
  else
    fail ("load", error);

  wait_for_eof ();
  if (entry != NULL)
    fs_cache_entry_release (entry);
  say ("released");
  return 0;
}

static int
cmd_store (const char *dir, const char *name, const char *bytes)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  entry = fs_cache_store (cache, name, NULL, &error);
  if (entry == NULL)
    fail ("store", error);
  write_file (entry, parse_bytes (bytes));
  say ("%s", fs_test_status_nick (commit (entry)));
  fs_cache_entry_release (entry);
  return 0;
}

static int
cmd_store_hold (const char *dir, const char *name)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  entry = fs_cache_store (cache, name, NULL, &error);
  if (entry == NULL)
    fail ("store", error);
  say ("ready %s", fs_cache_entry_get_path (entry));
  wait_for_eof ();
  fs_cache_entry_release (entry);
  say ("released");
  return 0;
}

static int
cmd_store_commit (const char *dir, const char *name, const char *bytes)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  entry = fs_cache_store (cache, name, NULL, &error);
  if (entry == NULL)
    fail ("store", error);
  write_file (entry, parse_bytes (bytes));
  say ("ready %s", fs_cache_entry_get_path (entry));
  wait_for_line ();
  say ("%s", fs_test_status_nick (commit (entry)));
  wait_for_eof ();
  fs_cache_entry_release (entry);
  say ("released");
  return 0;
}

static int
cmd_lock (const char *dir, const char *name, const char *mode)
{
  g_autofree char *path = g_build_filename (dir, "objects", name, "object.lock", NULL);
  struct flock fl = { 0 };
  gboolean write_lock = g_str_equal (mode, "write");
  int fd;

  fd = open (path, (write_lock ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0)
    fail (path, NULL);
  fl.l_type = write_lock ? F_WRLCK : F_RDLCK;
  fl.l_whence = SEEK_SET;
  if (fcntl (fd, F_OFD_SETLK, &fl) == 0)
    say ("locked");
  else if (errno == EAGAIN || errno == EACCES)
    say ("busy");
  else
    fail (path, NULL);
  wait_for_eof ();
  close (fd);
  return 0;
}

/* ---- session: many commands on one open cache, for the shared-cache tests
 * (run under other uids, so every failure is reported, never fatal) ---- */

static char *
describe_error (const GError *error)
{
  const char *domain = g_quark_to_string (error->domain);
  const char *nick = NULL;
  g_autoptr (GEnumClass) klass = NULL;

  if (error->domain == FS_CACHE_ERROR)
    {
      domain = "fscache";
      klass = g_type_class_ref (FS_TYPE_CACHE_ERROR);
    }
  else if (error->domain == G_IO_ERROR)
    {
      domain = "gio";
      klass = g_type_class_ref (G_TYPE_IO_ERROR_ENUM);
    }
  if (klass != NULL)
    {
      GEnumValue *value = g_enum_get_value (klass, error->code);
      nick = value != NULL ? value->value_nick : NULL;
    }
  if (nick != NULL)
    return g_strdup_printf ("error %s %s: %s", domain, nick, error->message);
  return g_strdup_printf ("error %s %d: %s", domain, error->code, error->message);
}

static void
say_error (const GError *error)
{
  g_autofree char *text = describe_error (error);

  say ("%s", text);
}

static gboolean
write_small_file (const char *path, gsize n_bytes, GError **error)
{
  g_autofree char *buf = g_malloc (MAX (n_bytes, 1));
  int fd;

  memset (buf, 'y', n_bytes);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 || write (fd, buf, n_bytes) != (ssize_t) n_bytes)
    {
      int errsv = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s", path,
                   g_strerror (errsv));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
mkdir_checked (const char *path, mode_t mode, GError **error)
{
  if (mkdir (path, mode) == 0)
    return TRUE;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", path,
               g_strerror (errno));
  return FALSE;
}

/* data/file of @n_bytes, data/sub/ made with the umask's mode and a file in
 * it, data/ro/ with a file, left 0555. */
static gboolean
fill_session_tree (FsCacheEntry *entry, guint64 n_bytes, GError **error)
{
  const char *data = fs_cache_entry_get_path (entry);
  g_autofree char *file = g_build_filename (data, "file", NULL);
  g_autofree char *sub = g_build_filename (data, "sub", NULL);
  g_autofree char *sub_file = g_build_filename (data, "sub", "file", NULL);
  g_autofree char *ro = g_build_filename (data, "ro", NULL);
  g_autofree char *ro_file = g_build_filename (data, "ro", "file", NULL);

  if (!write_small_file (file, (gsize) n_bytes, error) || !mkdir_checked (sub, 0777, error) ||
      !write_small_file (sub_file, 100, error) || !mkdir_checked (ro, 0777, error) ||
      !write_small_file (ro_file, 100, error))
    return FALSE;
  if (chmod (ro, 0555) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", ro,
                   g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static void
session_command (FsCache *cache, GHashTable *held, char **argv)
{
  g_autoptr (GError) error = NULL;
  const char *cmd = argv[0];
  guint argc = g_strv_length (argv);

  if (g_str_equal (cmd, "load") && argc == 2)
    {
      g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, argv[1], NULL, &error);
      if (entry != NULL)
        {
          say ("hit %" G_GUINT64_FORMAT, fs_cache_entry_get_size (entry));
          fs_cache_entry_release (entry);
        }
      else if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
        say ("miss");
      else
        say_error (error);
    }
  else if (g_str_equal (cmd, "hold") && argc == 2)
    {
      FsCacheEntry *entry = fs_cache_load (cache, argv[1], NULL, &error);
      if (entry != NULL)
        {
          say ("hit %" G_GUINT64_FORMAT, fs_cache_entry_get_size (entry));
          g_hash_table_replace (held, g_strdup (argv[1]), entry);
        }
      else if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
        say ("miss");
      else
        say_error (error);
    }
  else if (g_str_equal (cmd, "unhold") && argc == 2)
    {
      g_hash_table_remove (held, argv[1]);
      say ("ok");
    }
  else if (g_str_equal (cmd, "store") && argc == 3)
    {
      g_autoptr (FsCacheEntry) entry = fs_cache_store (cache, argv[1], NULL, &error);
      FsCacheCommitStatus status;

      if (entry != NULL && error != NULL)
        say ("error contract: fs_cache_store returned an entry and set an error: %s",
             error->message);
      else if (entry == NULL || !fill_session_tree (entry, parse_bytes (argv[2]), &error) ||
               !fs_cache_entry_commit (entry, &status, NULL, &error))
        say_error (error);
      else
        say ("%s", fs_test_status_nick (status));
      if (entry != NULL)
        fs_cache_entry_release (entry);
    }
  else if (g_str_equal (cmd, "stage") && argc == 1)
    {
      g_autoptr (FsCacheEntry) entry = fs_cache_stage (cache, NULL, &error);
      g_autofree char *file = NULL;

      if (entry != NULL)
        file = g_build_filename (fs_cache_entry_get_path (entry), "file", NULL);
      if (entry != NULL && error != NULL)
        say ("error contract: fs_cache_stage returned an entry and set an error: %s",
             error->message);
      else if (entry == NULL || !write_small_file (file, 100, &error))
        say_error (error);
      else
        say ("ok");
      if (entry != NULL)
        fs_cache_entry_release (entry);
    }
  else if (g_str_equal (cmd, "store-tree") && argc >= 3)
    {
      g_autoptr (GFile) source = g_file_new_for_path (argv[2]);
      FsCacheStoreFlags flags = FS_CACHE_STORE_NONE;
      FsCacheCommitStatus status;

      for (guint i = 3; i < argc; i++)
        if (g_str_equal (argv[i], "move"))
          flags |= FS_CACHE_STORE_MOVE;
        else if (g_str_equal (argv[i], "no-copy"))
          flags |= FS_CACHE_STORE_NO_COPY;
      if (fs_cache_store_tree (cache, argv[1], source, flags, NULL, NULL, &status, NULL, &error))
        say ("%s", fs_test_status_nick (status));
      else
        say_error (error);
    }
  else if (g_str_equal (cmd, "remove") && argc == 2)
    {
      if (fs_cache_remove (cache, argv[1], NULL, &error))
        say ("ok");
      else
        say_error (error);
    }
  else if (g_str_equal (cmd, "prune") && argc == 2)
    {
      guint entries = 0;
      guint64 bytes = 0;

      if (fs_cache_prune (cache, parse_bytes (argv[1]), FS_CACHE_MAINTENANCE_NONE, &entries, &bytes,
                          NULL, &error))
        say ("ok %u %" G_GUINT64_FORMAT, entries, bytes);
      else
        say_error (error);
    }
  else if (g_str_equal (cmd, "gc") && argc == 1)
    {
      guint removed = 0;
      guint64 reclaimed = 0;
      gint64 correction = 0;

      if (fs_cache_collect_garbage (cache, FS_CACHE_MAINTENANCE_NONE, &removed, &reclaimed,
                                    &correction, NULL, &error))
        say ("ok %u %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT, removed, reclaimed, correction);
      else
        say_error (error);
    }
  else if (g_str_equal (cmd, "set-max") && argc == 2)
    {
      guint64 max =
        g_str_equal (argv[1], "unlimited") ? FS_CACHE_SIZE_UNLIMITED : parse_bytes (argv[1]);
      if (fs_cache_set_maximum_size (cache, max, NULL, &error))
        say ("ok");
      else
        say_error (error);
    }
  else if (g_str_equal (cmd, "others") && argc == 1)
    say ("%s", fs_cache_has_other_users (cache) ? "yes" : "no");
  else if (g_str_equal (cmd, "usage") && argc == 1)
    {
      guint64 used = 0, maximum = 0;

      if (fs_cache_get_usage (cache, &used, &maximum, NULL, &error))
        say ("ok %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, used, maximum);
      else
        say_error (error);
    }
  else
    say ("error usage: unknown session command %s", cmd);
}

static int
cmd_session (const char *dir)
{
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) held = NULL;
  char line[4096];

  cache = fs_cache_new_for_path (FS_TEST_APP_ID, dir, NULL, &error);
  if (cache == NULL)
    {
      g_autofree char *text = describe_error (error);
      say ("open %s", text);
      return 0;
    }
  say ("open ok");

  held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  while (fgets (line, sizeof line, stdin) != NULL)
    {
      g_auto (GStrv) argv = NULL;

      g_strchomp (line);
      if (line[0] == '\0')
        continue;
      if (g_str_equal (line, "quit"))
        break;
      argv = g_strsplit (line, " ", -1);
      session_command (cache, held, argv);
    }
  g_hash_table_remove_all (held);
  fs_cache_close (cache);
  return 0;
}

/* Commands of the eviction, crash and recovery tests. */

static int
cmd_lock_file (const char *path, const char *mode)
{
  struct flock fl = { 0 };
  gboolean write_lock = g_str_equal (mode, "write");
  int fd;

  fd = open (path, (write_lock ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0)
    fail (path, NULL);
  fl.l_type = write_lock ? F_WRLCK : F_RDLCK;
  fl.l_whence = SEEK_SET;
  if (fcntl (fd, F_OFD_SETLK, &fl) == 0)
    say ("locked");
  else if (errno == EAGAIN || errno == EACCES)
    say ("busy");
  else
    fail (path, NULL);
  wait_for_eof ();
  close (fd);
  return 0;
}

static int
cmd_hold (const char *dir, char **names, int n_names)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);

  for (int i = 0; i < n_names; i++)
    {
      g_autoptr (GError) error = NULL;
      FsCacheEntry *entry;

      if (g_str_equal (names[i], "--all"))
        {
          g_autoptr (GListModel) list = fs_cache_list (cache, NULL, &error);

          if (list == NULL)
            fail ("list", error);
          for (guint j = 0; j < g_list_model_get_n_items (list); j++)
            {
              g_autoptr (FsCacheItem) item = g_list_model_get_item (list, j);

              entry = fs_cache_load (cache, fs_cache_item_get_name (item), NULL, &error);
              if (entry == NULL)
                fail (fs_cache_item_get_name (item), error);
              g_ptr_array_add (entries, entry);
            }
          continue;
        }
      entry = fs_cache_load (cache, names[i], NULL, &error);
      if (entry == NULL)
        fail (names[i], error);
      g_ptr_array_add (entries, entry);
    }
  say ("ok");
  wait_for_eof ();
  for (guint i = 0; i < entries->len; i++)
    fs_cache_entry_release (entries->pdata[i]);
  fs_cache_close (cache);
  say ("closed");
  return 0;
}

static FsCacheCommitStatus
store_named (FsCache *cache, const char *name, guint64 n_bytes)
{
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status;

  entry = fs_cache_store (cache, name, NULL, &error);
  if (entry == NULL)
    fail ("store", error);
  if (!fs_test_content_fill (fs_cache_entry_get_path (entry), name, n_bytes, &error))
    fail ("fill", error);
  status = commit (entry);
  fs_cache_entry_release (entry);
  return status;
}

static int
cmd_store_named (const char *dir, const char *name, const char *bytes)
{
  g_autoptr (FsCache) cache = open_cache (dir);

  say ("%s", fs_test_status_nick (store_named (cache, name, parse_bytes (bytes))));
  return 0;
}

static int
cmd_stage_hold (const char *dir, const char *bytes)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  entry = fs_cache_stage (cache, NULL, &error);
  if (entry == NULL)
    fail ("stage", error);
  write_file (entry, parse_bytes (bytes));
  say ("ready %s", fs_cache_entry_get_path (entry));
  wait_for_eof ();
  fs_cache_entry_release (entry);
  say ("released");
  return 0;
}

static int
cmd_remove (const char *dir, const char *name)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (GError) error = NULL;

  if (fs_cache_remove (cache, name, NULL, &error))
    say ("removed");
  else if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
    say ("miss");
  else if (g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_BUSY))
    say ("busy");
  else
    fail ("remove", error);
  return 0;
}

static int
cmd_prune (const char *dir, const char *target, gboolean dry_run)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (GError) error = NULL;
  guint n = 0;
  guint64 bytes = 0;

  if (!fs_cache_prune (cache, parse_bytes (target),
                       dry_run ? FS_CACHE_MAINTENANCE_DRY_RUN : FS_CACHE_MAINTENANCE_NONE, &n,
                       &bytes, NULL, &error))
    fail ("prune", error);
  say ("pruned %u %" G_GUINT64_FORMAT, n, bytes);
  return 0;
}

static int
cmd_gc (const char *dir, gboolean dry_run)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (GError) error = NULL;
  guint removed = 0;
  guint64 reclaimed = 0;
  gint64 correction = 0;

  if (!fs_cache_collect_garbage (cache,
                                 dry_run ? FS_CACHE_MAINTENANCE_DRY_RUN : FS_CACHE_MAINTENANCE_NONE,
                                 &removed, &reclaimed, &correction, NULL, &error))
    fail ("gc", error);
  say ("gc %u %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT, removed, reclaimed, correction);
  return 0;
}

static int
cmd_writer (const char *dir,
            const char *prefix,
            const char *count_s,
            const char *min_s,
            const char *max_s,
            const char *others_s)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (GRand) rand = g_rand_new ();
  guint64 count = parse_bytes (count_s), min = parse_bytes (min_s), max = parse_bytes (max_s);
  guint64 others = parse_bytes (others_s);
  guint stored = 0, no_space = 0, hits = 0, misses = 0;

  if (min > max || max - min >= G_MAXINT32 || count == 0 || others == 0 || count > G_MAXINT32 ||
      others > G_MAXINT32)
    {
      say ("error: bad arguments");
      return 1;
    }
  for (guint64 i = 0; i < count; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%" G_GUINT64_FORMAT, prefix, i);
      guint64 n_bytes = min + (guint64) g_rand_int_range (rand, 0, (gint32) (max - min + 1));
      FsCacheCommitStatus status = store_named (cache, name, n_bytes);

      if (status == FS_CACHE_COMMIT_STORED)
        stored++;
      else if (status == FS_CACHE_COMMIT_NO_SPACE)
        no_space++;
      else
        {
          say ("error: %s: unexpected status %s", name, fs_test_status_nick (status));
          return 1;
        }

      for (int r = 0; r < 2; r++)
        {
          g_autofree char *other =
            g_strdup_printf ("w%d-%d", g_rand_int_range (rand, 0, (gint32) others),
                             g_rand_int_range (rand, 0, (gint32) count));
          g_autoptr (FsCacheEntry) entry = NULL;
          g_autoptr (GError) error = NULL;

          entry = fs_cache_load (cache, other, NULL, &error);
          if (entry == NULL)
            {
              if (!g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
                fail ("load", error);
              misses++;
              continue;
            }
          hits++;
          if (!fs_test_content_check (fs_cache_entry_get_path (entry), other, &error))
            {
              say ("bad %s: %s", other, error->message);
              return 1;
            }
          fs_cache_entry_release (entry);
        }
    }
  say ("done %u %u %u %u", stored, no_space, hits, misses);
  fs_cache_close (cache);
  return 0;
}

static void
count_build (const char *countfile)
{
  g_autofree char *line = g_strdup_printf ("%d\n", (int) getpid ());
  int fd = open (countfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

  if (fd < 0 || write (fd, line, strlen (line)) != (ssize_t) strlen (line))
    fail (countfile, NULL);
  close (fd);
}

static int
cmd_ensure (const char *dir,
            const char *name,
            const char *bytes,
            const char *countfile,
            const char *sleep_ms)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  entry = fs_cache_load_or_store (cache, name, -1, NULL, &error);
  if (entry == NULL)
    fail ("load_or_store", error);
  if (fs_cache_entry_get_kind (entry) == FS_CACHE_ENTRY_KIND_LOADED)
    {
      say ("loaded");
      return 0;
    }
  count_build (countfile);
  write_file (entry, parse_bytes (bytes));
  g_usleep (parse_bytes (sleep_ms) * 1000);
  say ("built %s", fs_test_status_nick (commit (entry)));
  return 0;
}

static int
cmd_ensure_hold (const char *dir, const char *name, const char *countfile)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  char line[64];

  entry = fs_cache_load_or_store (cache, name, -1, NULL, &error);
  if (entry == NULL)
    fail ("load_or_store", error);
  if (fs_cache_entry_get_kind (entry) == FS_CACHE_ENTRY_KIND_LOADED)
    {
      say ("loaded");
      return 0;
    }
  count_build (countfile);
  say ("building %s", fs_cache_entry_get_path (entry));
  if (fgets (line, sizeof line, stdin) == NULL)
    fail ("stdin closed", NULL);
  if (g_str_has_prefix (line, "commit"))
    {
      write_file (entry, 4096);
      say ("built %s", fs_test_status_nick (commit (entry)));
    }
  else
    {
      fs_cache_entry_release (entry);
      say ("gave up");
    }
  return 0;
}

static int
cmd_ensure_try (const char *dir, const char *name, const char *timeout_ms)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  entry = fs_cache_load_or_store (cache, name, (int) parse_bytes (timeout_ms), NULL, &error);
  if (entry == NULL)
    say_error (error);
  else if (fs_cache_entry_get_kind (entry) == FS_CACHE_ENTRY_KIND_LOADED)
    say ("loaded");
  else
    {
      fs_cache_entry_release (entry);
      say ("storing");
    }
  return 0;
}

static int
cmd_stats (const char *dir, const char *hits, const char *misses)
{
  g_autoptr (FsCache) cache = open_cache (dir);
  g_autoptr (GError) error = NULL;
  guint64 n_hits = parse_bytes (hits), n_misses = parse_bytes (misses);

  for (guint64 i = 0; i < n_misses; i++)
    {
      g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, "stats-missing", NULL, &error);
      if (entry != NULL || !g_error_matches (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS))
        fail ("a miss", error);
      g_clear_error (&error);
    }
  if (n_hits > 0)
    {
      g_autoptr (FsCacheEntry) entry = fs_cache_store (cache, "stats-hit", NULL, &error);
      if (entry == NULL)
        fail ("store", error);
      write_file (entry, 4096);
      commit (entry);
    }
  for (guint64 i = 0; i < n_hits; i++)
    {
      g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, "stats-hit", NULL, &error);
      if (entry == NULL)
        fail ("a hit", error);
    }
  fs_cache_close (cache);
  say ("ok");
  return 0;
}

int
main (int argc, char **argv)
{
  const char *cmd;

  if (argc > 1 && g_str_has_prefix (argv[1], "--crash-at="))
    {
      g_setenv ("FSCACHE_CRASH_AT", argv[1] + strlen ("--crash-at="), TRUE);
      argv[1] = argv[0];
      argv++;
      argc--;
    }
  cmd = argc > 1 ? argv[1] : "";

  if (g_str_equal (cmd, "open") && argc == 3)
    return cmd_open (argv[2]);
  if (g_str_equal (cmd, "load") && argc == 4)
    return cmd_load (argv[2], argv[3]);
  if (g_str_equal (cmd, "store") && argc == 5)
    return cmd_store (argv[2], argv[3], argv[4]);
  if (g_str_equal (cmd, "store-hold") && argc == 4)
    return cmd_store_hold (argv[2], argv[3]);
  if (g_str_equal (cmd, "store-commit") && argc == 5)
    return cmd_store_commit (argv[2], argv[3], argv[4]);
  if (g_str_equal (cmd, "lock") && argc == 5)
    return cmd_lock (argv[2], argv[3], argv[4]);
  if (g_str_equal (cmd, "session") && argc == 3)
    return cmd_session (argv[2]);

  if (g_str_equal (cmd, "lock-file") && argc == 4)
    return cmd_lock_file (argv[2], argv[3]);
  if (g_str_equal (cmd, "hold") && argc >= 3)
    return cmd_hold (argv[2], argv + 3, argc - 3);
  if (g_str_equal (cmd, "store-named") && argc == 5)
    return cmd_store_named (argv[2], argv[3], argv[4]);
  if (g_str_equal (cmd, "stage-hold") && argc == 4)
    return cmd_stage_hold (argv[2], argv[3]);
  if (g_str_equal (cmd, "remove") && argc == 4)
    return cmd_remove (argv[2], argv[3]);
  if (g_str_equal (cmd, "prune") && (argc == 4 || (argc == 5 && g_str_equal (argv[4], "dry-run"))))
    return cmd_prune (argv[2], argv[3], argc == 5);
  if (g_str_equal (cmd, "gc") && (argc == 3 || (argc == 4 && g_str_equal (argv[3], "dry-run"))))
    return cmd_gc (argv[2], argc == 4);
  if (g_str_equal (cmd, "writer") && argc == 8)
    return cmd_writer (argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]);
  if (g_str_equal (cmd, "ensure") && argc == 7)
    return cmd_ensure (argv[2], argv[3], argv[4], argv[5], argv[6]);
  if (g_str_equal (cmd, "ensure-hold") && argc == 5)
    return cmd_ensure_hold (argv[2], argv[3], argv[4]);
  if (g_str_equal (cmd, "ensure-try") && argc == 5)
    return cmd_ensure_try (argv[2], argv[3], argv[4]);
  if (g_str_equal (cmd, "stats") && argc == 5)
    return cmd_stats (argv[2], argv[3], argv[4]);

  fprintf (stderr, "usage: %s open|load|store|store-hold|store-commit|lock|session ARGS…\n",
           argv[0]);
  return 2;
}
