/* test-integrity.c: manifests of committed entries, verify, add (DESIGN §8)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fs-digest-private.h"
#include "fs-meta-private.h"
#include "fs-test-util.h"

/* A small tree of every common kind below @dir. */
static void
fill_tree (const char *dir)
{
  g_autofree char *sub = g_build_filename (dir, "sub", NULL);
  g_autofree char *a = g_build_filename (dir, "a.txt", NULL);
  g_autofree char *b = g_build_filename (dir, "sub", "b.bin", NULL);
  g_autofree char *hard = g_build_filename (dir, "sub", "hard", NULL);
  g_autofree char *symlink_path = g_build_filename (dir, "link", NULL);

  g_assert_no_errno (g_mkdir_with_parents (sub, 0755));
  fs_test_write_text (a, "hello, world\n", -1);
  fs_test_write_file (b, 100000);
  g_assert_no_errno (link (a, hard));
  g_assert_no_errno (symlink ("a.txt", symlink_path));
  g_assert_no_errno (chmod (b, 0640));
}

static char *
file_sha256 (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, len);
}

static char *
object_path (FsTestFixture *fx, const char *name, const char *file)
{
  return g_build_filename (fx->cache_dir, "objects", name, file, NULL);
}

/* Stores a copy of @src as @name with fs_cache_store() and a copy by hand
 * (the caller writes: the commit builds the manifest). */
