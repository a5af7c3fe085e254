/* fs-cache-stats.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "fs-cache-stats-private.h"

/**
 * FsCacheStats:
 *
 * The statistics of a cache, as [method@FsCache.Cache.get_stats] read them:
 * counters shared by every process that uses the cache — hits, misses,
 * commits by status, evictions, removals, and the traffic of the remote
 * tier — counted since [property@FsCache.CacheStats:since] (when they
 * were last zeroed with [method@FsCache.Cache.zero_stats]).
 *
 * A snapshot: the object does not change. The counts of a process that
 * is still running reach the disk about once a second and when it closes
 * the cache, so the counts of a busy cache lag by a second or so; a
 * process killed loses its last second of counts, never more.
 *
 * osbuild does not count: what it does to a shared cache is not in the
 * statistics.
 *
 * Since: 1.1
 */

struct _FsCacheStats {
  GObject parent_instance;

  guint64 values[FS_STAT_N];
  GDateTime *since;
};

/* One property per counter, in the order of FsStat, then these. */
enum { PROP_0, PROP_SINCE = FS_STAT_N + 1, PROP_HIT_RATIO, N_PROPS };

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FsCacheStats, fs_cache_stats, G_TYPE_OBJECT)

static void
fs_cache_stats_finalize (GObject *object)
{
  FsCacheStats *self = FS_CACHE_STATS (object);

  g_clear_pointer (&self->since, g_date_time_unref);

  G_OBJECT_CLASS (fs_cache_stats_parent_class)->finalize (object);
}

static void
fs_cache_stats_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FsCacheStats *self = FS_CACHE_STATS (object);

  if (prop_id >= 1 && prop_id <= FS_STAT_N)
    g_value_set_uint64 (value, self->values[prop_id - 1]);
  else if (prop_id == PROP_SINCE)
    g_value_set_boxed (value, self->since);
  else if (prop_id == PROP_HIT_RATIO)
    g_value_set_double (value, fs_cache_stats_get_hit_ratio (self));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
