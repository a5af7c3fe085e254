/* fs-cache-manage.c: FsCache's methods for people who manage a cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The thin public faces (docs/architecture.md) of statistics
 * (fs-stats.c), pins (fs-pin.c), pruning by size, count and age
 * (fs-evict.c), one entry described (fs-load.c, fs-pin.c) and single
 * flight (fs-flight.c): each checks its arguments, turns a closed or
 * incompatible cache into its error and calls the protocol. Their
 * _async/_finish pairs are in fs-cache-manage-async.c.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fs-cache-private.h"
#include "fs-cache-stats-private.h"

/* ---- statistics ---- */

/**
 * fs_cache_get_stats:
 * @self: an #FsCache
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads the statistics of the cache: hits, misses, commits by status,
 * evictions and removals, counted by every process that uses the cache
 * (see [class@FsCache.CacheStats]). What this process counted is written
 * first, so it is included.
 *
 * Counting costs a load or a store no lock and no system call: each
 * process counts in memory and adds its counts to the cache's about once
 * a second when it works, and when it closes the cache. It reads from the
 * disk: in a main loop, use fs_cache_get_stats_async().
 *
 * Returns: (transfer full): the statistics, or %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheStats *
fs_cache_get_stats (FsCache *self, GCancellable *cancellable, GError **error)
{
  guint64 values[FS_STAT_N];
  gint64 since;
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((store = _fs_cache_open_store (self, error)) == NULL ||
      _fs_cancellable_set_error (cancellable, error))
    return NULL;
  if (!_fs_stats_read (store->stats, values, &since, error))
    return NULL;
  return _fs_cache_stats_new (values, since);
}

/**
 * fs_cache_zero_stats:
 * @self: an #FsCache
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sets every counter of the statistics of the cache to 0; they count from
 * now on ([property@FsCache.CacheStats:since]). What other processes
 * counted in the last second and did not write yet is added afterwards.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.1
 */
gboolean
fs_cache_zero_stats (FsCache *self, GCancellable *cancellable, GError **error)
{
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((store = _fs_cache_open_store (self, error)) == NULL ||
      !_fs_store_check_writable (store, error) || _fs_cancellable_set_error (cancellable, error))
    return FALSE;
  return _fs_stats_zero (store->stats, error);
}
