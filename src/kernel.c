/* kernel.c -- the four SW kernels (see kernel.h). */
#include <config.h>
#include "kernel.h"

#include <math.h>
#include <string.h>

static const char *const kernel_names[] = { "riesz", "gaussian", "laplace", "imq" };

int kernel_init(struct kernel *k, const char *name, double h, double r)
{
  static const double default_h[] = { 0.0, 0.1, 0.5, 1.0 };
  for (int i = 0; i < 4; i++) {
    if (strcmp(name, kernel_names[i]) != 0) continue;
    k->kind = (enum kernel_kind)i;
    k->h = h > 0 ? h : default_h[i];
    k->r = r;
    k->p = (k->kind == KERNEL_LAPLACE) ? 1 : 2;
    return 0;
  }
  return -1;
}

const char *kernel_name(const struct kernel *k) { return kernel_names[k->kind]; }

double kernel_phi(const struct kernel *k, double s)
{
  if (s < 0) s = 0;
  switch (k->kind) {
  case KERNEL_RIESZ: return -pow(s, 0.5 * k->r);
  case KERNEL_GAUSSIAN: return exp(-s / (2.0 * k->h));
  case KERNEL_LAPLACE: return exp(-s / k->h);
  case KERNEL_IMQ: return 1.0 / sqrt(k->h + s);
  }
  return 0.0;
}

double kernel_dphi(const struct kernel *k, double s)
{
  if (s < 0) s = 0;
  switch (k->kind) {
  case KERNEL_RIESZ:
    if (s <= KERNEL_S_ZERO) return 0.0;
    return -0.5 * k->r * pow(s, 0.5 * k->r - 1.0);
  case KERNEL_GAUSSIAN: return -exp(-s / (2.0 * k->h)) / (2.0 * k->h);
  case KERNEL_LAPLACE: return -exp(-s / k->h) / k->h;
  case KERNEL_IMQ: return -0.5 / ((k->h + s) * sqrt(k->h + s));
  }
  return 0.0;
}
