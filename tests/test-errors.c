/* test-errors.c: a failing system is an error, never a miss (issue 11)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Only "not there", "being written" (its lock is taken) and "replaced while
 * opening" are misses. When the system can't say whether an entry is there
 * — no descriptor left (EMFILE, ENFILE), no memory, an I/O error, a file
 * the user may not read — the caller gets a G_IO_ERROR naming the path: a
 * build tool that takes such an answer for a miss rebuilds and re-stores
 * under load, the wrong answer. Nor may a list drop the entries it could
 * not read, a garbage collection delete them, or a recount leave them out.
 *
 * Each case runs in a subprocess that provokes the errno with the real
 * kernel: a lowered RLIMIT_NOFILE, a user (nobody) who may not read a file,
 * or a seccomp filter that makes one system call fail with a given errno
 * once the cache is open. Nothing of the file system is mocked.
 */

#include "config.h"

#include <errno.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fs-test-util.h"

#define N_ENTRIES 6

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

typedef struct {
  char *tmpdir;
  char *cache_dir;
} Fixture;

/* In the subprocess the parent's cache is named in the environment and the
 * fixture stays empty. */
static void
setup (Fixture *fx, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  memset (fx, 0, sizeof *fx);
  if (g_test_subprocess ())
    return;
  fx->tmpdir = g_dir_make_tmp ("fscache-errors-XXXXXX", &error);
  g_assert_no_error (error);
  /* Traversable by everyone: some cases run as another user. */
  g_assert_cmpint (g_chmod (fx->tmpdir, 0755), ==, 0);
  fx->cache_dir = g_build_filename (fx->tmpdir, "cache", NULL);
}

static void
teardown (Fixture *fx, gconstpointer user_data)
{
  if (fx->tmpdir != NULL)
    fs_test_rm_rf (fx->tmpdir);
  g_clear_pointer (&fx->tmpdir, g_free);
  g_clear_pointer (&fx->cache_dir, g_free);
}

/* An unlimited cache with entries e0… of 3000 bytes each, closed again. */
static void
make_cache (Fixture *fx, guint n)
{
  g_autoptr (FsCache) cache = fs_test_open_cache (fx->cache_dir);

  fs_test_set_maximum_size (cache, FS_CACHE_SIZE_UNLIMITED);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%u", i);
      g_autoptr (FsCacheEntry) entry = NULL;
      FsCacheCommitStatus status;

      entry = fs_test_store_commit (cache, name, 3000, &status);
      g_assert_cmpint (status, ==, FS_CACHE_COMMIT_STORED);
    }
  fs_cache_close (cache);
}

/* Every entry e0… is still there, whole, and counted. */
static void
assert_all_entries (const char *cache_dir, guint n)
{
  g_autoptr (FsCache) cache = fs_test_open_cache (cache_dir);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%u", i);
      g_autoptr (GError) error = NULL;
      g_autoptr (FsCacheEntry) entry = fs_cache_load (cache, name, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (entry);
    }
  fs_cache_close (cache);
  fs_test_assert_consistent (cache_dir);
}

/* A system error, not a miss, and a message that names the file. */
static void
assert_system_error (GError *error, const char *what, const char *file)
{
  g_assert_nonnull (error);
  g_test_message ("%s: %s", what, error->message);
  if (error->domain != G_IO_ERROR)
    g_error ("%s: expected a G_IO_ERROR, got %s (%s)", what, g_quark_to_string (error->domain),
             error->message);
  g_assert_nonnull (strstr (error->message, fs_test_child_cache_dir ()));
  if (file != NULL)
    g_assert_nonnull (strstr (error->message, file));
}

static void
assert_miss (GError *error, const char *what)
{
  g_assert_nonnull (error);
  g_test_message ("%s: %s", what, error->message);
  g_assert_error (error, FS_CACHE_ERROR, FS_CACHE_ERROR_MISS);
}

/* ------------------------------------------------------------------------ */
/* Descriptors                                                               */

static int
lowest_free_fd (void)
{
  int fd = dup (0);

  g_assert_cmpint (fd, >=, 0);
  close (fd);
  return fd;
}

