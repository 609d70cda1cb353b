/* flow.c -- update rules (see flow.h). */
#include <config.h>
#include "flow.h"

#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#define FLOW_STREAM 1
#endif

/* Arrays past this many doubles are not cache-resident between steps: flow_step_into writes them
 * with streaming stores, which skip reading the old lines first (56 -> 40 bytes per coordinate). */
#define FLOW_STREAM_MIN (1u << 17)

static void flow_plain(const struct flow_step *st, const double *x, const double *v, const double *g, size_t i0, size_t n, double *x_out,
                       double *v_out)
{
  if (st->rule == FLOW_EULER) {
    for (size_t i = i0; i < n; i++) x_out[i] = x[i] - st->lr * g[i];
    return;
  }
  for (size_t i = i0; i < n; i++) {
    const double vi = g[i] + st->beta * v[i];
    v_out[i] = vi;
    x_out[i] = x[i] - st->lr * vi;
  }
}

#ifdef FLOW_STREAM
/* The same arithmetic two lanes at a time (SSE2: no multiply-add to contract), stored with
 * movntpd from the first 16-byte aligned x_out on (v_out must share its alignment). */
static void flow_stream(const struct flow_step *st, const double *x, const double *v, const double *g, size_t n, double *x_out,
                        double *v_out)
{
  const size_t head = ((uintptr_t)x_out % 16) ? 1 : 0;
  flow_plain(st, x, v, g, 0, head, x_out, v_out);
  const __m128d lr = _mm_set1_pd(st->lr), beta = _mm_set1_pd(st->beta);
  size_t i = head;
  if (st->rule == FLOW_EULER)
    for (; i + 2 <= n; i += 2) _mm_stream_pd(x_out + i, _mm_sub_pd(_mm_loadu_pd(x + i), _mm_mul_pd(lr, _mm_loadu_pd(g + i))));
  else
    for (; i + 2 <= n; i += 2) {
      const __m128d vi = _mm_add_pd(_mm_loadu_pd(g + i), _mm_mul_pd(beta, _mm_loadu_pd(v + i)));
      _mm_stream_pd(v_out + i, vi);
      _mm_stream_pd(x_out + i, _mm_sub_pd(_mm_loadu_pd(x + i), _mm_mul_pd(lr, vi)));
    }
  flow_plain(st, x, v, g, i, n, x_out, v_out);
  _mm_sfence();
}
#endif

void flow_step_into(const struct flow_step *st, const double *x, const double *v, const double *g, size_t n, double *x_out, double *v_out)
{
#ifdef FLOW_STREAM
  if (n >= FLOW_STREAM_MIN && x_out != x && (st->rule == FLOW_EULER || ((uintptr_t)x_out - (uintptr_t)v_out) % 16 == 0)) {
    flow_stream(st, x, v, g, n, x_out, v_out);
    return;
  }
#endif
  flow_plain(st, x, v, g, 0, n, x_out, v_out);
}

void flow_update(const struct flow_step *st, double *x, double *v, const double *g, size_t n)
{
  flow_plain(st, x, v, g, 0, n, x, v);
}
