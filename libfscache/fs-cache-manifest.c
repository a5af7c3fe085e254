/* fs-cache-manifest.c: FsCacheManifest, a parsed manifest
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The public face of a manifest: the format itself (parse, serialize) is
 * fs-manifest-format.c's.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "fs-cache-manifest-node-private.h"
#include "fs-cache-manifest-private.h"
#include "fs-digest-private.h"
#include "fs-util-private.h"

/**
 * FsCacheManifest:
 *
 * The manifest of a tree: what it is, as data. For each node (file,
 * directory, symbolic link, …) below the top directory, and the top
 * directory itself (the node `.`): its path, type, permission bits, owner,
 * group, size, symbolic link target, extended attributes, hard-link group,
 * device numbers, and for regular files the SHA-256 of their content.
 *
 * A manifest is immutable. Its serialized form
 * ([method@FsCache.CacheManifest.get_bytes]) is deterministic: the same
 * tree always gives the same bytes, and so the same *tree digest*
 * ([method@FsCache.CacheManifest.get_digest]), the SHA-256 of those bytes,
 * which names the tree's content. Modification times are deliberately not
 * part of it; `docs/format.md` describes the format and says why.
 *
 * A manifest is a [iface@Gio.ListModel] of its nodes
 * ([class@FsCache.CacheManifestNode]) in the manifest's order: the top
 * directory first, then depth first, the entries of each directory sorted
 * by the bytes of their names.
 *
 * Since: 1.1
 */

struct _FsCacheManifest {
  GObject parent_instance;

  FsManifestData data; /* immutable once parsed */
  /* The space of the tree the builder described (st_blocks, a file with
   * several links once), G_MAXUINT64 when unknown: not part of the
   * manifest, set once by the builder before anyone else sees it. */
  guint64 disk_usage;
};

enum { PROP_0, PROP_BYTES, PROP_DIGEST, PROP_N_NODES, PROP_TOTAL_SIZE, N_PROPS };

static GParamSpec *properties[N_PROPS];

static void fs_cache_manifest_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FsCacheManifest,
                               fs_cache_manifest,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      fs_cache_manifest_list_model_init))

static void
fs_cache_manifest_finalize (GObject *object)
{
  FsCacheManifest *self = FS_CACHE_MANIFEST (object);

  _fs_manifest_data_clear (&self->data);

  G_OBJECT_CLASS (fs_cache_manifest_parent_class)->finalize (object);
}

