/* strbuf.h -- a growable text buffer (local, owns its memory; strbuf_take hands it over). */
#ifndef WOW_STRBUF_H
#define WOW_STRBUF_H

#include <stddef.h>

struct strbuf {
  char *s;
  size_t len, cap;
};

void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_append(struct strbuf *b, const char *s, size_t n);
char *strbuf_take(struct strbuf *b); /* never NULL; the buffer is reset */

#endif
