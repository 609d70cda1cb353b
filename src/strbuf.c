/* strbuf.c -- growable text buffer (see strbuf.h). */
#include <config.h>
#include "strbuf.h"
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void strbuf_reserve(struct strbuf *b, size_t extra)
{
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) cap *= 2;
  b->s = wow_realloc(b->s, cap, 1, "text buffer");
  b->cap = cap;
}

void strbuf_append(struct strbuf *b, const char *s, size_t n)
{
  strbuf_reserve(b, n);
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
  va_list ap, aq;
  va_start(ap, fmt);
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n > 0) {
    strbuf_reserve(b, (size_t)n);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, aq);
    b->len += (size_t)n;
  }
  va_end(aq);
}

char *strbuf_take(struct strbuf *b)
{
  if (!b->s) strbuf_reserve(b, 0), b->s[0] = '\0';
  char *s = b->s;
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}
