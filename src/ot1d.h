/* ot1d.h -- one-dimensional optimal transport between two uniform empirical measures, given
 * sorted atoms t (n) and s (m); method.md section 4.
 *
 * Exact: the monotone ("north-west corner") plan gamma_rk = |[r/n,(r+1)/n) & [k/m,(k+1)/m)|,
 * computed on the integer grid of n*m so that it is exact.  cost = W_p^p (p = 1 or 2).
 * The "displacement" of source atom r is disp_r = (n/2) d(W_p^p)/dt_r:
 *   p = 2: t_r - Tbar(t_r), Tbar the barycentric map (the W2-gradient of W2^2/2);
 *   p = 1: (1/2) sum_k n gamma_rk sign(t_r - s_k).
 * Quantile estimator (the authors' code, section 4.1): Q knots alpha_k = k/(Q-1) by linear
 * percentiles, Q Monte Carlo levels u; cost = (1/Q) sum_j |Qa(u_j) - Qb(u_j)|^p, disp as above
 * from its exact derivative.  All functions are local and allocation-free. */
#ifndef WOW_OT1D_H
#define WOW_OT1D_H

#include <stddef.h>

double ot1d_cost(const double *t, size_t n, const double *s, size_t m, int p);
/* acc[r] += coef * disp_r for every r < n. */
void ot1d_disp_acc(const double *t, size_t n, const double *s, size_t m, int p, double coef, double *acc);

/* Quantile estimator. */
void ot1d_knots(const double *t, size_t n, int Q, double *q);
double ot1d_quant_cost(const double *qa, const double *qb, const double *u, int Q, int p);
/* acc[r] += coef * disp_r; work holds Q doubles. */
void ot1d_quant_disp_acc(size_t n, const double *qa, const double *qb, const double *u, int Q, int p, double coef,
                         double *work, double *acc);
/* The GEMM form of the estimator (p = 2): z[j] = Qa(u_j) from the knots q, so that the cost of a
 * pair is |z_a - z_b|^2 / Q; and acc[r] += coef * disp_r for level differences D[j] (D = z_a - z_b,
 * or any combination sum_k c_k (z_a - z_k), the displacement being linear in D). */
void ot1d_quant_levels(const double *q, const double *u, int Q, double *z);
void ot1d_quant_disp_levels(size_t n, const double *D, const double *u, int Q, double coef, double *work, double *acc);

#endif
