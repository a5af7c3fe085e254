/* test-hostile-corrupt.c: corrupt, truncated and misshapen metadata
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every metadata file of a shared cache can be written by anyone who can
 * write the cache (DESIGN §5.5): cache.info, cache.size, object.info, and
 * the journal (journal/size.intent, journal/uuid-* records, journal/bat-*
 * batches). Whatever they hold — any prefix of a valid file, garbage,
 * NUL bytes, invalid UTF-8, deep nesting, megabytes, numbers out of range —
 * and whatever shape they have (a file where a folder belongs, a folder
 * where a file belongs), the library never crashes nor emits a critical,
 * and once the damage is gone or recounted (a lone open, then a garbage
 * collection) the cache is exact and clean again. A planted record must
 * not stop the cache from evicting: a full cache that can't evict can't
 * store.
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hostile-util.h"

/* Open (may fail), work a little, close; then open alone, collect garbage,
 * and the cache must be exact and clean. */
static void
survive (HostileFixture *fx, const char *what)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCache) cache = fs_cache_new_for_path (FS_TEST_APP_ID, fx->cache_dir, NULL, &error);

  if (cache == NULL)
    {
      g_test_message ("%s: open failed: %s", what, error->message);
      g_assert_true (error->domain == G_IO_ERROR || error->domain == FS_CACHE_ERROR);
      return;
    }
  {
    FsCacheEntry *entry = fs_cache_load (cache, "e0", NULL, &error);
    g_clear_object (&entry);
    g_clear_error (&error);
  }
  if (hostile_try_store (cache, "new", 3000, &error) < 0)
    g_test_message ("%s: store: %s", what, error->message);
  g_clear_error (&error);
  hostile_exercise (cache, "e1");
  fs_cache_close (cache);
}

