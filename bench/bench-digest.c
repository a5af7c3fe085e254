/* bench-digest.c: SHA-256 implementations on this machine (issue 13)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   bench-digest [--reps N] [--dir DIR]
 *
 * 1. Throughput in memory of GLib's GChecksum, OpenSSL's libcrypto (EVP,
 *    one context reused), GnuTLS (gnutls_hash, one handle reused) and
 *    nettle (GnuTLS's own backend), for 4 KiB inputs (16,384 of them: the
 *    per-digest cost counts) and one 64 MiB input; MB/s of CPU time of the
 *    hashing thread (the machine is shared: CPU time is what the
 *    implementation costs, wall time what we waited), best and median of
 *    N runs.
 * 2. The first digest of a process: loading each library with dlopen()
 *    (paid by every process that uses libfscache, hashing or not, once it
 *    is linked), then hashing 4 KiB (paid by the processes that hash), in
 *    a fresh child process each time (bench-digest-first).
 * 3. A 64 MiB file in DIR (default /dev/shm) hashed by the library's
 *    _fs_digest_fd() with buffers of 64 KiB to 1 MiB, against
 *    `openssl dgst -sha256` of the same file: CPU time (user + system; for
 *    openssl, of the process) and wall time.
 *
 * Prints a table and one JSON line per measurement.
 */

#include "config.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_GNUTLS
#include <gnutls/crypto.h>
#endif
#ifdef HAVE_NETTLE
#include <nettle/sha2.h>
#endif

#include "fs-digest-private.h"

#define SMALL 4096
#define N_SMALL 16384
#define BIG (64 * 1024 * 1024)

static double
now (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

typedef struct {
  const char *name;
  void (*setup) (void);
  void (*hash) (const guint8 *data, gsize len, guint8 out[32]);
} Impl;

/* GLib */
static GChecksum *glib_sum;
static void
glib_setup (void)
{
  glib_sum = g_checksum_new (G_CHECKSUM_SHA256);
}
static void
glib_hash (const guint8 *data, gsize len, guint8 out[32])
{
  gsize n = 32;

  g_checksum_reset (glib_sum);
  g_checksum_update (glib_sum, data, (gssize) len);
  g_checksum_get_digest (glib_sum, out, &n);
}

/* libcrypto */
static EVP_MD *evp_md;
static EVP_MD_CTX *evp_ctx;
static void
evp_setup (void)
{
  evp_md = EVP_MD_fetch (NULL, "SHA256", NULL);
  evp_ctx = EVP_MD_CTX_new ();
}
static void
evp_hash (const guint8 *data, gsize len, guint8 out[32])
{
  EVP_DigestInit_ex2 (evp_ctx, evp_md, NULL);
  EVP_DigestUpdate (evp_ctx, data, len);
  EVP_DigestFinal_ex (evp_ctx, out, NULL);
}

/* the library's own hasher (libcrypto underneath) */
static FsDigest *fs_digest;
static void
fs_setup (void)
{
  fs_digest = _fs_digest_new ();
}
static void
fs_hash (const guint8 *data, gsize len, guint8 out[32])
{
  _fs_digest_update (fs_digest, data, len);
  _fs_digest_finish (fs_digest, out);
}

#ifdef HAVE_GNUTLS
static gnutls_hash_hd_t gnutls_hd;
static void
gnutls_setup (void)
{
  gnutls_hash_init (&gnutls_hd, GNUTLS_DIG_SHA256);
}
static void
gnutls_do_hash (const guint8 *data, gsize len, guint8 out[32])
{
  gnutls_hash (gnutls_hd, data, len);
  gnutls_hash_output (gnutls_hd, out); /* and resets */
}
#endif

#ifdef HAVE_NETTLE
static struct sha256_ctx nettle_ctx;
static void
nettle_setup (void)
{
}
static void
nettle_hash (const guint8 *data, gsize len, guint8 out[32])
{
  sha256_init (&nettle_ctx);
  sha256_update (&nettle_ctx, len, data);
  sha256_digest (&nettle_ctx, 32, out);
}
#endif

static const Impl impls[] = {
  { "glib-gchecksum", glib_setup, glib_hash },   { "openssl-evp", evp_setup, evp_hash },
  { "fscache-digest (evp)", fs_setup, fs_hash },
#ifdef HAVE_GNUTLS
  { "gnutls", gnutls_setup, gnutls_do_hash },
#endif
#ifdef HAVE_NETTLE
  { "nettle", nettle_setup, nettle_hash },
#endif
};

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
  qsort (v, (size_t) n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
best (double *v, int n)
{
  double b = v[0];
  for (int i = 1; i < n; i++)
    b = MAX (b, v[i]);
  return b;
}

/* ---- 2: first digest of a process ---- */

/* bench-digest-first (beside this program, linked to none of the
 * libraries) loads one and makes one digest, in a fresh process. */
static gboolean
first_digest_in_child (const char *self, const char *which, double *load_ms, double *digest_ms)
{
  g_autofree char *dir = g_path_get_dirname (self);
  g_autofree char *prog = g_build_filename (dir, "bench-digest-first", NULL);
  g_autofree char *out = NULL;
  const char *argv[] = { prog, which, NULL };
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status,
                     NULL) ||
      !g_spawn_check_wait_status (status, NULL) || sscanf (out, "%lf %lf", load_ms, digest_ms) != 2)
    return FALSE;
  return TRUE;
}

