/* fs-manifest-format-private.h: the manifest format
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fscache.h"
#include "fs-digest-private.h"

G_BEGIN_DECLS

/* The root of the tree (data/ itself) is the node ".". */
#define FS_MANIFEST_ROOT "."

/* The largest manifest parsed: 1 GiB (some 10 million nodes). */
#define FS_MANIFEST_MAX_SIZE ((gsize) 1 << 30)

/* The GVariant types: the file is FS_MANIFEST_FILE_TYPE, whose variant
 * holds FS_MANIFEST_V1_TYPE for format version 1. */
#define FS_MANIFEST_FILE_TYPE "(uv)"
#define FS_MANIFEST_NODE_TYPE "(ayyuuutuuuayaya(ayay))"
#define FS_MANIFEST_V1_TYPE "a" FS_MANIFEST_NODE_TYPE
#define FS_MANIFEST_XATTRS_TYPE "a(ayay)"

/* One node. In a parsed manifest the pointers point into its serialized
 * data; for the serializer they belong to the caller. */
typedef struct {
  const char *path;
  FsCacheNodeType type;
  guint32 mode; /* permission bits only (07777) */
  guint32 uid;
  guint32 gid;
  guint64 size;       /* regular files and symlinks, else 0 */
  guint32 link_group; /* 0: none */
  guint32 dev_major;  /* device nodes, else 0 */
  guint32 dev_minor;
  const char *target;   /* symlinks, else "" */
  const guint8 *sha256; /* 32 bytes for regular files, else NULL */
  GVariant *xattrs;     /* a(ayay), sorted by name; NULL when none */
} FsManifestNode;

/* The order of nodes in a manifest: "." first, then byte-wise comparison
 * where "/" sorts before every other byte, i.e. component by component
 * ("a" < "a/b" < "a-b" < "a0"): depth first, each directory's children in
 * strcmp() order of their names. */
int _fs_manifest_path_compare (const char *a, const char *b);

/* Serializes @nodes, which must be sorted and valid, into the bytes of a
 * manifest (little-endian, normal form). */
GBytes *_fs_manifest_serialize (const FsManifestNode *nodes, guint n_nodes);

/* A parsed manifest: the nodes point into @bytes. */
typedef struct {
  GBytes *bytes;
  FsManifestNode *nodes;
  guint n_nodes;
  guint64 total_size;
  char digest[FS_DIGEST_HEX_SIZE];
} FsManifestData;

/* Parses @bytes into @self (zeroed). @trusted: the bytes come from
 * _fs_manifest_serialize(), so the normal-form check is left out. On
 * failure @self is left for _fs_manifest_data_clear(). */
gboolean _fs_manifest_data_parse (FsManifestData *self,
                                  GBytes *bytes,
                                  gboolean trusted,
                                  GError **error);
void _fs_manifest_data_clear (FsManifestData *self);
/* The index of @path, or -1. */
gint64 _fs_manifest_data_find (const FsManifestData *self, const char *path);

/* "regular", "directory", …: the names of the JSON form. */
const char *_fs_manifest_type_name (FsCacheNodeType type);
/* The type of a stat() mode, or FALSE for an unknown type. */
gboolean _fs_manifest_type_from_mode (guint32 st_mode, FsCacheNodeType *out_type);

/* The GVariant of sorted extended attributes from parallel arrays of names
 * and values (sorted here); NULL when @n is 0. */
GVariant *_fs_manifest_xattrs_new (GPtrArray *names, GPtrArray *values);

/* Display form of a path for messages: valid UTF-8. */
char *_fs_manifest_display_path (const char *path);

G_END_DECLS
