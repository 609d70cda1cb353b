/* convert.c -- float copies of double arrays and back (see convert.h). */
#include <config.h>
#include "convert.h"
#include "clones.h"

WOW_CLONES void convert_to_float(const double *a, size_t n, float *out)
{
  for (size_t i = 0; i < n; i++) out[i] = (float)a[i];
}

WOW_CLONES void convert_to_double(const float *a, size_t n, double *out)
{
  for (size_t i = 0; i < n; i++) out[i] = (double)a[i];
}