static void
store_by_hand (FsCache *cache, const char *name, const char *src)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheEntry) entry = fs_cache_store (cache, name, NULL, &error);
  g_autofree char *cmd = NULL;
  FsCacheCommitStatus status = FS_CACHE_COMMIT_NO_SPACE;

  g_assert_no_error (error);
  cmd = g_strdup_printf ("cp -a '%s'/. '%s'/", src, fs_cache_entry_get_path (entry));
  g_assert_cmpint (system (cmd), ==, 0);
  g_assert_true (fs_cache_entry_commit (entry, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
}

static void
store_tree (FsCache *cache, const char *name, const char *src)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (src);
  FsCacheCommitStatus status = FS_CACHE_COMMIT_NO_SPACE;

  g_assert_true (fs_cache_store_tree (cache, name, file, FS_CACHE_STORE_NONE, NULL, NULL, &status,
                                      NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
}

static FsCacheEntry *
load (FsCache *cache, const char *name)
{
  g_autoptr (GError) error = NULL;
  FsCacheEntry *entry = fs_cache_load (cache, name, NULL, &error);

  g_assert_no_error (error);
  return entry;
}

/* Every commit writes object.manifest before publishing, and names its
 * digest in object.info; the entry, the list and the file agree. */
static void
test_commit_writes_manifest (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *manifest_path = object_path (fx, "t", "object.manifest");
  g_autofree char *info_path = object_path (fx, "t", "object.info");
  g_autofree char *sum = NULL;
  g_autofree char *info = NULL;
  g_autofree char *info_digest = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheManifest) manifest = NULL;
  g_autoptr (GListModel) list = NULL;
  g_autoptr (FsCacheItem) item = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;
  guint64 size;

  fill_tree (src);
  store_by_hand (fx->cache, "t", src);

  sum = file_sha256 (manifest_path);
  g_assert_true (g_file_get_contents (info_path, &info, &len, NULL));
  g_assert_true (_fs_meta_parse_object_info_full (info, len, &size, NULL, &info_digest));
  g_assert_cmpstr (info_digest, ==, sum);

  entry = load (fx->cache, "t");
  g_assert_cmpstr (fs_cache_entry_get_tree_digest (entry), ==, sum);
  manifest = fs_cache_entry_read_manifest (entry, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fs_cache_manifest_get_digest (manifest), ==, sum);
  /* . a.txt link sub sub/b.bin sub/hard */
  g_assert_cmpuint (fs_cache_manifest_get_n_nodes (manifest), ==, 6);

  list = fs_cache_list (fx->cache, NULL, &error);
  g_assert_no_error (error);
  item = g_list_model_get_item (list, 0);
  g_assert_cmpstr (fs_cache_item_get_tree_digest (item), ==, sum);
  g_assert_true (fs_cache_entry_verify (entry, NULL, NULL, &error));
  g_assert_no_error (error);
  fs_test_assert_consistent (fx->cache_dir);
}

/* The same tree gives the same digest, stored by the caller or by
 * store_tree (which hashes while it copies), twice or once. */
static void
test_determinism (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *changed = g_build_filename (src, "sub", "b.bin", NULL);
  g_autoptr (FsCacheEntry) a = NULL;
  g_autoptr (FsCacheEntry) b = NULL;
  g_autoptr (FsCacheEntry) c = NULL;
  g_autoptr (FsCacheEntry) d = NULL;
  g_autoptr (FsCacheManifest) m1 = NULL;
  g_autoptr (FsCacheManifest) m2 = NULL;
  g_autoptr (GError) error = NULL;
  guint n_diff = 0;

  fill_tree (src);
  store_by_hand (fx->cache, "by-hand", src);
  store_tree (fx->cache, "by-store-tree", src);
  store_tree (fx->cache, "again", src);
  a = load (fx->cache, "by-hand");
  b = load (fx->cache, "by-store-tree");
  c = load (fx->cache, "again");
  g_assert_nonnull (fs_cache_entry_get_tree_digest (a));
  g_assert_cmpstr (fs_cache_entry_get_tree_digest (a), ==, fs_cache_entry_get_tree_digest (b));
  g_assert_cmpstr (fs_cache_entry_get_tree_digest (b), ==, fs_cache_entry_get_tree_digest (c));

  /* One file differs: that node only. */
  fs_test_write_file (changed, 100001);
  g_assert_no_errno (chmod (changed, 0640));
  store_tree (fx->cache, "changed", src);
  d = load (fx->cache, "changed");
  g_assert_cmpstr (fs_cache_entry_get_tree_digest (d), !=, fs_cache_entry_get_tree_digest (a));
  m1 = fs_cache_entry_read_manifest (a, NULL, &error);
  g_assert_no_error (error);
  m2 = fs_cache_entry_read_manifest (d, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fs_cache_manifest_get_n_nodes (m1), ==, fs_cache_manifest_get_n_nodes (m2));
  for (guint i = 0; i < fs_cache_manifest_get_n_nodes (m1); i++)
    {
      g_autoptr (FsCacheManifestNode) x = fs_cache_manifest_get_node (m1, i);
      g_autoptr (FsCacheManifestNode) y = fs_cache_manifest_get_node (m2, i);

      g_assert_cmpstr (fs_cache_manifest_node_get_path (x), ==,
                       fs_cache_manifest_node_get_path (y));
      if (g_strcmp0 (fs_cache_manifest_node_get_sha256 (x),
                     fs_cache_manifest_node_get_sha256 (y)) != 0 ||
          fs_cache_manifest_node_get_size (x) != fs_cache_manifest_node_get_size (y))
        {
          g_assert_cmpstr (fs_cache_manifest_node_get_path (x), ==, "sub/b.bin");
          n_diff++;
        }
    }
  g_assert_cmpuint (n_diff, ==, 1);
}

typedef struct {
  const char *what;
  void (*damage) (const char *data);
  FsCacheDifferenceKind kind;
  const char *path;
} Damage;

static void
flip_byte (const char *data)
{
  g_autofree char *path = g_build_filename (data, "sub", "b.bin", NULL);
  int fd = open (path, O_RDWR);
  char c;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pread (fd, &c, 1, 5000), ==, 1);
  c ^= 0x20;
  g_assert_cmpint (pwrite (fd, &c, 1, 5000), ==, 1);
  close (fd);
}

static void
truncate_file (const char *data)
{
  g_autofree char *path = g_build_filename (data, "sub", "b.bin", NULL);
  g_assert_no_errno (truncate (path, 1000));
}

static void
change_mode (const char *data)
{
  g_autofree char *path = g_build_filename (data, "sub", "b.bin", NULL);
  g_assert_no_errno (chmod (path, 0600));
}

static void
retarget_link (const char *data)
{
  g_autofree char *path = g_build_filename (data, "link", NULL);
  g_assert_no_errno (unlink (path));
  g_assert_no_errno (symlink ("sub/b.bin", path));
}

