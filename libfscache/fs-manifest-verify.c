/* fs-manifest-verify.c: checking a tree against its manifest
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The tree is walked with a builder (fs-manifest.c) that hashes only the
 * regular files that may match (same size), on all cores, recording per
 * node what could not be read instead of failing; the nodes found and the
 * nodes expected, both in the manifest's order, are then merged.
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <glib/gi18n-lib.h>

#include "fs-cache-difference-private.h"
#include "fs-manifest-builder-private.h"
#include "fs-util-private.h"

/* Hash a file only if it can still match: the manifest has a regular file
 * of that size there. */
static gboolean
verify_want_hash (const char *path, const struct stat *st, gpointer data)
{
  FsCacheManifest *manifest = data;
  gint64 i = _fs_cache_manifest_find (manifest, path);
  const FsManifestNode *expected;

  if (i < 0)
    return FALSE;
  expected = _fs_cache_manifest_peek_node (manifest, (guint) i);
  return expected->type == FS_CACHE_NODE_TYPE_REGULAR && expected->size == (guint64) st->st_size;
}

static void
report (GPtrArray *out, const char *path, FsCacheDifferenceKind kind, const char *detail)
{
  g_ptr_array_add (out, _fs_cache_difference_new (path, kind, detail));
}

static const char *
type_words (FsCacheNodeType type)
{
  switch (type)
    {
    case FS_CACHE_NODE_TYPE_REGULAR:
      return _ ("regular file");
    case FS_CACHE_NODE_TYPE_DIRECTORY:
      return _ ("directory");
    case FS_CACHE_NODE_TYPE_SYMLINK:
      return _ ("symbolic link");
    case FS_CACHE_NODE_TYPE_FIFO:
      return _ ("named pipe");
    case FS_CACHE_NODE_TYPE_SOCKET:
      return _ ("socket");
    case FS_CACHE_NODE_TYPE_CHAR_DEVICE:
      return _ ("character device");
    case FS_CACHE_NODE_TYPE_BLOCK_DEVICE:
      return _ ("block device");
    default:
      return "?";
    }
}

