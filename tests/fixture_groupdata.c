/* fixture_groupdata.c - synthetic data and job specs for the training
 * tests (see fixture_groupdata.h). */
#include "fixture_groupdata.h"
#include "dataset.h"
#include "method.h"
#include <mpi.h>
#include <stdio.h>
#include <string.h>

int fixture_data(const char *path, const synth_opts *so, dataset_info *info, dett_err *e)
{
    dataset_info in;
    dataset_rows split[N_SPLITS];
    if (synth_generate(so, &in, split, e)) return -1;
    int st = dataset_write(path, &in, split, e);
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&split[s]);
    if (info) *info = in;
    return st;
}

int fixture_groupdata(groupdata *gd, const char *path, const synth_opts *so, int shards,
                      int batch, dett_err *e)
{
    if (fixture_data(path, so, NULL, e)) return -1;
    return groupdata_load(gd, path, MPI_COMM_WORLD, shards, batch, e);
}

job_spec fixture_job(const char *id, method_kind k, int epochs, const int *widths,
                     int n_widths)
{
    job_spec j;
    memset(&j, 0, sizeof j);
    snprintf(j.id, sizeof j.id, "%s", id);
    j.kind = JOB_STUDENT;
    j.arch.kind = ARCH_MLP;
    j.arch.n_widths = n_widths;
    for (int i = 0; i < n_widths; i++) j.arch.widths[i] = widths[i];
    method_defaults(k, &j.method);
    j.optim = optim_defaults(OPTIM_SGD);
    j.epochs = epochs;
    j.batch = 64;
    j.seed = 5;
    j.teacher = j.ident = -1;
    return j;
}

int fixture_grid(const char *data, const synth_opts *so, dataset_info *info,
                 const char *script, const char *script_text, dsl **d, job_list *jobs,
                 dett_err *e)
{
    if (fixture_data(data, so, info, e)) return -1;
    if (fixture_text(script, script_text)) return dett_fail(e, "%s: cannot write", script);
    return dsl_load(script, d, jobs, e);
}

int fixture_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int bad = fputs(text, f) < 0;
    return fclose(f) != 0 || bad ? -1 : 0;
}
