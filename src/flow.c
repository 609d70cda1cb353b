/* flow.c -- update rules (see flow.h). */
#include <config.h>
#include "flow.h"

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#define FLOW_STREAM 1
#endif

/* Arrays past this many doubles are not cache-resident between steps: flow_step_into writes them
 * with streaming stores, which skip reading the old lines first (56 -> 40 bytes per coordinate). */
#define FLOW_STREAM_MIN (1u << 17)

/* The update's arithmetic; the gradient is g, or gf widened (the same numbers) when g is NULL. */
static inline double flow_g(const double *g, const float *gf, size_t i) { return g ? g[i] : (double)gf[i]; }

#define FLOW_INLINE static inline __attribute__((always_inline)) /* each caller's copy knows which gradient it reads */

FLOW_INLINE void flow_plain(const struct flow_step *st, const double *x, const double *v, const double *g, const float *gf, size_t i0,
                            size_t n, double *x_out, double *v_out, float *xf_out)
{
  if (st->rule == FLOW_EULER) {
    for (size_t i = i0; i < n; i++) x_out[i] = x[i] - st->lr * flow_g(g, gf, i);
  } else
    for (size_t i = i0; i < n; i++) {
      const double vi = flow_g(g, gf, i) + st->beta * v[i];
      v_out[i] = vi;
      x_out[i] = x[i] - st->lr * vi;
    }
  if (xf_out)
    for (size_t i = i0; i < n; i++) xf_out[i] = (float)x_out[i];
}

#ifdef FLOW_STREAM
static inline __m128d flow_g2(const double *g, const float *gf, size_t i)
{
  if (g) return _mm_loadu_pd(g + i);
  double two; /* two floats, loaded as 8 bytes (memcpy: gf + i need not be aligned as a double) and widened */
  memcpy(&two, gf + i, sizeof two);
  return _mm_cvtps_pd(_mm_castpd_ps(_mm_set_sd(two)));
}

/* The two new coordinates' floats into xf_out + i (none when xf_out is NULL): cvtpd2ps rounds as
 * the cast does; 8 bytes stored with movnti where they are aligned (the loop's i are all alike). */
static inline void flow_store_f2(float *xf_out, size_t i, __m128d x2)
{
  if (!xf_out) return;
  const long long two = _mm_cvtsi128_si64(_mm_castps_si128(_mm_cvtpd_ps(x2)));
  if ((uintptr_t)(xf_out + i) % 8 == 0) _mm_stream_si64((long long *)(void *)(xf_out + i), two);
  else memcpy(xf_out + i, &two, sizeof two);
}

/* The same arithmetic two lanes at a time (SSE2: no multiply-add to contract), stored with
 * movntpd from the first 16-byte aligned x_out on (v_out must share its alignment). */
FLOW_INLINE void flow_stream(const struct flow_step *st, const double *x, const double *v, const double *g, const float *gf, size_t n,
                             double *x_out, double *v_out, float *xf_out)
{
  const size_t head = ((uintptr_t)x_out % 16) ? 1 : 0;
  flow_plain(st, x, v, g, gf, 0, head, x_out, v_out, xf_out);
  const __m128d lr = _mm_set1_pd(st->lr), beta = _mm_set1_pd(st->beta);
  size_t i = head;
  if (st->rule == FLOW_EULER)
    for (; i + 2 <= n; i += 2) {
      const __m128d xi = _mm_sub_pd(_mm_loadu_pd(x + i), _mm_mul_pd(lr, flow_g2(g, gf, i)));
      _mm_stream_pd(x_out + i, xi);
      flow_store_f2(xf_out, i, xi);
    }
  else if (xf_out && (uintptr_t)(xf_out + i) % 16 == 0)
    for (; i + 4 <= n; i += 4) {
      const __m128d vi = _mm_add_pd(flow_g2(g, gf, i), _mm_mul_pd(beta, _mm_loadu_pd(v + i)));
      const __m128d xi = _mm_sub_pd(_mm_loadu_pd(x + i), _mm_mul_pd(lr, vi));
      const __m128d vj = _mm_add_pd(flow_g2(g, gf, i + 2), _mm_mul_pd(beta, _mm_loadu_pd(v + i + 2)));
      const __m128d xj = _mm_sub_pd(_mm_loadu_pd(x + i + 2), _mm_mul_pd(lr, vj));
      _mm_stream_pd(v_out + i, vi);
      _mm_stream_pd(x_out + i, xi);
      _mm_stream_pd(v_out + i + 2, vj);
      _mm_stream_pd(x_out + i + 2, xj);
      _mm_stream_ps(xf_out + i, _mm_movelh_ps(_mm_cvtpd_ps(xi), _mm_cvtpd_ps(xj)));
    }
  else
    for (; i + 2 <= n; i += 2) {
      const __m128d vi = _mm_add_pd(flow_g2(g, gf, i), _mm_mul_pd(beta, _mm_loadu_pd(v + i)));
      const __m128d xi = _mm_sub_pd(_mm_loadu_pd(x + i), _mm_mul_pd(lr, vi));
      _mm_stream_pd(v_out + i, vi);
      _mm_stream_pd(x_out + i, xi);
      flow_store_f2(xf_out, i, xi);
    }
  flow_plain(st, x, v, g, gf, i, n, x_out, v_out, xf_out);
  _mm_sfence();
}
#endif

static void flow_into(const struct flow_step *st, const double *x, const double *v, const double *g, const float *gf, size_t n, double *x_out,
                      double *v_out, float *xf_out)
{
#ifdef FLOW_STREAM
  if (n >= FLOW_STREAM_MIN && x_out != x && (st->rule == FLOW_EULER || ((uintptr_t)x_out - (uintptr_t)v_out) % 16 == 0)) {
    if (g) flow_stream(st, x, v, g, NULL, n, x_out, v_out, NULL); /* each copy with its load inlined */
    else if (xf_out) flow_stream(st, x, v, NULL, gf, n, x_out, v_out, xf_out);
    else flow_stream(st, x, v, NULL, gf, n, x_out, v_out, NULL);
    return;
  }
#endif
  if (g) flow_plain(st, x, v, g, NULL, 0, n, x_out, v_out, NULL);
  else flow_plain(st, x, v, NULL, gf, 0, n, x_out, v_out, xf_out);
}

void flow_step_into(const struct flow_step *st, const double *x, const double *v, const double *g, size_t n, double *x_out, double *v_out)
{
  flow_into(st, x, v, g, NULL, n, x_out, v_out, NULL);
}

void flow_step_into_float(const struct flow_step *st, const double *x, const double *v, const float *g, size_t n, double *x_out, double *v_out,
                          float *xf_out)
{
  flow_into(st, x, v, NULL, g, n, x_out, v_out, xf_out);
}

void flow_update(const struct flow_step *st, double *x, double *v, const double *g, size_t n)
{
  flow_plain(st, x, v, g, NULL, 0, n, x, v, NULL);
}
