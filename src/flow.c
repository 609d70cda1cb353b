/* flow.c -- update rules (see flow.h). */
#include <config.h>
#include "flow.h"

void flow_update(const struct flow_step *st, double *x, double *v, const double *g, size_t n)
{
  if (st->rule == FLOW_EULER) {
    for (size_t i = 0; i < n; i++) x[i] -= st->lr * g[i];
    return;
  }
  for (size_t i = 0; i < n; i++) {
    v[i] = g[i] + st->beta * v[i];
    x[i] -= st->lr * v[i];
  }
}
