/* jobspec.c - job list ownership (see jobspec.h). */
#include "jobspec.h"
#include <stdlib.h>

void job_list_free(job_list *l)
{
    if (!l) return;
    free(l->jobs);
    l->jobs = NULL;
    l->n = l->cap = 0;
}
