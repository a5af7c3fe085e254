/* bench-digest-first.c: what the first SHA-256 digest of a process costs
 * with each library: dlopen() (relocations, constructors) and one digest of
 * 4 KiB (for libcrypto, the fetch that loads its configuration and
 * providers). Plain C, linked to none of them: run by bench-digest.
 *
 *   bench-digest-first openssl|gnutls|nettle
 *
 * prints two times in milliseconds: dlopen() (lazy binding, as when the
 * library is linked: paid by every process that loads libfscache), then
 * the first digest (paid by the processes that hash).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

#define SYM(h, var, name) (*(void **) &(var) = dlsym (h, name))

int
main (int argc, char **argv)
{
  unsigned char buf[4096] = { 0 }, out[64];
  double t0 = now_ms (), t1 = 0;
  void *h;

  if (argc != 2)
    return 2;
  if (strcmp (argv[1], "openssl") == 0)
    {
      void *(*fetch) (void *, const char *, const char *);
      void *(*cnew) (void);
      int (*init) (void *, const void *, void *);
      int (*upd) (void *, const void *, size_t);
      int (*fin) (void *, unsigned char *, unsigned *);
      void *md, *c;

      if ((h = dlopen ("libcrypto.so.3", RTLD_LAZY | RTLD_LOCAL)) == NULL)
        return 1;
      t1 = now_ms ();
      SYM (h, fetch, "EVP_MD_fetch");
      SYM (h, cnew, "EVP_MD_CTX_new");
      SYM (h, init, "EVP_DigestInit_ex2");
      SYM (h, upd, "EVP_DigestUpdate");
      SYM (h, fin, "EVP_DigestFinal_ex");
      md = fetch (NULL, "SHA256", NULL);
      c = cnew ();
      init (c, md, NULL);
      upd (c, buf, sizeof buf);
      fin (c, out, NULL);
    }
  else if (strcmp (argv[1], "gnutls") == 0)
    {
      int (*fast) (int, const void *, size_t, void *);

      if ((h = dlopen ("libgnutls.so.30", RTLD_LAZY | RTLD_LOCAL)) == NULL)
        return 1;
      t1 = now_ms ();
      SYM (h, fast, "gnutls_hash_fast");
      fast (6 /* GNUTLS_DIG_SHA256 */, buf, sizeof buf, out);
    }
  else if (strcmp (argv[1], "nettle") == 0)
    {
      char ctx[512];
      void (*i) (void *);
      void (*u) (void *, size_t, const void *);
      void (*d) (void *, size_t, void *);

      if ((h = dlopen ("libnettle.so.8", RTLD_LAZY | RTLD_LOCAL)) == NULL)
        return 1;
      t1 = now_ms ();
      SYM (h, i, "nettle_sha256_init");
      SYM (h, u, "nettle_sha256_update");
      SYM (h, d, "nettle_sha256_digest");
      i (ctx);
      u (ctx, sizeof buf, buf);
      d (ctx, 32, out);
    }
  else
    return 2;
  printf ("%.3f %.3f\n", t1 - t0, now_ms () - t1);
  return 0;
}
