/* rowmem.c - see rowmem.h */
#define _DEFAULT_SOURCE   /* madvise, MADV_HUGEPAGE */
#include "rowmem.h"
#include <stdlib.h>
#include <sys/mman.h>

#define ROWMEM_HUGE ((size_t)2 << 20)        /* an x86-64 huge page */
#define ROWMEM_MIN (4 * ROWMEM_HUGE)         /* below this, plain malloc */

void *rowmem_alloc(size_t bytes)
{
    if (bytes < ROWMEM_MIN) return malloc(bytes ? bytes : 1);
    const size_t len = (bytes + ROWMEM_HUGE - 1) / ROWMEM_HUGE * ROWMEM_HUGE;
    void *p = NULL;
    if (posix_memalign(&p, ROWMEM_HUGE, len)) return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, len, MADV_HUGEPAGE);   /* a hint: failure changes nothing */
#endif
    return p;
}
