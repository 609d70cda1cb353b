/* mem.c -- checked allocation (see mem.h). */
#include <config.h>
#include "mem.h"
#include "comm.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t mem_bytes(size_t n, size_t size, const char *what)
{
  if (size != 0 && n > SIZE_MAX / size)
    wow_fail("allocation of %zu x %zu bytes for %s overflows", n, size, what);
  return (n * size) != 0 ? n * size : 1;
}

void *wow_malloc(size_t n, size_t size, const char *what)
{
  size_t bytes = mem_bytes(n, size, what);
  void *p = malloc(bytes);
  if (!p) wow_fail("out of memory allocating %zu bytes for %s", bytes, what);
  return p;
}

void *wow_calloc(size_t n, size_t size, const char *what)
{
  size_t bytes = mem_bytes(n, size, what);
  void *p = calloc(1, bytes);
  if (!p) wow_fail("out of memory allocating %zu bytes for %s", bytes, what);
  return p;
}

void *wow_realloc(void *old, size_t n, size_t size, const char *what)
{
  size_t bytes = mem_bytes(n, size, what);
  void *p = realloc(old, bytes);
  if (!p) wow_fail("out of memory allocating %zu bytes for %s", bytes, what);
  return p;
}

char *wow_strdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *p = wow_malloc(n, 1, "string");
  memcpy(p, s, n);
  return p;
}

char *wow_asprintf(const char *fmt, ...)
{
  va_list ap, aq;
  va_start(ap, fmt);
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) wow_fail("bad format string '%s'", fmt);
  char *p = wow_malloc((size_t)n + 1, 1, "formatted string");
  vsnprintf(p, (size_t)n + 1, fmt, aq);
  va_end(aq);
  return p;
}
