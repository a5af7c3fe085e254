/* fs-stats-private.h: the statistics of a cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Counters shared by every process of a cache (hits, misses, stores by
 * status, evictions, removals, the remote tier's traffic). Each open cache
 * (FsStore) counts in memory, with atomics, and adds what it counted to a
 * shard file under stats/ at most about once a second when an operation
 * happens, and when it is closed: see fs-stats.c. A leaf: it knows a
 * directory descriptor and nothing else of caches.
 *
 * Counting, from any floor that holds the store:
 *
 *   _fs_stats_add (store->stats, FS_STAT_REMOTE_HIT, 1);
 *   _fs_stats_add (store->stats, FS_STAT_REMOTE_BYTES_DOWN, n_bytes);
 *
 * costs two atomic additions and, now and then, a clock read: never a
 * lock or a system call of its own on the path of a load or a store.
 */

#pragma once

#include <gio/gio.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* The counters. Their order is the order of the lines of a shard file and
 * of FsCacheStats's properties; a new counter goes at the end. */
typedef enum {
  FS_STAT_HIT,               /* a load found the entry */
  FS_STAT_MISS,              /* a load did not */
  FS_STAT_STORED,            /* a commit stored its entry */
  FS_STAT_EXISTS,            /* ... found the name taken */
  FS_STAT_TOO_LARGE,         /* ... was larger than the maximum size */
  FS_STAT_NO_SPACE,          /* ... found no room even after evicting */
  FS_STAT_INCOMPATIBLE,      /* ... was in a cache of another format version */
  FS_STAT_EVICTED,           /* entries evicted (LRU, by age, by count, prune) */
  FS_STAT_EVICTED_BYTES,     /* the space they held */
  FS_STAT_REMOVED,           /* entries removed by name */
  FS_STAT_REMOTE_HIT,        /* a pull found the entry on the remote */
  FS_STAT_REMOTE_MISS,       /* ... did not */
  FS_STAT_REMOTE_BYTES_UP,   /* bytes pushed to the remote */
  FS_STAT_REMOTE_BYTES_DOWN, /* bytes pulled from it */
  FS_STAT_REMOTE_ERROR,      /* a pull or push that failed: remote down, slow or wrong */
  FS_STAT_N,
} FsStat;

/* The folder of the shards, at the top of the cache (osbuild ignores it). */
#define FS_DIR_STATS "stats"
/* How many shard files: a process writes to shard pid % FS_STATS_SHARDS. */
#define FS_STATS_SHARDS 16

typedef struct _FsStats FsStats;

/* Counts in memory only, until attached. */
FsStats *_fs_stats_new (void);
/* Writes what was counted (_fs_stats_flush()) and frees. */
void _fs_stats_free (FsStats *self);

/* From now on, counts go to @dir_fd/stats/ (borrowed: it must outlive
 * @self); @path names the cache in messages. @shared: make the files
 * group-writable (a cache shared by a group); @umask: the process's. */
void _fs_stats_attach (FsStats *self, int dir_fd, const char *path, gboolean shared, mode_t umask);
/* The cache became shared: later files are group-writable, and the folder
 * and its shards are made so now. */
void _fs_stats_set_shared (FsStats *self);

/* Adds @n to counter @stat: in memory, and to the shard now and then. */
void _fs_stats_add (FsStats *self, FsStat stat, guint64 n);

/* Tests only: the least time between two writes of the counts when
 * operations happen (default: a second). */
void _fs_stats_set_interval (FsStats *self, gint64 usec);

/* Adds what this process counted and has not written yet to its shard,
 * under the shard's lock. What can't be written stays counted for later. */
gboolean _fs_stats_flush (FsStats *self, GError **error);

/* The sum of every shard, this process's counts flushed first; @out_since
 * the oldest time (unix seconds) a shard started counting from, 0 when no
 * shard exists yet. */
gboolean _fs_stats_read (FsStats *self,
                         guint64 out_values[FS_STAT_N],
                         gint64 *out_since,
                         GError **error);

/* Zeroes every shard under its lock, and what this process counted; the
 * shards count from now on. */
gboolean _fs_stats_zero (FsStats *self, GError **error);

/* The name of @stat in a shard file and in JSON ("hits", "too-large", …). */
const char *_fs_stats_key (FsStat stat);

/* Parses the text of a shard into @values and *@out_since (what it can't
 * read counts 0); @out_other, when not NULL, gets the lines it does not
 * know, to be kept. */
void _fs_stats_parse (const char *data,
                      gsize len,
                      guint64 values[FS_STAT_N],
                      gint64 *out_since,
                      GString *out_other);
/* The text of a shard: fixed-width lines, @other (lines of a newer
 * version) kept at the end. */
char *_fs_stats_format (const guint64 values[FS_STAT_N],
                        gint64 since,
                        const char *other,
                        gsize *out_len);

G_END_DECLS
