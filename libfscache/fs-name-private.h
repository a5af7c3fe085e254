/* fs-name-private.h: entry names
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The longest entry name, in bytes (a file name). */
#define FS_NAME_MAX 255

/* Whether @name can name an entry (see fs_cache_name_is_valid()), else
 * FALSE with FS_CACHE_ERROR_INVALID_NAME. */
gboolean _fs_name_check (const char *name, GError **error);

G_END_DECLS
