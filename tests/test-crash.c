/* test-crash.c: the crash matrix (DESIGN §5.1, §5.3, §5.4, §5.6; issue 4)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * For every fault point compiled into test builds (FSCACHE_CRASH_AT=POINT
 * makes a process SIGKILL itself there; see _fs_fault_point() in
 * libfscache/) and every operation that passes it — a store and its commit,
 * a store or stage released without commit, a removal, an eviction by a
 * commit that does not fit, a prune — a real child process
 * (tests/fs-test-helper) is killed at that point. Then the cache must
 * converge:
 *
 *   busy-gc     WITHOUT idleness: a second process keeps the cache open
 *               (and the "keep" entries loaded) the whole time, and a third
 *               runs fs_cache_collect_garbage() (which can't recount: the
 *               cache is not idle). §5.4: "the repair of a crashed
 *               libfscache operation must not wait for idleness".
 *   busy-evict  the same, but the third process commits an entry that does
 *               not fit: §5.4 "at the latest when a store does not fit,
 *               before it evicts".
 *   idle-open   nobody else: a fresh fs_cache_new() alone repairs it, with
 *               no command (§5.4 "converges back without anyone running a
 *               command", §5.6 "by an open that finds the cache idle").
 *
 * and after each:
 *   §5.4  accounting exact: cache.size == Σ object.info sizes;
 *   §5.3  no leak: no uuid-* in objects/, stage/, journal/, no batch file,
 *         no size transaction left pending;
 *   §5.1  every entry there is whole (its content is derived from its name)
 *         and the entry being committed is there only if its commit got as
 *         far as the rename (never half);
 *   §5.2  entries loaded by the live process were not touched;
 *   "no committed entry lost that was not being removed": exactly the
 *         entries the killed operation had already hidden are gone.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-meta-private.h"
#include "fs-test-content.h"
#include "fs-test-util.h"

#define ENTRY_BYTES 60000
#define N_KEEP 4
#define N_VICTIMS 6

typedef enum {
  OP_STORE,   /* store "new" and commit it; it fits */
  OP_DISCARD, /* store "new", release it without commit */
  OP_STAGE,   /* stage an entry, release it */
  OP_REMOVE,  /* fs_cache_remove ("victim-0") */
  OP_EVICT,   /* store "new" into a full cache: its commit evicts 3 victims */
  OP_PRUNE,   /* fs_cache_prune() down to 7 entries: evicts 3 victims */
} Op;

static const char *const op_names[] = { "store", "discard", "stage", "remove", "evict", "prune" };

typedef enum {
  VARIANT_BUSY_GC,
  VARIANT_BUSY_EVICT,
  VARIANT_IDLE_OPEN,
} Variant;

static const char *const variant_names[] = { "busy-gc", "busy-evict", "idle-open" };

typedef struct {
  Op op;
  const char *point;
  /* after recovery (busy-gc and idle-open): victim-0 … victim-(n_gone-1)
   * are gone, the other victims are there */
  guint n_gone;
  /* the entry "new" being committed is there */
  gboolean new_present;
} Scenario;

/* Each fault point, with every operation that passes it. The expectations
 * follow the steps documented at the top of fs-evict.c and fs-journal.c:
 * a removal killed before its rename keeps the entry; after it, the entry
 * is gone; a commit killed before its rename leaves no entry, after it the
 * entry is committed. */