static void
fs_cache_manifest_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FsCacheManifest *self = FS_CACHE_MANIFEST (object);

  switch (prop_id)
    {
    case PROP_BYTES:
      g_value_set_boxed (value, self->data.bytes);
      break;
    case PROP_DIGEST:
      g_value_set_string (value, self->data.digest);
      break;
    case PROP_N_NODES:
      g_value_set_uint (value, self->data.n_nodes);
      break;
    case PROP_TOTAL_SIZE:
      g_value_set_uint64 (value, self->data.total_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fs_cache_manifest_class_init (FsCacheManifestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fs_cache_manifest_finalize;
  object_class->get_property = fs_cache_manifest_get_property;

  /**
   * FsCacheManifest:bytes:
   *
   * The serialized manifest: the content of an `object.manifest` file.
   *
   * Since: 1.1
   */
  properties[PROP_BYTES] = g_param_spec_boxed ("bytes", NULL, NULL, G_TYPE_BYTES,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheManifest:digest:
   *
   * The tree digest: the SHA-256 of the serialized manifest, as 64
   * lowercase hex digits.
   *
   * Since: 1.1
   */
  properties[PROP_DIGEST] =
    g_param_spec_string ("digest", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheManifest:n-nodes:
   *
   * The number of nodes, the top directory included.
   *
   * Since: 1.1
   */
  properties[PROP_N_NODES] = g_param_spec_uint ("n-nodes", NULL, NULL, 0, G_MAXUINT, 0,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheManifest:total-size:
   *
   * The bytes of content of the regular files, a file with several hard
   * links in the tree counted once.
   *
   * Since: 1.1
   */
  properties[PROP_TOTAL_SIZE] = g_param_spec_uint64 ("total-size", NULL, NULL, 0, G_MAXUINT64, 0,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fs_cache_manifest_init (FsCacheManifest *self)
{
  self->disk_usage = G_MAXUINT64;
}

void
_fs_cache_manifest_set_disk_usage (FsCacheManifest *self, guint64 disk_usage)
{
  self->disk_usage = disk_usage;
}

guint64
_fs_cache_manifest_get_disk_usage (FsCacheManifest *self)
{
  return self->disk_usage;
}

static GType
fs_cache_manifest_get_item_type (GListModel *model)
{
  return FS_TYPE_CACHE_MANIFEST_NODE;
}

static guint
fs_cache_manifest_get_n_items (GListModel *model)
{
  return FS_CACHE_MANIFEST (model)->data.n_nodes;
}

static gpointer
fs_cache_manifest_get_item (GListModel *model, guint position)
{
  FsCacheManifest *self = FS_CACHE_MANIFEST (model);

  if (position >= self->data.n_nodes)
    return NULL;
  return _fs_cache_manifest_node_new (G_OBJECT (self), position, &self->data.nodes[position]);
}

static void
fs_cache_manifest_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = fs_cache_manifest_get_item_type;
  iface->get_n_items = fs_cache_manifest_get_n_items;
  iface->get_item = fs_cache_manifest_get_item;
}

/**
 * fs_cache_manifest_new_from_bytes:
 * @bytes: a serialized manifest, e.g. the content of an `object.manifest`
 *
 * Parses a manifest. Any input is safe: a manifest that is truncated,
 * corrupt or hostile (paths with `..`, unsorted or repeated paths, absurd
 * sizes, …) is refused with %FS_CACHE_ERROR_CORRUPT, one of a newer format
 * version with %FS_CACHE_ERROR_INCOMPATIBLE.
 *
 * Returns: (transfer full): the manifest, or %NULL with @error set
 *
 * Since: 1.1
 */
FsCacheManifest *
fs_cache_manifest_new_from_bytes (GBytes *bytes, GError **error)
{
  g_autoptr (FsCacheManifest) self = NULL;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  _fs_i18n_init ();
  self = g_object_new (FS_TYPE_CACHE_MANIFEST, NULL);
  if (!_fs_manifest_data_parse (&self->data, bytes, FALSE, error))
    return NULL;
  return g_steal_pointer (&self);
}

FsCacheManifest *
_fs_cache_manifest_new_serialized (GBytes *bytes, GError **error)
{
  g_autoptr (FsCacheManifest) self = g_object_new (FS_TYPE_CACHE_MANIFEST, NULL);

  if (!_fs_manifest_data_parse (&self->data, bytes, TRUE, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * fs_cache_manifest_get_bytes:
 * @self: an #FsCacheManifest
 *
 * The serialized manifest: what [ctor@FsCache.CacheManifest.new_from_bytes]
 * parses, and what the tree digest is the SHA-256 of.
 *
 * Returns: (transfer none): the bytes
 *
 * Since: 1.1
 */
GBytes *
fs_cache_manifest_get_bytes (FsCacheManifest *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST (self), NULL);
  return self->data.bytes;
}

/**
 * fs_cache_manifest_get_digest:
 * @self: an #FsCacheManifest
 *
 * The tree digest: the SHA-256 of [method@FsCache.CacheManifest.get_bytes].
 * Two trees with the same nodes (paths, types, modes, owners, contents, …)
 * have the same digest.
 *
 * Returns: 64 lowercase hex digits
 *
 * Since: 1.1
 */
const char *
fs_cache_manifest_get_digest (FsCacheManifest *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST (self), NULL);
  return self->data.digest;
}

/**
 * fs_cache_manifest_get_n_nodes:
 * @self: an #FsCacheManifest
 *
 * The number of nodes, the top directory `.` included: the same as
 * g_list_model_get_n_items().
 *
 * Returns: the number of nodes (at least 1)
 *
 * Since: 1.1
 */
guint
fs_cache_manifest_get_n_nodes (FsCacheManifest *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST (self), 0);
  return self->data.n_nodes;
}

/**
 * fs_cache_manifest_get_node:
 * @self: an #FsCacheManifest
 * @position: the index of a node, from 0 (the top directory)
 *
 * The node at @position in the manifest's order: the same as
 * g_list_model_get_item().
 *
 * Returns: (transfer full) (nullable): the node, or %NULL if @position is
 *   not below [method@FsCache.CacheManifest.get_n_nodes]
 *
 * Since: 1.1
 */
FsCacheManifestNode *
fs_cache_manifest_get_node (FsCacheManifest *self, guint position)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST (self), NULL);
  if (position >= self->data.n_nodes)
    return NULL;
  return _fs_cache_manifest_node_new (G_OBJECT (self), position, &self->data.nodes[position]);
}

gint64
_fs_cache_manifest_find (FsCacheManifest *self, const char *path)
{
  return _fs_manifest_data_find (&self->data, path);
}

/**
 * fs_cache_manifest_lookup:
 * @self: an #FsCacheManifest
 * @path: (type filename): a path relative to the top directory, as the
 *   manifest writes it: `.` for the top directory, else without a leading
 *   `./`, a trailing `/` or an empty component (`bin/sh`)
 *
 * Finds the node of @path (a binary search).
 *
 * Returns: (transfer full) (nullable): the node, or %NULL if the manifest
 *   has none at @path
 *
 * Since: 1.1
 */
FsCacheManifestNode *
fs_cache_manifest_lookup (FsCacheManifest *self, const char *path)
{
  gint64 i;

  g_return_val_if_fail (FS_IS_CACHE_MANIFEST (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  i = _fs_cache_manifest_find (self, path);
  return i < 0 ? NULL
               : _fs_cache_manifest_node_new (G_OBJECT (self), (guint) i, &self->data.nodes[i]);
}

/**
 * fs_cache_manifest_get_total_size:
 * @self: an #FsCacheManifest
 *
 * The bytes of content of the tree: the sum of the sizes of its regular
 * files, each file with several hard links in the tree counted once (holes
 * of sparse files count: this is not the space the tree uses on disk).
 *
 * Returns: the size in bytes
 *
 * Since: 1.1
 */
guint64
fs_cache_manifest_get_total_size (FsCacheManifest *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST (self), 0);
  return self->data.total_size;
}

const FsManifestNode *
_fs_cache_manifest_peek_node (FsCacheManifest *self, guint position)
{
  g_return_val_if_fail (position < self->data.n_nodes, NULL);
  return &self->data.nodes[position];
}

/* ---- JSON ---- */

/* A string member, with NAME-base64 beside it when @value is not UTF-8 (a
 * file name can be any bytes; JSON strings are Unicode). */
static void
add_name (JsonBuilder *builder, const char *member, const char *value)
{
  json_builder_set_member_name (builder, member);
  if (g_utf8_validate (value, -1, NULL))
    json_builder_add_string_value (builder, value);
  else
    {
      g_autofree char *shown = _fs_manifest_display_path (value);
      g_autofree char *raw = g_base64_encode ((const guchar *) value, strlen (value));
      g_autofree char *raw_member = g_strconcat (member, "-base64", NULL);

      json_builder_add_string_value (builder, shown);
      json_builder_set_member_name (builder, raw_member);
      json_builder_add_string_value (builder, raw);
    }
}

/**
 * fs_cache_manifest_to_json:
 * @self: an #FsCacheManifest
 * @pretty: whether to indent the output
 *
 * The manifest as JSON, for people and scripts: an object with `format`
 * (the format version), `digest` (the tree digest), `total-size` and
 * `nodes`, an array with one object per node, in the manifest's order:
 * `path`, `type` (`regular`, `directory`, `symlink`, `fifo`, `socket`,
 * `char-device` or `block-device`), `mode` (permission bits as an octal
 * string, `"0644"`), `uid`, `gid`, and where they apply `size`, `sha256`
 * (hex), `target` (of a symbolic link), `link-group`, `device-major`,
 * `device-minor` and `xattrs` (an object: name → base64 of the value). A
 * path or target that is not valid UTF-8 is given as UTF-8 with
 * replacement characters, and exactly in a member of the same name with
 * `-base64` appended.
 *
 * Returns: (transfer full): the JSON text
 *
 * Since: 1.1
 */
char *
fs_cache_manifest_to_json (FsCacheManifest *self, gboolean pretty)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (FS_IS_CACHE_MANIFEST (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_int_value (builder, FS_CACHE_MANIFEST_FORMAT_VERSION);
  json_builder_set_member_name (builder, "digest");
  json_builder_add_string_value (builder, self->data.digest);
  json_builder_set_member_name (builder, "total-size");
  json_builder_add_int_value (builder, (gint64) MIN (self->data.total_size, (guint64) G_MAXINT64));
  json_builder_set_member_name (builder, "nodes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->data.n_nodes; i++)
    {
      const FsManifestNode *n = &self->data.nodes[i];
      char mode[8];

      json_builder_begin_object (builder);
      add_name (builder, "path", n->path);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, _fs_manifest_type_name (n->type));
      g_snprintf (mode, sizeof mode, "%04o", n->mode);
      json_builder_set_member_name (builder, "mode");
      json_builder_add_string_value (builder, mode);
      json_builder_set_member_name (builder, "uid");
      json_builder_add_int_value (builder, n->uid);
      json_builder_set_member_name (builder, "gid");
      json_builder_add_int_value (builder, n->gid);
      if (n->type == FS_CACHE_NODE_TYPE_REGULAR || n->type == FS_CACHE_NODE_TYPE_SYMLINK)
        {
          json_builder_set_member_name (builder, "size");
          json_builder_add_int_value (builder, (gint64) n->size);
        }
      if (n->sha256 != NULL)
        {
          char hex[FS_DIGEST_HEX_SIZE];

          _fs_digest_to_hex (n->sha256, hex);
          json_builder_set_member_name (builder, "sha256");
          json_builder_add_string_value (builder, hex);
        }
      if (n->type == FS_CACHE_NODE_TYPE_SYMLINK)
        add_name (builder, "target", n->target);
      if (n->link_group != 0)
        {
          json_builder_set_member_name (builder, "link-group");
          json_builder_add_int_value (builder, n->link_group);
        }
      if (n->type == FS_CACHE_NODE_TYPE_CHAR_DEVICE || n->type == FS_CACHE_NODE_TYPE_BLOCK_DEVICE)
        {
          json_builder_set_member_name (builder, "device-major");
          json_builder_add_int_value (builder, n->dev_major);
          json_builder_set_member_name (builder, "device-minor");
          json_builder_add_int_value (builder, n->dev_minor);
        }
      if (n->xattrs != NULL)
        {
          gsize nx = g_variant_n_children (n->xattrs);

          json_builder_set_member_name (builder, "xattrs");
          json_builder_begin_object (builder);
          for (gsize x = 0; x < nx; x++)
            {
              g_autoptr (GVariant) name_v = NULL;
              g_autoptr (GVariant) value_v = NULL;
              g_autofree char *name = NULL;
              g_autofree char *value = NULL;
              const guchar *data;
              gsize len = 0;

              g_variant_get_child (n->xattrs, x, "(@ay@ay)", &name_v, &value_v);
              name = _fs_manifest_display_path (g_variant_get_bytestring (name_v));
              data = g_variant_get_fixed_array (value_v, &len, 1);
              value = g_base64_encode (data, len);
              json_builder_set_member_name (builder, name);
              json_builder_add_string_value (builder, value);
            }
          json_builder_end_object (builder);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, pretty);
  if (pretty)
    json_generator_set_indent (generator, 2);
  return json_generator_to_data (generator, NULL);
}
