/* fuzz-cache-info.c: the reading of cache.info (_fs_meta_parse_object, then
 * _fs_cache_info_new_from_json) and its merge back into JSON
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "fs-cache-info-private.h"
#include "fs-meta-private.h"
#include "fs-util-private.h"
#include "fuzz-common.h"

static void
assert_same_info (const FsCacheInfo *a, const FsCacheInfo *b)
{
  gboolean pa = FALSE, pb = FALSE;

  FUZZ_CHECK (fs_cache_info_has_version (a) == fs_cache_info_has_version (b));
  if (fs_cache_info_has_version (a))
    FUZZ_CHECK (fs_cache_info_get_version (a) == fs_cache_info_get_version (b));
  FUZZ_CHECK (fs_cache_info_has_maximum_size (a) == fs_cache_info_has_maximum_size (b));
  if (fs_cache_info_has_maximum_size (a))
    {
      guint64 ma = fs_cache_info_get_maximum_size (a), mb = fs_cache_info_get_maximum_size (b);
      /* sizes beyond what JSON integers hold are written as the largest */
      FUZZ_CHECK (ma == mb ||
                  (ma > G_MAXINT64 && ma != FS_CACHE_SIZE_UNLIMITED && mb == G_MAXINT64));
    }
  FUZZ_CHECK (g_strcmp0 (fs_cache_info_get_creation_boot_id (a),
                         fs_cache_info_get_creation_boot_id (b)) == 0);
  FUZZ_CHECK (fs_cache_info_has_low_watermark (a) == fs_cache_info_has_low_watermark (b));
  FUZZ_CHECK (fs_cache_info_get_low_watermark (a) == fs_cache_info_get_low_watermark (b));
  FUZZ_CHECK (fs_cache_info_has_min_free_space (a) == fs_cache_info_has_min_free_space (b));
  FUZZ_CHECK (fs_cache_info_get_min_free_space (a, &pa) ==
              fs_cache_info_get_min_free_space (b, &pb));
  FUZZ_CHECK (pa == pb);
  FUZZ_CHECK (fs_cache_info_has_volatile (a) == fs_cache_info_has_volatile (b));
  FUZZ_CHECK (fs_cache_info_get_volatile (a) == fs_cache_info_get_volatile (b));
  FUZZ_CHECK (fs_cache_info_has_shared (a) == fs_cache_info_has_shared (b));
  FUZZ_CHECK (fs_cache_info_get_shared (a) == fs_cache_info_get_shared (b));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (FsCacheInfo) info = NULL;
  g_autofree char *text = NULL;
  g_autofree char *described = NULL;
  gsize len = 0;

  fuzz_check_read_as_file (data, size);
  object = _fs_meta_parse_object ((const char *) data, size);
  if (object == NULL)
    return 0;
  info = _fs_cache_info_new_from_json (object);
  FUZZ_CHECK (info != NULL);
  described = fs_cache_info_to_string (info);
  FUZZ_CHECK (described != NULL && g_utf8_validate (described, -1, NULL));

  /* Merged into what was read (unknown keys kept), written, read again:
   * the same settings, and the same unknown keys. */
  _fs_cache_info_merge_into_json (info, object);
  text = _fs_meta_object_to_data (object, &len);
  FUZZ_CHECK (text != NULL);
  if (len <= FS_META_MAX_SIZE)
    {
      g_autoptr (JsonObject) again = _fs_meta_parse_object (text, len);
      g_autoptr (FsCacheInfo) info2 = NULL;

      FUZZ_CHECK (again != NULL);
      info2 = _fs_cache_info_new_from_json (again);
      assert_same_info (info, info2);
      FUZZ_CHECK (json_object_get_size (again) == json_object_get_size (object));
    }

  /* Merged into an empty object too. */
  {
    g_autoptr (JsonObject) fresh = json_object_new ();
    g_autofree char *t2 = NULL;
    gsize l2 = 0;

    _fs_cache_info_merge_into_json (info, fresh);
    t2 = _fs_meta_object_to_data (fresh, &l2);
    {
      g_autoptr (JsonObject) back = _fs_meta_parse_object (t2, l2);
      g_autoptr (FsCacheInfo) info3 = NULL;
      FUZZ_CHECK (back != NULL);
      info3 = _fs_cache_info_new_from_json (back);
      assert_same_info (info, info3);
    }
  }
  return 0;
}