static const Scenario scenarios[] = {
  /* store: fs_cache_store() then commit, under the maximum */
  { OP_STORE, "anon-record", 0, FALSE },
  { OP_STORE, "commit-record", 0, FALSE },
  { OP_STORE, "txn-locked", 0, FALSE },
  { OP_STORE, "txn-intent", 0, FALSE },
  { OP_STORE, "txn-size", 0, FALSE },
  { OP_STORE, "txn-record", 0, FALSE },
  { OP_STORE, "commit-accounted", 0, FALSE },
  { OP_STORE, "commit-renamed", 0, TRUE },
  /* a store released without commit */
  { OP_DISCARD, "anon-record", 0, FALSE },
  { OP_DISCARD, "discard-entry", 0, FALSE },
  /* a stage released */
  { OP_STAGE, "anon-record", 0, FALSE },
  { OP_STAGE, "discard-entry", 0, FALSE },
  /* removal of victim-0 */
  { OP_REMOVE, "remove-record", 0, FALSE },
  { OP_REMOVE, "remove-hidden", 1, FALSE },
  { OP_REMOVE, "txn-locked", 1, FALSE },
  { OP_REMOVE, "txn-intent", 1, FALSE },
  { OP_REMOVE, "txn-size", 1, FALSE },
  { OP_REMOVE, "txn-record", 1, FALSE },
  { OP_REMOVE, "remove-accounted", 1, FALSE },
  /* a commit that evicts victim-0, -1, -2 in one batch; its first size
   * transaction is the attempt that does not fit (txn-locked), the next
   * one is the eviction's batch */
  { OP_EVICT, "anon-record", 0, FALSE },
  { OP_EVICT, "commit-record", 0, FALSE },
  { OP_EVICT, "txn-locked", 0, FALSE },
  { OP_EVICT, "remove-record", 0, FALSE },
  { OP_EVICT, "remove-hidden", 1, FALSE },
  { OP_EVICT, "txn-intent", 3, FALSE },
  { OP_EVICT, "txn-size", 3, FALSE },
  { OP_EVICT, "txn-record", 3, FALSE },
  { OP_EVICT, "remove-accounted", 3, FALSE },
  { OP_EVICT, "commit-accounted", 3, FALSE },
  { OP_EVICT, "commit-renamed", 3, TRUE },
  /* a prune evicting victim-0, -1, -2 in one batch */
  { OP_PRUNE, "remove-record", 0, FALSE },
  { OP_PRUNE, "remove-hidden", 1, FALSE },
  { OP_PRUNE, "txn-locked", 3, FALSE },
  { OP_PRUNE, "txn-intent", 3, FALSE },
  { OP_PRUNE, "txn-size", 3, FALSE },
  { OP_PRUNE, "txn-record", 3, FALSE },
  { OP_PRUNE, "remove-accounted", 3, FALSE },
};

typedef struct {
  const Scenario *scenario;
  Variant variant;
} Case;

/* A populated cache, made once and copied for each case. */
static char *template_root = NULL;
static char *template_dir = NULL;
static guint64 entry_size = 0;

/* ------------------------------------------------------------------------ */

static FsCacheCommitStatus
store_named (FsCache *cache, const char *name, guint64 n_bytes)
{
  g_autoptr (FsCacheEntry) entry = fs_test_store_content (cache, name, n_bytes);
  FsCacheCommitStatus status;

  status = fs_test_commit (entry);
  if (status == FS_CACHE_COMMIT_STORED)
    {
      if (entry_size == 0)
        entry_size = fs_cache_entry_get_size (entry);
      g_assert_cmpuint (fs_cache_entry_get_size (entry), ==, entry_size);
    }
  fs_cache_entry_release (entry);
  return status;
}

static void
make_template (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = NULL;

  template_root = g_dir_make_tmp ("fscache-crash-template-XXXXXX", &error);
  g_assert_no_error (error);
  template_dir = g_build_filename (template_root, "cache", NULL);
  cache = fs_test_open_cache (template_dir);
  fs_test_set_maximum_size (cache, FS_CACHE_SIZE_UNLIMITED);
  for (guint i = 0; i < N_KEEP; i++)
    {
      g_autofree char *name = g_strdup_printf ("keep-%u", i);
      g_assert_cmpint (store_named (cache, name, ENTRY_BYTES), ==, FS_CACHE_COMMIT_STORED);
    }
  for (guint i = 0; i < N_VICTIMS; i++)
    {
      g_autofree char *name = g_strdup_printf ("victim-%u", i);
      g_assert_cmpint (store_named (cache, name, ENTRY_BYTES), ==, FS_CACHE_COMMIT_STORED);
    }
  fs_cache_close (cache);
  fs_test_assert_consistent (template_dir);
}

