/* gram.h -- products of a few long rows: the GEMM form of the pairwise transports (src/mmd.c).
 *
 *   gram_rows:    G[i][k] = <S_{r0+i}, S_k>        for i < nr, k < nrows
 *   gram_combine: Y[c][t] = sum_k W[c][k] S_k[t]   for c < nw, t < K
 *
 * S holds nrows rows of length K (row-major; gram_combine: K columns of rows ldS apart, Y with
 * rows K apart).  OpenBLAS packs whole operands, which does not pay
 * with very few rows: up to GRAM_FEW rows these loops (strips of columns that stay in L1, written
 * for the vectoriser) are faster: 6 rows of 40 000 (the rings size), Gram 0.13-0.2 against 0.32-0.37
 * ms by dsyrk; from about 12 rows on, dsyrk and dgemm win (docs/performance.md).  Every entry
 * is one fixed summation order, whatever r0 and nr: the same bits on any split of the rows (on
 * one kind of CPU: the vectorised clones contract to FMA where the CPU has it).  Above GRAM_FEW rows: dsyrk / dgemm.  Pure, local. */
#ifndef WOW_GRAM_H
#define WOW_GRAM_H

#define GRAM_FEW 8

void gram_rows(const double *S, int nrows, long K, int r0, int nr, double *G);
void gram_combine(const double *W, int nw, const double *S, long ldS, int nrows, long K, double *Y);
/* norm2[j] = <S_j, S_j> for j < nrows: the bits of G[j][j] from gram_rows' loops (up to GRAM_FEW rows). */
void gram_norms(const double *S, int nrows, long K, double *norm2);
/* y[t] += w x[t], t < n: the loops' building block (vectorised for this CPU). */
void gram_axpy(double w, const double *x, long n, double *y);

#endif
