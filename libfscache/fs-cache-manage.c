/* fs-cache-manage.c: FsCache's methods for people who manage a cache
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The thin public faces (docs/architecture.md) of statistics
 * (fs-stats.c), pins (fs-pin.c), pruning by size, count and age
 * (fs-evict.c), garbage collection (fs-gc.c), one entry described
 * (fs-load.c, fs-pin.c) and single flight (fs-flight.c): each checks its
 * arguments, turns a closed or incompatible cache into its error and
 * calls the protocol. Their _async/_finish pairs are in
 * fs-cache-manage-async.c, and for the 1.0 calls (fs_cache_prune(),
 * fs_cache_collect_garbage()) in fs-cache-async.c.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fs-cache-item-private.h"
#include "fs-cache-private.h"
#include "fs-cache-stats-private.h"
#include "fs-evict-private.h"
#include "fs-flight-private.h"
#include "fs-gc-private.h"
#include "fs-integrity-private.h"
#include "fs-load-private.h"
#include "fs-pin-private.h"
#include "fs-remote-pull-private.h"

/* ---- prune and garbage collection ---- */

/**
 * fs_cache_prune:
 * @self: an #FsCache
 * @target_size: the space the committed entries may use afterwards, in bytes
 * @flags: flags
 * @out_entries: (out) (optional): how many entries were (or would be) evicted
 * @out_bytes: (out) (optional): how many bytes they held
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Evicts least recently used entries until the cache uses at most
 * @target_size. Entries in use and pinned entries are skipped, so the
 * target may not be reached. With %FS_CACHE_MAINTENANCE_DRY_RUN, only
 * reports. fs_cache_prune_full() also prunes by age and by count, and
 * names the entries.
 *
 * The space used is the sum of the sizes of the entries, not the size
 * counter, which drifts in a cache shared with osbuild: a target of 0
 * removes every entry not in use whatever the counter says. A counter found
 * to disagree is recounted at once when nobody else has the cache open;
 * else fs_cache_collect_garbage_full() corrects it once nobody has.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_prune (FsCache *self,
                guint64 target_size,
                FsCacheMaintenanceFlags flags,
                guint *out_entries,
                guint64 *out_bytes,
                GCancellable *cancellable,
                GError **error)
{
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((store = _fs_cache_open_store (self, error)) == NULL ||
      !_fs_store_check_writable (store, error))
    return FALSE;
  return _fs_evict_prune (store, target_size, (flags & FS_CACHE_MAINTENANCE_DRY_RUN) != 0,
                          out_entries, out_bytes, cancellable, error);
}

/**
 * fs_cache_collect_garbage:
 * @self: an #FsCache
 * @flags: flags
 * @out_removed: (out) (optional): how many leftovers were (or would be) removed
 * @out_reclaimed: (out) (optional): the space they used, in bytes
 * @out_correction: (out) (optional): by how much the size counter was (or
 *   would be) corrected
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Removes what crashed users left: finishes or undoes their interrupted
 * operations (accounting included), removes staging entries, anonymous
 * entries and temporary files whose lock nobody holds, and named entries
 * without valid metadata. When nobody else has the cache open, also
 * recounts the size counter exactly (a dry run measures by how much it is
 * off). Entries a live process holds, of this library or of osbuild, are
 * never touched.
 *
 * This is fs_cache_collect_garbage_full() without waiting: use that to know
 * whether the counter could be checked, or to wait until it can.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
fs_cache_collect_garbage (FsCache *self,
                          FsCacheMaintenanceFlags flags,
                          guint *out_removed,
                          guint64 *out_reclaimed,
                          gint64 *out_correction,
                          GCancellable *cancellable,
                          GError **error)
{
  FsCacheGcFlags gc_flags = FS_CACHE_GC_NONE;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (flags & FS_CACHE_MAINTENANCE_DRY_RUN)
    gc_flags |= FS_CACHE_GC_DRY_RUN;
  return fs_cache_collect_garbage_full (self, gc_flags, 0, out_removed, out_reclaimed,
                                        out_correction, NULL, cancellable, error);
}

/**
 * fs_cache_collect_garbage_full:
 * @self: an #FsCache
 * @flags: flags
 * @timeout_msec: with %FS_CACHE_GC_WAIT_IDLE, how long to wait for the
 *   cache to be idle, in milliseconds (0: not at all), or -1 to wait until
 *   @cancellable is cancelled; ignored without it
 * @out_removed: (out) (optional): how many leftovers were (or would be) removed
 * @out_reclaimed: (out) (optional): the space they used, in bytes
 * @out_correction: (out) (optional): by how much the size counter was (or
 *   would be) corrected, in bytes: positive when it counted too little; 0
 *   when it was not checked
 * @out_counter_checked: (out) (optional): whether the size counter was
 *   checked against the entries: %FALSE when another process (or another
 *   thread of this one) had the cache open, so the check was skipped
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Collects garbage as fs_cache_collect_garbage() does, and tells whether
 * the size counter could be checked.
 *
 * The size counter (`cache.size`) drifts when the cache is shared with
 * osbuild, whose removals take more off it than its commits added. Only
 * when nobody else has the cache open does the sum of the entries' sizes
 * say exactly what the counter must be: then the counter is recounted (a
 * dry run only measures by how much it is off, cheaply). While another
 * process holds the cache open — osbuild does for a whole build — the check
 * is skipped and @out_counter_checked is %FALSE. With
 * %FS_CACHE_GC_WAIT_IDLE the call first waits, up to @timeout_msec, for the
 * cache to be idle; if it does not become idle in time, garbage is still
 * collected and @out_counter_checked is %FALSE. Waiting callers do not
 * keep each other waiting; while one waits, commits and removals of other
 * threads on @self may be held up for a tenth of a second at a time.
 *
 * Returns: %TRUE on success; %FALSE with @error set on failure or when
 *   cancelled while waiting
 *
 * Since: 1.1
 */
