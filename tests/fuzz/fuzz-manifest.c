/* fuzz-manifest.c: the manifest parser (fs_cache_manifest_new_from_bytes)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A manifest that parses must be exactly what the serializer writes for
 * its nodes (one serialization per tree: the digest depends on it), its
 * digest the SHA-256 of its bytes, every node found again by its path, and
 * its JSON form valid UTF-8.
 */

#include "config.h"

#include <string.h>

#include "fs-cache-manifest-private.h"
#include "fs-digest-private.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (FsCacheManifest) m = fs_cache_manifest_new_from_bytes (bytes, &error);
  g_autofree FsManifestNode *nodes = NULL;
  g_autoptr (GBytes) again = NULL;
  g_autofree char *json = NULL;
  guint8 raw[FS_DIGEST_SIZE];
  char hex[FS_DIGEST_HEX_SIZE];
  guint n;

  if (m == NULL)
    {
      FUZZ_CHECK (
        error != NULL && error->domain == FS_CACHE_ERROR &&
        (error->code == FS_CACHE_ERROR_CORRUPT || error->code == FS_CACHE_ERROR_INCOMPATIBLE));
      FUZZ_CHECK (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  FUZZ_CHECK (g_bytes_equal (fs_cache_manifest_get_bytes (m), bytes));
  _fs_digest_buffer (data, size, raw);
  _fs_digest_to_hex (raw, hex);
  FUZZ_CHECK (strcmp (hex, fs_cache_manifest_get_digest (m)) == 0);

  n = fs_cache_manifest_get_n_nodes (m);
  FUZZ_CHECK (n >= 1 && n == g_list_model_get_n_items (G_LIST_MODEL (m)));
  nodes = g_new0 (FsManifestNode, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (FsCacheManifestNode) node = fs_cache_manifest_get_node (m, i);
      g_autoptr (FsCacheManifestNode) found =
        fs_cache_manifest_lookup (m, fs_cache_manifest_node_get_path (node));
      g_auto (GStrv) names = fs_cache_manifest_node_dup_xattr_names (node);

      FUZZ_CHECK (found != NULL && fs_cache_manifest_node_get_position (found) == i);
      for (guint x = 0; names[x] != NULL; x++)
        {
          g_autoptr (GBytes) value = fs_cache_manifest_node_dup_xattr (node, names[x]);
          FUZZ_CHECK (value != NULL);
        }
      FUZZ_CHECK ((fs_cache_manifest_node_get_sha256 (node) != NULL) ==
                  (fs_cache_manifest_node_get_node_type (node) == FS_CACHE_NODE_TYPE_REGULAR));
      nodes[i] = *_fs_cache_manifest_peek_node (m, i);
    }
  FUZZ_CHECK (fs_cache_manifest_get_node (m, n) == NULL);

  /* one serialization per manifest */
  again = _fs_manifest_serialize (nodes, n);
  FUZZ_CHECK (g_bytes_equal (again, bytes));

  json = fs_cache_manifest_to_json (m, FALSE);
  FUZZ_CHECK (json != NULL && g_utf8_validate (json, -1, NULL));
  return 0;
}