static void
assert_repaired (HostileFixture *fx)
{
  g_autoptr (FsCache) cache = fs_test_open_cache (fx->cache_dir);

  hostile_gc_ok (cache);
  hostile_assert_consistent (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* Every prefix of a valid file                                              */

typedef struct {
  const char *rel;      /* the file, below the cache */
  const char *contents; /* NULL: whatever the library wrote */
} Prefix;

static const Prefix prefixes[] = {
  { "cache.info", NULL },
  { "cache.size", NULL },
  { "objects/e0/object.info", NULL },
  { "journal/size.intent", "txn uuid-0123456789abcdef0123456789abcdef 16384 24576 1\nrecount" },
  { "journal/uuid-0123456789abcdef0123456789abcdef", "1 remove 8192\ne0" },
  { "journal/uuid-fedcba9876543210fedcba9876543210", "1 store 8192\ne1" },
};

static void
test_every_prefix (HostileFixture *fx, gconstpointer user_data)
{
  const Prefix *p = user_data;
  g_autofree char *path = hostile_cache_path (fx, p->rel);
  g_autofree char *full = NULL;
  gsize len;

  hostile_make_cache (fx, 1000000, 3, 3000);
  if (p->contents != NULL)
    full = g_strdup (p->contents);
  else
    g_assert_true (g_file_get_contents (path, &full, NULL, NULL));
  len = strlen (full);
  hostile_tolerate_warnings (fx);

  for (gsize n = 0; n < len; n++)
    {
      g_autofree char *what = g_strdup_printf ("%s cut to %zu bytes", p->rel, n);
      if (n > 0)
        {
          /* a fresh cache for each length: survive() repairs what it can */
          hostile_reset_cache (fx);
          hostile_make_cache (fx, 1000000, 3, 3000);
        }
      fs_test_write_text (path, full, (gssize) n);
      survive (fx, what);
      assert_repaired (fx);
    }
  g_unlink (path);
  assert_repaired (fx);
}

/* ------------------------------------------------------------------------ */
/* Garbage                                                                   */

typedef struct {
  const char *name;
  const char *contents; /* special values below */
  gssize len;
} Garbage;

#define DEEP "(deep)"
#define HUGE_FILE "(huge)"
#define LONG_LINE "(long line)"

static const Garbage garbage[] = {
  { "empty", "", 0 },
  { "nul-bytes", "\0\0\0\0", 4 },
  { "nul-inside", "{\"version\": 1,\0 \"size\": 8192}", 30 },
  { "invalid-utf8", "{\"size\": 8192, \"x\": \"\xff\xfe\"}", -1 },
  { "bom", "\xef\xbb\xbf{\"version\": 1, \"size\": 8192}", -1 },
  { "deep-nesting", DEEP, -1 },
  { "one-megabyte", HUGE_FILE, -1 },
  { "one-long-line", LONG_LINE, -1 },
  { "array", "[1, 2, 3]", -1 },
  { "null", "null", -1 },
  { "string", "\"8192\"", -1 },
  { "negative", "-8192", -1 },
  { "float", "8192.5", -1 },
  { "exponent", "8.192e3", -1 },
  { "hex", "0x2000", -1 },
  { "leading-zeros", "0008192", -1 },
  { "huge-number", "184467440737095516160000", -1 },
  { "max-uint64", "18446744073709551615", -1 },
  { "max-int64", "9223372036854775807", -1 },
  { "object-huge-size",
    "{\"version\": 1, \"size\": 18446744073709551615, \"maximum-size\": 18446744073709551615}",
    -1 },
  { "object-max-int64",
    "{\"version\": 1, \"size\": 9223372036854775807, \"maximum-size\": 9223372036854775807}", -1 },
  { "object-negative", "{\"version\": -1, \"size\": -1, \"maximum-size\": -1}", -1 },
  { "object-wrong-types",
    "{\"version\": \"1\", \"size\": [8192], \"maximum-size\": {\"a\": 1}, \"creation-boot-id\": 5, \"fscache-low-watermark\": [], \"fscache-min-free-space\": {}, \"fscache-volatile\": \"yes\", \"fscache-shared\": 1}",
    -1 },
  { "object-nested-values", "{\"version\": {\"version\": 1}, \"size\": {\"size\": 8192}}", -1 },
  { "object-duplicate-keys", "{\"version\": 1, \"version\": 2, \"size\": 1, \"size\": 8192}", -1 },
  { "object-out-of-range",
    "{\"version\": 1, \"fscache-low-watermark\": 1000, \"fscache-min-free-space\": \"250%\", \"maximum-size\": 1e300}",
    -1 },
  { "object-comments", "/* c */ {\"version\": 1, \"size\": 8192} // c", -1 },
  { "trailing-garbage", "{\"version\": 1, \"size\": 8192} xyz", -1 },
  { "two-objects", "{\"version\": 1}{\"size\": 8192}", -1 },
  { "record-like", "1 remove 8192\ne0", -1 },
  { "record-huge-size", "1 remove 18446744073709551615\ne0", -1 },
  { "record-overflow", "1 store 99999999999999999999999\ne0", -1 },
  { "record-bad-name", "1 remove 8192\n../../outside", -1 },
  { "record-long-name", "1 remove 8192\n" LONG_LINE, -1 },
  { "record-no-name", "1 remove 8192\n", -1 },
  { "intent-like", "txn uuid-0123456789abcdef0123456789abcdef 0 18446744073709551615 1", -1 },
  { "intent-batch", "txn bat-0123456789abcdef0123456789abcdef 8192 0 0\nrecount", -1 },
  { "intent-bad-after", "txn uuid-0123456789abcdef0123456789abcdef 1 2 7", -1 },
  { "intent-short-uuid", "txn uuid-0123 1 2 1", -1 },
};

static char *
garbage_contents (const Garbage *g, gsize *out_len)
{
  GString *s;

  if (g_str_equal (g->contents, DEEP))
    {
      s = g_string_new (NULL);
      for (int i = 0; i < 200000; i++)
        g_string_append_c (s, '[');
    }
  else if (g_str_equal (g->contents, HUGE_FILE))
    {
      s = g_string_new ("{\"version\": 1, \"size\": 8192, \"pad\": \"");
      while (s->len < 1024 * 1024)
        g_string_append (s, "0123456789abcdef");
      g_string_append (s, "\"}");
    }
  else if (g_str_has_suffix (g->contents, LONG_LINE))
    {
      s = g_string_new_len (g->contents, (gssize) (strlen (g->contents) - strlen (LONG_LINE)));
      for (int i = 0; i < 100000; i++)
        g_string_append_c (s, 'x');
    }
  else
    {
      gsize len = g->len < 0 ? strlen (g->contents) : (gsize) g->len;
      s = g_string_new_len (g->contents, (gssize) len);
    }
  *out_len = s->len;
  return g_string_free (s, FALSE);
}

static const char *const garbage_targets[] = {
  "cache.info",
  "cache.size",
  "objects/e0/object.info",
  "journal/size.intent",
  "journal/uuid-0123456789abcdef0123456789abcdef",
  "journal/bat-0123456789abcdef0123456789abcdef",
  "objects/e1/object.lock",
  "CACHEDIR.TAG",
};

static void
test_garbage (HostileFixture *fx, gconstpointer user_data)
{
  const char *rel = user_data;
  g_autofree char *path = hostile_cache_path (fx, rel);

  hostile_make_cache (fx, 1000000, 3, 3000);
  hostile_tolerate_warnings (fx);
  for (gsize i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autofree char *contents = NULL;
      g_autofree char *what = g_strdup_printf ("%s holding %s", rel, garbage[i].name);
      gsize len;

      contents = garbage_contents (&garbage[i], &len);
      g_test_message ("%s", what);
      if (i > 0)
        {
          hostile_reset_cache (fx);
          hostile_make_cache (fx, 1000000, 3, 3000);
        }
      /* Written in place when there is a file, keeping its inode (an
       * object.lock is linked to its journal record). */
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          int fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);
          g_assert_cmpint (fd, >=, 0);
          g_assert_cmpint (write (fd, contents, len), ==, (gssize) len);
          close (fd);
        }
      else
        fs_test_write_text (path, contents, (gssize) len);
      survive (fx, what);
      if (!g_str_has_suffix (rel, "object.lock"))
        g_unlink (path);
      assert_repaired (fx);
    }
}

