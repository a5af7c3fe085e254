/* fs-cache-difference.c: FsCacheDifference, how a tree differs from its
 * manifest
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "fs-cache-difference-private.h"
#include "fs-cache-manifest-private.h"
#include "fs-util-private.h"

/**
 * FsCacheDifference:
 *
 * One way in which one node of a tree differs from the tree's manifest,
 * as found by a verification: the node's path, the kind of difference,
 * and a detail for people (what was expected, what was found).
 *
 * Since: 1.1
 */

struct _FsCacheDifference {
  GObject parent_instance;

  char *path;
  FsCacheDifferenceKind kind;
  char *detail;
};

enum { PROP_0, PROP_PATH, PROP_KIND, PROP_DETAIL, N_PROPS };

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FsCacheDifference, fs_cache_difference, G_TYPE_OBJECT)

static void
fs_cache_difference_finalize (GObject *object)
{
  FsCacheDifference *self = FS_CACHE_DIFFERENCE (object);

  g_free (self->path);
  g_free (self->detail);

  G_OBJECT_CLASS (fs_cache_difference_parent_class)->finalize (object);
}

static void
fs_cache_difference_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FsCacheDifference *self = FS_CACHE_DIFFERENCE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_DETAIL:
      g_value_set_string (value, self->detail);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fs_cache_difference_class_init (FsCacheDifferenceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fs_cache_difference_finalize;
  object_class->get_property = fs_cache_difference_get_property;

  /**
   * FsCacheDifference:path:
   *
   * The path of the node, relative to the top of the tree, as in the
   * manifest (`.` for the top directory).
   *
   * Since: 1.1
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheDifference:kind:
   *
   * What differs.
   *
   * Since: 1.1
   */
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, FS_TYPE_CACHE_DIFFERENCE_KIND,
                       FS_CACHE_DIFFERENCE_CONTENT, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FsCacheDifference:detail:
   *
   * What was expected and what was found, for people.
   *
   * Since: 1.1
   */
  properties[PROP_DETAIL] =
    g_param_spec_string ("detail", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fs_cache_difference_init (FsCacheDifference *self)
{
}

FsCacheDifference *
_fs_cache_difference_new (const char *path, FsCacheDifferenceKind kind, const char *detail)
{
  FsCacheDifference *self = g_object_new (FS_TYPE_CACHE_DIFFERENCE, NULL);

  self->path = g_strdup (path);
  self->kind = kind;
  self->detail = g_strdup (detail != NULL ? detail : "");
  return self;
}

int
_fs_cache_difference_compare (gconstpointer a, gconstpointer b)
{
  const FsCacheDifference *x = *(FsCacheDifference *const *) a;
  const FsCacheDifference *y = *(FsCacheDifference *const *) b;
  int c = _fs_manifest_path_compare (x->path, y->path);

  if (c != 0)
    return c;
  return (int) x->kind - (int) y->kind;
}

/**
 * fs_cache_difference_get_path:
 * @self: an #FsCacheDifference
 *
 * The path of the node that differs, relative to the top of the tree as in
 * the manifest (`.` for the top directory).
 *
 * Returns: (type filename): the path
 *
 * Since: 1.1
 */
const char *
fs_cache_difference_get_path (FsCacheDifference *self)
{
  g_return_val_if_fail (FS_IS_CACHE_DIFFERENCE (self), NULL);
  return self->path;
}

/**
 * fs_cache_difference_get_kind:
 * @self: an #FsCacheDifference
 *
 * What differs.
 *
 * Returns: the kind of difference
 *
 * Since: 1.1
 */
FsCacheDifferenceKind
fs_cache_difference_get_kind (FsCacheDifference *self)
{
  g_return_val_if_fail (FS_IS_CACHE_DIFFERENCE (self), FS_CACHE_DIFFERENCE_CONTENT);
  return self->kind;
}

/**
 * fs_cache_difference_get_detail:
 * @self: an #FsCacheDifference
 *
 * What was expected and what was found, in words (translated), such as
 * “mode 0600, expected 0644”.
 *
 * Returns: the detail, possibly empty
 *
 * Since: 1.1
 */
const char *
fs_cache_difference_get_detail (FsCacheDifference *self)
{
  g_return_val_if_fail (FS_IS_CACHE_DIFFERENCE (self), NULL);
  return self->detail;
}

/**
 * fs_cache_difference_kind_to_string:
 * @kind: an #FsCacheDifferenceKind
 *
 * What differs, in a few words for people, translated (`content differs`,
 * `missing`, `not in the manifest`…): the words
 * fs_cache_difference_to_string() puts after the path, for a program that
 * shows the path its own way.
 *
 * Returns: (transfer none): the words, or "?" for a kind this version does
 *   not know
 *
 * Since: 1.1
 */
const char *
fs_cache_difference_kind_to_string (FsCacheDifferenceKind kind)
{
  _fs_i18n_init ();
  switch (kind)
    {
    case FS_CACHE_DIFFERENCE_CONTENT:
      return _ ("content differs");
    case FS_CACHE_DIFFERENCE_TYPE:
      return _ ("type differs");
    case FS_CACHE_DIFFERENCE_MODE:
      return _ ("mode differs");
    case FS_CACHE_DIFFERENCE_OWNER:
      return _ ("owner differs");
    case FS_CACHE_DIFFERENCE_SYMLINK_TARGET:
      return _ ("symbolic link target differs");
    case FS_CACHE_DIFFERENCE_XATTRS:
      return _ ("extended attributes differ");
    case FS_CACHE_DIFFERENCE_DEVICE:
      return _ ("device numbers differ");
    case FS_CACHE_DIFFERENCE_HARD_LINKS:
      return _ ("hard links differ");
    case FS_CACHE_DIFFERENCE_MISSING:
      return _ ("missing");
    case FS_CACHE_DIFFERENCE_EXTRA:
      return _ ("not in the manifest");
    case FS_CACHE_DIFFERENCE_UNREADABLE:
      return _ ("unreadable");
    default:
      return "?";
    }
}

/**
 * fs_cache_difference_to_string:
 * @self: an #FsCacheDifference
 *
 * The difference in one line for people: the path, what differs, and the
 * detail (`bin/sh: content differs (size 120, expected 125)`). A path that
 * is not valid UTF-8 is shown with replacement characters.
 *
 * Returns: (transfer full): the line, without a newline
 *
 * Since: 1.1
 */
char *
fs_cache_difference_to_string (FsCacheDifference *self)
{
  g_autofree char *shown = NULL;

  g_return_val_if_fail (FS_IS_CACHE_DIFFERENCE (self), NULL);

  _fs_i18n_init ();
  shown = _fs_manifest_display_path (self->path);
  if (self->detail[0] != '\0')
    return g_strdup_printf ("%s: %s (%s)", shown, fs_cache_difference_kind_to_string (self->kind),
                            self->detail);
  return g_strdup_printf ("%s: %s", shown, fs_cache_difference_kind_to_string (self->kind));
}