/* Lets the process open exactly @spare more descriptors (descriptors are
 * numbered from the lowest free one, so the limit is set just above it;
 * every lower number is taken). */
static void
set_spare_fds (guint spare)
{
  struct rlimit rl;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &rl), ==, 0);
  rl.rlim_cur = (rlim_t) lowest_free_fd () + spare;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &rl), ==, 0);
}

static void
restore_fds (const struct rlimit *saved)
{
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, saved), ==, 0);
}

/* With one descriptor to spare, the lock of the entry can be taken but its
 * object.info can't be opened: an error, not a miss. Real misses stay
 * misses. */
static void
test_load_emfile (Fixture *fx, gconstpointer user_data)
{
  if (g_test_subprocess ())
    {
      g_autoptr (FsCache) cache = fs_test_open_cache (fs_test_child_cache_dir ());
      g_autofree char *lock =
        fs_test_path (fs_test_child_cache_dir (), "objects", "e1", "object.lock", NULL);
      g_autoptr (GError) error = NULL;
      FsCacheEntry *entry;
      struct rlimit saved;
      int held;

      /* Someone writes e1: its lock is taken. */
      held = open (lock, O_RDWR | O_CLOEXEC);
      g_assert_cmpint (held, >=, 0);
      {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        g_assert_cmpint (fcntl (held, F_OFD_SETLK, &fl), ==, 0);
      }

      g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
      set_spare_fds (1);
      entry = fs_cache_load (cache, "e0", NULL, &error);
      g_assert_null (entry);
      assert_system_error (error, "load with one descriptor to spare", "e0/object.info");
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES);
      g_clear_error (&error);

      /* Misses stay misses: an absent entry, an entry being written. */
      entry = fs_cache_load (cache, "absent", NULL, &error);
      g_assert_null (entry);
      assert_miss (error, "an absent entry");
      g_clear_error (&error);
      entry = fs_cache_load (cache, "e1", NULL, &error);
      g_assert_null (entry);
      assert_miss (error, "an entry being written");
      g_clear_error (&error);

      restore_fds (&saved);
      close (held);
      entry = fs_cache_load (cache, "e0", NULL, &error);
      g_assert_no_error (error);
      g_clear_object (&entry);
      return;
    }
  make_cache (fx, 2);
  fs_test_run_child (fx->cache_dir, 120);
  assert_all_entries (fx->cache_dir, 2);
}

/* The report: entries held loaded, the descriptor limit reached. Whatever
 * the number of descriptors left, a load of an entry that exists is the
 * entry or an error, never a miss. */
static void
test_load_emfile_holding (Fixture *fx, gconstpointer user_data)
{
  const guint n = 50;

  if (g_test_subprocess ())
    {
      g_autoptr (FsCache) cache = fs_test_open_cache (fs_test_child_cache_dir ());
      struct rlimit saved;

      g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
      for (guint spare = 0; spare < 8; spare++)
        {
          g_autoptr (GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
          guint errors = 0;

          set_spare_fds (spare);
          for (guint i = 0; i < n; i++)
            {
              g_autofree char *name = g_strdup_printf ("e%u", i);
              g_autoptr (GError) error = NULL;
              FsCacheEntry *entry = fs_cache_load (cache, name, NULL, &error);

              if (entry != NULL)
                g_ptr_array_add (held, entry);
              else
                {
                  g_autofree char *what = g_strdup_printf ("load of %s, %u spare", name, spare);
                  g_assert_nonnull (error);
                  if (errors++ == 0)
                    g_test_message ("%s: %s", what, error->message);
                  if (error->domain != G_IO_ERROR)
                    g_error ("%s: expected a G_IO_ERROR, got %s", what, error->message);
                  g_assert_nonnull (strstr (error->message, name));
                }
            }
          g_test_message ("%u spare: %u loaded, %u errors", spare, held->len, errors);
          g_assert_cmpuint (held->len + errors, ==, n);
          g_assert_cmpuint (errors, >, 0);
          restore_fds (&saved);
        }
      return;
    }
  make_cache (fx, n);
  fs_test_run_child (fx->cache_dir, 120);
  assert_all_entries (fx->cache_dir, n);
}

/* A list that can't read an entry fails; it never leaves the entry out. */
static void
test_list_emfile (Fixture *fx, gconstpointer user_data)
{
  if (g_test_subprocess ())
    {
      g_autoptr (FsCache) cache = fs_test_open_cache (fs_test_child_cache_dir ());
      struct rlimit saved;

      g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
      for (guint spare = 0; spare < 4; spare++)
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (GListModel) list = NULL;

          set_spare_fds (spare);
          list = fs_cache_list (cache, NULL, &error);
          restore_fds (&saved);
          if (list != NULL)
            {
              g_test_message ("list with %u spare: %u entries", spare,
                              g_list_model_get_n_items (list));
              g_assert_cmpuint (g_list_model_get_n_items (list), ==, N_ENTRIES);
            }
          else
            assert_system_error (error, "list", NULL);
        }
      return;
    }
  make_cache (fx, N_ENTRIES);
  fs_test_run_child (fx->cache_dir, 120);
  assert_all_entries (fx->cache_dir, N_ENTRIES);
}

