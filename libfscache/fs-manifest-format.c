/* fs-manifest-format.c: the manifest format
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The format (docs/format.md, "object.manifest") in one place: the GVariant
 * types, the order of the nodes, the serializer, and the parser, which
 * trusts nothing: anyone who can write a shared cache can write a manifest.
 * A leaf: FsCacheManifest (the public object), FsCacheManifestNode and the
 * builder (fs-manifest.c) stand on it.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "fs-digest-private.h"
#include "fs-manifest-format-private.h"
#include "fs-util-private.h"

void
_fs_manifest_data_clear (FsManifestData *self)
{
  for (guint i = 0; i < self->n_nodes; i++)
    g_clear_pointer (&self->nodes[i].xattrs, g_variant_unref);
  g_clear_pointer (&self->nodes, g_free);
  self->n_nodes = 0;
  g_clear_pointer (&self->bytes, g_bytes_unref);
}

gint64
_fs_manifest_data_find (const FsManifestData *self, const char *path)
{
  guint lo = 0, hi = self->n_nodes;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      int c = _fs_manifest_path_compare (self->nodes[mid].path, path);

      if (c == 0)
        return mid;
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return -1;
}

int
_fs_manifest_path_compare (const char *a, const char *b)
{
  gboolean root_a = strcmp (a, FS_MANIFEST_ROOT) == 0;
  gboolean root_b = strcmp (b, FS_MANIFEST_ROOT) == 0;

  if (root_a || root_b)
    return (int) root_b - (int) root_a;
  for (;; a++, b++)
    {
      guint ka, kb;

      if (*a == *b)
        {
          if (*a == '\0')
            return 0;
          continue;
        }
      /* the end first, then "/", then every other byte in its order */
      ka = *a == '\0' ? 0 : *a == '/' ? 1 : (guint) (guchar) *a + 1;
      kb = *b == '\0' ? 0 : *b == '/' ? 1 : (guint) (guchar) *b + 1;
      return ka < kb ? -1 : 1;
    }
}

static const struct {
  FsCacheNodeType type;
  char code;
  const char *name;
} node_types[] = {
  { FS_CACHE_NODE_TYPE_REGULAR, 'f', "regular" },
  { FS_CACHE_NODE_TYPE_DIRECTORY, 'd', "directory" },
  { FS_CACHE_NODE_TYPE_SYMLINK, 'l', "symlink" },
  { FS_CACHE_NODE_TYPE_FIFO, 'p', "fifo" },
  { FS_CACHE_NODE_TYPE_SOCKET, 's', "socket" },
  { FS_CACHE_NODE_TYPE_CHAR_DEVICE, 'c', "char-device" },
  { FS_CACHE_NODE_TYPE_BLOCK_DEVICE, 'b', "block-device" },
};

static gboolean
type_from_code (guchar code, FsCacheNodeType *out_type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (node_types); i++)
    if (node_types[i].code == (char) code)
      {
        *out_type = node_types[i].type;
        return TRUE;
      }
  return FALSE;
}

static char
type_code (FsCacheNodeType type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (node_types); i++)
    if (node_types[i].type == type)
      return node_types[i].code;
  g_return_val_if_reached ('?');
}

const char *
_fs_manifest_type_name (FsCacheNodeType type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (node_types); i++)
    if (node_types[i].type == type)
      return node_types[i].name;
  return "unknown";
}

gboolean
_fs_manifest_type_from_mode (guint32 st_mode, FsCacheNodeType *out_type)
{
  switch (st_mode & S_IFMT)
    {
    case S_IFREG:
      *out_type = FS_CACHE_NODE_TYPE_REGULAR;
      return TRUE;
    case S_IFDIR:
      *out_type = FS_CACHE_NODE_TYPE_DIRECTORY;
      return TRUE;
    case S_IFLNK:
      *out_type = FS_CACHE_NODE_TYPE_SYMLINK;
      return TRUE;
    case S_IFIFO:
      *out_type = FS_CACHE_NODE_TYPE_FIFO;
      return TRUE;
    case S_IFSOCK:
      *out_type = FS_CACHE_NODE_TYPE_SOCKET;
      return TRUE;
    case S_IFCHR:
      *out_type = FS_CACHE_NODE_TYPE_CHAR_DEVICE;
      return TRUE;
    case S_IFBLK:
      *out_type = FS_CACHE_NODE_TYPE_BLOCK_DEVICE;
      return TRUE;
    default:
      return FALSE;
    }
}

