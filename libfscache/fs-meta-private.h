/* fs-meta-private.h: the small metadata files, parsed defensively
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every metadata file of a shared cache can be written by anyone who can
 * write the cache, so none of these parsers trusts its input: sizes are
 * bounded (FS_META_MAX_SIZE), JSON nesting is checked before json-glib sees
 * the text (json-glib 1.6 recurses without a limit), and a value of the
 * wrong type is "corrupt", never a crash.
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* cache.size: a JSON integer. We write it padded with spaces to a fixed
 * width, so it can be rewritten in place with one pwrite() (a kill can never
 * leave half a number); osbuild writes it bare and replaces the file. */
#define FS_SIZE_FILE_WIDTH 24
gboolean _fs_meta_parse_size (const char *data, gsize len, guint64 *out_size);
void _fs_meta_format_size (guint64 size, char out[FS_SIZE_FILE_WIDTH + 1]);

/* A JSON object, refusing oversized or too deeply nested input. */
JsonObject *_fs_meta_parse_object (const char *data, gsize len);
char *_fs_meta_object_to_data (JsonObject *object, gsize *out_len);

/* object.info: "creation-boot-id" (optional), "size" (required) and, in
 * entries committed by libfscache 1.1 and later, the digest of the
 * entry's object.manifest under FS_META_TREE_DIGEST_KEY (osbuild ignores
 * keys it does not know). A digest that is not 64 lowercase hex digits is
 * ignored (NULL). */
#define FS_META_TREE_DIGEST_KEY "fscache-tree-digest"
gboolean _fs_meta_parse_object_info (const char *data,
                                     gsize len,
                                     guint64 *out_size,
                                     char **out_boot_id);
gboolean _fs_meta_parse_object_info_full (const char *data,
                                          gsize len,
                                          guint64 *out_size,
                                          char **out_boot_id,
                                          char **out_tree_digest);
/* The same through json-glib only (the fast path's reference, for tests). */
gboolean _fs_meta_parse_object_info_json (const char *data,
                                          gsize len,
                                          guint64 *out_size,
                                          char **out_boot_id,
                                          char **out_tree_digest);
/* @tree_digest: NULL for an entry without a manifest. */
char *_fs_meta_format_object_info (const char *boot_id,
                                   guint64 size,
                                   const char *tree_digest,
                                   gsize *out_len);

/* Journal records (see fs-journal.c): "A OP SIZE\nNAME" */
typedef enum {
  FS_RECORD_OP_NONE,   /* empty record: an anonymous entry, nothing accounted */
  FS_RECORD_OP_STORE,  /* a commit of journal name -> NAME */
  FS_RECORD_OP_REMOVE, /* a removal of NAME */
} FsRecordOp;

typedef struct {
  FsRecordOp op;
  gboolean accounted;
  guint64 size;
  char name[256];
} FsRecord;

gboolean _fs_meta_parse_record (const char *data, gsize len, FsRecord *out);
char *_fs_meta_format_record (const FsRecord *record, gsize *out_len);

/* journal/size.intent: "idle BOOT" or "txn UUID OLD NEW AFTER BOOT", padded
 * to a fixed width; a second line "recount" asks for a recount at idle.
 * BOOT (32 hex digits, optional when read) is the journal boot id of the
 * writer: a counter last written in another boot may have lost writes to a
 * power cut, so the first idle open of a new boot recounts. */
#define FS_INTENT_WIDTH 128
typedef struct {
  gboolean pending;
  gboolean recount;
  char record[38];
  guint64 old_size;
  guint64 new_size;
  gboolean after;
  char boot[33]; /* journal boot id of the last writer, "" if unknown */
} FsIntent;

gboolean _fs_meta_parse_intent (const char *data, gsize len, FsIntent *out);
void _fs_meta_format_intent (const FsIntent *intent, char out[FS_INTENT_WIDTH + 1]);

G_END_DECLS