/* A removal that can't read the entry's object.info fails with an error:
 * "no such entry" would be a lie, and the entry stays. */
static void
test_remove_emfile (Fixture *fx, gconstpointer user_data)
{
  if (g_test_subprocess ())
    {
      g_autoptr (FsCache) cache = fs_test_open_cache (fs_test_child_cache_dir ());
      g_autoptr (GError) error = NULL;
      struct rlimit saved;
      gboolean ok;

      g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
      set_spare_fds (1);
      ok = fs_cache_remove (cache, "e0", NULL, &error);
      restore_fds (&saved);
      g_assert_false (ok);
      assert_system_error (error, "remove with one descriptor to spare", "e0/object.info");
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES);
      return;
    }
  make_cache (fx, 2);
  fs_test_run_child (fx->cache_dir, 120);
  assert_all_entries (fx->cache_dir, 2);
}

/* An idle garbage collection recounts cache.size: one that can't read an
 * entry's object.info must fail, not count the entry as gone. */
static void
test_recount_emfile (Fixture *fx, gconstpointer user_data)
{
  if (g_test_subprocess ())
    {
      struct rlimit saved;

      g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
      for (guint spare = 0; spare < 10; spare++)
        {
          g_autoptr (FsCache) cache = fs_test_open_cache (fs_test_child_cache_dir ());
          g_autoptr (GError) error = NULL;
          gint64 correction = 0;
          gboolean ok;

          set_spare_fds (spare);
          ok = fs_cache_collect_garbage (cache, FS_CACHE_MAINTENANCE_NONE, NULL, NULL, &correction,
                                         NULL, &error);
          restore_fds (&saved);
          g_test_message ("collect_garbage with %u spare: %s", spare, ok ? "ok" : error->message);
          if (!ok)
            assert_system_error (error, "collect_garbage", NULL);
          else
            g_assert_cmpint (correction, ==, 0);
          fs_cache_close (cache);
          /* whatever happened, the counter is exact and every entry is there */
          g_assert_cmpuint (fs_test_read_cache_size (fs_test_child_cache_dir ()), ==,
                            fs_test_sum_object_sizes (fs_test_child_cache_dir ()));
          g_assert_cmpuint (fs_test_count_objects (fs_test_child_cache_dir ()), ==, N_ENTRIES);
        }
      return;
    }
  make_cache (fx, N_ENTRIES);
  fs_test_run_child (fx->cache_dir, 120);
  assert_all_entries (fx->cache_dir, N_ENTRIES);
}

/* ------------------------------------------------------------------------ */
/* A file the user may not read                                              */

