/* cmd_check.c - `dett check GRID.lua`: validate a script, its data files and
 * its jobs (validate.h: everything short of training), list the jobs. */
#include "cmd.h"
#include "dsl.h"
#include "validate.h"
#include <mpi.h>
#include <stdio.h>
#include <string.h>

/* "j000,j001" for the jobs j depends on, "-" if none */
static void deps_text(const job_list *l, const job_spec *j, char *out, size_t n)
{
    snprintf(out, n, "%s%s%s", j->teacher >= 0 ? l->jobs[j->teacher].id : "",
             j->teacher >= 0 && j->ident >= 0 ? "," : "",
             j->ident >= 0 ? l->jobs[j->ident].id : "");
    if (!out[0]) snprintf(out, n, "-");
}

/* One line per job; a Lua weighting's hash is shortened to 12 digits. */
static void print_job(const job_list *l, const job_spec *j)
{
    char deps[160], method[256], arch[256], weighting[256];
    deps_text(l, j, deps, sizeof deps);
    jobs_canon_field(j->canon, "method", method, sizeof method);
    jobs_canon_field(j->canon, "arch", arch, sizeof arch);
    jobs_canon_field(j->canon, "weighting", weighting, sizeof weighting);
    if (j->teacher_file[0]) {   /* an external teacher: its file instead of a model */
        printf("%-5s %-7s %.12s  deps=%-10s external=%s\n", j->id, job_kind_names[j->kind],
               j->hash, deps, j->teacher_file);
        return;
    }
    if (strncmp(weighting, "lua:", 4) == 0 && strlen(weighting) > 4 + 64)
        memmove(weighting + 4 + 12, weighting + 4 + 64, strlen(weighting + 4 + 64) + 1);
    printf("%-5s %-7s %.12s  deps=%-10s method=%-22s arch=%-20s weighting=%-26s seed=%llu%s%s\n",
           j->id, job_kind_names[j->kind], j->hash, deps, method, arch, weighting,
           (unsigned long long)j->seed, j->init != INIT_RANDOM ? " init=" : "",
           j->init != INIT_RANDOM ? init_names[j->init] : "");
}

int cmd_check(int argc, char **argv)
{
    const char *script = NULL, *incs[17] = { NULL };
    int n_inc = 0, bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (!strcmp(argv[i], "--include-path") && i + 1 < argc && n_inc < 16)
            incs[n_inc++] = argv[++i];
        else if (argv[i][0] == '-' || script)
            bad = 1;
        else
            script = argv[i];
    }
    if (bad || !script) {
        fprintf(stderr, "usage: dett check GRID.lua [--include-path DIR]...\n"
                        "  validates the experiment script, its data files and its jobs as\n"
                        "  dett run does before training, and lists the jobs; include\n"
                        "  reads only from the script's directory tree and each DIR\n");
        return 2;
    }
    dsl *d = NULL;
    job_list jobs = { 0, 0, NULL };
    dett_err e = { { 0 } };
    if (dsl_load_opts(script, incs, &d, &jobs, &e) != 0) {
        fprintf(stderr, "dett: %s\n", e.msg);
        return 1;
    }
    if (validate_grid(d, &jobs, MPI_COMM_WORLD, stdout, &e) != 0) {
        cmd_report(&e);
        job_list_free(&jobs);
        dsl_free(d);
        return 1;
    }
    for (int i = 0; i < jobs.n; i++) print_job(&jobs, &jobs.jobs[i]);
    printf("%d jobs\n", jobs.n);
    job_list_free(&jobs);
    dsl_free(d);
    return 0;
}
