/* fs-gc.c: garbage collection
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * # Collecting garbage
 *
 * What crashed users left, of this library or of another implementation:
 *
 *   1. the operations of dead journal records are finished or undone,
 *      accounting included (fs-journal.c), unless this is a dry run;
 *   2. every uuid-* of stage/ and objects/ is judged by the one sweeper of
 *      anonymous entries, and every named entry without a valid
 *      object.info is removed when nobody holds it (fs-anon.c);
 *   3. pins of entries that are gone are removed (fs-pin.c), and the
 *      flight files of builders that died (fs-flight.c);
 *   4. when nobody else has the cache open, the size counter is recounted
 *      (a dry run only measures by how much it is off). A cache shared
 *      with osbuild drifts: osbuild's removals take more off the counter
 *      than its commits added. Only at idle does the sum of the entries say
 *      exactly what the counter must be; the caller may wait for that.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fs-anon-private.h"
#include "fs-gc-private.h"
#include "fs-flight-private.h"
#include "fs-journal-private.h"
#include "fs-pin-private.h"

/* Steps 1 to 3, and 4 when @idle. */
static gboolean
collect (FsStore *store,
         gboolean dry_run,
         gboolean idle,
         FsGcResult *result,
         GCancellable *cancellable,
         GError **error)
{
  static const FsArea areas[] = { FS_AREA_STAGE, FS_AREA_OBJECTS };
  FsSweepStats stats = { 0, 0 };
  guint stale_pins = 0, stale_flights = 0;

  /* What recovery removes (entries of dead records, stale staging entries)
   * counts too; a dry run skips recovery and finds them in the sweep. */
  if (!dry_run && !_fs_journal_recover (store, FALSE, &stats, cancellable, error))
    return FALSE;
  result->removed = stats.removed;
  result->reclaimed = stats.bytes;

  for (guint a = 0; a < G_N_ELEMENTS (areas); a++)
    {
      g_autoptr (GPtrArray) names = _fs_dir_names (_fs_store_area_fd (store, areas[a]), NULL);

      if (names == NULL)
        return _fs_throw_errno (error, errno, _ ("Reading %s/%s"), store->path,
                                _fs_area_name (areas[a]));
      for (guint i = 0; i < names->len; i++)
        {
          const char *name = names->pdata[i];

          if (g_cancellable_is_cancelled (cancellable))
            return !_fs_cancellable_set_error (cancellable, error);

          if (g_str_has_prefix (name, "uuid-"))
            {
              if (_fs_anon_sweep (store, areas[a], name, dry_run, &result->reclaimed))
                result->removed++;
            }
          else if (areas[a] == FS_AREA_OBJECTS &&
                   _fs_anon_sweep_invalid (store, name, dry_run, &result->reclaimed))
            result->removed++;
        }
    }

  if (!_fs_pin_sweep (store, dry_run, &stale_pins, error))
    return FALSE;
  result->removed += stale_pins;
  if (!_fs_flight_sweep (store, dry_run, &stale_flights, error))
    return FALSE;
  result->removed += stale_flights;

  /* The exact recount, only when nobody else has the cache open; a dry run
   * measures what it would correct (all of the counter's difference from
   * the entries: what recovering dead records would take off included). */
  result->counter_checked = idle;
  if (idle)
    {
      guint64 before = 0, after = 0;

      if (dry_run ? !_fs_journal_measure (store, &before, &after, cancellable, error)
                  : !_fs_journal_recount (store, &before, &after, cancellable, error))
        return FALSE;
      if (after >= before)
        result->correction =
          after - before > (guint64) G_MAXINT64 ? G_MAXINT64 : (gint64) (after - before);
      else
        result->correction =
          before - after > (guint64) G_MAXINT64 ? -G_MAXINT64 : -(gint64) (before - after);
    }
  return TRUE;
}

gboolean
_fs_gc_run (FsStore *store,
            gboolean dry_run,
            int wait_idle_msec,
            FsGcResult *out_result,
            GCancellable *cancellable,
            GError **error)
{
  FsGcResult result = { 0 };
  gboolean idle = FALSE, ok;

  if (!_fs_store_check_writable (store, error))
    return FALSE;

  if (wait_idle_msec != 0)
    {
      gint64 deadline =
        wait_idle_msec < 0 ? -1 : g_get_monotonic_time () + (gint64) wait_idle_msec * 1000;

      if (!_fs_store_wait_exclusive (store, deadline, &idle, cancellable, error))
        return FALSE;
    }
  else
    idle = _fs_store_try_exclusive (store);
  if (!idle)
    {
      g_debug ("collecting garbage in %s: the cache is in use, the counter is not checked",
               store->path);
      _fs_store_op_begin (store);
    }
  ok = collect (store, dry_run, idle, &result, cancellable, error);
  if (idle)
    _fs_store_end_exclusive (store);
  else
    _fs_store_op_end (store);
  if (ok && out_result != NULL)
    *out_result = result;
  return ok;
}
