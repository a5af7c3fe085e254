/* fscache-builtins.h: the commands of the fscache tool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One function per command (FsToolCommandFunc), listed in the command table
 * of fscache.c. The entries: fscache-entries.c; the administration of the
 * cache: fscache-admin.c; statistics, pins, prune, gc, one entry described
 * and single flight: fscache-manage.c; integrity (manifest, verify, fsck):
 * fscache-integrity.c; the transfers with the remote: fscache-remote.c.
 */

#pragma once

#include "fscache-util.h"

G_BEGIN_DECLS

/* fscache-entries.c */
int fs_tool_ls (FsTool *tool, char **argv);
int fs_tool_store (FsTool *tool, char **argv);
int fs_tool_load (FsTool *tool, char **argv);
int fs_tool_export (FsTool *tool, char **argv);
int fs_tool_rm (FsTool *tool, char **argv);

/* fscache-admin.c */
int fs_tool_init (FsTool *tool, char **argv);
int fs_tool_info (FsTool *tool, char **argv);
int fs_tool_config (FsTool *tool, char **argv);

/* fscache-remote.c */
int fs_tool_push (FsTool *tool, char **argv);
int fs_tool_pull (FsTool *tool, char **argv);
/* What a push or pull moved, as the members of `--json` (fscache(1)); for
 * store's write-through too. */
JsonObject *fs_tool_transfer_to_json (FsCacheTransfer *transfer);
/* The same for people: "3 files sent (1.5 GiB), 2 already there, 9 requests". */
char *fs_tool_describe_transfer (FsCacheTransfer *transfer);
/* The write-through of store and ensure: the entry just stored goes to the
 * remote of a read-write cache (NULL without one), which the command waits
 * for; @report: say so on stdout. A remote that fails is one warning (and
 * @error): the entry is stored all the same. */
FsCacheTransfer *fs_tool_write_through (FsTool *tool,
                                        const FsCacheInfo *info,
                                        const char *name,
                                        gboolean report,
                                        GCancellable *cancellable,
                                        GError **error);

/* fscache-manage.c */
int fs_tool_stats (FsTool *tool, char **argv);
int fs_tool_pin (FsTool *tool, char **argv);
int fs_tool_unpin (FsTool *tool, char **argv);
int fs_tool_prune (FsTool *tool, char **argv);
int fs_tool_gc (FsTool *tool, char **argv);
int fs_tool_ensure (FsTool *tool, char **argv);
/* `info NAME`: one entry described. */
int fs_tool_info_entry (FsTool *tool, const char *name);
/* fscache-integrity.c */
int fs_tool_manifest (FsTool *tool, char **argv);
int fs_tool_verify (FsTool *tool, char **argv);
int fs_tool_fsck (FsTool *tool, char **argv);

/* The names of the configuration keys (`config get|set KEY`), in the
 * order of the key table: for the completion. Free with g_strfreev(). */
char **fs_tool_config_key_names (void);

G_END_DECLS
