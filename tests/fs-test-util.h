/* fs-test-util.h: fixtures and helpers shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <fcntl.h>
#include <json-glib/json-glib.h>

#include "fscache.h"

G_BEGIN_DECLS

#define FS_TEST_APP_ID "org.example.FsCacheTest"

/**
 * FsTestFixture:
 * @tmpdir: a fresh directory, removed recursively at teardown
 * @cache_dir: `@tmpdir/cache`; it does not exist until a cache is opened
 * @cache: (nullable): the cache opened by the setup function, if any
 *
 * The fixture of every test: one temporary directory per test.
 */
typedef struct {
  char *tmpdir;
  char *cache_dir;
  FsCache *cache;
} FsTestFixture;

/* Only the temporary directory; no cache is opened. */
void fs_test_fixture_setup (FsTestFixture *fx, gconstpointer user_data);
/* A cache opened at @cache_dir, maximum size left unset (nothing is kept). */
void fs_test_fixture_setup_cache (FsTestFixture *fx, gconstpointer user_data);
/* A cache opened at @cache_dir, maximum size %FS_CACHE_SIZE_UNLIMITED. */
void fs_test_fixture_setup_unlimited (FsTestFixture *fx, gconstpointer user_data);
void fs_test_fixture_teardown (FsTestFixture *fx, gconstpointer user_data);

/* Opens (creating it if needed) the cache at @dir, asserting success. */
FsCache *fs_test_open_cache (const char *dir);
/* Sets the maximum size of @cache, asserting success. */
void fs_test_set_maximum_size (FsCache *cache, guint64 maximum_size);
/* fs_cache_dup_info(), asserting it succeeds. */
FsCacheInfo *fs_test_dup_info (FsCache *cache);

/* Removes @path and everything under it; a missing path is not an error. */
void fs_test_rm_rf (const char *path);

/* Builds @base/@rel… (NULL-terminated). */
char *fs_test_path (const char *base, ...) G_GNUC_NULL_TERMINATED G_GNUC_MALLOC;

/* Parses @cache_dir/cache.size: the decimal number, optionally surrounded by
 * white space (ours pads with spaces and ends with a newline; osbuild writes
 * just the number). FALSE if missing or not a non-negative integer. */
gboolean fs_test_try_read_cache_size (const char *cache_dir, guint64 *out_size);
/* Same, asserting it parses. */
guint64 fs_test_read_cache_size (const char *cache_dir);

/* Parses a JSON file; NULL (and no assertion) if missing or not JSON. */
JsonNode *fs_test_read_json (const char *path);
/* Parses a JSON file that must hold an object; asserts. Owned by the caller
 * (json_object_unref). */
JsonObject *fs_test_read_json_object (const char *path);

/* The "size" member of @cache_dir/objects/@name/object.info (asserts). */
guint64 fs_test_read_object_size (const char *cache_dir, const char *name);
/* Sum of the "size" members of every @cache_dir/objects/ * /object.info. Each
 * object.info found must parse and carry a non-negative integer "size". */
guint64 fs_test_sum_object_sizes (const char *cache_dir);
/* Number of committed entries (directories of objects/ not named uuid-*). */
guint fs_test_count_objects (const char *cache_dir);
/* Number of names starting with "uuid-" in objects/, stage/ and journal/. */
guint fs_test_count_uuid (const char *cache_dir);
/* Asserts cache.size == sum of object.info sizes and no uuid-* is left. */
void fs_test_assert_consistent (const char *cache_dir);
/* TRUE if @cache_dir/objects/@name/object.info exists: @name is committed. */
gboolean fs_test_entry_is_present (const char *cache_dir, const char *name);
/* Number of journal/uuid-* and journal/bat-* left in @cache_dir, each
 * named in a test message. */
guint fs_test_count_journal_debris (const char *cache_dir);
/* Sets both times of @name's object.lock (its last use) to @when. */
void fs_test_set_last_use (const char *cache_dir, const char *name, time_t when);
/* Asserts that loading @name misses (FS_CACHE_ERROR_MISS). */
void fs_test_assert_miss (FsCache *cache, const char *name);

/* Writes @len bytes of @contents (-1: up to its NUL) at @path, replacing
 * it. */
void fs_test_write_text (const char *path, const char *contents, gssize len);
/* Writes a file of @n_bytes non-zero bytes at @path (parents created). */
void fs_test_write_file (const char *path, gsize n_bytes);
/* Writes a file of @n_bytes under the data directory of @entry. */
void fs_test_write_entry_file (FsCacheEntry *entry, const char *rel, gsize n_bytes);

/* Space used by the tree at @path: sum of st_blocks * 512 over every file,
 * directory and symlink of the tree including @path itself, each inode
 * counted once. */
guint64 fs_test_tree_space (const char *path);

/* A textual listing of the tree at @root (relative path, type, and for
 * regular files inode, size, mtime and a checksum of the content; for
 * symlinks the target), sorted, one line per entry. Directory timestamps
 * are left out. For "nothing changed" comparisons. */
char *fs_test_snapshot (const char *root);
/* Same, without the lines whose path starts with @exclude_prefix (paths are
 * relative to @root and start with "./"). */
char *fs_test_snapshot_except (const char *root, const char *exclude_prefix);
/* Sorts the strings of @lines (strcmp order) and joins them with
 * @separator. */
char *fs_test_join_sorted (GPtrArray *lines, const char *separator);