/* ------------------------------------------------------------------------ */
/* Oversized metadata (issue 11)                                             */

/* Metadata files are tiny; one longer than the parsers accept (64 KiB) is
 * corrupt like any other, never fatal (DESIGN §5.5): cache.size is
 * recounted and cache.info rewritten, each with one message (not a
 * warning: anyone who can write the cache can cause it), an entry whose
 * object.info is oversized is a miss, and oversized journal files are
 * treated as torn. Every store keeps working, including one that has to
 * evict (and so to recover the journal). */

#define META_LIMIT (64 * 1024)

typedef enum {
  BIG_GARBAGE,  /* 1 MiB of garbage */
  BIG_JSON,     /* a JSON object padded to 1 MiB */
  BIG_NESTED,   /* a JSON array nested 200,000 deep */
  NESTED_UNDER, /* nested 60,000 deep: under the size limit */
  JUST_OVER,    /* a valid file padded with spaces to 64 KiB + 1 */
} BigKind;

static const struct {
  BigKind kind;
  const char *name;
} big_kinds[] = {
  { BIG_GARBAGE, "garbage-1MiB" },    { BIG_JSON, "json-1MiB" },
  { BIG_NESTED, "nested-200000" },    { NESTED_UNDER, "nested-60000" },
  { JUST_OVER, "valid-but-64KiB+1" },
};

typedef struct {
  const char *rel;
  const char *valid; /* a valid content, for JUST_OVER */
  guint messages;    /* messages expected: the repair of a shared file */
} BigTarget;

static const BigTarget big_targets[] = {
  { "cache.size", "36864", 1 },
  { "cache.info", "{\"version\": 1, \"maximum-size\": 40000}", 1 },
  { "objects/e0/object.info",
    "{\"creation-boot-id\": \"00000000000040008000000000000000\", \"size\": 12288}", 0 },
  /* found at the idle open, which recounts anyway: no message */
  { "journal/size.intent", "idle", 0 },
  { "journal/uuid-0123456789abcdef0123456789abcdef", "1 remove 12288\ne9", 0 },
  { "journal/bat-0123456789abcdef0123456789abcdef", "uuid-0123456789abcdef0123456789abcdef\n", 0 },
};

typedef struct {
  guint warnings;
  guint messages;
} LogCount;

static void
count_log (const char *log_domain, GLogLevelFlags log_level, const char *message, gpointer data)
{
  LogCount *count = data;

  if (log_level & G_LOG_LEVEL_WARNING)
    count->warnings++;
  else
    count->messages++;
  g_test_message ("%s: %s", (log_level & G_LOG_LEVEL_WARNING) ? "warning" : "message", message);
}

