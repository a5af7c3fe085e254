/* fs-cache-manifest-node.c: FsCacheManifestNode, one node of a manifest
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "fs-cache-manifest-node-private.h"
#include "fs-digest-private.h"

/**
 * FsCacheManifestNode:
 *
 * One node of an [class@FsCache.CacheManifest]: a file, directory,
 * symbolic link, named pipe, socket or device node of the tree, as
 * recorded. A node is a view of its manifest (which it keeps alive): the
 * strings it returns live as long as the node.
 *
 * Since: 1.1
 */

struct _FsCacheManifestNode {
  GObject parent_instance;

  GObject *owner; /* the manifest, which holds what @node points into */
  guint position;
  const FsManifestNode *node;
  char sha256[FS_DIGEST_HEX_SIZE]; /* "" when not a regular file */
};

G_DEFINE_FINAL_TYPE (FsCacheManifestNode, fs_cache_manifest_node, G_TYPE_OBJECT)

static void
fs_cache_manifest_node_finalize (GObject *object)
{
  FsCacheManifestNode *self = FS_CACHE_MANIFEST_NODE (object);

  g_clear_object (&self->owner);

  G_OBJECT_CLASS (fs_cache_manifest_node_parent_class)->finalize (object);
}

static void
fs_cache_manifest_node_class_init (FsCacheManifestNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fs_cache_manifest_node_finalize;
}

static void
fs_cache_manifest_node_init (FsCacheManifestNode *self)
{
}

FsCacheManifestNode *
_fs_cache_manifest_node_new (GObject *owner, guint position, const FsManifestNode *node)
{
  FsCacheManifestNode *self = g_object_new (FS_TYPE_CACHE_MANIFEST_NODE, NULL);

  self->owner = g_object_ref (owner);
  self->position = position;
  self->node = node;
  /* now, not when asked: a node may be read from several threads */
  if (self->node->sha256 != NULL)
    _fs_digest_to_hex (self->node->sha256, self->sha256);
  return self;
}

/**
 * fs_cache_manifest_node_get_position:
 * @self: an #FsCacheManifestNode
 *
 * The index of the node in its manifest.
 *
 * Returns: the position, from 0 (the top directory)
 *
 * Since: 1.1
 */
guint
fs_cache_manifest_node_get_position (FsCacheManifestNode *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), 0);
  return self->position;
}

/**
 * fs_cache_manifest_node_get_path:
 * @self: an #FsCacheManifestNode
 *
 * The path of the node relative to the top directory of the tree (an
 * entry's `data/`): `.` for the top directory itself, else components
 * separated by `/` without a leading `./` (`usr/bin/sh`). A file name can
 * be any bytes but `/` and NUL, so a path need not be valid UTF-8.
 *
 * Returns: (type filename): the path
 *
 * Since: 1.1
 */
const char *
fs_cache_manifest_node_get_path (FsCacheManifestNode *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), NULL);
  return self->node->path;
}

/**
 * fs_cache_manifest_node_get_node_type:
 * @self: an #FsCacheManifestNode
 *
 * The type of the node.
 *
 * Returns: the type
 *
 * Since: 1.1
 */
FsCacheNodeType
fs_cache_manifest_node_get_node_type (FsCacheManifestNode *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), FS_CACHE_NODE_TYPE_REGULAR);
  return self->node->type;
}

/**
 * fs_cache_manifest_node_get_mode:
 * @self: an #FsCacheManifestNode
 *
 * The permission bits of the node, setuid (`04000`), setgid (`02000`) and
 * sticky (`01000`) included, without the type bits of `st_mode`.
 *
 * Returns: the mode, at most `07777`
 *
 * Since: 1.1
 */
guint
fs_cache_manifest_node_get_mode (FsCacheManifestNode *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), 0);
  return self->node->mode;
}

/**
 * fs_cache_manifest_node_get_uid:
 * @self: an #FsCacheManifestNode
 *
 * The numeric owner of the node.
 *
 * Returns: the user id
 *
 * Since: 1.1
 */
guint
fs_cache_manifest_node_get_uid (FsCacheManifestNode *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), 0);
  return self->node->uid;
}

/**
 * fs_cache_manifest_node_get_gid:
 * @self: an #FsCacheManifestNode
 *
 * The numeric group of the node.
 *
 * Returns: the group id
 *
 * Since: 1.1
 */
guint
fs_cache_manifest_node_get_gid (FsCacheManifestNode *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), 0);
  return self->node->gid;
}

/**
 * fs_cache_manifest_node_get_size:
 * @self: an #FsCacheManifestNode
 *
 * The size of a regular file (its length, holes included) or the length of
 * a symbolic link's target; 0 for other nodes.
 *
 * Returns: the size in bytes
 *
 * Since: 1.1
 */