/* No size transaction left pending in journal/size.intent. */
static void
assert_no_pending_intent (const char *cache_dir)
{
  g_autofree char *path = g_build_filename (cache_dir, "journal", "size.intent", NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  FsIntent intent = { 0 };

  if (!g_file_get_contents (path, &data, &len, NULL))
    return; /* never used */
  g_assert_true (_fs_meta_parse_intent (data, len, &intent));
  g_assert_false (intent.pending);
}

static void
assert_whole (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, name, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (fs_test_content_check (fs_cache_entry_get_path (entry), name, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fs_cache_entry_get_size (entry), ==,
                    fs_test_tree_space (fs_cache_entry_get_path (entry)));
}

/* §5.4 exact, §5.3 no debris, §5.1 every entry whole. */
static void
assert_converged (FsCache *cache, const char *cache_dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) list = NULL;

  fs_test_assert_consistent (cache_dir); /* cache.size == Σ sizes, no uuid-* */
  g_assert_cmpuint (fs_test_count_journal_debris (cache_dir), ==, 0);
  assert_no_pending_intent (cache_dir);

  list = fs_cache_list (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, fs_test_count_objects (cache_dir));
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (FsCacheItem) item = g_list_model_get_item (list, i);
      assert_whole (cache, fs_cache_item_get_name (item));
    }
}

/* ------------------------------------------------------------------------ */

static void
case_setup (FsTestFixture *fx, gconstpointer user_data)
{
  const char *argv[] = { "cp", "-a", template_dir, NULL, NULL };
  g_autoptr (GError) error = NULL;

  fs_test_fixture_setup (fx, user_data);
  argv[3] = fx->cache_dir;
  g_assert_true (fs_test_run (argv, NULL, &error));
  g_assert_no_error (error);
  fx->cache = fs_test_open_cache (fx->cache_dir);
}