/* ---- 3: files ---- */

static double
children_cpu (void)
{
  struct rusage ru;

  getrusage (RUSAGE_CHILDREN, &ru);
  return (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Wall and CPU seconds of `openssl dgst -sha256 PATH` (the process). */
static void
openssl_dgst_s (const char *path, double *wall, double *cpu)
{
  const char *argv[] = { "openssl", "dgst", "-sha256", path, NULL };
  int status = 0;
  double c0 = children_cpu ();
  double t0 = now (CLOCK_MONOTONIC);

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL))
    g_error ("openssl dgst failed");
  *wall = now (CLOCK_MONOTONIC) - t0;
  *cpu = children_cpu () - c0;
}

/* Wall and CPU seconds (this thread, user + system) of _fs_digest_fd. */
static void
fd_digest_s (const char *path, gsize buf_size, double *wall, double *cpu)
{
  g_autofree void *buf = g_malloc (buf_size);
  g_autoptr (GError) error = NULL;
  guint8 out[FS_DIGEST_SIZE];
  double c0 = now (CLOCK_THREAD_CPUTIME_ID);
  double t0 = now (CLOCK_MONOTONIC);
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || !_fs_digest_fd (fs_digest, fd, NULL, buf, buf_size, out, NULL, NULL, path, &error))
    g_error ("hashing %s failed", path);
  close (fd);
  *wall = now (CLOCK_MONOTONIC) - t0;
  *cpu = now (CLOCK_THREAD_CPUTIME_ID) - c0;
}