/* Tries to take an OFD lock of @type (F_RDLCK / F_WRLCK) without waiting on
 * a new open file description of @path, then drops it. TRUE if it could be
 * taken, FALSE if another holder conflicts (EAGAIN); asserts on any other
 * failure. */
gboolean fs_test_can_lock (const char *path, short type);

/* Stores @name with one file data/file of @n_bytes and commits it; returns
 * the entry (still held, for the caller to release) and the status. */
FsCacheEntry *fs_test_store_commit (FsCache *cache,
                                    const char *name,
                                    gsize n_bytes,
                                    FsCacheCommitStatus *out_status);
/* Stores @name with one file data/file of @n_bytes, asserts it is stored,
 * and releases it. */
void fs_test_store_committed (FsCache *cache, const char *name, gsize n_bytes);
/* Stores @name filled with the content fs-test-content.h derives from its
 * name (@n_bytes in data/file), asserting success; returns the entry, not
 * committed yet. */
FsCacheEntry *fs_test_store_content (FsCache *cache, const char *name, guint64 n_bytes);
/* Commits @entry, asserting the call itself succeeds. */
FsCacheCommitStatus fs_test_commit (FsCacheEntry *entry);
/* Nick of a commit status ("stored", "exists", …). */
const char *fs_test_status_nick (FsCacheCommitStatus status);

/* Runs @argv and waits; TRUE if it exited with status 0. */
gboolean fs_test_run (const char *const *argv, char **out_stdout, GError **error);
/* "ASAN_OPTIONS=…" for a child run under strace: the current options with
 * detect_leaks=0 (LeakSanitizer can't run under ptrace). */
char *fs_test_traced_asan_options (void);

/* The user and group "nobody". */
#define FS_TEST_NOBODY 65534
/* Runs the current test case again in a subprocess
 * (g_test_trap_subprocess(), at most @timeout_seconds) that finds
 * @cache_dir with fs_test_child_cache_dir(); asserts the subprocess
 * passed. */
void fs_test_run_child (const char *cache_dir, guint timeout_seconds);
/* In such a subprocess: the @cache_dir of fs_test_run_child(). */
const char *fs_test_child_cache_dir (void);
/* In a subprocess run as root: becomes user and group nobody, without
 * supplementary groups, for good. */
void fs_test_drop_privileges (void);

/* A helper process (tests/fs-test-helper) run as a real separate process,
 * with pipes to its stdin and from its stdout. */
typedef struct _FsTestHelper FsTestHelper;

/* Path of the helper program: $FSCACHE_TEST_HELPER, else beside the test. */
const char *fs_test_helper_path (void);
/* Starts the helper with the given arguments (NULL-terminated). */
FsTestHelper *fs_test_helper_spawn (const char *first_arg, ...) G_GNUC_NULL_TERMINATED;
/* Reads one line of the helper's stdout, without the newline; NULL at EOF. */
char *fs_test_helper_read_line (FsTestHelper *helper);
/* Reads one line of the helper's stdout and asserts it is @expected. */
void fs_test_helper_assert_line (FsTestHelper *helper, const char *expected);
/* Writes @line and a newline to the helper's stdin. */
void fs_test_helper_write_line (FsTestHelper *helper, const char *line);
/* Closes the helper's stdin (the helper sees EOF). */
void fs_test_helper_close_stdin (FsTestHelper *helper);
/* Waits for the helper; returns its exit code, or 128 + signal number. */
int fs_test_helper_wait (FsTestHelper *helper);
/* Kills the helper with SIGKILL and waits for it. */
void fs_test_helper_kill (FsTestHelper *helper);
/* Process id of the helper. */
GPid fs_test_helper_get_pid (FsTestHelper *helper);
/* Kills the helper if it still runs, and frees everything. */
void fs_test_helper_free (FsTestHelper *helper);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FsTestHelper, fs_test_helper_free)

G_END_DECLS

/* ---- Other users (the shared-cache tests) and system tools ---- */

G_BEGIN_DECLS

/**
 * FsTestCreds:
 * @uid: the user id the child runs as
 * @gid: its primary group id
 * @groups: (array length=n_groups): its supplementary groups
 * @n_groups: the number of supplementary groups (0: none)
 * @umask: the umask of the child
 *
 * The identity a helper process is started with by fs_test_helper_spawn_as().
 */
typedef struct {
  uid_t uid;
  gid_t gid;
  const gid_t *groups;
  gsize n_groups;
  mode_t umask;
} FsTestCreds;

/* Copies the helper program to @dir/fs-test-helper (mode 0755), so that a
 * user who can't reach the build directory can run it; returns its path. */
char *fs_test_helper_copy_to (const char *dir);
/* Starts @helper_path (from fs_test_helper_copy_to()) as @creds, in "/",
 * with the given arguments (NULL-terminated). Only root can do this; the
 * child exits with status 126 if it could not take the identity. */
FsTestHelper *fs_test_helper_spawn_as (const FsTestCreds *creds,
                                       const char *helper_path,
                                       const char *first_arg,
                                       ...) G_GNUC_NULL_TERMINATED;
/* Writes @line to the helper and returns its answer (one line). */
char *fs_test_helper_ask (FsTestHelper *helper, const char *line);
/* TRUE if every ancestor directory of @path (and @path) lets anyone search
 * it (o+x), so processes of other users can reach @path. */
gboolean fs_test_path_reachable_by_all (const char *path);
/* Finds @program in PATH or the sbin directories; NULL if absent. */
char *fs_test_find_program (const char *program);

G_END_DECLS