static void
remove_file (const char *data)
{
  g_autofree char *path = g_build_filename (data, "sub", "b.bin", NULL);
  g_assert_no_errno (unlink (path));
}

static void
add_file (const char *data)
{
  g_autofree char *path = g_build_filename (data, "sub", "new", NULL);
  fs_test_write_text (path, "surprise", -1);
}

static const Damage damages[] = {
  { "flipped-byte", flip_byte, FS_CACHE_DIFFERENCE_CONTENT, "sub/b.bin" },
  { "truncated", truncate_file, FS_CACHE_DIFFERENCE_CONTENT, "sub/b.bin" },
  { "mode", change_mode, FS_CACHE_DIFFERENCE_MODE, "sub/b.bin" },
  { "symlink-target", retarget_link, FS_CACHE_DIFFERENCE_SYMLINK_TARGET, "link" },
  { "removed", remove_file, FS_CACHE_DIFFERENCE_MISSING, "sub/b.bin" },
  { "added", add_file, FS_CACHE_DIFFERENCE_EXTRA, "sub/new" },
};

/* Each kind of damage is found, named in the error, listed; the load with
 * VERIFY refuses the entry and gives its lock back. */
static void
test_damage (FsTestFixture *fx, gconstpointer user_data)
{
  const Damage *damage = user_data;
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GListModel) differences = NULL;
  g_autoptr (GError) error = NULL;
  gboolean found = FALSE;

  fill_tree (src);
  store_tree (fx->cache, "t", src);
  entry = load (fx->cache, "t");
  damage->damage (fs_cache_entry_get_path (entry));

  g_assert_false (fs_cache_entry_verify (entry, &differences, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT);
  g_test_message ("%s: %s", damage->what, error->message);
  g_assert_nonnull (strstr (error->message, damage->path));
  g_assert_nonnull (differences);
  for (guint i = 0; i < g_list_model_get_n_items (differences); i++)
    {
      g_autoptr (FsCacheDifference) d = g_list_model_get_item (differences, i);

      if (g_str_equal (fs_cache_difference_get_path (d), damage->path) &&
          fs_cache_difference_get_kind (d) == damage->kind)
        found = TRUE;
    }
  g_assert_true (found);
  fs_cache_entry_release (entry);
  g_clear_error (&error);

  /* A verified load: refused, and nothing stays locked. */
  g_assert_null (fs_cache_load_full (fx->cache, "t", FS_CACHE_LOAD_VERIFY, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT);
  g_clear_error (&error);
  g_assert_true (fs_cache_remove (fx->cache, "t", NULL, &error));
  g_assert_no_error (error);
  fs_test_assert_consistent (fx->cache_dir);
}

/* A manifest that is damaged itself, or missing while object.info names
 * one, makes the entry corrupt; a plain load still works. */
static void
test_damaged_manifest (FsTestFixture *fx, gconstpointer user_data)
{
  gboolean remove = GPOINTER_TO_INT (user_data);
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *manifest_path = object_path (fx, "t", "object.manifest");
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  fill_tree (src);
  store_tree (fx->cache, "t", src);
  if (remove)
    g_assert_no_errno (unlink (manifest_path));
  else
    fs_test_write_text (manifest_path, "garbage", -1);

  entry = load (fx->cache, "t");
  g_assert_null (fs_cache_entry_read_manifest (entry, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "object.manifest"));
  g_clear_error (&error);
  g_assert_false (fs_cache_entry_verify (entry, NULL, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT);
}

/* An entry without a manifest (osbuild's): "no manifest", never corrupt;
 * add gives it one under its write lock, BUSY while it is loaded. */
static void
test_no_manifest_and_add (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *manifest_path = object_path (fx, "t", "object.manifest");
  g_autofree char *info_path = object_path (fx, "t", "object.info");
  g_autofree char *info = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *sum = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheEntry) again = NULL;
  g_autoptr (GError) error = NULL;
  guint64 size;
  gsize len;

  fill_tree (src);
  store_tree (fx->cache, "t", src);
  /* What osbuild leaves: its object.info, no manifest. */
  g_assert_true (g_file_get_contents (info_path, &info, &len, NULL));
  g_assert_true (_fs_meta_parse_object_info (info, len, &size, NULL));
  g_free (info);
  info = g_strdup_printf ("{\"creation-boot-id\": \"3385978550bc45ad85c1e6817fffd0a2\", "
                          "\"size\": %" G_GUINT64_FORMAT "}",
                          size);
  fs_test_write_text (info_path, info, -1);
  g_assert_no_errno (unlink (manifest_path));

  entry = load (fx->cache, "t");
  g_assert_null (fs_cache_entry_get_tree_digest (entry));
  g_assert_false (fs_cache_entry_verify (entry, NULL, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_MANIFEST);
  g_clear_error (&error);
  g_assert_null (fs_cache_load_full (fx->cache, "t", FS_CACHE_LOAD_VERIFY, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_MANIFEST);
  g_clear_error (&error);

  /* In use: the owner does not agree. */
  g_assert_false (fs_cache_add_manifest (fx->cache, "t", &digest, NULL, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_BUSY);
  g_clear_error (&error);
  fs_cache_entry_release (entry);

  g_assert_true (fs_cache_add_manifest (fx->cache, "t", &digest, NULL, &error));
  g_assert_no_error (error);
  sum = file_sha256 (manifest_path);
  g_assert_cmpstr (digest, ==, sum);
  again = fs_cache_load_full (fx->cache, "t", FS_CACHE_LOAD_VERIFY, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fs_cache_entry_get_tree_digest (again), ==, sum);
  /* Its size and boot id are kept, and the accounting with them. */
  g_assert_cmpuint (fs_cache_entry_get_size (again), ==, size);
  fs_test_assert_consistent (fx->cache_dir);

  /* Added again: kept. */
  g_free (digest);
  fs_cache_entry_release (again);
  g_assert_true (fs_cache_add_manifest (fx->cache, "t", &digest, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (digest, ==, sum);
}

/* In a shared cache directories become group-writable at the commit: the
 * manifest says so, and the entry verifies. */
static void
test_shared (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autoptr (FsCacheInfo) info = fs_cache_info_new ();
  g_autoptr (FsCacheEntry) a = NULL;
  g_autoptr (FsCacheEntry) b = NULL;
  g_autoptr (GError) error = NULL;

  fs_cache_info_set_shared (info, TRUE);
  g_assert_true (fs_cache_set_info (fx->cache, info, NULL, &error));
  g_assert_no_error (error);
  fill_tree (src);
  store_tree (fx->cache, "copied", src);
  store_by_hand (fx->cache, "by-hand", src);
  a = load (fx->cache, "copied");
  b = load (fx->cache, "by-hand");
  g_assert_true (fs_cache_entry_verify (a, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (fs_cache_entry_verify (b, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (fs_cache_entry_get_tree_digest (a), ==, fs_cache_entry_get_tree_digest (b));
}

static void
verify_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GListModel **out = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_false (fs_cache_entry_verify_finish (FS_CACHE_ENTRY (source), result, out, &error));
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT);
}

/* The async pair reports the differences too. */
static void
test_verify_async (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GListModel) differences = NULL;

  fill_tree (src);
  store_tree (fx->cache, "t", src);
  entry = load (fx->cache, "t");
  flip_byte (fs_cache_entry_get_path (entry));
  fs_cache_entry_verify_async (entry, G_PRIORITY_DEFAULT, NULL, verify_done, &differences);
  while (differences == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (differences), ==, 1);
}

typedef struct {
  guint calls;
  goffset last, total;
  gboolean backwards;
  GThread *thread; /* where the calls came from */
  gboolean other_thread;
} Progress;

static void
on_progress (goffset current, goffset total, gpointer user_data)
{
  Progress *p = user_data;

  if (current < p->last)
    p->backwards = TRUE;
  if (g_thread_self () != p->thread)
    p->other_thread = TRUE;
  p->calls++;
  p->last = current;
  p->total = total;
}

/* list_differences: the differences as the result (empty when intact),
 * an error only when the entry can't be checked; progress in the calling
 * thread, up to the bytes of the manifest's files. */
static void
test_list_differences (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autofree char *info_path = object_path (fx, "t", "object.info");
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (FsCacheManifest) manifest = NULL;
  g_autoptr (GListModel) differences = NULL;
  g_autoptr (FsCacheDifference) first = NULL;
  g_autoptr (GError) error = NULL;
  Progress progress = { 0, 0, 0, FALSE, g_thread_self (), FALSE };

  fill_tree (src);
  store_tree (fx->cache, "t", src);
  entry = load (fx->cache, "t");
  manifest = fs_cache_entry_read_manifest (entry, NULL, &error);
  g_assert_no_error (error);

  differences = fs_cache_entry_list_differences (entry, on_progress, &progress, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (differences);
  g_assert_cmpuint (g_list_model_get_n_items (differences), ==, 0);
  g_assert_cmpuint (progress.calls, >=, 1);
  g_assert_false (progress.backwards);
  g_assert_false (progress.other_thread);
  g_assert_cmpint (progress.total, ==, fs_cache_manifest_get_total_size (manifest));
  g_assert_cmpint (progress.last, ==, progress.total);
  g_clear_object (&differences);

  flip_byte (fs_cache_entry_get_path (entry));
  differences = fs_cache_entry_list_differences (entry, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (differences), ==, 1);
  first = g_list_model_get_item (differences, 0);
  g_assert_cmpstr (fs_cache_difference_get_path (first), ==, "sub/b.bin");
  g_assert_cmpint (fs_cache_difference_get_kind (first), ==, FS_CACHE_DIFFERENCE_CONTENT);
  g_clear_object (&differences);
  fs_cache_entry_release (entry);
  g_clear_object (&entry);

  /* Without a manifest (as osbuild writes object.info): an error. */
  fs_test_write_text (info_path, "{\"size\": 16384}", -1);
  entry = load (fx->cache, "t");
  differences = fs_cache_entry_list_differences (entry, NULL, NULL, NULL, &error);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_NO_MANIFEST);
  g_assert_null (differences);
}

static void
list_differences_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GListModel **out = user_data;
  g_autoptr (GError) error = NULL;

  *out = fs_cache_entry_list_differences_finish (FS_CACHE_ENTRY (source), result, &error);
  g_assert_no_error (error);
}

/* The async pair, with its progress relayed to the caller's main context. */
static void
test_list_differences_async (FsTestFixture *fx, gconstpointer user_data)
{
  g_autofree char *src = g_build_filename (fx->tmpdir, "src", NULL);
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autoptr (GListModel) differences = NULL;
  Progress progress = { 0, 0, 0, FALSE, g_thread_self (), FALSE };

  fill_tree (src);
  store_tree (fx->cache, "t", src);
  entry = load (fx->cache, "t");
  flip_byte (fs_cache_entry_get_path (entry));
  fs_cache_entry_list_differences_async (entry, G_PRIORITY_DEFAULT, NULL, on_progress, &progress,
                                         NULL, list_differences_done, &differences);
  while (differences == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (differences), ==, 1);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (progress.calls, >=, 1);
  g_assert_false (progress.other_thread);
  g_assert_cmpint (progress.last, ==, progress.total);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, data, func)                                                   \
  g_test_add (path, FsTestFixture, data, fs_test_fixture_setup_unlimited, func, \
              fs_test_fixture_teardown)

  ADD ("/integrity/commit-writes-manifest", NULL, test_commit_writes_manifest);
  ADD ("/integrity/determinism", NULL, test_determinism);
  for (guint i = 0; i < G_N_ELEMENTS (damages); i++)
    {
      g_autofree char *path = g_strdup_printf ("/integrity/damage/%s", damages[i].what);
      ADD (path, &damages[i], test_damage);
    }
  ADD ("/integrity/damaged-manifest/garbage", GINT_TO_POINTER (FALSE), test_damaged_manifest);
  ADD ("/integrity/damaged-manifest/missing", GINT_TO_POINTER (TRUE), test_damaged_manifest);
  ADD ("/integrity/no-manifest-and-add", NULL, test_no_manifest_and_add);
  ADD ("/integrity/shared", NULL, test_shared);
  ADD ("/integrity/verify-async", NULL, test_verify_async);
  ADD ("/integrity/list-differences", NULL, test_list_differences);
  ADD ("/integrity/list-differences-async", NULL, test_list_differences_async);

#undef ADD

  return g_test_run ();
}
