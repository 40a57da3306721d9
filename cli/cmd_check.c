/* cmd_check.c - `dett check GRID.lua`: validate a script, its data files and
 * its jobs (validate.h: everything short of training), list the jobs. */
#include "cmd.h"
#include "dsl.h"
#include "opts.h"
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

enum { C_INC = 1 };

static const opt_def check_defs[] = {
    {"include-path", 0, "DIR", "let the script include files under DIR (repeatable;\n"
     "default: only the script's own directory tree)", C_INC},
    {NULL, 0, NULL, NULL, 0},
};

/* 0 ok, 1 --help printed, -1 a usage error in e */
static int check_parse(int argc, char **argv, const char **script, const char **incs,
                       dett_err *e)
{
    int n_inc = 0, id;
    const char *val;
    opts_parser p;
    if (opts_begin(&p, "check", check_defs, argc, argv, e)) return -1;
    while ((id = opts_next(&p, &val, e)) != OPTS_DONE) {
        if (id == OPTS_BAD) return -1;
        if (id == OPTS_HELP && cmd_world_rank() != 0) return 1;   /* one copy under a launcher */
        if (id == OPTS_HELP) {
            fputs("usage: dett check GRID.lua [options]\n"
                  "  validates the experiment script, its data files and its jobs as\n"
                  "  dett run does before training, and lists the jobs (no MPI)\n", stdout);
            opts_usage(stdout, check_defs);
            return 1;
        }
        if (id == C_INC && n_inc == 16)
            return opts_bad_value(&p, (dett_fail(e, "--include-path: at most 16 directories"), e));
        if (id == C_INC) incs[n_inc++] = val;
        if (id == OPTS_ARG && *script)
            return opts_bad_value(&p, (dett_fail(e, "one script at a time ('%s' and '%s')",
                                                 *script, val), e));
        if (id == OPTS_ARG) *script = val;
    }
    if (!*script)
        return opts_bad_value(&p, (dett_fail(e, "no script (usage: dett check GRID.lua)"), e));
    return 0;
}

int cmd_check(int argc, char **argv)
{
    const char *script = NULL, *incs[17] = { NULL };
    dett_err e = { { 0 } };
    int prc = check_parse(argc, argv, &script, incs, &e);
    if (prc == 1) return 0;
    if (prc) {
        cmd_report(&e);
        return 2;
    }
    dsl *d = NULL;
    job_list jobs = { 0, 0, NULL };
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