gboolean
fs_cache_collect_garbage_full (FsCache *self,
                               FsCacheGcFlags flags,
                               int timeout_msec,
                               guint *out_removed,
                               guint64 *out_reclaimed,
                               gint64 *out_correction,
                               gboolean *out_counter_checked,
                               GCancellable *cancellable,
                               GError **error)
{
  FsGcResult result;
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (timeout_msec >= -1, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((store = _fs_cache_open_store (self, error)) == NULL)
    return FALSE;
  if (!_fs_gc_run (store, (flags & FS_CACHE_GC_DRY_RUN) != 0,
                   (flags & FS_CACHE_GC_WAIT_IDLE) ? timeout_msec : 0, &result, cancellable, error))
    return FALSE;
  if (out_removed != NULL)
    *out_removed = result.removed;
  if (out_reclaimed != NULL)
    *out_reclaimed = result.reclaimed;
  if (out_correction != NULL)
    *out_correction = result.correction;
  if (out_counter_checked != NULL)
    *out_counter_checked = result.counter_checked;
  return TRUE;
}

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

/* ---- pins ---- */

/**
 * fs_cache_pin:
 * @self: an #FsCache
 * @name: the name of a committed entry
 * @pinned: %TRUE to pin the entry, %FALSE to unpin it
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Pins the committed entry @name against eviction, or unpins it. A pinned
 * entry is never chosen by eviction — neither to make room for a commit,
 * nor when the maximum size is lowered, nor by fs_cache_prune() or
 * fs_cache_prune_full() — so the cache may stay above its maximum size;
 * it can still be removed by name with fs_cache_remove(), which drops its
 * pin.
 *
 * Pins are kept in the folder `pins/` of the cache, which osbuild does not
 * know: osbuild may evict a pinned entry. The pin of an entry that is
 * gone is removed by fs_cache_collect_garbage().
 *
 * Pinning fails with %FS_CACHE_ERROR_MISS when there is no committed entry
 * @name; unpinning an entry that is not pinned, or gone, is not an error.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.1
 */
gboolean
fs_cache_pin (FsCache *self,
              const char *name,
              gboolean pinned,
              GCancellable *cancellable,
              GError **error)
{
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((store = _fs_cache_open_store (self, error)) == NULL ||
      !fs_cache_name_is_valid (name, error) || !_fs_store_check_writable (store, error) ||
      _fs_cancellable_set_error (cancellable, error))
    return FALSE;
  return _fs_pin_set (store, name, pinned, error);
}

/* ---- one entry described ---- */

/**
 * fs_cache_describe:
 * @self: an #FsCache
 * @name: the name of a committed entry
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Describes the committed entry @name: its size, last use, creation boot
 * id and pin as [method@FsCache.Cache.list] gives them, and also when it
 * was committed, whether it has a manifest and the digest of its tree
 * when its `object.info` records one, and whether a process has it loaded
 * right now ([property@FsCache.CacheItem:in-use]).
 *
 * It takes no lock, does not count as a use (the entry's place in the
 * eviction order is kept) and is not counted in the statistics: a look,
 * not a load. The entry may change as soon as it returns.
 *
 * Returns: (transfer full): the entry's description, or %NULL with @error
 *   set: %FS_CACHE_ERROR_MISS when there is no such entry, a %G_IO_ERROR
 *   naming the file when the system can't tell (as for
 *   [method@FsCache.Cache.load])
 *
 * Since: 1.1
 */
FsCacheItem *
fs_cache_describe (FsCache *self, const char *name, GCancellable *cancellable, GError **error)
{
  g_auto (FsEntryDetails) details = { 0 };
  FsCacheItem *item;
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((store = _fs_cache_open_store (self, error)) == NULL ||
      !fs_cache_name_is_valid (name, error) || _fs_cancellable_set_error (cancellable, error))
    return NULL;
  if (!_fs_store_is_compatible (store))
    {
      g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS,
                   _ ("No entry “%s” in %s: the cache has an incompatible version"), name,
                   store->path);
      return NULL;
    }
  if (!_fs_load_describe (store, name, &details, error))
    return NULL;
  item = _fs_cache_item_new (name, details.size, details.last_used_usec, details.boot_id);
  _fs_cache_item_set_pinned (item, _fs_pin_is_pinned (store, name));
  _fs_cache_item_set_details (item, details.in_use, details.created_usec, details.has_manifest,
                              details.tree_digest);
  return item;
}

