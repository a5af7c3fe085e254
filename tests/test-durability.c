/* test-durability.c: durable commits and volatile caches (DESIGN §5.8, issue 5)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The syncs are counted, not timed: in this process with the library's
 * test-only counter (_fs_get_sync_count()), and in a separate process with
 * strace where it is available.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-meta-private.h"
#include "fs-test-util.h"
#include "fs-util-private.h"

/* Syncs a commit of a durable cache does: the entry's data and metadata
 * before the rename that publishes it (one syncfs), object.info and the
 * rename after it (an fdatasync of object.info, an fsync of objects/). */
#define SYNCS_PER_DURABLE_COMMIT 3

static FsCacheEntry *
new_filled_entry (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  FsCacheEntry *entry = fs_cache_store (cache, name, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entry);
  fs_test_write_entry_file (entry, "file", 20000);
  fs_test_write_entry_file (entry, "sub/other", 3000);
  return entry;
}

/* Syncs done by committing a new entry @name. */
static guint
syncs_of_commit (FsCache *cache, const char *name)
{
  g_autoptr (FsCacheEntry) entry = new_filled_entry (cache, name);
  guint before = _fs_get_sync_count ();

  g_assert_cmpint (fs_test_commit (entry), ==, FS_CACHE_COMMIT_STORED);
  fs_cache_entry_release (entry);
  return _fs_get_sync_count () - before;
}

