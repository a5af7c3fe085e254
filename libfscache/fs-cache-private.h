/* fs-cache-private.h: what FsCache shares with the rest of the library
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <sys/stat.h>

#include "fscache.h"

G_BEGIN_DECLS

#define FS_DIR_OBJECTS "objects"
#define FS_DIR_STAGE "stage"
#define FS_DIR_JOURNAL "journal"
#define FS_DIR_DATA "data"
#define FS_FILE_CACHE_INFO "cache.info"
#define FS_FILE_CACHE_LOCK "cache.lock"
#define FS_FILE_CACHE_SIZE "cache.size"
#define FS_FILE_CACHE_TAG "CACHEDIR.TAG"
#define FS_FILE_OBJECT_INFO "object.info"
#define FS_FILE_OBJECT_LOCK "object.lock"
#define FS_FILE_INTENT "size.intent"

/* Descriptors of the cache's directories. They are opened once by
 * fs_cache_new() and stay valid until the cache is finalized (closing the
 * cache only drops the cache lock), so they can be used without a lock. */
typedef struct {
  int dir_fd;
  int objects_fd;
  int stage_fd;
  int journal_fd; /* -1 when the cache is incompatible and read-only to us */
  const char *path;
} FsCacheDirs;

const FsCacheDirs *_fs_cache_get_dirs (FsCache *self);
gboolean _fs_cache_check_open (FsCache *self, GError **error);
gboolean _fs_cache_is_compatible (FsCache *self);
/* The maximum size in force, re-reading cache.info when it changed on disk
 * (0 when unset, FS_CACHE_SIZE_UNLIMITED when unlimited). */
guint64 _fs_cache_get_maximum (FsCache *self);
/* The boot id the journal tags its writes with (the same for every app). */
const char *_fs_cache_get_journal_boot_id (FsCache *self);
gboolean _fs_cache_is_shared (FsCache *self);
gboolean _fs_cache_is_volatile (FsCache *self);
void _fs_cache_fix_mode (FsCache *self, int fd, gboolean is_dir);
void _fs_cache_fix_mode_at (FsCache *self, int dirfd, const char *name, gboolean is_dir);
mode_t _fs_cache_get_file_mode (FsCache *self);
mode_t _fs_cache_get_dir_mode (FsCache *self);

/* Operations that change the accounting hold the in-process side of the
 * cache's exclusion (a reader lock), so that an exact recount, which needs
 * nobody else in the cache, also excludes other threads of this process —
 * they share our cache.lock descriptor. */
void _fs_cache_op_begin (FsCache *self);
void _fs_cache_op_end (FsCache *self);
gboolean _fs_cache_try_exclusive (FsCache *self);
void _fs_cache_end_exclusive (FsCache *self);

/* fs-cache-entry.c */
FsCacheEntry *_fs_cache_entry_new (FsCache *cache,
                                   FsCacheEntryKind kind,
                                   int area_fd,
                                   const char *area,
                                   const char *dir_name,
                                   const char *name,
                                   int lock_fd,
                                   gboolean has_record,
                                   guint64 size,
                                   const struct stat *lock_st);
void _fs_cache_entry_set_incompatible (FsCacheEntry *self, const char *target_name);
/* Descriptor of the entry's directory (the parent of data/). */
int _fs_cache_entry_open_dir (FsCacheEntry *self);
/* A tree moved in from @path goes back there if the entry is not stored. */
void _fs_cache_entry_set_restore (FsCacheEntry *self, const char *data_child, const char *path);

G_END_DECLS