int
main (int argc, char **argv)
{
  int reps = 7;
  const char *dir = "/dev/shm";
  g_autofree guint8 *big = NULL;
  g_autofree char *file = NULL;
  guint8 out[32];

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--reps") == 0 && i + 1 < argc)
        {
          reps = atoi (argv[++i]);
          reps = MAX (1, reps);
        }
      else if (strcmp (argv[i], "--dir") == 0 && i + 1 < argc)
        dir = argv[++i];
      else
        {
          fprintf (stderr, "usage: %s [--reps N] [--dir DIR]\n", argv[0]);
          return 2;
        }
    }

  big = g_malloc (BIG);
  for (gsize i = 0; i < BIG; i++)
    big[i] = (guint8) (i * 2654435761u >> 13);

  /* 1 */
  printf ("== SHA-256 in memory: MB/s of CPU time (best / median of %d)\n", reps);
  printf ("%-22s %18s %18s\n", "implementation", "4 KiB inputs", "64 MiB input");
  for (gsize k = 0; k < G_N_ELEMENTS (impls); k++)
    {
      g_autofree double *small_v = g_new (double, reps);
      g_autofree double *big_v = g_new (double, reps);
      g_autofree double *small_w = g_new (double, reps);
      g_autofree double *big_w = g_new (double, reps);

      impls[k].setup ();
      impls[k].hash (big, SMALL, out); /* warm up */
      for (int r = 0; r < reps; r++)
        {
          double c0 = now (CLOCK_THREAD_CPUTIME_ID), w0 = now (CLOCK_MONOTONIC);

          for (int i = 0; i < N_SMALL; i++)
            impls[k].hash (big + (gsize) i * SMALL, SMALL, out);
          small_v[r] = (double) SMALL * N_SMALL / (now (CLOCK_THREAD_CPUTIME_ID) - c0) / 1e6;
          small_w[r] = (double) SMALL * N_SMALL / (now (CLOCK_MONOTONIC) - w0) / 1e6;
          c0 = now (CLOCK_THREAD_CPUTIME_ID);
          w0 = now (CLOCK_MONOTONIC);
          impls[k].hash (big, BIG, out);
          big_v[r] = (double) BIG / (now (CLOCK_THREAD_CPUTIME_ID) - c0) / 1e6;
          big_w[r] = (double) BIG / (now (CLOCK_MONOTONIC) - w0) / 1e6;
        }
      printf ("%-22s %8.0f / %7.0f %8.0f / %7.0f\n", impls[k].name, best (small_v, reps),
              median (small_v, reps), best (big_v, reps), median (big_v, reps));
      fprintf (stderr,
               "{\"bench\": \"digest-memory\", \"impl\": \"%s\", \"small_mbps_best\": %.0f, "
               "\"small_mbps_median\": %.0f, \"big_mbps_best\": %.0f, \"big_mbps_median\": %.0f, "
               "\"small_wall_mbps_median\": %.0f, \"big_wall_mbps_median\": %.0f}\n",
               impls[k].name, best (small_v, reps), median (small_v, reps), best (big_v, reps),
               median (big_v, reps), median (small_w, reps), median (big_w, reps));
    }

  /* 2 */
  printf ("\n== The first digest of a process, ms (median of %d): load the library (dlopen,\n"
          "   lazy binding), then one digest of 4 KiB\n",
          reps);
  printf ("%-22s %10s %10s\n", "", "load", "1st digest");
  {
    const char *const which[] = { "openssl", "gnutls", "nettle" };

    for (gsize k = 0; k < G_N_ELEMENTS (which); k++)
      {
        g_autofree double *load = g_new0 (double, reps);
        g_autofree double *first = g_new0 (double, reps);

        for (int r = 0; r < reps; r++)
          if (!first_digest_in_child (argv[0], which[k], &load[r], &first[r]))
            load[r] = first[r] = -1;
        printf ("%-22s %10.2f %10.2f\n", which[k], median (load, reps), median (first, reps));
        fprintf (stderr,
                 "{\"bench\": \"digest-first\", \"impl\": \"%s\", \"load_ms\": %.3f, "
                 "\"first_digest_ms\": %.3f}\n",
                 which[k], median (load, reps), median (first, reps));
      }
  }

  /* 3 */
  file = g_build_filename (dir, "bench-digest-64M", NULL);
  {
    g_autoptr (GError) error = NULL;
    if (!g_file_set_contents (file, (const char *) big, BIG, &error))
      g_error ("%s", error->message);
  }
  printf ("\n== A 64 MiB file in %s: MB/s of CPU time (best / median of %d), and of wall time\n"
          "   (median; the process of openssl included)\n",
          dir, reps);
  {
    g_autofree double *v = g_new (double, reps);
    g_autofree double *w = g_new (double, reps);

    for (int r = 0; r < reps; r++)
      {
        double wall, cpu;

        openssl_dgst_s (file, &wall, &cpu);
        v[r] = BIG / cpu / 1e6;
        w[r] = BIG / wall / 1e6;
      }
    printf ("%-30s %8.0f / %7.0f %10.0f\n", "openssl dgst -sha256", best (v, reps),
            median (v, reps), median (w, reps));
    fprintf (stderr,
             "{\"bench\": \"digest-file\", \"impl\": \"openssl dgst\", \"cpu_mbps_best\": %.0f, "
             "\"cpu_mbps_median\": %.0f, \"wall_mbps_median\": %.0f}\n",
             best (v, reps), median (v, reps), median (w, reps));
    for (gsize bs = 64 * 1024; bs <= 1024 * 1024; bs *= 2)
      {
        g_autofree char *label = g_strdup_printf ("_fs_digest_fd, %zu KiB reads", bs / 1024);

        for (int r = 0; r < reps; r++)
          {
            double wall, cpu;

            fd_digest_s (file, bs, &wall, &cpu);
            v[r] = BIG / cpu / 1e6;
            w[r] = BIG / wall / 1e6;
          }
        printf ("%-30s %8.0f / %7.0f %10.0f\n", label, best (v, reps), median (v, reps),
                median (w, reps));
        fprintf (stderr,
                 "{\"bench\": \"digest-file\", \"impl\": \"%s\", \"cpu_mbps_best\": %.0f, "
                 "\"cpu_mbps_median\": %.0f, \"wall_mbps_median\": %.0f}\n",
                 label, best (v, reps), median (v, reps), median (w, reps));
      }
  }
  unlink (file);
  return 0;
}
