/* mem.h -- allocation that never returns NULL: failure (or a size overflow) ends the job with a
 * message naming what was being allocated.  Local, thread-unsafe only as malloc is. */
#ifndef WOW_MEM_H
#define WOW_MEM_H

#include <stddef.h>

void *wow_malloc(size_t n, size_t size, const char *what);
void *wow_calloc(size_t n, size_t size, const char *what);
void *wow_realloc(void *p, size_t n, size_t size, const char *what);
char *wow_strdup(const char *s);
/* printf into a fresh malloc'ed string. */
char *wow_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define WOW_NEW(type, n, what) ((type *)wow_malloc((size_t)(n), sizeof(type), (what)))
#define WOW_ZNEW(type, n, what) ((type *)wow_calloc((size_t)(n), sizeof(type), (what)))

#endif
