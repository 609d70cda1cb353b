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

#endif
