/* fscache-util.h: sizes, messages and JSON output of the fscache tool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Exit statuses of the tool (documented in fscache(1)). */
typedef enum {
  FS_TOOL_EXIT_OK = 0,
  FS_TOOL_EXIT_FAILURE = 1,
  FS_TOOL_EXIT_USAGE = 2,
  FS_TOOL_EXIT_MISS = 3,
} FsToolExit;

/* Prints "fscache: MESSAGE" and a newline on stderr. */
void fs_tool_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* Prints "fscache: warning: MESSAGE" and a newline on stderr. */
void fs_tool_warning (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Parses a size in bytes written in human units: a decimal number
 * ("10", "1.5") with an optional unit, case-insensitive, with or without a
 * space: B; K, M, G, T, P, E (powers of 1024, like du); KiB, MiB, … (the
 * same); KB, MB, GB, … (powers of 1000). A size that is not a whole number
 * of bytes ("1.5", "0.3K") is refused, never rounded. Sizes above 2^63 - 1
 * bytes are refused: cache.info can't hold them. */
gboolean fs_tool_parse_size (const char *text, guint64 *out_size, GError **error);

/* Parses a percentage "N" or "N%" with @min <= N <= 100. */
gboolean fs_tool_parse_percent (const char *text, guint min, guint *out_percent, GError **error);

/* A size for people: "512 B", "10 GiB", "1.5 GiB" (powers of 1024, at most
 * one decimal). */
char *fs_tool_format_size (guint64 size);

/* A size as fs_tool_parse_size() reads it back exactly: the largest binary
 * unit that divides it ("10GiB", "512MiB"), else the number of bytes. */
char *fs_tool_format_size_exact (guint64 size);

/* Writes @node as indented JSON and a newline on stdout. */
void fs_tool_print_json (JsonNode *node);

G_END_DECLS
