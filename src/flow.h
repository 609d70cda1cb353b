/* flow.h -- the particle update rules of method.md section 2.3 (pure, local):
 *   euler:    x <- x - lr g
 *   momentum: v <- g + beta v;  x <- x - lr v   (heavy ball, no dampening, v_0 = 0) */
#ifndef WOW_FLOW_H
#define WOW_FLOW_H

#include <stddef.h>

enum flow_rule { FLOW_EULER, FLOW_MOMENTUM };

struct flow_step {
  enum flow_rule rule;
  double lr, beta;
};

void flow_update(const struct flow_step *st, double *x, double *v, const double *g, size_t n);
/* The same step out of place, bit for bit: reads x, v, g and writes x_out and, for momentum, v_out
 * (euler leaves v_out alone: v does not change).  A caller that keeps the state before the step
 * (run.c, for its rollback) swaps buffers instead of copying them. */
void flow_step_into(const struct flow_step *st, const double *x, const double *v, const double *g, size_t n, double *x_out, double *v_out);
/* The same with a float gradient (run.precision = single, mmd_grad_float): exactly flow_step_into
 * of the widened gradient, read at half the bytes; and, unless xf_out is NULL, x_out rounded to
 * float into xf_out as it is written (the next step's sgemm operand, mmd_rows_float: no second
 * pass over x_out). */
void flow_step_into_float(const struct flow_step *st, const double *x, const double *v, const float *g, size_t n, double *x_out, double *v_out,
                          float *xf_out);

#endif
