/* fs-store-private.h: the state of an open cache directory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FsStore is the floor every protocol of the library stands on (see
 * docs/architecture.md): it owns what an open cache directory is — the
 * descriptors of its folders, the boot ids, the modes new files get, the
 * configuration read from cache.info, the shared lock on cache.lock — and
 * nothing else. The protocol files (fs-anon.c, fs-journal.c, fs-evict.c,
 * fs-commit.c, ...) take an FsStore; the public FsCache and FsCacheEntry
 * each hold a reference to one. Like struct OstreeRepo in libostree, the
 * struct is shared by the sibling files through this header: its immutable
 * fields are read directly, the mutable ones only through the functions
 * below.
 */

#pragma once

#include <sys/stat.h>

#include "fscache.h"
#include "fs-http-private.h"
#include "fs-lock-private.h"
#include "fs-name-private.h"
#include "fs-stats-private.h"
#include "fs-util-private.h"

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
#define FS_FILE_OBJECT_MANIFEST "object.manifest"
#define FS_FILE_INTENT "size.intent"
#define FS_FILE_EVICT_LOCK "evict.lock"

/* An entry's folder is its name or "uuid-X": a buffer for "DIR/object.info"
 * and the like. */
#define FS_ENTRY_PATH_SIZE (FS_NAME_MAX + sizeof "/" FS_FILE_OBJECT_MANIFEST)

typedef struct _FsStore FsStore;

struct _FsStore {
  /* Set by _fs_store_open() and immutable afterwards: read them freely. */
  char *app_id;
  char *path;
  char boot_id[FS_BOOT_ID_LEN + 1];         /* entries are tagged with it */
  char journal_boot_id[FS_BOOT_ID_LEN + 1]; /* the journal's, the same for every app */
  int dir_fd;
  int objects_fd;
  int stage_fd;
  int journal_fd; /* -1 when the cache is incompatible: never changed by us */
  mode_t umask;
  gboolean dir_group_writable;
  /* The counters of this open cache (fs-stats.c: thread-safe on its own),
   * written to stats/ once the cache is open and compatible. */
  FsStats *stats;

  /* Readers: operations that change the accounting; writer: a recount,
   * which needs nobody else in the cache, our own threads included (they
   * share our cache.lock descriptor). */
  GRWLock op_lock;

  GMutex mutex; /* protects everything below */
  int lock_fd;  /* cache.lock, read-locked while open */
  gboolean closed;
  gboolean incompatible; /* cache.info names another format version */
  FsCacheInfo *info;
  struct stat info_st; /* of cache.info when @info was read */

  /* Protects what follows (the remote tier's state). */
  GMutex http_mutex;
  FsHttp *http;   /* the client of the remote tier, made on first use */
  char *http_key; /* the settings it was made with */
  GArray *recent; /* FsRecentCommit: this store's latest commits, or NULL */
};

/* fs-store.c */
FsStore *_fs_store_new (void);
FsStore *_fs_store_ref (FsStore *self);
void _fs_store_unref (FsStore *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FsStore, _fs_store_unref)

/* Gives the shared lock of the cache back; later operations fail with
 * FS_CACHE_ERROR_CLOSED. The descriptors stay open until the last unref;
 * the HTTP client until its last transfer ends. */
void _fs_store_close (FsStore *self);

/* Entries this store committed in the last FS_STORE_RECENT_SECONDS (at
 * most FS_STORE_RECENT_MAX of them): their manifests were made from the
 * bytes as they were written, moments ago. A push of one of them does not
 * hash its files again (fs-remote-push.c says why). */
#define FS_STORE_RECENT_SECONDS 60
#define FS_STORE_RECENT_MAX 16
void _fs_store_note_commit (FsStore *self, const char *name, const char *tree_digest);
gboolean _fs_store_committed_recently (FsStore *self, const char *name, const char *tree_digest);

/* A reference to the cache's HTTP client of the remote tier made with the
 * settings @key (any string that differs when the settings do), made now
 * from @options when there is none or it was made with other settings. */
FsHttp *_fs_store_dup_http (FsStore *self,
                            const char *key,
                            const FsHttpOptions *options,
                            GError **error);