char *
_fs_manifest_display_path (const char *path)
{
  return g_utf8_make_valid (path, -1);
}

static int
compare_xattr_names (gconstpointer a, gconstpointer b, gpointer names)
{
  guint ia = *(const guint *) a, ib = *(const guint *) b;
  GPtrArray *n = names;

  return strcmp (n->pdata[ia], n->pdata[ib]);
}

GVariant *
_fs_manifest_xattrs_new (GPtrArray *names, GPtrArray *values)
{
  g_autofree guint *order = NULL;
  GVariantBuilder builder;

  g_return_val_if_fail (names->len == values->len, NULL);
  if (names->len == 0)
    return NULL;
  order = g_new (guint, names->len);
  for (guint i = 0; i < names->len; i++)
    order[i] = i;
  g_qsort_with_data (order, (gint) names->len, sizeof (guint), compare_xattr_names, names);

  g_variant_builder_init (&builder, G_VARIANT_TYPE (FS_MANIFEST_XATTRS_TYPE));
  for (guint i = 0; i < names->len; i++)
    {
      GBytes *value = values->pdata[order[i]];
      gsize len = 0;
      gconstpointer data = g_bytes_get_data (value, &len);

      g_variant_builder_add (&builder, "(@ay@ay)",
                             g_variant_new_bytestring (names->pdata[order[i]]),
                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1));
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* ---- serializing ----
 *
 * By hand, by GVariant's rules for exactly our type: GLib's builder makes a
 * dozen GVariants per node and took 40 ms for 10,000 nodes, this takes
 * about 1. The tests compare its bytes with GLib's serialization of the
 * same values (and the parser checks them for normal form).
 *
 * The rules used: a member or an array element starts at the next
 * multiple of its alignment (zero padding); the end of every
 * variable-sized member of a tuple but the last is recorded, and these
 * framing offsets follow the tuple's members in reverse order; an array of
 * variable-sized elements is followed by the end of each element in order;
 * offsets are little-endian, all of one container in the smallest size (1,
 * 2, 4 or 8 bytes) that can address the container, offsets included; a
 * variant is its value, a NUL and its type string. */

static gsize
frame_size (gsize body, gsize n_offsets)
{
  if (body + n_offsets <= G_MAXUINT8)
    return 1;
  if (body + 2 * n_offsets <= G_MAXUINT16)
    return 2;
  if (body + 4 * n_offsets <= G_MAXUINT32)
    return 4;
  return 8;
}

/* Where the bytes go: a buffer, or a comparison with bytes that should be
 * the same (a parse checks its input that way, without a copy). */
typedef struct {
  guint8 *buf; /* writing: the bytes so far */
  gsize cap;
  const guint8 *expect; /* comparing: what the bytes should be */
  gsize expect_len;
  gboolean differs;
  gsize len; /* bytes put so far */
} Sink;

static void
put (Sink *out, const void *data, gsize n)
{
  if (out->expect != NULL)
    {
      if (!out->differs &&
          (n > out->expect_len - out->len || memcmp (out->expect + out->len, data, n) != 0))
        out->differs = TRUE;
      if (out->differs)
        return;
    }
  else
    {
      if (out->len + n > out->cap)
        {
          out->cap = MAX (out->cap * 2, out->len + n);
          out->buf = g_realloc (out->buf, out->cap);
        }
      memcpy (out->buf + out->len, data, n);
    }
  out->len += n;
}

static void
put_le (Sink *out, guint64 value, gsize size)
{
  guint8 bytes[8];

  for (gsize i = 0; i < size; i++)
    bytes[i] = (guint8) (value >> (8 * i));
  put (out, bytes, size);
}

/* Zero padding up to a multiple of @align from @start. */
static void
align_to (Sink *out, gsize start, gsize align)
{
  static const guint8 zero[8];

  put (out, zero, (align - (out->len - start) % align) % align);
}

static void
put_node (Sink *out, const FsManifestNode *n)
{
  const char *target = n->target != NULL ? n->target : "";
  gsize start = out->len;
  gsize ends[3], fs;
  guint8 fixed[40];
  gsize f = 0;

  put (out, n->path, strlen (n->path) + 1);
  ends[0] = out->len - start;
  /* the fixed part at once: type, padding to 4, 3 × u, padding to 8, t, 3 × u */
  fixed[f++] = (guchar) type_code (n->type);
  while ((ends[0] + f) % 4 != 0)
    fixed[f++] = 0;
  for (guint32 v = 0; v < 3; v++)
    for (gsize i = 0; i < 4; i++)
      fixed[f++] = (guint8) ((v == 0 ? n->mode : v == 1 ? n->uid : n->gid) >> (8 * i));
  while ((ends[0] + f) % 8 != 0)
    fixed[f++] = 0;
  for (gsize i = 0; i < 8; i++)
    fixed[f++] = (guint8) (n->size >> (8 * i));
  for (guint32 v = 0; v < 3; v++)
    for (gsize i = 0; i < 4; i++)
      fixed[f++] = (guint8) ((v == 0   ? n->link_group
                              : v == 1 ? n->dev_major
                                       : n->dev_minor) >>
                             (8 * i));
  put (out, fixed, f);
  put (out, target, strlen (target) + 1);
  ends[1] = out->len - start;
  if (n->sha256 != NULL)
    put (out, n->sha256, FS_DIGEST_SIZE);
  ends[2] = out->len - start;
  /* a(ayay) holds no numbers: its bytes are the same on every machine */
  if (n->xattrs != NULL)
    put (out, g_variant_get_data (n->xattrs), g_variant_get_size (n->xattrs));
  fs = frame_size (out->len - start, 3);
  put_le (out, ends[2], fs);
  put_le (out, ends[1], fs);
  put_le (out, ends[0], fs);
}

static void
serialize (Sink *out, const FsManifestNode *nodes, guint n_nodes)
{
  g_autofree gsize *ends = g_new (gsize, n_nodes);
  gsize base, fs;

  /* (uv): the version, then the variant at the next multiple of 8 */
  put_le (out, FS_CACHE_MANIFEST_FORMAT_VERSION, 4);
  align_to (out, 0, 8);
  base = out->len;
  for (guint i = 0; i < n_nodes && !out->differs; i++)
    {
      align_to (out, base, 8); /* the alignment of a node */
      put_node (out, &nodes[i]);
      ends[i] = out->len - base;
    }
  fs = frame_size (out->len - base, n_nodes);
  for (guint i = 0; i < n_nodes && !out->differs; i++)
    put_le (out, ends[i], fs);
  /* NUL + type, without the C string's NUL */
  put (out, "\0" FS_MANIFEST_V1_TYPE, sizeof FS_MANIFEST_V1_TYPE);
}

GBytes *
_fs_manifest_serialize (const FsManifestNode *nodes, guint n_nodes)
{
  Sink out = { 0 };

  out.cap = (gsize) n_nodes * 96 + 64;
  out.buf = g_malloc (out.cap);
  serialize (&out, nodes, n_nodes);
  return g_bytes_new_take (out.buf, out.len);
}

/* Whether @bytes are exactly what the serializer writes for @nodes. */
static gboolean
is_serialization_of (GBytes *bytes, const FsManifestNode *nodes, guint n_nodes)
{
  Sink out = { 0 };

  out.expect = g_bytes_get_data (bytes, &out.expect_len);
  serialize (&out, nodes, n_nodes);
  return !out.differs && out.len == out.expect_len;
}

/* ---- parsing ---- */

#define MAX_NAME_LEN 255      /* NAME_MAX */
#define MAX_PATH_LEN 4095     /* PATH_MAX without its NUL */
#define MAX_XATTR_NAME 255    /* XATTR_NAME_MAX */
#define MAX_XATTR_VALUE 65536 /* XATTR_SIZE_MAX */
#define MAX_XATTR_LIST 65536  /* XATTR_LIST_MAX: the names of one node, NULs included */

typedef struct {
  FsManifestData *self;
  GError **error;
  guint index;
} Parse;

static gboolean corrupt (Parse *p, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* FS_CACHE_ERROR_CORRUPT naming the node being parsed. */
static gboolean
corrupt (Parse *p, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  if (p->index < p->self->n_nodes && p->self->nodes[p->index].path != NULL)
    {
      g_autofree char *shown = _fs_manifest_display_path (p->self->nodes[p->index].path);
      g_set_error (p->error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT,
                   _ ("The manifest is corrupt: node %u (“%s”): %s"), p->index, shown, what);
    }
  else if (p->index < p->self->n_nodes)
    g_set_error (p->error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT,
                 _ ("The manifest is corrupt: node %u: %s"), p->index, what);
  else
    g_set_error (p->error, FS_CACHE_ERROR, FS_CACHE_ERROR_CORRUPT,
                 _ ("The manifest is corrupt: %s"), what);
  return FALSE;
}

/* A bytestring value (ay ending in its only NUL) of @min to @max bytes
 * before the NUL. */
static gboolean
get_bytestring (GVariant *value, gsize min, gsize max, const char **out, gsize *out_len)
{
  gsize len = 0;
  const char *data = g_variant_get_fixed_array (value, &len, 1);

  if (len == 0 || data[len - 1] != '\0' || memchr (data, '\0', len - 1) != NULL)
    return FALSE;
  if (len - 1 < min || len - 1 > max)
    return FALSE;
  *out = data;
  *out_len = len - 1;
  return TRUE;
}

static gboolean
check_path (Parse *p, const char *path, gsize len)
{
  const char *c = path;

  if (len == 0)
    return corrupt (p, _ ("the path is empty"));
  if (strcmp (path, FS_MANIFEST_ROOT) == 0)
    return p->index == 0 ? TRUE : corrupt (p, _ ("the top directory “.” is not the first node"));
  if (p->index == 0)
    return corrupt (p, _ ("the first node is not the top directory “.”"));
  if (path[0] == '/')
    return corrupt (p, _ ("the path is absolute"));
  for (;;)
    {
      const char *slash = strchr (c, '/');
      gsize n = slash != NULL ? (gsize) (slash - c) : strlen (c);

      if (n == 0)
        return corrupt (p, _ ("the path has an empty component"));
      if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
        return corrupt (p, _ ("the path has a “.” or “..” component"));
      if (n > MAX_NAME_LEN)
        return corrupt (p, _ ("a component of the path is longer than %d bytes"), MAX_NAME_LEN);
      if (slash == NULL)
        return TRUE;
      c = slash + 1;
    }
}

static gboolean
is_ancestor (const char *dir, const char *path)
{
  gsize len;

  if (strcmp (dir, FS_MANIFEST_ROOT) == 0)
    return TRUE;
  len = strlen (dir);
  return strncmp (dir, path, len) == 0 && path[len] == '/';
}

static gboolean
is_parent (const char *dir, const char *path)
{
  if (strcmp (dir, FS_MANIFEST_ROOT) == 0)
    return strchr (path, '/') == NULL;
  return is_ancestor (dir, path) && strchr (path + strlen (dir) + 1, '/') == NULL;
}

static gboolean
parse_xattrs (Parse *p, GVariant *xattrs)
{
  gsize n = g_variant_n_children (xattrs);
  gsize list_len = 0;
  const char *prev = NULL;

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) pair = g_variant_get_child_value (xattrs, i);
      g_autoptr (GVariant) name_v = g_variant_get_child_value (pair, 0);
      g_autoptr (GVariant) value_v = g_variant_get_child_value (pair, 1);
      const char *name = NULL;
      gsize name_len = 0;

      if (!get_bytestring (name_v, 1, MAX_XATTR_NAME, &name, &name_len))
        return corrupt (p, _ ("an extended attribute has an invalid name"));
      if (g_variant_n_children (value_v) > MAX_XATTR_VALUE)
        return corrupt (p, _ ("an extended attribute is longer than %d bytes"), MAX_XATTR_VALUE);
      if (prev != NULL && strcmp (prev, name) >= 0)
        return corrupt (p, _ ("the extended attributes are not sorted, or repeat a name"));
      list_len += name_len + 1;
      if (list_len > MAX_XATTR_LIST)
        return corrupt (p, _ ("the names of the extended attributes exceed %d bytes"),
                        MAX_XATTR_LIST);
      prev = name;
    }
  return TRUE;
}