fs_cache_stats_class_init (FsCacheStatsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fs_cache_stats_finalize;
  object_class->get_property = fs_cache_stats_get_property;

  /**
   * FsCacheStats:hits:
   *
   * Loads that found their entry (including fs_cache_load_or_store()
   * calls that got a committed entry, after waiting or not).
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:misses:
   *
   * Loads that did not find their entry (including
   * fs_cache_load_or_store() calls that returned an entry to fill).
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:stored:
   *
   * Commits that stored their entry (%FS_CACHE_COMMIT_STORED).
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:exists:
   *
   * Commits that found the name taken by another writer
   * (%FS_CACHE_COMMIT_EXISTS).
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:too-large:
   *
   * Commits declined as larger than the maximum size, or because the
   * maximum size is 0 (%FS_CACHE_COMMIT_TOO_LARGE).
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:no-space:
   *
   * Commits declined because eviction could not make room
   * (%FS_CACHE_COMMIT_NO_SPACE).
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:incompatible:
   *
   * Commits declined because the cache has another format version
   * (%FS_CACHE_COMMIT_INCOMPATIBLE). Such a cache is never changed, so
   * its statistics are never written: this counter is there for the
   * sum of several caches, and stays 0 in the statistics of one.
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:evicted:
   *
   * Entries evicted: least recently used ones to make room for a
   * commit, when the maximum size was lowered, and by fs_cache_prune()
   * and fs_cache_prune_full().
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:evicted-bytes:
   *
   * The space the evicted entries held, in bytes.
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:removed:
   *
   * Entries removed by name (fs_cache_remove()).
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:remote-hits:
   *
   * Pulls (fs_cache_pull(), or fs_cache_load_full() with
   * %FS_CACHE_LOAD_REMOTE after a local miss) that got the whole entry
   * from the remote, every content checked, whatever the local commit
   * then did with it. A pulled entry counts here, not in
   * [property@FsCache.CacheStats:stored], and the load that pulled it
   * counts a miss, not a hit.
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:remote-misses:
   *
   * Pulls that asked the remote and did not get the entry because the
   * remote does not have it. A pull the remote failed counts in
   * [property@FsCache.CacheStats:remote-errors]; a cancelled pull counts
   * nowhere.
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:remote-bytes-up:
   *
   * Bytes sent to the remote (bodies of `PUT` requests, compressed ones
   * as sent), by pushes that succeeded or failed.
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:remote-bytes-down:
   *
   * Bytes received from the remote (bodies of `GET` responses, as
   * received), by pulls that succeeded or failed.
   *
   * Since: 1.1
   */
  /**
   * FsCacheStats:remote-errors:
   *
   * Pulls and pushes that the remote failed: down, too slow, refusing,
   * or sending something missing or corrupt. Such a pull is a miss for
   * the load that asked (see [property@FsCache.CacheStats:misses]), never
   * an error of it. A cancelled transfer counts nowhere.
   *
   * Since: 1.1
   */
  for (guint i = 0; i < FS_STAT_N; i++)
    properties[i + 1] = g_param_spec_uint64 (_fs_stats_key ((FsStat) i), NULL, NULL, 0, G_MAXUINT64,
                                             0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheStats:since:
   *
   * Since when the cache counts: when its statistics were last zeroed, or
   * first written; %NULL when nothing was counted yet.
   *
   * Since: 1.1
   */
  properties[PROP_SINCE] = g_param_spec_boxed ("since", NULL, NULL, G_TYPE_DATE_TIME,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheStats:hit-ratio:
   *
   * The share of loads that hit, from 0 to 1: hits / (hits + misses); 0
   * when there was no load.
   *
   * Since: 1.1
   */
  properties[PROP_HIT_RATIO] = g_param_spec_double ("hit-ratio", NULL, NULL, 0.0, 1.0, 0.0,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fs_cache_stats_init (FsCacheStats *self)
{
}

FsCacheStats *
_fs_cache_stats_new (const guint64 values[FS_STAT_N], gint64 since)
{
  FsCacheStats *self = g_object_new (FS_TYPE_CACHE_STATS, NULL);

  memcpy (self->values, values, sizeof self->values);
  if (since > 0)
    self->since = g_date_time_new_from_unix_utc (since);
  return self;
}

/**
 * fs_cache_stats_get_hits:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:hits].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_hits (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_HIT];
}

/**
 * fs_cache_stats_get_misses:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:misses].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_misses (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_MISS];
}

/**
 * fs_cache_stats_get_stored:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:stored].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_stored (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_STORED];
}

/**
 * fs_cache_stats_get_exists:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:exists].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_exists (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_EXISTS];
}

/**
 * fs_cache_stats_get_too_large:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:too-large].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_too_large (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_TOO_LARGE];
}

/**
 * fs_cache_stats_get_no_space:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:no-space].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_no_space (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_NO_SPACE];
}

/**
 * fs_cache_stats_get_incompatible:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:incompatible].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_incompatible (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_INCOMPATIBLE];
}

/**
 * fs_cache_stats_get_evicted:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:evicted].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_evicted (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_EVICTED];
}

/**
 * fs_cache_stats_get_evicted_bytes:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:evicted-bytes].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_evicted_bytes (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_EVICTED_BYTES];
}

/**
 * fs_cache_stats_get_removed:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:removed].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_removed (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_REMOVED];
}

/**
 * fs_cache_stats_get_remote_hits:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:remote-hits].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_remote_hits (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_REMOTE_HIT];
}

/**
 * fs_cache_stats_get_remote_misses:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:remote-misses].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_remote_misses (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_REMOTE_MISS];
}

/**
 * fs_cache_stats_get_remote_errors:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:remote-errors].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_remote_errors (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_REMOTE_ERROR];
}

/**
 * fs_cache_stats_get_remote_bytes_up:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:remote-bytes-up].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_remote_bytes_up (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_REMOTE_BYTES_UP];
}

/**
 * fs_cache_stats_get_remote_bytes_down:
 * @self: an #FsCacheStats
 *
 * The value of [property@FsCache.CacheStats:remote-bytes-down].
 *
 * Returns: the count
 *
 * Since: 1.1
 */
guint64
fs_cache_stats_get_remote_bytes_down (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0);
  return self->values[FS_STAT_REMOTE_BYTES_DOWN];
}

/**
 * fs_cache_stats_get_hit_ratio:
 * @self: an #FsCacheStats
 *
 * The share of loads that hit: see [property@FsCache.CacheStats:hit-ratio].
 *
 * Returns: hits / (hits + misses), from 0 to 1; 0 when there was no load
 *
 * Since: 1.1
 */
double
fs_cache_stats_get_hit_ratio (FsCacheStats *self)
{
  double hits, misses;

  g_return_val_if_fail (FS_IS_CACHE_STATS (self), 0.0);

  hits = (double) self->values[FS_STAT_HIT];
  misses = (double) self->values[FS_STAT_MISS];
  return hits + misses > 0.0 ? hits / (hits + misses) : 0.0;
}

/**
 * fs_cache_stats_get_since:
 * @self: an #FsCacheStats
 *
 * Since when the cache counts: see [property@FsCache.CacheStats:since].
 *
 * Returns: (transfer none) (nullable): the time, or %NULL when nothing was
 *   counted yet
 *
 * Since: 1.1
 */
GDateTime *
fs_cache_stats_get_since (FsCacheStats *self)
{
  g_return_val_if_fail (FS_IS_CACHE_STATS (self), NULL);
  return self->since;
}