static void
test_eacces (Fixture *fx, gconstpointer user_data)
{
  if (g_test_subprocess ())
    {
      g_autoptr (FsCache) cache = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (GListModel) list = NULL;
      FsCacheEntry *entry;

      fs_test_drop_privileges ();
      cache = fs_cache_new_for_path (FS_TEST_APP_ID, fs_test_child_cache_dir (), NULL, &error);
      g_assert_no_error (error);

      entry = fs_cache_load (cache, "e0", NULL, &error);
      g_assert_null (entry);
      assert_system_error (error, "load of an object.info nobody may read", "e0/object.info");
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
      g_clear_error (&error);

      list = fs_cache_list (cache, NULL, &error);
      g_assert_null (list);
      assert_system_error (error, "list", "e0/object.info");
      g_clear_error (&error);

      /* The readable entry loads; an absent one is a miss. */
      entry = fs_cache_load (cache, "e1", NULL, &error);
      g_assert_no_error (error);
      g_clear_object (&entry);
      entry = fs_cache_load (cache, "absent", NULL, &error);
      assert_miss (error, "an absent entry");
      return;
    }
  if (getuid () != 0)
    {
      g_test_skip ("needs root to run a part as another user");
      return;
    }
  make_cache (fx, 2);
  {
    g_autofree char *info = fs_test_path (fx->cache_dir, "objects", "e0", "object.info", NULL);
    g_assert_cmpint (g_chmod (info, 0600), ==, 0);
  }
  fs_test_run_child (fx->cache_dir, 120);
  assert_all_entries (fx->cache_dir, 2);
}

/* ------------------------------------------------------------------------ */
/* Errors the kernel returns rarely: a seccomp filter makes them happen      */

typedef enum {
  FAIL_READS,     /* pread64 */
  FAIL_OPEN_FILE, /* openat2, and openat of a file with O_NOFOLLOW (without openat2) */
} FailWhat;

/* From now on, in this process, the calls of @what fail with @errsv. */
static gboolean
fail_syscalls (FailWhat what, int errsv)
{
#ifdef TEST_AUDIT_ARCH
  const guint32 ret_errno = SECCOMP_RET_ERRNO | ((guint32) errsv & SECCOMP_RET_DATA);
  struct sock_filter reads[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_pread64, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, ret_errno),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_filter opens[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_openat2, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, ret_errno),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    /* the flags (little-endian: the low word of args[2]) */
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, args[2])),
    BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, O_PATH, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, O_NOFOLLOW, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, ret_errno),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog;

  if (what == FAIL_READS)
    prog = (struct sock_fprog){ G_N_ELEMENTS (reads), reads };
  else
    prog = (struct sock_fprog){ G_N_ELEMENTS (opens), opens };
  g_assert_cmpint (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), ==, 0);
  g_assert_cmpint (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog),
                   ==, 0);
  return TRUE;
#else
  return FALSE;
#endif
}

typedef struct {
  const char *name;
  int errsv;
} ErrnoCase;

static const ErrnoCase read_errors[] = {
  { "eio", EIO },
  { "enomem", ENOMEM },
  { "eacces", EACCES },
};

/* Reads of object.info fail with the errno of @user_data: a load is an
 * error, a list fails, a removal fails, and a garbage collection deletes
 * nothing. Misses stay misses. */
static void
test_read_fails (Fixture *fx, gconstpointer user_data)
{
  const ErrnoCase *c = user_data;

  if (g_test_subprocess ())
    {
      g_autoptr (FsCache) cache = fs_test_open_cache (fs_test_child_cache_dir ());
      g_autoptr (GError) error = NULL;
      g_autoptr (GListModel) list = NULL;
      FsCacheEntry *entry;

      g_assert_true (fail_syscalls (FAIL_READS, c->errsv));

      entry = fs_cache_load (cache, "e0", NULL, &error);
      g_assert_null (entry);
      assert_system_error (error, "load", "e0/object.info");
      g_assert_cmpstr (strstr (error->message, g_strerror (c->errsv)), !=, NULL);
      g_clear_error (&error);

      entry = fs_cache_load (cache, "absent", NULL, &error);
      assert_miss (error, "an absent entry");
      g_clear_error (&error);

      list = fs_cache_list (cache, NULL, &error);
      g_assert_null (list);
      assert_system_error (error, "list", "object.info");
      g_clear_error (&error);

      g_assert_false (fs_cache_remove (cache, "e0", NULL, &error));
      assert_system_error (error, "remove", "e0/object.info");
      return;
    }
#ifndef TEST_AUDIT_ARCH
  g_test_skip ("no seccomp filter for this architecture");
  return;
#endif
  make_cache (fx, N_ENTRIES);
  fs_test_run_child (fx->cache_dir, 120);
  assert_all_entries (fx->cache_dir, N_ENTRIES);
}

