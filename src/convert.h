/* convert.h -- float copies of double arrays and back, for run.precision = single (src/mmd.c):
 * rounding to nearest, then exact widening; vectorised, the same bits on every CPU.  Local. */
#ifndef WOW_CONVERT_H
#define WOW_CONVERT_H

#include <stddef.h>

void convert_to_float(const double *a, size_t n, float *out);
void convert_to_double(const float *a, size_t n, double *out);

#endif
