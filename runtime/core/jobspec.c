/* jobspec.c - job list ownership and the job's shared names and text forms
 * (see jobspec.h). */
#include "jobspec.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const select_names[N_SELECTS + 1] = {
    [SELECT_VAL_WORST] = "val-worst", [SELECT_VAL_AVG] = "val-avg",
    [SELECT_ORACLE] = "oracle", [SELECT_VAL_WORST_CLASS] = "val-worst-class",
    [N_SELECTS] = NULL,
};

const char *const job_kind_names[N_JOB_KINDS + 1] = {
    [JOB_TRAIN] = "train", [JOB_IDENT] = "ident", [JOB_STUDENT] = "student",
    [N_JOB_KINDS] = NULL,
};

const char *const init_names[N_INITS + 1] = {
    [INIT_RANDOM] = "random", [INIT_TEACHER] = "teacher", [N_INITS] = NULL,
};

const char *const sampler_names[N_SAMPLER_KINDS + 1] = {
    [SAMPLER_KIND_ROWS] = "rows", [SAMPLER_KIND_GROUPS] = "groups",
    [SAMPLER_KIND_GROUPS_EXACT] = "groups-exact", [N_SAMPLER_KINDS] = NULL,
};

int sampler_find(const char *s)
{
    for (int k = 0; k < N_SAMPLER_KINDS; k++)
        if (strcmp(s, sampler_names[k]) == 0) return k;
    return -1;
}

int select_find(const char *s)
{
    for (int k = 0; k < N_SELECTS; k++)
        if (strcmp(s, select_names[k]) == 0) return k;
    return -1;
}

void job_list_free(job_list *l)
{
    if (!l) return;
    free(l->jobs);
    l->jobs = NULL;
    l->n = l->cap = 0;
}

const char *jobspec_fmt_float(char out[32], float v)
{
    if (fabsf(v) < 1e9f && v == (float)(long)v) {
        snprintf(out, 32, "%ld", (long)v);
        return out;
    }
    for (int p = 1; p <= 9; p++) {
        snprintf(out, 32, "%.*g", p, (double)v);
        if (strtof(out, NULL) == v) break;
    }
    return out;
}

void optim_label(const optim_cfg *o, char *buf, size_t len)
{
    const optim_cfg d = optim_defaults(OPTIM_ADAMW);
    if (o->kind == OPTIM_SGD)
        snprintf(buf, len, "sgd(lr=%g,momentum=%g,wd=%g)", o->lr, o->momentum, o->wd);
    else if (o->beta1 == d.beta1 && o->beta2 == d.beta2 && o->eps == d.eps)
        snprintf(buf, len, "adamw(lr=%g,wd=%g)", o->lr, o->wd);
    else
        snprintf(buf, len, "adamw(lr=%g,wd=%g,betas=%g,%g,eps=%g)", o->lr, o->wd, o->beta1,
                 o->beta2, o->eps);
}
