/* fscache-check.h: checking entries against their manifests, for verify
 * and fsck (fscache-integrity.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "fscache-util.h"

G_BEGIN_DECLS

typedef enum {
  CHECK_INTACT,
  CHECK_CORRUPT,        /* its tree differs from its manifest */
  CHECK_BAD_MANIFEST,   /* its manifest is missing, does not parse or is not its own */
  CHECK_NO_MANIFEST,    /* stored by osbuild or libfscache 1.0 */
  CHECK_NEWER_MANIFEST, /* a manifest of a format this fscache does not read */
  CHECK_UNVERIFIABLE,   /* could not be read, in part or whole: whether it differs is unknown */
  CHECK_MISSING,        /* no such entry (verify NAME) */
  CHECK_VANISHED,       /* listed, then removed by another process before its check */
  CHECK_MANIFEST_ADDED, /* verify --add */
  CHECK_BUSY,           /* verify --add: the entry is in use */
} CheckStatus;

typedef enum {
  REPAIR_NONE,
  REPAIR_REMOVED,
  REPAIR_GONE,   /* removed by another process meanwhile */
  REPAIR_BUSY,   /* in use: not removed */
  REPAIR_FAILED, /* the removal failed */
} RepairAction;

typedef struct {
  char *name;
  guint64 size;
  CheckStatus status;
  char *tree_digest;       /* of an entry with a manifest, or NULL */
  GListModel *differences; /* CHECK_CORRUPT, CHECK_UNVERIFIABLE */
  char *message;           /* why, for the statuses other than intact */
  RepairAction action;     /* fsck --repair */
  char *action_message;
} EntryCheck;

/* An entry to check: its name and its size (for the progress bar). */
typedef struct {
  char *name;
  guint64 size;
} Target;

/* The longest status, for arrays indexed by CheckStatus. */
#define CHECK_N_STATUSES (CHECK_BUSY + 1)

void fs_tool_entry_check_free (EntryCheck *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntryCheck, fs_tool_entry_check_free)

/* The status as fscache(1) names it in JSON ("intact", "corrupt", …). */
const char *fs_tool_check_status_nick (CheckStatus status);

/* @path as `ls` shows it: as it is when every character is plain, in
 * single quotes when it has spaces or shell characters, and as $'…' with
 * escapes when it has control characters or bytes that are not UTF-8, so
 * that one path is always one line. */
char *fs_tool_quote_path (const char *path);

void fs_tool_target_clear (Target *t);

/* Every committed entry, by name (*@out_targets: an array of Target).
 * FALSE after printing why the cache could not be listed. */
gboolean fs_tool_list_targets (FsTool *tool, GArray **out_targets);

/* Checks @targets in order (with @add, gives the entries without a
 * manifest one: verify --add), with a progress bar labelled @label on a
 * terminal; the results (EntryCheck) in *@out_checks. FALSE, after printing
 * why, when a signal interrupted it (*@out_status: 128 + the signal). */
gboolean fs_tool_check_targets (FsTool *tool,
                                GArray *targets,
                                gboolean add,
                                const char *label,
                                GPtrArray **out_checks,
                                int *out_status);

/* One checked entry as JSON (fscache(1), "JSON OUTPUT"); with @repair, its
 * "repair" member too. */
JsonObject *fs_tool_check_to_json (const EntryCheck *c, gboolean repair);

/* The lines of one checked entry, for people, on stdout: nothing for a
 * missing, vanished or busy one (reported on stderr by the command). */
void fs_tool_print_check (const EntryCheck *c);

G_END_DECLS