gboolean _fs_store_is_closed (FsStore *self);
gboolean _fs_store_check_open (FsStore *self, GError **error);

/* Whether the cache has this library's format version (else it is only
 * ever read: loads miss, stores stage, commits say INCOMPATIBLE). */
gboolean _fs_store_is_compatible (FsStore *self);
/* The same, or FS_CACHE_ERROR_INCOMPATIBLE for an operation that changes
 * the cache. */
gboolean _fs_store_check_writable (FsStore *self, GError **error);

/* The configuration, re-read first when another process changed
 * cache.info (if that fails, the configuration read before). */
FsCacheInfo *_fs_store_dup_info (FsStore *self);
/* The same, failing when cache.info can't be re-read. */
FsCacheInfo *_fs_store_read_info (FsStore *self, GError **error);
/* The maximum size in force (0 when unset, FS_CACHE_SIZE_UNLIMITED). */
guint64 _fs_store_get_maximum (FsStore *self);
gboolean _fs_store_is_shared (FsStore *self);
gboolean _fs_store_is_volatile (FsStore *self);

/* Reads cache.info into the store, as _fs_store_open() does. A missing or
 * corrupt file gives the defaults and sets *@out_corrupt (with a message
 * unless @quiet). */
gboolean _fs_store_load_info (FsStore *self, gboolean quiet, gboolean *out_corrupt, GError **error);
/* Merges @info into cache.info under its lock and replaces the file. */
gboolean _fs_store_set_info (FsStore *self,
                             FsCacheInfo *info,
                             GCancellable *cancellable,
                             GError **error);

/* Modes of what the library creates: the group's write access is kept in
 * a shared cache, whatever the umask. */
mode_t _fs_store_file_mode (FsStore *self);
mode_t _fs_store_dir_mode (FsStore *self);
void _fs_store_fix_mode (FsStore *self, int fd, gboolean is_dir);
void _fs_store_fix_mode_at (FsStore *self, int dirfd, const char *name, gboolean is_dir);

/* The in-process side of the cache's exclusion: see op_lock. */
void _fs_store_op_begin (FsStore *self);
void _fs_store_op_end (FsStore *self);
/* Nobody else in the cache: no other thread of ours in an operation, and
 * no other open file description holding cache.lock. On TRUE, end with
 * _fs_store_end_exclusive(). */
gboolean _fs_store_try_exclusive (FsStore *self);
/* The same, trying until @deadline (monotonic; -1: no limit) or
 * cancellation; *@out_idle tells whether it succeeded. */
gboolean _fs_store_wait_exclusive (FsStore *self,
                                   gint64 deadline,
                                   gboolean *out_idle,
                                   GCancellable *cancellable,
                                   GError **error);
void _fs_store_end_exclusive (FsStore *self);
/* Whether another open cache or another of our threads uses the cache. */
gboolean _fs_store_has_other_users (FsStore *self);

/* "Which area": objects/ or stage/ and its descriptor. */
typedef enum {
  FS_AREA_OBJECTS,
  FS_AREA_STAGE,
} FsArea;

static inline int
_fs_store_area_fd (FsStore *self, FsArea area)
{
  return area == FS_AREA_STAGE ? self->stage_fd : self->objects_fd;
}

static inline const char *
_fs_area_name (FsArea area)
{
  return area == FS_AREA_STAGE ? FS_DIR_STAGE : FS_DIR_OBJECTS;
}

/* An entry's folder, locked: what the protocols on entries (fs-anon.c,
 * fs-load.c, fs-commit.c) pass around and FsCacheEntry holds. */
typedef struct {
  FsArea area;
  char dir_name[FS_NAME_MAX + 1]; /* "uuid-X" while anonymous, else the entry's name */
  FsLock lock;                    /* on DIR/object.lock: shared when loaded, else exclusive */
  gboolean has_record;            /* journal/DIR is a link of the lock file */
} FsHandle;

#define FS_HANDLE_INIT   \
  {                      \
    .lock = FS_LOCK_INIT \
  }

G_END_DECLS