/* ---- pruning by size, count and age ---- */

/**
 * fs_cache_prune_full:
 * @self: an #FsCache
 * @target_size: the space the committed entries may use afterwards, in
 *   bytes, or %FS_CACHE_SIZE_UNLIMITED for no limit by size
 * @max_entries: how many entries may be left, or -1 for no limit by count
 * @older_than: remove the entries not used for at least this long, in
 *   microseconds (a #GTimeSpan: `7 * G_TIME_SPAN_DAY`), or 0 for no limit
 *   by age
 * @flags: flags; with %FS_CACHE_MAINTENANCE_DRY_RUN nothing is removed, and
 *   the list says what would be
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Evicts least recently used entries while any of the limits asks for it:
 * the entries left use more than @target_size (the sum of their sizes,
 * as fs_cache_prune() counts it), there are more than @max_entries of
 * them, or the least recently used one was last used longer than
 * @older_than ago. A target of 0 (or @max_entries 0) empties the cache.
 *
 * Pinned entries ([method@FsCache.Cache.pin]) and entries in use are never
 * removed: they are skipped and said so in the list, so the limits may not
 * be reached. A pass of eviction stops at cancellation, having removed
 * what it removed.
 *
 * Returns: (transfer full): a list of [class@FsCache.CacheItem], least
 *   recently used first: every entry removed (or, in a dry run, that would
 *   be) and every one the limits chose but that was skipped, with
 *   [property@FsCache.CacheItem:prune-outcome] saying which; or %NULL with
 *   @error set
 *
 * Since: 1.1
 */
