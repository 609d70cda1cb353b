/* kernel.h -- kernels between distributions K(mu, nu) = phi(s), s a sliced-Wasserstein statistic
 * (s = SW_2^2 for Riesz, Gaussian and IMQ; s = SW_1 for Laplace); method.md sections 3 and 5.
 * kernel_dphi is phi'(s); for Riesz it is 0 when s <= KERNEL_S_ZERO (a pair of identical classes
 * contributes no gradient, section 11).  Pure functions. */
#ifndef WOW_KERNEL_H
#define WOW_KERNEL_H

#define KERNEL_S_ZERO 1e-300

enum kernel_kind { KERNEL_RIESZ, KERNEL_GAUSSIAN, KERNEL_LAPLACE, KERNEL_IMQ };

struct kernel {
  enum kernel_kind kind;
  double h; /* bandwidth (Gaussian, Laplace, IMQ) */
  double r; /* Riesz exponent */
  int p;    /* 2: s = SW_2^2;  1: s = SW_1 */
};

/* name: riesz|gaussian|laplace|imq; h <= 0 picks the default bandwidth.  Returns 0 or -1. */
int kernel_init(struct kernel *k, const char *name, double h, double r);
const char *kernel_name(const struct kernel *k);
double kernel_phi(const struct kernel *k, double s);
double kernel_dphi(const struct kernel *k, double s);

#endif
