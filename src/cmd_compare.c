/* cmd_compare.c -- 'wowflow compare A.h5 B.h5': are two runs the same?  Compares /flow/particles,
 * /flow/labels, /history/F (and /flow/embedding, /align/cost, /align/cost_initial when both have them); a dataset passes when max|a - b| <= atol + rtol * max|b|.
 * Rank 0 reads both files; the verdict is broadcast (exit status 0 same, 1 different). */
#include <config.h>
#include "commands.h"
#include "comm.h"
#include "h5io.h"
#include "mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 0 same, 1 different, -1 error (msg set). */
static int compare_dataset(hid_t fa, hid_t fb, const struct cli *c, const char *name, char *msg, size_t len)
{
  int ra, rb, fa_, fb_;
  long da[3], db[3];
  char err[512];
  if (h5io_shape(fa, name, &ra, da, &fa_, err, sizeof err)) { snprintf(msg, len, "%s: %s", c->a, err); return -1; }
  if (h5io_shape(fb, name, &rb, db, &fb_, err, sizeof err)) { snprintf(msg, len, "%s: %s", c->b, err); return -1; }
  if (ra != rb || da[0] != db[0] || da[1] != db[1] || da[2] != db[2]) {
    printf("%-18s shapes differ: (%ld, %ld, %ld) vs (%ld, %ld, %ld)\n", name, da[0], da[1], da[2], db[0], db[1], db[2]);
    return 1;
  }
  size_t n = (size_t)(da[0] * da[1] * da[2]);
  double *a = WOW_NEW(double, n, "compare a"), *b = WOW_NEW(double, n, "compare b");
  int rc = -1;
  if (h5io_read_all_double(fa, name, n, a, err, sizeof err)) snprintf(msg, len, "%s: %s", c->a, err);
  else if (h5io_read_all_double(fb, name, n, b, err, sizeof err)) snprintf(msg, len, "%s: %s", c->b, err);
  else {
    double diff = 0, scale = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
      double e = fabs(a[i] - b[i]);
      if (!(e <= diff)) { diff = e; at = i; } /* NaN counts as a difference */
      if (fabs(b[i]) > scale) scale = fabs(b[i]);
    }
    rc = !(diff <= c->atol + c->rtol * scale);
    printf("%-18s max|a-b| = %.3e (element %zu)  max|b| = %.3e  relative %.3e  %s\n", name, diff, at, scale,
           scale > 0 ? diff / scale : diff, rc ? "DIFFERENT" : "same");
  }
  free(a);
  free(b);
  return rc;
}

int cmd_compare(const struct cli *c, MPI_Comm world)
{
  char msg[WOW_ERRLEN] = "";
  int differ = 0;
  if (comm_rank(world) == 0) {
    hid_t fa = h5io_open_serial(c->a), fb = h5io_open_serial(c->b);
    if (fa < 0) snprintf(msg, sizeof msg, "%s: cannot open as an HDF5 file", c->a);
    else if (fb < 0) snprintf(msg, sizeof msg, "%s: cannot open as an HDF5 file", c->b);
    else {
      printf("comparing %s with %s (rtol %g, atol %g)\n", c->a, c->b, c->rtol, c->atol);
      const char *names[] = { "/flow/particles", "/flow/labels", "/history/F", "/flow/embedding", "/align/cost", "/align/cost_initial" };
      for (int i = 0; i < 6 && !msg[0]; i++) {
        if (i >= 3 && !(h5io_exists(fa, names[i]) && h5io_exists(fb, names[i]))) continue; /* optional: when both have it */
        int rc = compare_dataset(fa, fb, c, names[i], msg, sizeof msg);
        if (rc > 0) differ = 1;
      }
      printf("%s\n", msg[0] ? "error" : differ ? "files differ" : "files agree");
    }
    if (fa >= 0) h5io_close(fa);
    if (fb >= 0) h5io_close(fb);
  }
  comm_check_all(world, msg);
  comm_bcast_bytes(&differ, sizeof differ, 0, world);
  return differ;
}
