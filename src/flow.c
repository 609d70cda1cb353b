/* flow.c -- update rules (see flow.h). */
#include <config.h>
#include "flow.h"

void flow_step_into(const struct flow_step *st, const double *x, const double *v, const double *g, size_t n, double *x_out, double *v_out)
{
  if (st->rule == FLOW_EULER) {
    for (size_t i = 0; i < n; i++) x_out[i] = x[i] - st->lr * g[i];
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const double vi = g[i] + st->beta * v[i];
    v_out[i] = vi;
    x_out[i] = x[i] - st->lr * vi;
  }
}

void flow_update(const struct flow_step *st, double *x, double *v, const double *g, size_t n)
{
  flow_step_into(st, x, v, g, n, x, v);
}