/* Syncs done by a store_tree() of a small tree as @name. */
static guint
syncs_of_store_tree (FsCache *cache, const char *tmpdir, const char *name, FsCacheStoreFlags flags)
{
  g_autofree char *src = g_build_filename (tmpdir, name, NULL);
  g_autofree char *file = g_build_filename (src, "f", NULL);
  g_autoptr (GFile) source = g_file_new_for_path (src);
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status = FS_CACHE_COMMIT_NO_SPACE;
  guint before;

  fs_test_write_file (file, 10000);
  before = _fs_get_sync_count ();
  g_assert_true (
    fs_cache_store_tree (cache, name, source, flags, NULL, NULL, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  return _fs_get_sync_count () - before;
}

static void
set_volatile (FsCache *cache, gboolean is_volatile)
{
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autoptr (GError) error = NULL;

  fs_cache_info_set_volatile (info, is_volatile);
  g_assert_true (fs_cache_set_info (cache, info, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
cache_info_says_volatile (const char *cache_dir)
{
  g_autofree char *path = g_build_filename (cache_dir, "cache.info", NULL);
  g_autoptr (JsonObject) object = fs_test_read_json_object (path);
  JsonNode *node = json_object_get_member (object, "fscache-volatile");

  if (node == NULL)
    return FALSE;
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_BOOLEAN);
  return json_node_get_boolean (node);
}

/* ------------------------------------------------------------------------ */

static void
test_default_is_durable (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheInfo) info = fs_test_dup_info (fx->cache);
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) stage = NULL;
  g_autofree char *stage_data = NULL;
  g_autofree char *stage_file = NULL;

  g_assert_false (fs_cache_info_get_volatile (info));
  g_assert_false (cache_info_says_volatile (fx->cache_dir));

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("entry-%d", i);
      g_assert_cmpuint (syncs_of_commit (fx->cache, name), ==, SYNCS_PER_DURABLE_COMMIT);
    }

  /* store_tree commits the same way, copied or moved in. */
  g_assert_cmpuint (syncs_of_store_tree (fx->cache, fx->tmpdir, "copied", FS_CACHE_STORE_NONE), ==,
                    SYNCS_PER_DURABLE_COMMIT);
  g_assert_cmpuint (syncs_of_store_tree (fx->cache, fx->tmpdir, "moved", FS_CACHE_STORE_MOVE), ==,
                    SYNCS_PER_DURABLE_COMMIT);
  stage = fs_cache_stage (fx->cache, NULL, &error);
  g_assert_no_error (error);
  stage_data = g_strdup (fs_cache_entry_get_path (stage));
  stage_file = g_build_filename (stage_data, "f", NULL);
  fs_test_write_file (stage_file, 5000);
  {
    g_autoptr (GFile) source = g_file_new_for_path (stage_data);
    FsCacheCommitStatus status = FS_CACHE_COMMIT_NO_SPACE;
    guint before = _fs_get_sync_count ();

    g_assert_true (fs_cache_store_tree (fx->cache, "from-stage", source, FS_CACHE_STORE_MOVE, NULL,
                                        NULL, &status, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
    g_assert_cmpuint (_fs_get_sync_count () - before, ==, SYNCS_PER_DURABLE_COMMIT);
  }
  fs_cache_entry_release (stage);
  fs_test_assert_consistent (fx->cache_dir);
}

/* Loads, stages and releases write nothing that needs a sync. */
static void
test_no_sync_without_commit (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  FsCacheCommitStatus status;
  FsCacheEntry *entry;
  guint before;

  entry = fs_test_store_commit (fx->cache, "a", 1000, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  g_object_unref (entry);

  before = _fs_get_sync_count ();
  entry = fs_cache_load (fx->cache, "a", NULL, &error);
  g_assert_no_error (error);
  g_object_unref (entry);
  entry = fs_cache_stage (fx->cache, NULL, &error);
  g_assert_no_error (error);
  fs_test_write_entry_file (entry, "x", 1000);
  g_object_unref (entry);
  entry = fs_cache_store (fx->cache, "b", NULL, &error);
  g_assert_no_error (error);
  fs_test_write_entry_file (entry, "x", 1000);
  fs_cache_entry_release (entry);
  g_object_unref (entry);
  g_assert_cmpuint (_fs_get_sync_count () - before, ==, 0);
}

/* A metadata file of a durable cache is synced before it replaces the old
 * one. */
static void
test_durable_set_info (FsTestFixture *fx, gconstpointer user_data)
{
  guint before = _fs_get_sync_count ();

  fs_test_set_maximum_size (fx->cache, 1 << 30);
  g_assert_cmpuint (_fs_get_sync_count () - before, >=, 1);
}

static void
test_volatile (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCacheInfo) info = NULL;
  guint before;

  set_volatile (fx->cache, TRUE);
  info = fs_test_dup_info (fx->cache);
  g_assert_true (fs_cache_info_has_volatile (info));
  g_assert_true (fs_cache_info_get_volatile (info));
  g_assert_true (cache_info_says_volatile (fx->cache_dir));

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("entry-%d", i);
      g_assert_cmpuint (syncs_of_commit (fx->cache, name), ==, 0);
    }
  g_assert_cmpuint (syncs_of_store_tree (fx->cache, fx->tmpdir, "copied", FS_CACHE_STORE_NONE), ==,
                    0);
  g_assert_cmpuint (syncs_of_store_tree (fx->cache, fx->tmpdir, "moved", FS_CACHE_STORE_MOVE), ==,
                    0);

  /* Metadata of a volatile cache is not synced either. */
  before = _fs_get_sync_count ();
  fs_test_set_maximum_size (fx->cache, 1 << 30);
  g_assert_cmpuint (_fs_get_sync_count () - before, ==, 0);

  /* And back: durable again. */
  set_volatile (fx->cache, FALSE);
  g_assert_false (cache_info_says_volatile (fx->cache_dir));
  g_assert_cmpuint (syncs_of_commit (fx->cache, "durable-again"), ==, SYNCS_PER_DURABLE_COMMIT);
  fs_test_assert_consistent (fx->cache_dir);
}

/* The setting is read from cache.info: written there by someone else
 * (another implementation, an admin), it is honoured. */
static void
test_volatile_from_disk (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *info_path = g_build_filename (fx->cache_dir, "cache.info", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (fx->cache_dir, 0755), ==, 0);
  g_file_set_contents (info_path,
                       "{\"version\": 1, \"maximum-size\": \"unlimited\", "
                       "\"fscache-volatile\": true}",
                       -1, &error);
  g_assert_no_error (error);
  fx->cache = fs_test_open_cache (fx->cache_dir);
  g_assert_cmpuint (syncs_of_commit (fx->cache, "a"), ==, 0);
  g_assert_cmpuint (syncs_of_commit (fx->cache, "b"), ==, 0);
  fs_test_assert_consistent (fx->cache_dir);
}

/* Changed by another opener of the same cache: honoured at the next commit
 * of this one. */
static void
test_volatile_changed_by_other (FsTestFixture *fx, gconstpointer user_data)
{
  g_autoptr (FsCache) other = fs_test_open_cache (fx->cache_dir);

  g_assert_cmpuint (syncs_of_commit (fx->cache, "a"), ==, SYNCS_PER_DURABLE_COMMIT);
  set_volatile (other, TRUE);
  g_assert_cmpuint (syncs_of_commit (fx->cache, "b"), ==, 0);
  set_volatile (other, FALSE);
  g_assert_cmpuint (syncs_of_commit (fx->cache, "c"), ==, SYNCS_PER_DURABLE_COMMIT);
  fs_cache_close (other);
  fs_test_assert_consistent (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* The same, seen from outside: strace of a separate process                 */

static char *
strace_path (void)
{
  g_autofree char *path = fs_test_find_program ("strace");
  const char *argv[] = { NULL, "-f", "-qq", "-o", "/dev/null", "true", NULL };

  if (path == NULL)
    return NULL;
  argv[0] = path;
  /* Tracing may be forbidden (no ptrace in this container). */
  if (!fs_test_run (argv, NULL, NULL))
    return NULL;
  return g_steal_pointer (&path);
}

typedef struct {
  guint before_rename;
  guint after_rename;
  gboolean renamed;
  gboolean info_written; /* object.info was created */
  gboolean info_synced;  /* and a sync covering it followed */
} TraceCounts;

/* The system call of a line of strace -f: after the pid, if any. */
static const char *
syscall_of (const char *line)
{
  while (g_ascii_isdigit (*line) || *line == ' ')
    line++;
  return line;
}

/* Runs "fs-test-helper store DIR NAME BYTES" under strace and counts the
 * sync calls before and after the rename that publishes NAME; notes
 * whether object.info, once written, was synced (by a syncfs() or its own
 * fsync) before the process ended. */
static TraceCounts
trace_store (const char *strace, const char *tmpdir, const char *cache_dir, const char *name)
{
  g_autofree char *log_path = g_build_filename (tmpdir, "strace.log", NULL);
  g_autofree char *out = NULL;
  g_autofree char *log = NULL;
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", name);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  TraceCounts counts = { 0 };
  /* LeakSanitizer can't run under ptrace: off in the traced helper of a
   * sanitizer build (harmless otherwise). */
  g_autofree char *asan =
    g_strdup_printf ("ASAN_OPTIONS=%s%sdetect_leaks=0",
                     g_getenv ("ASAN_OPTIONS") ? g_getenv ("ASAN_OPTIONS") : "",
                     g_getenv ("ASAN_OPTIONS") ? ":" : "");
  const char *argv[] = { strace,
                         "-f",
                         "-qq",
                         "-E",
                         asan,
                         "-e",
                         "trace=syncfs,fsync,fdatasync,sync,sync_file_range,rename,renameat,"
                         "renameat2,openat,openat2",
                         "-y",
                         "-o",
                         log_path,
                         fs_test_helper_path (),
                         "store",
                         cache_dir,
                         name,
                         "20000",
                         NULL };

  g_assert_true (fs_test_run (argv, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "stored\n");
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_test_message ("strace:\n%s", log);

  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *call = syscall_of (line);
      gboolean is_sync = g_str_has_prefix (call, "sync") || g_str_has_prefix (call, "fsync") ||
                         g_str_has_prefix (call, "fdatasync");

      if (g_str_has_prefix (call, "rename") && strstr (line, quoted) != NULL &&
          strstr (line, "= 0") != NULL)
        counts.renamed = TRUE;
      else if (g_str_has_prefix (call, "openat") && strstr (line, "object.info") != NULL &&
               strstr (line, "O_CREAT") != NULL && strstr (line, "= -1") == NULL)
        counts.info_written = TRUE;
      else if (is_sync && !counts.renamed)
        counts.before_rename++;
      else if (is_sync)
        counts.after_rename++;
      /* A syncfs() covers it; an fsync() only the file it is given. */
      if (is_sync && counts.info_written &&
          (g_str_has_prefix (call, "syncfs") || g_str_has_prefix (call, "sync(") ||
           strstr (line, "/object.info>") != NULL))
        counts.info_synced = TRUE;
    }
  g_assert_cmpint (unlink (log_path), ==, 0);
  return counts;
}

static void
test_strace (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *strace = strace_path ();
  TraceCounts counts;

  if (strace == NULL)
    {
      g_test_skip ("no strace here, or tracing is not allowed");
      return;
    }

  /* Durable: synced before the entry gets its name, and the name after;
   * object.info too, before STORED: after a power cut an entry whose
   * object.info came back empty is removed as invalid (issue 11). */
  counts = trace_store (strace, fx->tmpdir, fx->cache_dir, "durable");
  g_assert_true (counts.renamed);
  g_assert_true (counts.info_written);
  g_assert_true (counts.info_synced);
  g_assert_cmpuint (counts.before_rename, >=, 1);
  g_assert_cmpuint (counts.after_rename, ==, 2);
  g_assert_cmpuint (counts.before_rename + counts.after_rename, ==, SYNCS_PER_DURABLE_COMMIT);

  /* Volatile: not one sync. */
  set_volatile (fx->cache, TRUE);
  counts = trace_store (strace, fx->tmpdir, fx->cache_dir, "volatile");
  g_assert_true (counts.renamed);
  g_assert_cmpuint (counts.before_rename, ==, 0);
  g_assert_cmpuint (counts.after_rename, ==, 0);
  g_assert_true (counts.info_written);
  g_assert_false (counts.info_synced);
  fs_test_assert_consistent (fx->cache_dir);
}

/* After a power cut the counter may have lost writes; the intent file
 * then names another boot, and the first idle open of this boot recounts.
 * A process that is not alone in the cache may write the counter first:
 * the recount must still happen. */
static void
test_other_boot_recount (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *size_path = g_build_filename (fx->cache_dir, "cache.size", NULL);
  g_autofree char *intent_path = g_build_filename (fx->cache_dir, "journal", "size.intent", NULL);
  g_autofree char *lock_path = g_build_filename (fx->cache_dir, "cache.lock", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;
  struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
  char size_text[FS_SIZE_FILE_WIDTH + 1];
  char intent_text[FS_INTENT_WIDTH + 1];
  FsIntent intent = { 0 };
  FsCacheCommitStatus status;
  int lock_fd;

  g_object_unref (fs_test_store_commit (fx->cache, "a", 20000, &status));
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  fs_cache_close (fx->cache);
  g_clear_object (&fx->cache);
  fs_test_assert_consistent (fx->cache_dir);

  /* What a power cut may leave: a counter that lost a write, last written
   * in another boot. */
  _fs_meta_format_size (fs_test_sum_object_sizes (fx->cache_dir) + 40960, size_text);
  g_file_set_contents (size_path, size_text, -1, &error);
  g_assert_no_error (error);
  g_strlcpy (intent.boot, "0123456789abcdef0123456789abcdef", sizeof intent.boot);
  _fs_meta_format_intent (&intent, intent_text);
  g_file_set_contents (intent_path, intent_text, -1, &error);
  g_assert_no_error (error);

  /* Someone else has the cache open: this opener is not alone, does not
   * recover, and commits. */
  lock_fd = open (lock_path, O_RDWR | O_CLOEXEC);
  g_assert_cmpint (lock_fd, >=, 0);
  g_assert_cmpint (fcntl (lock_fd, F_OFD_SETLK, &fl), ==, 0);
  cache = fs_test_open_cache (fx->cache_dir);
  g_object_unref (fs_test_store_commit (cache, "b", 20000, &status));
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  fs_cache_close (cache);
  g_clear_object (&cache);
  g_assert_cmpint (close (lock_fd), ==, 0);

  /* The first idle open of this boot. */
  cache = fs_test_open_cache (fx->cache_dir);
  fs_test_assert_consistent (fx->cache_dir);
  fs_cache_close (cache);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, setup, func) \
  g_test_add (path, FsTestFixture, NULL, setup, func, fs_test_fixture_teardown)

  ADD ("/durability/default-is-durable", fs_test_fixture_setup_unlimited, test_default_is_durable);
  ADD ("/durability/no-sync-without-commit", fs_test_fixture_setup_unlimited,
       test_no_sync_without_commit);
  ADD ("/durability/set-info", fs_test_fixture_setup_cache, test_durable_set_info);
  ADD ("/durability/volatile", fs_test_fixture_setup_unlimited, test_volatile);
  ADD ("/durability/volatile-from-disk", fs_test_fixture_setup, test_volatile_from_disk);
  ADD ("/durability/volatile-changed-by-other", fs_test_fixture_setup_unlimited,
       test_volatile_changed_by_other);
  ADD ("/durability/strace", fs_test_fixture_setup_unlimited, test_strace);
  ADD ("/durability/other-boot-recount", fs_test_fixture_setup_unlimited, test_other_boot_recount);

#undef ADD

  return g_test_run ();
}