static char *
big_contents (BigKind kind, const char *valid, gsize *out_len)
{
  GString *s = g_string_new (NULL);

  switch (kind)
    {
    case BIG_GARBAGE:
      while (s->len < 1024 * 1024)
        g_string_append (s, "garbage \x01\xff 0123456789 ");
      break;
    case BIG_JSON:
      g_string_append (s, "{\"version\": 1, \"size\": 8192, \"pad\": \"");
      while (s->len < 1024 * 1024)
        g_string_append (s, "0123456789abcdef");
      g_string_append (s, "\"}");
      break;
    case BIG_NESTED:
    case NESTED_UNDER:
      for (int i = 0; i < (kind == BIG_NESTED ? 200000 : 60000); i++)
        g_string_append_c (s, '[');
      break;
    case JUST_OVER:
      g_string_append (s, valid);
      while (s->len < META_LIMIT + 1)
        g_string_append_c (s, ' ');
      break;
    }
  *out_len = s->len;
  return g_string_free (s, FALSE);
}

static void
test_oversized (HostileFixture *fx, gconstpointer user_data)
{
  const BigTarget *t = user_data;
  g_autofree char *path = hostile_cache_path (fx, t->rel);
  gboolean is_e0_info = g_str_equal (t->rel, "objects/e0/object.info");

  for (gsize k = 0; k < G_N_ELEMENTS (big_kinds); k++)
    {
      g_autoptr (FsCache) cache = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (GListModel) list = NULL;
      g_autofree char *contents = NULL;
      LogCount count = { 0, 0 };
      FsCacheEntry *entry;
      int status;
      gsize len;

      g_test_message ("%s holding %s", t->rel, big_kinds[k].name);
      if (k > 0)
        hostile_reset_cache (fx);
      /* 3 entries of 12 KiB: the next store has to evict */
      hostile_make_cache (fx, 40000, 3, 6000);
      contents = big_contents (big_kinds[k].kind, t->valid, &len);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          /* in place: the file keeps its inode */
          int fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);
          g_assert_cmpint (fd, >=, 0);
          g_assert_cmpint (write (fd, contents, len), ==, (gssize) len);
          close (fd);
        }
      else
        fs_test_write_text (path, contents, (gssize) len);

      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
      fx->handler =
        g_log_set_handler ("FsCache", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, count_log, &count);

      cache = fs_cache_new_for_path (FS_TEST_APP_ID, fx->cache_dir, NULL, &error);
      g_assert_no_error (error);

      entry = fs_cache_load (cache, "e0", NULL, &error);
      if (is_e0_info)
        {
          g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
          g_clear_error (&error);
        }
      else
        g_assert_no_error (error);
      g_clear_object (&entry);
      entry = fs_cache_load (cache, "e1", NULL, &error);
      g_assert_no_error (error);
      g_clear_object (&entry);

      list = fs_cache_list (cache, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_list_model_get_n_items (list), ==, is_e0_info ? 2 : 3);

      /* cache.info was rewritten from defaults: no maximum size, nothing is
       * kept until one is set again. */
      if (g_str_equal (t->rel, "cache.info"))
        {
          g_autoptr (FsCacheInfo) info = fs_test_dup_info (cache);
          g_assert_false (fs_cache_info_has_maximum_size (info));
          fs_test_set_maximum_size (cache, 40000);
        }

      /* a store that fits, then two that have to evict */
      for (int i = 0; i < 3; i++)
        {
          g_autofree char *name = g_strdup_printf ("new%d", i);
          status = hostile_try_store (cache, name, i == 0 ? 100 : 6000, &error);
          g_assert_no_error (error);
          g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
        }
      hostile_gc_ok (cache);
      fs_cache_close (cache);
      g_clear_object (&cache);

      /* The damage is repaired, not kept: a shared file is small again. */
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        {
          struct stat st;
          g_assert_cmpint (lstat (path, &st), ==, 0);
          g_assert_cmpint (st.st_size, <=, 4096);
        }
      hostile_assert_consistent (fx->cache_dir);

      g_log_remove_handler ("FsCache", fx->handler);
      fx->handler = 0;
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
      g_test_message ("%u warnings, %u messages", count.warnings, count.messages);
      g_assert_cmpuint (count.warnings, ==, 0);
      /* One message for a repair of a shared file; the nested file under the
       * size limit is corrupt the same way. */
      g_assert_cmpuint (count.messages, ==, t->messages);
    }
}

/* A writer died in a size transaction over a batch of records whose list
 * (journal/bat-X) is oversized: whoever resolves the intent can't fix the
 * flags of the records it names, so it asks for a recount, and the next
 * idle open makes the counter exact again — without a garbage collection. */