/* A garbage collection removes entries without a valid object.info (an
 * interrupted removal): not the ones it merely could not read. */
static void
test_gc_read_fails (Fixture *fx, gconstpointer user_data)
{
  const ErrnoCase *c = user_data;

  if (g_test_subprocess ())
    {
      g_autoptr (FsCache) cache = fs_test_open_cache (fs_test_child_cache_dir ());
      g_autoptr (GError) error = NULL;
      guint removed = 0;

      g_assert_true (fail_syscalls (FAIL_READS, c->errsv));
      /* Whatever it reports, it removes no committed entry. */
      if (!fs_cache_collect_garbage (cache, FS_CACHE_MAINTENANCE_NONE, &removed, NULL, NULL, NULL,
                                     &error))
        assert_system_error (error, "collect_garbage", NULL);
      g_test_message ("collect_garbage removed %u", removed);
      g_assert_cmpuint (fs_test_count_objects (fs_test_child_cache_dir ()), ==, N_ENTRIES);
      g_assert_cmpuint (removed, ==, 0);
      return;
    }
#ifndef TEST_AUDIT_ARCH
  g_test_skip ("no seccomp filter for this architecture");
  return;
#endif
  make_cache (fx, N_ENTRIES);
  fs_test_run_child (fx->cache_dir, 120);
  assert_all_entries (fx->cache_dir, N_ENTRIES);
}

/* Opening an object.info fails with ENFILE (the system's table is full):
 * the list fails instead of coming back empty. */
static void
test_list_enfile (Fixture *fx, gconstpointer user_data)
{
  if (g_test_subprocess ())
    {
      g_autoptr (FsCache) cache = fs_test_open_cache (fs_test_child_cache_dir ());
      g_autoptr (GError) error = NULL;
      g_autoptr (GListModel) list = NULL;

      g_assert_true (fail_syscalls (FAIL_OPEN_FILE, ENFILE));
      list = fs_cache_list (cache, NULL, &error);
      if (list != NULL)
        g_error ("a list of %u entries instead of an error", g_list_model_get_n_items (list));
      assert_system_error (error, "list", "object.info");
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES);
      return;
    }
#ifndef TEST_AUDIT_ARCH
  g_test_skip ("no seccomp filter for this architecture");
  return;
#endif
  make_cache (fx, N_ENTRIES);
  fs_test_run_child (fx->cache_dir, 120);
  assert_all_entries (fx->cache_dir, N_ENTRIES);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/errors/emfile/load", Fixture, NULL, setup, test_load_emfile, teardown);
  g_test_add ("/errors/emfile/load-holding-entries", Fixture, NULL, setup, test_load_emfile_holding,
              teardown);
  g_test_add ("/errors/emfile/list", Fixture, NULL, setup, test_list_emfile, teardown);
  g_test_add ("/errors/emfile/remove", Fixture, NULL, setup, test_remove_emfile, teardown);
  g_test_add ("/errors/emfile/recount", Fixture, NULL, setup, test_recount_emfile, teardown);
  g_test_add ("/errors/eacces/object-info", Fixture, NULL, setup, test_eacces, teardown);
  for (gsize i = 0; i < G_N_ELEMENTS (read_errors); i++)
    {
      g_autofree char *path = g_strdup_printf ("/errors/seccomp/read-%s", read_errors[i].name);
      g_test_add (path, Fixture, &read_errors[i], setup, test_read_fails, teardown);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (read_errors); i++)
    {
      g_autofree char *path = g_strdup_printf ("/errors/seccomp/gc-read-%s", read_errors[i].name);
      g_test_add (path, Fixture, &read_errors[i], setup, test_gc_read_fails, teardown);
    }
  g_test_add ("/errors/seccomp/list-enfile", Fixture, NULL, setup, test_list_enfile, teardown);
  return g_test_run ();
}