static gboolean
same_inode (const FsManifestNode *a, const FsManifestNode *b)
{
  if (a->type != b->type || a->mode != b->mode || a->uid != b->uid || a->gid != b->gid ||
      a->size != b->size || a->dev_major != b->dev_major || a->dev_minor != b->dev_minor ||
      strcmp (a->target, b->target) != 0)
    return FALSE;
  if ((a->sha256 == NULL) != (b->sha256 == NULL) ||
      (a->sha256 != NULL && memcmp (a->sha256, b->sha256, FS_DIGEST_SIZE) != 0))
    return FALSE;
  if ((a->xattrs == NULL) != (b->xattrs == NULL) ||
      (a->xattrs != NULL && !g_variant_equal (a->xattrs, b->xattrs)))
    return FALSE;
  return TRUE;
}

static guint64
get_le (const guint8 *p, gsize size)
{
  guint64 v = 0;

  for (gsize i = size; i-- > 0;)
    v = v << 8 | p[i];
  return v;
}

/* The size of the framing offsets of a container of @size bytes. */
static gsize
offset_size (gsize size)
{
  return size <= G_MAXUINT8 ? 1 : size <= G_MAXUINT16 ? 2 : size <= G_MAXUINT32 ? 4 : 8;
}

/* A bytestring: @len bytes ending in their only NUL, at most @max before it. */
static gboolean
is_bytestring (const guint8 *data, gsize len, gsize max)
{
  return len > 0 && len - 1 <= max && data[len - 1] == '\0' && memchr (data, '\0', len - 1) == NULL;
}