static void
test_oversized_pending_batch (HostileFixture *fx, gconstpointer user_data)
{
  g_autofree char *batch = hostile_cache_path (fx, "journal/bat-0123456789abcdef0123456789abcdef");
  g_autofree char *intent = hostile_cache_path (fx, "journal/size.intent");
  g_autofree char *size_file = hostile_cache_path (fx, "cache.size");
  g_autoptr (FsCache) holder = NULL;
  g_autoptr (FsCacheEntry) entry = NULL;
  g_autofree char *text = NULL;
  g_autofree char *list = NULL;
  FsCacheCommitStatus status;
  guint64 sum, wrong;
  gsize len;

  hostile_make_cache (fx, FS_CACHE_SIZE_UNLIMITED, 3, 3000);
  sum = fs_test_sum_object_sizes (fx->cache_dir);
  /* Held open: nothing below runs at an idle open. */
  holder = fs_test_open_cache (fx->cache_dir);

  wrong = sum + 8192;
  text = g_strdup_printf ("%" G_GUINT64_FORMAT, wrong);
  fs_test_write_text (size_file, text, -1);
  g_free (text);
  text = g_strdup_printf ("txn bat-0123456789abcdef0123456789abcdef %" G_GUINT64_FORMAT
                          " %" G_GUINT64_FORMAT " 0",
                          wrong, sum);
  fs_test_write_text (intent, text, -1);
  list = big_contents (JUST_OVER, "uuid-fedcba9876543210fedcba9876543210\n", &len);
  fs_test_write_text (batch, list, (gssize) len);

  /* A store resolves the intent (the counter still holds "old") and adds. */
  entry = fs_test_store_commit (holder, "new", 3000, &status);
  g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
  g_clear_object (&entry);
  fs_cache_close (holder);
  g_clear_object (&holder);

  /* The next idle open recounts. */
  {
    g_autoptr (FsCache) cache = fs_test_open_cache (fx->cache_dir);
    g_assert_cmpuint (fs_test_read_cache_size (fx->cache_dir), ==,
                      fs_test_sum_object_sizes (fx->cache_dir));
    hostile_gc_ok (cache);
  }
  hostile_assert_consistent (fx->cache_dir);
}

/* A FIFO planted as an object.info: reading it must not hang the reader;
 * the entry is a miss, and garbage collection removes it. */
static void
test_fifo_object_info (HostileFixture *fx, gconstpointer user_data)
{
  g_autofree char *path = hostile_cache_path (fx, "objects/e0/object.info");
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) list = NULL;
  FsCacheEntry *entry;

  hostile_make_cache (fx, 1000000, 3, 3000);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (mkfifo (path, 0644), ==, 0);
  cache = fs_test_open_cache (fx->cache_dir);

  entry = fs_cache_load (cache, "e0", NULL, &error);
  g_assert_null (entry);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
  g_clear_error (&error);
  list = fs_cache_list (cache, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 2);
  g_assert_cmpint (hostile_try_store (cache, "new", 3000, &error), ==, FS_CACHE_COMMIT_STORED);
  g_assert_no_error (error);
  hostile_gc_ok (cache);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  hostile_assert_consistent (fx->cache_dir);
}

/* ------------------------------------------------------------------------ */
/* Shapes: files where folders belong and the reverse                        */

typedef struct {
  const char *rel;
  gboolean make_dir; /* TRUE: a folder where a file belongs */
} Shape;

static const Shape shapes[] = {
  { "objects", FALSE },
  { "stage", FALSE },
  { "journal", FALSE },
  { "cache.info", TRUE },
  { "cache.size", TRUE },
  { "cache.lock", TRUE },
  { "CACHEDIR.TAG", TRUE },
  { "journal/size.intent", TRUE },
  { "journal/evict.lock", TRUE },
  { "objects/e0", FALSE },
  { "objects/e0/data", FALSE },
  { "objects/e0/object.info", TRUE },
  { "objects/e0/object.lock", TRUE },
  { "objects/uuid-0123456789abcdef0123456789abcdef", FALSE },
  { "objects/uuid-0123456789abcdef0123456789abcdef/object.lock", TRUE },
  { "stage/uuid-0123456789abcdef0123456789abcdef", FALSE },
  { "stage/uuid-0123456789abcdef0123456789abcdef/object.lock", TRUE },
  { "journal/bat-0123456789abcdef0123456789abcdef", TRUE },
};