static void
run_case (FsTestFixture *fx, gconstpointer user_data)
{
  const Case *c = user_data;
  const Scenario *sc = c->scenario;
  const guint64 S = entry_size;
  g_autoptr (FsTestHelper) holder = NULL;
  g_autoptr (FsTestHelper) child = NULL;
  g_autofree char *crash_arg = g_strdup_printf ("--crash-at=%s", sc->point);
  g_autofree char *entry_bytes = g_strdup_printf ("%u", ENTRY_BYTES);
  g_autofree char *prune_target = NULL;
  guint64 maximum;

#if !ENABLE_FAULT_INJECTION
  g_test_skip ("built without fault injection (-Dfault_injection=false)");
  return;
#endif

  g_test_message ("%s killed at %s, then %s", op_names[sc->op], sc->point,
                  variant_names[c->variant]);

  /* The maximum: the new entry fits, except for the evicting commit. */
  maximum = sc->op == OP_EVICT ? 10 * S + S / 2 : 12 * S;
  fs_test_set_maximum_size (fx->cache, maximum);
  /* Last use (atime of object.lock), set directly: victim-i is older than
   * victim-(i+1), all older than the keep entries. */
  for (guint i = 0; i < N_VICTIMS; i++)
    {
      g_autofree char *name = g_strdup_printf ("victim-%u", i);
      fs_test_set_last_use (fx->cache_dir, name, 1000000 + 1000 * i);
    }

  /* The second process: keeps the cache open, and the keep entries
   * loaded, the whole time (§5.2: they must not be touched). */
  holder =
    fs_test_helper_spawn ("hold", fx->cache_dir, "keep-0", "keep-1", "keep-2", "keep-3", NULL);
  fs_test_helper_assert_line (holder, "ok");

  /* The child, killed at the fault point. */
  switch (sc->op)
    {
    case OP_STORE:
    case OP_EVICT:
      child =
        fs_test_helper_spawn (crash_arg, "store-named", fx->cache_dir, "new", entry_bytes, NULL);
      break;
    case OP_DISCARD:
      child = fs_test_helper_spawn (crash_arg, "store-hold", fx->cache_dir, "new", NULL);
      break;
    case OP_STAGE:
      child = fs_test_helper_spawn (crash_arg, "stage-hold", fx->cache_dir, "10000", NULL);
      break;
    case OP_REMOVE:
      child = fs_test_helper_spawn (crash_arg, "remove", fx->cache_dir, "victim-0", NULL);
      break;
    case OP_PRUNE:
      prune_target = g_strdup_printf ("%" G_GUINT64_FORMAT, 7 * S + S / 2);
      child = fs_test_helper_spawn (crash_arg, "prune", fx->cache_dir, prune_target, NULL);
      break;
    default:
      g_assert_not_reached ();
    }
  /* (closing its stdin lets store-hold and stage-hold release) */
  g_assert_cmpint (fs_test_helper_wait (child), ==, 128 + SIGKILL);

  /* The kill left something to repair (not a vacuous case): a record, an
   * anonymous entry or a wrong counter. Only a stage leaves nothing (its
   * lock file is unnamed until the directory exists, and a discarded one
   * is gone before the point). */
  {
    gboolean debris =
      fs_test_count_uuid (fx->cache_dir) > 0 || fs_test_count_journal_debris (fx->cache_dir) > 0 ||
      fs_test_read_cache_size (fx->cache_dir) != fs_test_sum_object_sizes (fx->cache_dir);

    g_test_message ("before recovery: %s", debris ? "debris" : "clean");
    g_assert_true (debris == (sc->op != OP_STAGE));
  }

  switch (c->variant)
    {
    case VARIANT_BUSY_GC:
      {
        g_autoptr (FsTestHelper) gc = fs_test_helper_spawn ("gc", fx->cache_dir, NULL);
        g_autofree char *line = fs_test_helper_read_line (gc);
        guint removed;
        guint64 reclaimed;
        gint64 correction = 1;

        g_assert_nonnull (line);
        g_assert_cmpint (sscanf (line, "gc %u %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT, &removed,
                                 &reclaimed, &correction),
                         ==, 3);
        /* not idle: no recount; the repair came from the journal */
        g_assert_cmpint (correction, ==, 0);
        g_assert_cmpint (fs_test_helper_wait (gc), ==, 0);
        g_assert_true (fs_cache_has_other_users (fx->cache));
        assert_converged (fx->cache, fx->cache_dir);
      }
      break;

    case VARIANT_BUSY_EVICT:
      {
        /* An entry that fits only once victims are evicted: the commit
         * must recover the dead operation before it evicts. */
        guint64 target = maximum - (N_KEEP + 1) * S - S / 2;
        guint64 used = fs_test_read_cache_size (fx->cache_dir);
        g_autofree char *bytes = g_strdup_printf ("%" G_GUINT64_FORMAT, target - 2 * 4096);
        g_autoptr (FsTestHelper) writer = NULL;

        g_assert_cmpuint (used + target - 4096, >, maximum);
        writer = fs_test_helper_spawn ("store-named", fx->cache_dir, "trigger", bytes, NULL);
        fs_test_helper_assert_line (writer, "stored");
        g_assert_cmpint (fs_test_helper_wait (writer), ==, 0);
        g_assert_true (fs_cache_has_other_users (fx->cache));
        assert_converged (fx->cache, fx->cache_dir);
        g_assert_true (fs_test_entry_is_present (fx->cache_dir, "trigger"));
        g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), <=, maximum);
      }
      break;

    case VARIANT_IDLE_OPEN:
      {
        g_autoptr (FsCache) fresh = NULL;

        fs_test_helper_close_stdin (holder);
        fs_test_helper_assert_line (holder, "closed");
        g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);
        g_clear_pointer (&holder, fs_test_helper_free);
        fs_cache_close (fx->cache);
        g_clear_object (&fx->cache);

        /* nothing but the open */
        fresh = fs_test_open_cache (fx->cache_dir);
        g_assert_false (fs_cache_has_other_users (fresh));
        assert_converged (fresh, fx->cache_dir);
        fx->cache = g_steal_pointer (&fresh);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  /* §5.2: the entries the live process held are all there, whole */
  for (guint i = 0; i < N_KEEP; i++)
    {
      g_autofree char *name = g_strdup_printf ("keep-%u", i);
      g_assert_true (fs_test_entry_is_present (fx->cache_dir, name));
    }

  /* No committed entry lost that was not being removed; the entry being
   * committed is there exactly when its commit reached the rename. (The
   * evicting third process may evict victims and "new" legitimately.) */
  if (c->variant != VARIANT_BUSY_EVICT)
    {
      for (guint i = 0; i < N_VICTIMS; i++)
        {
          g_autofree char *name = g_strdup_printf ("victim-%u", i);

          g_test_message ("%s: %s", name,
                          fs_test_entry_is_present (fx->cache_dir, name) ? "there" : "gone");
          g_assert_true (fs_test_entry_is_present (fx->cache_dir, name) == (i >= sc->n_gone));
        }
      g_assert_true (fs_test_entry_is_present (fx->cache_dir, "new") == sc->new_present);
    }
  else
    {
      g_assert_false (fs_test_entry_is_present (fx->cache_dir, "new") && !sc->new_present);
    }

  if (holder != NULL)
    {
      fs_test_helper_close_stdin (holder);
      fs_test_helper_assert_line (holder, "closed");
      g_assert_cmpint (fs_test_helper_wait (holder), ==, 0);
    }
}