/* One node: the @len bytes at @data, @offset from the start of the file.
 * The file is in normal form already; every offset is checked anyway. */
static gboolean
parse_node (Parse *p, const guint8 *data, gsize len, gsize offset, FsManifestNode *node)
{
  gsize fs = offset_size (len);
  gsize members_end, path_end, target_end, sha_end, pos;
  guchar code;

  if (len < 3 * fs)
    return corrupt (p, _ ("it is truncated"));
  members_end = len - 3 * fs;
  path_end = get_le (data + len - fs, fs);
  target_end = get_le (data + len - 2 * fs, fs);
  sha_end = get_le (data + len - 3 * fs, fs);
  /* path, type, 3 × u, t (aligned to 8), 3 × u, then the target */
  pos = path_end + 1;
  pos = (pos + 3) & ~(gsize) 3;
  pos += 12;
  pos = (pos + 7) & ~(gsize) 7;
  if (path_end > members_end || pos + 20 > members_end || target_end < pos + 20 ||
      target_end > sha_end || sha_end > members_end)
    return corrupt (p, _ ("it is truncated"));

  if (!is_bytestring (data, path_end, MAX_PATH_LEN))
    return corrupt (p, _ ("the path is not a string of at most %d bytes"), MAX_PATH_LEN);
  node->path = (const char *) data;
  if (!check_path (p, node->path, path_end - 1))
    return FALSE;

  code = data[path_end];
  pos = (path_end + 1 + 3) & ~(gsize) 3;
  node->mode = (guint32) get_le (data + pos, 4);
  node->uid = (guint32) get_le (data + pos + 4, 4);
  node->gid = (guint32) get_le (data + pos + 8, 4);
  pos = (pos + 12 + 7) & ~(gsize) 7;
  node->size = get_le (data + pos, 8);
  node->link_group = (guint32) get_le (data + pos + 8, 4);
  node->dev_major = (guint32) get_le (data + pos + 12, 4);
  node->dev_minor = (guint32) get_le (data + pos + 16, 4);
  pos += 20;

  if (!type_from_code (code, &node->type))
    return corrupt (p, _ ("unknown node type %u"), (guint) code);
  if (node->mode & ~(guint32) 07777)
    return corrupt (p, _ ("the mode %o has bits beyond the permissions"), node->mode);

  if (!is_bytestring (data + pos, target_end - pos, MAX_PATH_LEN))
    return corrupt (p, _ ("the symbolic link target is not a string of at most %d bytes"),
                    MAX_PATH_LEN);
  node->target = (const char *) data + pos;
  if ((node->type == FS_CACHE_NODE_TYPE_SYMLINK) != (target_end - pos > 1))
    return corrupt (p, node->type == FS_CACHE_NODE_TYPE_SYMLINK
                         ? _ ("the symbolic link has no target")
                         : _ ("a node that is not a symbolic link has a target"));

  if (node->type == FS_CACHE_NODE_TYPE_REGULAR)
    {
      if (sha_end - target_end != FS_DIGEST_SIZE)
        return corrupt (p, _ ("the SHA-256 of the regular file is not 32 bytes"));
      node->sha256 = data + target_end;
      if (node->size > (guint64) G_MAXINT64)
        return corrupt (p, _ ("the size is too large"));
    }
  else if (sha_end != target_end)
    return corrupt (p, _ ("a node that is not a regular file has a SHA-256"));

  if (node->type == FS_CACHE_NODE_TYPE_SYMLINK && node->size != target_end - pos - 1)
    return corrupt (p, _ ("the size of the symbolic link is not the length of its target"));
  if (node->type != FS_CACHE_NODE_TYPE_REGULAR && node->type != FS_CACHE_NODE_TYPE_SYMLINK &&
      node->size != 0)
    return corrupt (p, _ ("a node that is not a regular file or a symbolic link has a size"));

  if (node->type != FS_CACHE_NODE_TYPE_CHAR_DEVICE &&
      node->type != FS_CACHE_NODE_TYPE_BLOCK_DEVICE &&
      (node->dev_major != 0 || node->dev_minor != 0))
    return corrupt (p, _ ("a node that is not a device has device numbers"));

  if (node->type == FS_CACHE_NODE_TYPE_DIRECTORY && node->link_group != 0)
    return corrupt (p, _ ("a directory is in a hard-link group"));

  /* Extended attributes are rare: through GVariant, on a slice of the bytes. */
  if (members_end > sha_end)
    {
      g_autoptr (GBytes) slice =
        g_bytes_new_from_bytes (p->self->bytes, offset + sha_end, members_end - sha_end);

      node->xattrs = g_variant_ref_sink (
        g_variant_new_from_bytes (G_VARIANT_TYPE (FS_MANIFEST_XATTRS_TYPE), slice, FALSE));
      if (!g_variant_is_normal_form (node->xattrs))
        return corrupt (p, _ ("the extended attributes are not in normal form"));
      if (!parse_xattrs (p, node->xattrs))
        return FALSE;
    }
  return TRUE;
}