GListModel *
fs_cache_prune_full (FsCache *self,
                     guint64 target_size,
                     gint64 max_entries,
                     GTimeSpan older_than,
                     FsCacheMaintenanceFlags flags,
                     GCancellable *cancellable,
                     GError **error)
{
  g_autoptr (GPtrArray) report = g_ptr_array_new_with_free_func (_fs_entry_stat_free);
  g_autoptr (GListStore) list = NULL;
  FsPruneCriteria criteria = { target_size, max_entries < 0 ? -1 : max_entries, 0 };
  FsStore *store;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (older_than >= 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((store = _fs_cache_open_store (self, error)) == NULL ||
      !_fs_store_check_writable (store, error) || _fs_cancellable_set_error (cancellable, error))
    return NULL;
  if (older_than > 0)
    criteria.used_before_usec = g_get_real_time () - older_than;
  if (!_fs_evict_prune_full (store, &criteria, (flags & FS_CACHE_MAINTENANCE_DRY_RUN) != 0, report,
                             NULL, NULL, cancellable, error))
    return NULL;

  list = g_list_store_new (FS_TYPE_CACHE_ITEM);
  for (guint i = 0; i < report->len; i++)
    {
      FsEntryStat *e = report->pdata[i];
      g_autoptr (FsCacheItem) item =
        _fs_cache_item_new (e->name, e->size, e->last_used_usec, e->boot_id);

      _fs_cache_item_set_pinned (item, e->outcome == FS_CACHE_PRUNE_OUTCOME_SKIPPED_PINNED);
      _fs_cache_item_set_prune_outcome (item, e->outcome);
      g_list_store_append (list, item);
    }
  return G_LIST_MODEL (g_steal_pointer (&list));
}

/* ---- single flight ---- */

/**
 * fs_cache_load_or_store:
 * @self: an #FsCache
 * @name: the name of the entry
 * @timeout_msec: how long to wait for another process that is storing
 *   @name, in milliseconds: -1 to wait until @cancellable is cancelled, 0
 *   not to wait at all
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Loads the entry @name, or gives the caller an entry to store it in —
 * once among all the processes that ask for @name at the same time.
 *
 * When @name is in the cache, the result is a loaded entry, as from
 * fs_cache_load(). Otherwise, if no other caller of this function is
 * storing @name, the result is a writable entry (kind
 * %FS_CACHE_ENTRY_KIND_STORING), as from fs_cache_store(): the caller
 * fills it and commits it with fs_cache_entry_commit(). While it does,
 * every other caller of fs_cache_load_or_store() for @name, in any
 * process, waits; when the entry is committed they get it loaded. If the
 * builder gives its entry up (a release without commit, a commit that
 * does not store it) or dies, one of the waiters gets a writable entry in
 * turn, so a failed build is retried by one process, not by all.
 *
 * The coordination uses locks that a crash releases (in the `journal/`
 * folder of the cache); plain fs_cache_store() and osbuild's stores know
 * nothing of it and work as before: an entry another writer commits
 * meanwhile is loaded by the waiters, and the builder's commit then says
 * %FS_CACHE_COMMIT_EXISTS. Use the kind of the entry
 * ([method@FsCache.CacheEntry.get_kind]) to tell a loaded entry from one
 * to fill. In a cache with an incompatible format version nothing is
 * shared: the result is a writable entry whose commit says
 * %FS_CACHE_COMMIT_INCOMPATIBLE.
 *
 * The wait fails with %G_IO_ERROR_TIMED_OUT after @timeout_msec, and with
 * %G_IO_ERROR_CANCELLED as soon as @cancellable is cancelled. The
 * statistics count a loaded entry as a hit, a writable one as a miss.
 *
 * It never uses the network: fs_cache_load_or_store_full() with
 * %FS_CACHE_LOAD_REMOTE takes the entry from the cache's remote rather than
 * build it.
 *
 * Returns: (transfer full): the loaded entry, or the entry to fill and
 *   commit; %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheEntry *
fs_cache_load_or_store (FsCache *self,
                        const char *name,
                        int timeout_msec,
                        GCancellable *cancellable,
                        GError **error)
{
  return fs_cache_load_or_store_full (self, name, FS_CACHE_LOAD_NONE, timeout_msec, cancellable,
                                      error);
}

/* The loaded entry of fs_cache_load_or_store_full(), verified first when
 * @flags ask for it; takes @handle either way. */
static FsCacheEntry *
loaded_entry (FsStore *store,
              FsHandle *handle,
              const char *name,
              guint64 size,
              const char *digest,
              FsCacheLoadFlags flags,
              GCancellable *cancellable,
              GError **error)
{
  if ((flags & FS_CACHE_LOAD_VERIFY) &&
      !_fs_integrity_verify (store, handle, digest, NULL, NULL, NULL, cancellable, error))
    {
      _fs_lock_clear (&handle->lock);
      return NULL;
    }
  return _fs_cache_entry_new (store, FS_CACHE_ENTRY_KIND_LOADED, handle, name, size, digest);
}

/**
 * fs_cache_load_or_store_full:
 * @self: an #FsCache
 * @name: the name of the entry
 * @flags: #FsCacheLoadFlags
 * @timeout_msec: how long to wait for another process that is storing
 *   (or pulling) @name, in milliseconds: -1 to wait until @cancellable is
 *   cancelled, 0 not to wait at all
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Loads the entry @name, or gives the caller an entry to store it in, as
 * fs_cache_load_or_store() does, with the choices of fs_cache_load_full():
 *
 * - %FS_CACHE_LOAD_REMOTE: the caller that would get a writable entry
 *   first pulls @name from the cache's remote, if it has one (see
 *   fs_cache_pull()), and the other callers for @name wait for that pull
 *   as they would for a build: one download, not one per process. When the
 *   pull stores the entry, the result is the entry loaded; when the remote
 *   does not have it, is down or is wrong (a message is logged), the
 *   result is the writable entry, to build. Only a cancellation fails.
 *   Pushing what was built is the caller's choice: fs_cache_entry_push()
 *   after the commit (`fscache ensure` does).
 * - %FS_CACHE_LOAD_VERIFY: a loaded entry is re-hashed against its
 *   manifest before it is returned, as by fs_cache_load_full().
 *
 * This call may use the network only with %FS_CACHE_LOAD_REMOTE.
 *
 * Returns: (transfer full): the loaded entry, or the entry to fill and
 *   commit; %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheEntry *
fs_cache_load_or_store_full (FsCache *self,
                             const char *name,
                             FsCacheLoadFlags flags,
                             int timeout_msec,
                             GCancellable *cancellable,
                             GError **error)
{
  FsHandle handle = FS_HANDLE_INIT;
  FsFlight flight = FS_FLIGHT_INIT;
  g_autofree char *digest = NULL;
  FsCacheEntry *entry;
  FsStore *store;
  gboolean loaded, waited;
  gint64 deadline;
  guint64 size = 0;

  g_return_val_if_fail (FS_IS_CACHE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (timeout_msec >= -1, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((store = _fs_cache_open_store (self, error)) == NULL ||
      !fs_cache_name_is_valid (name, error) || _fs_cancellable_set_error (cancellable, error))
    return NULL;
  if (!_fs_store_is_compatible (store) || store->journal_fd < 0)
    {
      _fs_stats_add (store->stats, FS_STAT_MISS, 1);
      return fs_cache_store (self, name, cancellable, error);
    }

  deadline = timeout_msec < 0 ? -1 : g_get_monotonic_time () + (gint64) timeout_msec * 1000;
  if (!_fs_flight_load_or_lead (store, name, deadline, &handle, &size, &digest, &loaded, &flight,
                                &waited, cancellable, error))
    return NULL;
  if (loaded)
    {
      _fs_stats_add (store->stats, FS_STAT_HIT, 1);
      return loaded_entry (store, &handle, name, size, digest, flags, cancellable, error);
    }
  /* A miss here, whether the remote then has the entry or not (the pull
   * counts a remote hit or miss), as in fs_cache_load_full(). */
  _fs_stats_add (store->stats, FS_STAT_MISS, 1);
  entry = _fs_cache_entry_new (store, FS_CACHE_ENTRY_KIND_STORING, &handle, name, 0, NULL);
  _fs_cache_entry_set_flight (entry, &flight);

  /* The remote, asked by the leader alone, in flight: the others wait for
   * the pull's commit as for a build's. */
  if (flags & FS_CACHE_LOAD_REMOTE)
    {
      g_autoptr (GError) remote_error = NULL;
      FsHandle pulled = FS_HANDLE_INIT;

      if (_fs_remote_load (store, name, &pulled, &size, &digest, cancellable, &remote_error))
        {
          /* Stored: the writable entry goes (and its flight lands). */
          fs_cache_entry_release (entry);
          g_object_unref (entry);
          return loaded_entry (store, &pulled, name, size, digest, flags, cancellable, error);
        }
      if (g_error_matches (remote_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          fs_cache_entry_release (entry);
          g_object_unref (entry);
          g_propagate_error (error, g_steal_pointer (&remote_error));
          return NULL;
        }
      /* Not there, or a remote that failed (its message is logged): built
       * here. */
    }
  return entry;
}