/* "user.a differs, user.b missing, user.c added" */
static char *
xattrs_detail (GVariant *expected, GVariant *found)
{
  g_autoptr (GString) out = g_string_new (NULL);
  gsize ne = expected != NULL ? g_variant_n_children (expected) : 0;
  gsize nf = found != NULL ? g_variant_n_children (found) : 0;
  gsize i = 0, j = 0;

  while (i < ne || j < nf)
    {
      g_autoptr (GVariant) e = i < ne ? g_variant_get_child_value (expected, i) : NULL;
      g_autoptr (GVariant) f = j < nf ? g_variant_get_child_value (found, j) : NULL;
      g_autoptr (GVariant) en = e != NULL ? g_variant_get_child_value (e, 0) : NULL;
      g_autoptr (GVariant) fn = f != NULL ? g_variant_get_child_value (f, 0) : NULL;
      int c = e == NULL   ? 1
              : f == NULL ? -1
                          : strcmp (g_variant_get_bytestring (en), g_variant_get_bytestring (fn));
      g_autofree char *name = NULL;

      if (out->len > 0 && (c != 0 || !g_variant_equal (e, f)))
        g_string_append (out, ", ");
      if (c < 0)
        {
          name = _fs_manifest_display_path (g_variant_get_bytestring (en));
          g_string_append_printf (out, _ ("%s missing"), name);
          i++;
        }
      else if (c > 0)
        {
          name = _fs_manifest_display_path (g_variant_get_bytestring (fn));
          g_string_append_printf (out, _ ("%s added"), name);
          j++;
        }
      else
        {
          if (!g_variant_equal (e, f))
            {
              name = _fs_manifest_display_path (g_variant_get_bytestring (en));
              g_string_append_printf (out, _ ("%s differs"), name);
            }
          i++;
          j++;
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
xattrs_equal (GVariant *a, GVariant *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_variant_equal (a, b);
}

typedef struct {
  GHashTable *group_inode; /* expected group → InodeInfo * of the first node found */
  GHashTable *inode_group; /* InodeInfo * → expected group (0: none) + 1 */
} LinkCheck;

/* Whether the found node's hard links are those of the expected one: every
 * expected group maps to one inode and back; a node without a group has
 * its inode to itself. */
static gboolean
links_match (LinkCheck *lc, const FsManifestNode *expected, const BuildNode *found)
{
  gpointer key = found->inode != NULL && found->inode->count > 1 ? found->inode : NULL;
  gpointer seen;

  if (expected->link_group == 0)
    return key == NULL;
  if (key == NULL)
    return FALSE;
  seen = g_hash_table_lookup (lc->group_inode, GUINT_TO_POINTER (expected->link_group));
  if (seen == NULL)
    {
      if (g_hash_table_contains (lc->inode_group, key))
        return FALSE; /* this inode already stands for another group */
      g_hash_table_insert (lc->group_inode, GUINT_TO_POINTER (expected->link_group), key);
      g_hash_table_insert (lc->inode_group, key, GUINT_TO_POINTER (expected->link_group));
      return TRUE;
    }
  return seen == key;
}

static void
compare_node (GPtrArray *out, LinkCheck *lc, const FsManifestNode *e, const BuildNode *f)
{
  const char *path = e->path;
  char expected_buf[64], found_buf[64];
  g_autofree char *detail = NULL;

  if (e->type != f->n.type)
    {
      detail =
        g_strdup_printf (_ ("%s, expected %s"), type_words (f->n.type), type_words (e->type));
      report (out, path, FS_CACHE_DIFFERENCE_TYPE, detail);
      return;
    }

  if (e->type == FS_CACHE_NODE_TYPE_REGULAR && f->error_message == NULL)
    {
      g_clear_pointer (&detail, g_free);
      if (f->n.size != e->size || (f->has_digest && f->hashed_size != e->size))
        detail = g_strdup_printf (_ ("size %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT),
                                  f->has_digest ? f->hashed_size : f->n.size, e->size);
      else if (!f->has_digest || memcmp (f->digest, e->sha256, FS_DIGEST_SIZE) != 0)
        {
          char hex_e[FS_DIGEST_HEX_SIZE], hex_f[FS_DIGEST_HEX_SIZE];

          _fs_digest_to_hex (e->sha256, hex_e);
          if (f->has_digest)
            _fs_digest_to_hex (f->digest, hex_f);
          else
            g_strlcpy (hex_f, "?", sizeof hex_f);
          detail = g_strdup_printf (_ ("SHA-256 %s, expected %s"), hex_f, hex_e);
        }
      if (detail != NULL)
        report (out, path, FS_CACHE_DIFFERENCE_CONTENT, detail);
    }

  if (f->n.mode != e->mode)
    {
      g_clear_pointer (&detail, g_free);
      detail = g_strdup_printf (_ ("mode %04o, expected %04o"), f->n.mode, e->mode);
      report (out, path, FS_CACHE_DIFFERENCE_MODE, detail);
    }
  if (f->n.uid != e->uid || f->n.gid != e->gid)
    {
      g_clear_pointer (&detail, g_free);
      detail =
        g_strdup_printf (_ ("owner %u:%u, expected %u:%u"), f->n.uid, f->n.gid, e->uid, e->gid);
      report (out, path, FS_CACHE_DIFFERENCE_OWNER, detail);
    }
  if (e->type == FS_CACHE_NODE_TYPE_SYMLINK && strcmp (e->target, f->n.target) != 0)
    {
      g_autofree char *te = _fs_manifest_display_path (e->target);
      g_autofree char *tf = _fs_manifest_display_path (f->n.target);

      g_clear_pointer (&detail, g_free);
      detail = g_strdup_printf (_ ("“%s”, expected “%s”"), tf, te);
      report (out, path, FS_CACHE_DIFFERENCE_SYMLINK_TARGET, detail);
    }
  if (f->error_message == NULL && !xattrs_equal (e->xattrs, f->n.xattrs))
    {
      g_clear_pointer (&detail, g_free);
      detail = xattrs_detail (e->xattrs, f->n.xattrs);
      report (out, path, FS_CACHE_DIFFERENCE_XATTRS, detail);
    }
  if (e->dev_major != f->n.dev_major || e->dev_minor != f->n.dev_minor)
    {
      g_snprintf (expected_buf, sizeof expected_buf, "%u:%u", e->dev_major, e->dev_minor);
      g_snprintf (found_buf, sizeof found_buf, "%u:%u", f->n.dev_major, f->n.dev_minor);
      g_clear_pointer (&detail, g_free);
      detail = g_strdup_printf (_ ("%s, expected %s"), found_buf, expected_buf);
      report (out, path, FS_CACHE_DIFFERENCE_DEVICE, detail);
    }
  if (!links_match (lc, e, f))
    {
      g_clear_pointer (&detail, g_free);
      if (e->link_group == 0)
        detail = g_strdup (_ ("expected no other hard link in the tree"));
      else
        detail = g_strdup_printf (_ ("expected hard-link group %u"), e->link_group);
      report (out, path, FS_CACHE_DIFFERENCE_HARD_LINKS, detail);
    }
  if (f->error_message != NULL)
    report (out, path, FS_CACHE_DIFFERENCE_UNREADABLE, f->error_message);
}

static gboolean
is_below (const char *dir, const char *path)
{
  gsize len;

  if (strcmp (dir, FS_MANIFEST_ROOT) == 0)
    return strcmp (path, FS_MANIFEST_ROOT) != 0;
  len = strlen (dir);
  return strncmp (dir, path, len) == 0 && path[len] == '/';
}

gboolean
_fs_manifest_verify_at (int dirfd,
                        const char *path,
                        FsCacheManifest *manifest,
                        guint n_threads,
                        GFileProgressCallback progress,
                        gpointer progress_data,
                        GPtrArray **out_differences,
                        GCancellable *cancellable,
                        GError **error)
{
  g_autoptr (FsManifestBuilder) builder = NULL;
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GHashTable) group_inode = g_hash_table_new (NULL, NULL);
  g_autoptr (GHashTable) inode_group = g_hash_table_new (NULL, NULL);
  LinkCheck lc = { group_inode, inode_group };
  fs_autofd root_fd = -1;
  const char *skip_below = NULL; /* an unreadable directory: its content is unknown */
  guint n_expected, i = 0, j = 0;
  GPtrArray *found;

  g_return_val_if_fail (FS_IS_CACHE_MANIFEST (manifest), FALSE);
  g_return_val_if_fail (out_differences != NULL, FALSE);

  _fs_i18n_init ();
  root_fd = openat (dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (root_fd < 0 && errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
    return _fs_throw_errno (error, errno, _ ("Opening directory %s"), path);

  builder = _fs_manifest_builder_new (root_fd, n_threads, cancellable);
  builder->verify = TRUE;
  builder->want_hash = verify_want_hash;
  builder->want_hash_data = manifest;
  if (progress != NULL)
    _fs_manifest_builder_set_progress (builder, progress, progress_data,
                                       fs_cache_manifest_get_total_size (manifest));
  if (!_fs_manifest_walk_tree (builder, dirfd, path, error))
    return FALSE;
  if (!_fs_manifest_builder_finish (builder, error))
    return FALSE;
  if (progress != NULL)
    progress ((goffset) builder->progress_total, (goffset) builder->progress_total, progress_data);

  /* Both lists are in the manifest's order: merge them. */
  found = builder->nodes;
  n_expected = fs_cache_manifest_get_n_nodes (manifest);
  while (i < n_expected || j < found->len)
    {
      const FsManifestNode *e = i < n_expected ? _fs_cache_manifest_peek_node (manifest, i) : NULL;
      const BuildNode *f = j < found->len ? found->pdata[j] : NULL;
      int c = e == NULL ? 1 : f == NULL ? -1 : _fs_manifest_path_compare (e->path, f->n.path);

      if (c < 0 && e != NULL)
        {
          if (skip_below == NULL || !is_below (skip_below, e->path))
            report (out, e->path, FS_CACHE_DIFFERENCE_MISSING, NULL);
          i++;
        }
      else if (c > 0 && f != NULL)
        {
          report (out, f->n.path, FS_CACHE_DIFFERENCE_EXTRA, NULL);
          j++;
        }
      else if (e != NULL && f != NULL)
        {
          compare_node (out, &lc, e, f);
          if (f->n.type == FS_CACHE_NODE_TYPE_DIRECTORY && f->error_message != NULL)
            skip_below = f->n.path;
          i++;
          j++;
        }
    }
  g_ptr_array_sort (out, _fs_cache_difference_compare);
  *out_differences = g_steal_pointer (&out);
  return TRUE;
}
