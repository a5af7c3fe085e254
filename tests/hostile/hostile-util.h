/* hostile-util.h: fixtures of the hostile-input tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every test gets a temporary directory holding the cache (cache/) and an
 * "outside" tree standing for the rest of the system (outside/: a file
 * standing for /etc/passwd, a directory that looks like a valid cache entry,
 * a file standing for a lock elsewhere). Teardown asserts that nothing
 * outside the cache changed: same files, same contents, same modes, same
 * times (ctime included, so even a chmod or a futimens through a link is
 * caught), and nothing new created beside the cache.
 */

#pragma once

#include "fs-test-util.h"

G_BEGIN_DECLS

typedef struct {
  char *tmpdir;
  char *cache_dir;
  char *outside;    /* tmpdir/outside */
  char *passwd;     /* outside/etc/passwd: a file that must never change */
  char *lockfile;   /* outside/lockfile: a file standing for a lock elsewhere */
  char *fake_entry; /* outside/entry: looks like a committed entry */
  char *fake_data;  /* outside/entry/data */
  char *before;     /* snapshot of everything but cache/ */
  char *before_times;
  guint warnings;
  guint handler;
} HostileFixture;

void hostile_setup (HostileFixture *fx, gconstpointer user_data);
void hostile_teardown (HostileFixture *fx, gconstpointer user_data);
/* Asserts that nothing outside the cache changed since setup. */
void hostile_assert_outside_unchanged (HostileFixture *fx);

/* Lets warnings of the library through (hostile input may warn: it must
 * never crash or emit a critical). Counted in the fixture. */
void hostile_tolerate_warnings (HostileFixture *fx);

/* A cache at fx->cache_dir with the given maximum size, with @n entries
 * "e0", "e1"… of @bytes each; closed again. */
void hostile_make_cache (HostileFixture *fx, guint64 maximum, guint n, gsize bytes);

/* Removes everything inside fx->cache_dir (the folder itself stays). */
void hostile_reset_cache (HostileFixture *fx);

/* Stores @name (one file of @bytes) and commits: the status, or -1 with
 * @error set when the store or the commit failed. */
int hostile_try_store (FsCache *cache, const char *name, gsize bytes, GError **error);

/* Runs every operation of the API once on @cache, with @name where one is
 * needed, asserting nothing but that each returns (a result or a GError) —
 * hostile input may make them fail, never crash. */
void hostile_exercise (FsCache *cache, const char *name);

/* cache.size equals the sum of the sizes in the object.info of the real
 * directories of objects/ (symlinks are not entries, and a link is never
 * followed to read one), and no uuid-* is left in objects/, stage/ or
 * journal/. */
void hostile_assert_consistent (const char *cache_dir);

/* Every sub-path of the cache directory, with its type, for comparisons. */
char *hostile_cache_listing (const char *cache_dir);

/* @rel below the cache directory of @fx. */
char *hostile_cache_path (HostileFixture *fx, const char *rel);

/* Collects garbage in @cache, asserting it succeeds. */
void hostile_gc_ok (FsCache *cache);

G_END_DECLS