/* ------------------------------------------------------------------------ */
/* The matrix covers every fault point of the library.                       */

/* libfscache/ of the source tree: __FILE__ is relative to the build root
 * (the parent of this program's directory) or absolute. */
static char *
find_library_sources (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *test_dir = exe != NULL ? g_path_get_dirname (exe) : NULL;
  g_autofree char *build_root = test_dir != NULL ? g_path_get_dirname (test_dir) : NULL;
  g_autofree char *src_tests = NULL;
  g_autofree char *candidate = NULL;

  if (g_path_is_absolute (__FILE__))
    src_tests = g_path_get_dirname (__FILE__);
  else if (build_root != NULL)
    {
      g_autofree char *file = g_build_filename (build_root, __FILE__, NULL);
      src_tests = g_path_get_dirname (file);
    }
  if (src_tests == NULL)
    return NULL;
  candidate = g_build_filename (src_tests, "..", "libfscache", NULL);
  if (!g_file_test (candidate, G_FILE_TEST_IS_DIR))
    return NULL;
  return g_steal_pointer (&candidate);
}

static void
test_matrix_covers_every_point (void)
{
  g_autofree char *dir_path = find_library_sources ();
  g_autoptr (GHashTable) in_sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) in_matrix = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GDir) dir = NULL;
  const char *name;
  GHashTableIter iter;
  gpointer key;

  if (dir_path == NULL)
    {
      g_test_skip ("the library sources are not reachable from here");
      return;
    }
  dir = g_dir_open (dir_path, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *text = NULL;
      const char *p;

      if (!g_str_has_suffix (name, ".c"))
        continue;
      path = g_build_filename (dir_path, name, NULL);
      g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
      for (p = strstr (text, "_fs_fault_point (\""); p != NULL;
           p = strstr (p + 1, "_fs_fault_point (\""))
        {
          const char *start = p + strlen ("_fs_fault_point (\"");
          const char *end = strchr (start, '"');

          g_assert_nonnull (end);
          g_hash_table_add (in_sources, g_strndup (start, (gsize) (end - start)));
        }
    }
  g_assert_cmpuint (g_hash_table_size (in_sources), >, 0);

  for (gsize i = 0; i < G_N_ELEMENTS (scenarios); i++)
    g_hash_table_add (in_matrix, (gpointer) scenarios[i].point);

  g_hash_table_iter_init (&iter, in_sources);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_test_message ("fault point %s", (const char *) key);
      if (!g_hash_table_contains (in_matrix, key))
        g_error ("fault point %s is not in the crash matrix", (const char *) key);
    }
  g_hash_table_iter_init (&iter, in_matrix);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (in_sources, key))
      g_error ("fault point %s of the matrix is gone from the library", (const char *) key);
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) cases = g_ptr_array_new_with_free_func (g_free);
  gboolean diagonal;
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/crash/matrix-covers-every-fault-point", test_matrix_covers_every_point);

  /* FSCACHE_CRASH_MATRIX=diagonal (set by the sanitizer and valgrind runs,
   * where a case costs ten times more): each scenario in one variant only,
   * scenario i in variant i mod 3, so that every scenario and every variant
   * still runs. The regular run takes the whole matrix. */
  diagonal = g_strcmp0 (g_getenv ("FSCACHE_CRASH_MATRIX"), "diagonal") == 0;
  for (gsize i = 0; i < G_N_ELEMENTS (scenarios); i++)
    for (guint v = 0; v < G_N_ELEMENTS (variant_names); v++)
      {
        Case *c;
        g_autofree char *path = NULL;

        if (diagonal && v != i % G_N_ELEMENTS (variant_names))
          continue;
        c = g_new0 (Case, 1);
        c->scenario = &scenarios[i];
        c->variant = (Variant) v;
        g_ptr_array_add (cases, c);
        path = g_strdup_printf ("/crash/%s/%s/%s", variant_names[v], op_names[scenarios[i].op],
                                scenarios[i].point);
        g_test_add (path, FsTestFixture, c, case_setup, run_case, fs_test_fixture_teardown);
      }

  make_template ();
  ret = g_test_run ();
  fs_test_rm_rf (template_root);
  g_free (template_root);
  g_free (template_dir);
  return ret;
}
