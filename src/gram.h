/* gram.h -- products of a few long rows: the GEMM form of the pairwise transports (src/mmd.c).
 *
 *   gram_rows:    G[i][k] = <S_{r0+i}, S_k>        for i < nr, k < nrows
 *   gram_combine: Y[c][t] = sum_k W[c][k] S_k[t]   for c < nw, t < K
 *   gram_acc_upper: G[i][k] += <S_i, S_k>          for i <= k < nrows (K columns of rows ldS apart;
 *                 the Gram of all rows summed block of columns by block, while a block is in
 *                 cache; gram_mirror then copies the upper triangle to the lower; 5 or 6 rows,
 *                 the rings' classes, in one 21-sum register block with the same bits)
 *
 * S holds nrows rows of length K (row-major; gram_combine: K columns of rows ldS apart, Y with
 * rows K apart).  OpenBLAS packs whole operands, which does not pay with few rows: up to GRAM_FEW
 * rows these loops (strips of columns that stay in L1, written for the vectoriser) are faster;
 * every entry of gram_rows is then one fixed summation order, whatever r0 and nr: the same bits on
 * any split of the rows (on one kind of CPU).  All rows' Gram up to GRAM_BLOCKED_MAX rows: 4 x 4
 * register blocks (each row loaded once per 16 products), 2-3x dsyrk at 20-64 rows of 100 000
 * (docs/performance.md); an entry's bits do not depend on the rows around it.  Above: dsyrk /
 * dgemm.  Pure, local. */
#ifndef WOW_GRAM_H
#define WOW_GRAM_H

#define GRAM_FEW 8
#define GRAM_BLOCKED_MAX 64 /* gram_acc_upper: 4 x 4 register blocks up to this many rows (2-3x dsyrk), dsyrk above */

void gram_rows(const double *S, int nrows, long K, int r0, int nr, double *G);
void gram_combine(const double *W, int nw, const double *S, long ldS, int nrows, long K, double *Y);
void gram_acc_upper(const double *S, long ldS, int nrows, long K, double *G);
void gram_mirror(int nrows, double *G);
/* norm2[j] = <S_j, S_j> for j < nrows: the bits of G[j][j] from gram_rows' loops (up to GRAM_FEW rows). */
void gram_norms(const double *S, int nrows, long K, double *norm2);
/* The same of floats (the widened values, summed in the same order: the same bits). */
void gram_norms_float(const float *S, int nrows, long K, double *norm2);
/* out[q][i] = theta[q][0] S[0][i] + theta[q][1] S[1][i], q < nd, i < n (S's rows ldS apart, out's n
 * apart): the bits of gram_combine(theta, nd, S, ldS, 2, n, out) on each CPU kind, each block of
 * points read once for all nd directions. */
void gram_project2(const double *theta, int nd, const double *S, long ldS, long n, double *out);
/* y[t] += w x[t], t < n: the loops' building block (vectorised for this CPU). */
void gram_axpy(double w, const double *x, long n, double *y);

#endif
