/* assign.h -- optimal assignment (Hungarian method with potentials, O(n^2 m)): match each of
 * n rows to a distinct one of m >= n columns at least total cost.  Pure and local.
 * Used to align flowed classes with target classes by their SW distances (method.md 1.1). */
#ifndef WOW_ASSIGN_H
#define WOW_ASSIGN_H

/* cost: n x m row-major; row_to_col receives n distinct columns.  Returns the total cost, or
 * NAN when n > m or a cost is not finite. */
double assign_min_cost(const double *cost, int n, int m, int *row_to_col);

#endif
