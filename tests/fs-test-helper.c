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
 *
 * Any failure prints "error: MESSAGE" and exits with status 1.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs-test-util.h"

static void
say (const char *format, ...) G_GNUC_PRINTF (1, 2);

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

int
main (int argc, char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : "";

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

  fprintf (stderr, "usage: %s open|load|store|store-hold|store-commit|lock ARGS…\n", argv[0]);
  return 2;
}