static void
test_shape (HostileFixture *fx, gconstpointer user_data)
{
  const Shape *shape = user_data;
  g_autofree char *path = hostile_cache_path (fx, shape->rel);
  g_autofree char *parent = g_path_get_dirname (path);

  hostile_make_cache (fx, 1000000, 3, 3000);
  fs_test_rm_rf (path);
  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  if (shape->make_dir)
    {
      g_autofree char *inside = g_build_filename (path, "inside", NULL);
      g_assert_cmpint (g_mkdir_with_parents (inside, 0755), ==, 0);
    }
  else
    fs_test_write_text (path, "a file where a folder belongs\n", -1);
  hostile_tolerate_warnings (fx);
  survive (fx, shape->rel);

  /* Once the damage is undone, all is well again. */
  fs_test_rm_rf (path);
  assert_repaired (fx);
}

/* A planted record the library can't open (a folder, a link) must not stop
 * recovery, and so eviction, for good. */
static void
test_record_folder_blocks_nothing (HostileFixture *fx, gconstpointer user_data)
{
  g_autofree char *record =
    hostile_cache_path (fx, "journal/uuid-0123456789abcdef0123456789abcdef");
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;
  guint stored = 0;

  hostile_make_cache (fx, 40000, 4, 6000);
  g_assert_cmpint (g_mkdir (record, 0755), ==, 0);
  hostile_tolerate_warnings (fx);
  cache = fs_test_open_cache (fx->cache_dir);

  /* The cache is full: each store has to evict (and so to recover). */
  for (int i = 0; i < 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("n%d", i);
      int status = hostile_try_store (cache, name, 6000, &error);
      g_assert_no_error (error);
      if (status == FS_CACHE_COMMIT_STORED)
        stored++;
    }
  g_assert_cmpuint (stored, ==, 8);
  hostile_gc_ok (cache);
}

/* A forged record that claims a live entry was being removed: recovery may
 * not delete the entry (it is whole and at its name), and the accounting
 * must be exact after an idle garbage collection. */
static void
test_forged_records (HostileFixture *fx, gconstpointer user_data)
{
  static const char *const forged[] = {
    "1 remove 8192\ne0",
    "1 store 8192\ne1",
    "0 remove 8192\ne2",
    "1 remove 4096\nnonexistent",
    "1 store 18446744073709551615\ne0",
  };
  g_autoptr (FsCache) cache = NULL;
  g_autoptr (GError) error = NULL;

  hostile_make_cache (fx, 1000000, 3, 3000);
  for (gsize i = 0; i < G_N_ELEMENTS (forged); i++)
    {
      g_autofree char *name = g_strdup_printf ("journal/uuid-%032zx", i + 1);
      g_autofree char *path = hostile_cache_path (fx, name);
      fs_test_write_text (path, forged[i], -1);
    }
  hostile_tolerate_warnings (fx);
  cache = fs_test_open_cache (fx->cache_dir);
  hostile_gc_ok (cache);
  hostile_assert_consistent (fx->cache_dir);
  /* the entries the records name are still there, whole */
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%d", i);
      g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, name, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (entry);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hostile/corrupt/every-prefix/%s", prefixes[i].rel);
      g_test_add (path, HostileFixture, &prefixes[i], hostile_setup, test_every_prefix,
                  hostile_teardown);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (garbage_targets); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hostile/corrupt/garbage/%s", garbage_targets[i]);
      g_test_add (path, HostileFixture, garbage_targets[i], hostile_setup, test_garbage,
                  hostile_teardown);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (big_targets); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hostile/corrupt/oversized/%s", big_targets[i].rel);
      g_test_add (path, HostileFixture, &big_targets[i], hostile_setup, test_oversized,
                  hostile_teardown);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autofree char *path = g_strdup_printf ("/hostile/shape/%s-%s", shapes[i].rel,
                                               shapes[i].make_dir ? "is-a-folder" : "is-a-file");
      g_test_add (path, HostileFixture, &shapes[i], hostile_setup, test_shape, hostile_teardown);
    }
  g_test_add ("/hostile/corrupt/oversized/pending-batch", HostileFixture, NULL, hostile_setup,
              test_oversized_pending_batch, hostile_teardown);
  g_test_add ("/hostile/shape/objects/e0/object.info-is-a-fifo", HostileFixture, NULL,
              hostile_setup, test_fifo_object_info, hostile_teardown);
  g_test_add ("/hostile/shape/journal-record-is-a-folder", HostileFixture, NULL, hostile_setup,
              test_record_folder_blocks_nothing, hostile_teardown);
  g_test_add ("/hostile/corrupt/forged-records", HostileFixture, NULL, hostile_setup,
              test_forged_records, hostile_teardown);
  return g_test_run ();
}