/* @trusted: the bytes come from _fs_manifest_serialize(), so they are in
 * normal form (the tests check that against GLib's serialization): the
 * check that they are, half the time of a parse, is left out. The nodes
 * are checked all the same. */
gboolean
_fs_manifest_data_parse (FsManifestData *self, GBytes *bytes, gboolean trusted, GError **error)
{
  g_autoptr (GArray) dirs = NULL;   /* indices of the directories enclosing the current node */
  g_autoptr (GArray) groups = NULL; /* per link group: its first node, its number of nodes */
  Parse p = { self, error, G_MAXUINT };
  gsize size = g_bytes_get_size (bytes);
  const guint8 *data, *body, *type_nul;
  const char *type_end = NULL;
  gsize body_len, body_offset, fs, nodes_end, n, type_len, start = 0;
  guint32 version;

  if (size > FS_MANIFEST_MAX_SIZE)
    return corrupt (&p, _ ("the file is larger than %" G_GSIZE_FORMAT " bytes"),
                    FS_MANIFEST_MAX_SIZE);

  /* The nodes point into the bytes. (GLib 2.74's normal-form check reads
   * one byte past the end of a variant whose last child is empty: it only
   * sees extended attributes here, which a node's framing offsets follow.) */
  self->bytes = g_bytes_ref (bytes);
  if (size == 0)
    return corrupt (&p, _ ("the file is empty"));
  {
    guint8 raw[FS_DIGEST_SIZE];

    _fs_digest_buffer (g_bytes_get_data (self->bytes, NULL), size, raw);
    _fs_digest_to_hex (raw, self->digest);
  }

  /* (uv), by hand: the version (little-endian on every machine), zero
   * padding to 8, the variant: its value, a NUL, its type string. A newer
   * version is recognized as such only in a well-formed (uv); anything else
   * is corrupt. */
  data = g_bytes_get_data (self->bytes, NULL);
  type_nul = size > 8 ? memrchr (data + 8, '\0', size - 8) : NULL;
  type_len = type_nul != NULL ? (gsize) (data + size - type_nul - 1) : 0;
  if (size < 10 || get_le (data + 4, 4) != 0 || type_nul == NULL || type_len == 0 ||
      !g_variant_type_string_scan ((const char *) type_nul + 1, (const char *) data + size,
                                   &type_end) ||
      type_end != (const char *) data + size)
    return corrupt (&p, _ ("it is not a GVariant of type %s"), FS_MANIFEST_FILE_TYPE);
  version = (guint32) get_le (data, 4);
  if (version > FS_CACHE_MANIFEST_FORMAT_VERSION)
    return g_set_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_INCOMPATIBLE,
                        _ ("The manifest has format version %u, newer than this library’s (%d)"),
                        version, FS_CACHE_MANIFEST_FORMAT_VERSION),
           FALSE;
  if (version == 0)
    return corrupt (&p, _ ("format version 0"));
  if (type_len != strlen (FS_MANIFEST_V1_TYPE) ||
      memcmp (type_nul + 1, FS_MANIFEST_V1_TYPE, type_len) != 0)
    {
      g_autofree char *type = g_strndup ((const char *) type_nul + 1, MIN (type_len, 64));
      return corrupt (&p, _ ("the nodes are of type %s, not %s"), type, FS_MANIFEST_V1_TYPE);
    }

  /* The array of nodes, by hand (GVariant's accessors allocate a GVariant
   * per member: 40 ms for 10,000 nodes): the end of each node is in the
   * framing offsets after the last one. */
  body = data + 8;
  body_offset = 8;
  body_len = (gsize) (type_nul - body);
  if (body_len == 0)
    return corrupt (&p, _ ("it has no nodes"));
  fs = offset_size (body_len);
  nodes_end = body_len >= fs ? get_le (body + body_len - fs, fs) : G_MAXSIZE;
  if (body_len < fs || nodes_end > body_len - fs || (body_len - nodes_end) % fs != 0)
    return corrupt (&p, _ ("it is truncated"));
  n = (body_len - nodes_end) / fs;
  if (n > G_MAXUINT32)
    return corrupt (&p, _ ("it has too many nodes"));
  self->nodes = g_new0 (FsManifestNode, n);
  self->n_nodes = (guint) n;

  dirs = g_array_new (FALSE, FALSE, sizeof (guint));
  groups = g_array_new (FALSE, FALSE, sizeof (guint) * 2);
  for (guint i = 0; i < self->n_nodes; i++)
    {
      FsManifestNode *node = &self->nodes[i];
      gsize end = get_le (body + nodes_end + (gsize) i * fs, fs);

      p.index = i;
      if (end < start || end > nodes_end)
        return corrupt (&p, _ ("it is truncated"));
      if (!parse_node (&p, body + start, end - start, body_offset + start, node))
        return FALSE;
      start = (end + 7) & ~(gsize) 7;

      if (i == 0)
        {
          if (node->type != FS_CACHE_NODE_TYPE_DIRECTORY)
            return corrupt (&p, _ ("the top node is not a directory"));
          if (node->link_group != 0)
            return corrupt (&p, _ ("a directory is in a hard-link group"));
        }
      else
        {
          if (_fs_manifest_path_compare (self->nodes[i - 1].path, node->path) >= 0)
            return corrupt (&p, _ ("the nodes are not sorted, or a path repeats"));
          /* Sorted depth first: the directories still open are the ones
           * enclosing this node, and its parent must be the innermost. */
          while (
            dirs->len > 0 &&
            !is_ancestor (self->nodes[g_array_index (dirs, guint, dirs->len - 1)].path, node->path))
            g_array_set_size (dirs, dirs->len - 1);
          if (dirs->len == 0 ||
              !is_parent (self->nodes[g_array_index (dirs, guint, dirs->len - 1)].path, node->path))
            return corrupt (&p, _ ("its directory is not in the manifest"));
        }
      if (node->type == FS_CACHE_NODE_TYPE_DIRECTORY)
        g_array_append_val (dirs, i);

      if (node->link_group != 0)
        {
          guint *g;

          /* Numbered in order of first appearance, each with 2 nodes or
           * more, all alike but for their paths (one inode). */
          if (node->link_group > groups->len + 1)
            return corrupt (&p, _ ("hard-link group %u comes before group %u"), node->link_group,
                            groups->len + 1);
          if (node->link_group == groups->len + 1)
            {
              guint first[2] = { i, 0 };
              g_array_append_val (groups, first);
            }
          g = &g_array_index (groups, guint, (node->link_group - 1) * 2);
          if (g[1] > 0 && !same_inode (&self->nodes[g[0]], node))
            return corrupt (&p, _ ("it differs from the other nodes of its hard-link group"));
          g[1]++;
        }
      if (node->type == FS_CACHE_NODE_TYPE_REGULAR &&
          (node->link_group == 0 || g_array_index (groups, guint, (node->link_group - 1) * 2) == i))
        {
          if (self->total_size > G_MAXUINT64 - node->size)
            return corrupt (&p, _ ("the sizes add up to more than 2⁶⁴ bytes"));
          self->total_size += node->size;
        }
    }
  p.index = G_MAXUINT;
  for (guint g = 0; g < groups->len; g++)
    if (g_array_index (groups, guint, g * 2 + 1) < 2)
      return corrupt (&p, _ ("hard-link group %u has only one node"), g + 1);

  /* One serialization per tree, so one digest: the bytes must be exactly
   * what the serializer writes for these nodes, GVariant's normal form
   * (which the parser alone does not check: padding, the size of offsets).
   * A quarter of GLib's own normal-form check on a large manifest. */
  if (!trusted && !is_serialization_of (self->bytes, self->nodes, self->n_nodes))
    return corrupt (&p, _ ("it is not in normal form"));
  return TRUE;
}
