/* cmd_import.c -- 'wowflow import': IDX or CSV(.gz) to the HDF5 dataset layout (see import.h).
 * Serial: rank 0 does the work, every rank learns the verdict. */
#include <config.h>
#include "commands.h"
#include "comm.h"
#include "import.h"
#include "mem.h"
#include "provenance.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int import_run(const struct cli *c, char *err, size_t len)
{
  struct import_table t;
  int rc = c->idx ? import_idx(c->idx, c->idx_labels, &t, err, len) : import_csv(c->csv, c->label_column, c->header, &t, err, len);
  if (rc) return -1;
  if (!rc && c->shape) rc = import_set_shape(&t, c->shape, err, len);
  if (!rc) rc = import_select(&t, c->nclass_list ? c->class_list : NULL, c->nclass_list, c->per_class, (uint64_t)c->seed, err, len);
  if (!rc && c->scale) import_scale(&t);
  if (!rc && c->resize_h) rc = import_resize(&t, c->resize_h, c->resize_w, err, len);
  char ver[256];
  prov_version_line(ver, sizeof ver);
  struct strbuf p = {0};
  strbuf_printf(&p, "%s: import from %s%s%s, classes %s, per class %ld, seed %ld, scale %s, resize %dx%d", ver, c->idx ? c->idx : c->csv,
                c->idx ? " + " : "", c->idx ? c->idx_labels : "", t.classes ? t.classes : "all", c->per_class, c->seed,
                c->scale ? "to [0,1]" : "none", c->resize_h, c->resize_w);
  char *prov = strbuf_take(&p);
  if (!rc) rc = import_write_h5(&t, c->out, prov, err, len);
  int nclasses = 1;
  for (const char *q = t.classes ? t.classes : ""; *q; q++) nclasses += *q == ',';
  if (!rc) printf("wrote %s: %ld rows of %ld features, %d classes (original labels %s)%s\n", c->out, t.n, t.d, nclasses, t.classes,
                  t.h ? "" : " (no image shape)");
  free(prov);
  import_free(&t);
  return rc;
}

int cmd_import(const struct cli *c, MPI_Comm world)
{
  char msg[WOW_ERRLEN] = "";
  if (comm_rank(world) == 0) import_run(c, msg, sizeof msg);
  comm_check_all(world, msg);
  return 0;
}