guint64
fs_cache_manifest_node_get_size (FsCacheManifestNode *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), 0);
  return self->node->size;
}

/**
 * fs_cache_manifest_node_get_symlink_target:
 * @self: an #FsCacheManifestNode
 *
 * The target of a symbolic link, as stored (it is never followed).
 *
 * Returns: (type filename) (nullable): the target, or %NULL if the node is
 *   not a symbolic link
 *
 * Since: 1.1
 */
const char *
fs_cache_manifest_node_get_symlink_target (FsCacheManifestNode *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), NULL);
  return self->node->type == FS_CACHE_NODE_TYPE_SYMLINK ? self->node->target : NULL;
}

/**
 * fs_cache_manifest_node_get_sha256:
 * @self: an #FsCacheManifestNode
 *
 * The SHA-256 of a regular file's content.
 *
 * Returns: (nullable): 64 lowercase hex digits, or %NULL if the node is not
 *   a regular file
 *
 * Since: 1.1
 */
const char *
fs_cache_manifest_node_get_sha256 (FsCacheManifestNode *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), NULL);
  return self->node->sha256 != NULL ? self->sha256 : NULL;
}

/**
 * fs_cache_manifest_node_get_link_group:
 * @self: an #FsCacheManifestNode
 *
 * The hard-link group of the node: nodes of the same group are hard links
 * of one file (one inode) of the tree. Groups are numbered from 1 in the
 * order in which they first appear in the manifest.
 *
 * Returns: the group, or 0 if no other node of the tree is a hard link of
 *   this one
 *
 * Since: 1.1
 */
guint
fs_cache_manifest_node_get_link_group (FsCacheManifestNode *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), 0);
  return self->node->link_group;
}

/**
 * fs_cache_manifest_node_get_device_major:
 * @self: an #FsCacheManifestNode
 *
 * The major device number of a device node.
 *
 * Returns: the major number, 0 for a node that is not a device
 *
 * Since: 1.1
 */
guint
fs_cache_manifest_node_get_device_major (FsCacheManifestNode *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), 0);
  return self->node->dev_major;
}

/**
 * fs_cache_manifest_node_get_device_minor:
 * @self: an #FsCacheManifestNode
 *
 * The minor device number of a device node.
 *
 * Returns: the minor number, 0 for a node that is not a device
 *
 * Since: 1.1
 */
guint
fs_cache_manifest_node_get_device_minor (FsCacheManifestNode *self)
{
  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), 0);
  return self->node->dev_minor;
}

/**
 * fs_cache_manifest_node_dup_xattr_names:
 * @self: an #FsCacheManifestNode
 *
 * The names of the node's extended attributes (`user.…`, `security.…`,
 * `trusted.…`, `system.posix_acl_access`, …), sorted.
 *
 * Returns: (transfer full) (array zero-terminated=1): the names; an empty
 *   array when it has none
 *
 * Since: 1.1
 */
GStrv
fs_cache_manifest_node_dup_xattr_names (FsCacheManifestNode *self)
{
  GVariant *xattrs;
  gsize n;
  GStrv names;

  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), NULL);

  xattrs = self->node->xattrs;
  n = xattrs != NULL ? g_variant_n_children (xattrs) : 0;
  names = g_new0 (char *, n + 1);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) name = NULL;

      g_variant_get_child (xattrs, i, "(@ay@ay)", &name, NULL);
      names[i] = g_variant_dup_bytestring (name, NULL);
    }
  return names;
}

/**
 * fs_cache_manifest_node_dup_xattr:
 * @self: an #FsCacheManifestNode
 * @name: the name of an extended attribute
 *
 * The value of one of the node's extended attributes.
 *
 * Returns: (transfer full) (nullable): the value, or %NULL if the node has
 *   no attribute @name
 *
 * Since: 1.1
 */
GBytes *
fs_cache_manifest_node_dup_xattr (FsCacheManifestNode *self, const char *name)
{
  GVariant *xattrs;
  gsize lo = 0, hi;

  g_return_val_if_fail (FS_IS_CACHE_MANIFEST_NODE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  xattrs = self->node->xattrs;
  if (xattrs == NULL)
    return NULL;
  /* Sorted by name (strcmp): a binary search. */
  hi = g_variant_n_children (xattrs);
  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;
      g_autoptr (GVariant) name_v = NULL;
      g_autoptr (GVariant) value_v = NULL;
      int c;

      g_variant_get_child (xattrs, mid, "(@ay@ay)", &name_v, &value_v);
      c = strcmp (g_variant_get_bytestring (name_v), name);
      if (c == 0)
        return g_variant_get_data_as_bytes (value_v);
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return NULL;
}
