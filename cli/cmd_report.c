/* cmd_report.c - `dett report`: its command line (opts.h) around report_exec
 * (analysis/report.h). */
#include "cmd.h"
#include "opts.h"
#include "report.h"
#include <stdio.h>
#include <stdlib.h>

enum { P_OUT = 1, P_SELECT, P_PER_GROUP, P_FORMAT, P_TUNE, P_PIVOT, P_PLOTS, P_PLOT_FORMAT,
       P_DIAG, P_IDENT, P_SCRIPT, P_ALL, P_STAT };

static const opt_def report_defs[] = {
    {"output", 'o', "FILE", "write the report (tables, --diagnostics, --ident) into\n"
     "FILE instead of stdout", P_OUT},
    {"select", 0, "S", "epoch whose test numbers are reported: best validation\n"
     "worst-group accuracy (val-worst, default), best\n"
     "validation average (val-avg), best test worst-group\n"
     "accuracy (oracle), or best validation worst per-class\n"
     "accuracy, no attribute labels (val-worst-class)", P_SELECT},
    {"per-group", 0, NULL, "one column per group g = y * A + a (mean test accuracy)",
     P_PER_GROUP},
    {"tune", 0, "KEYS", "select hyperparameters on validation: rows equal apart\n"
     "from KEYS keep only the one with the best mean\n"
     "validation worst-group accuracy; KEYS: optim, batch,\n"
     "epochs, METHOD.KEY (an argument of one method: kd.T,\n"
     "dett.T, dett.up, groupdro.eta) or a bare KEY that only\n"
     "one method has, e.g. --tune optim,dett.up", P_TUNE},
    {"format", 0, "F", "md (default), latex (booktabs) or csv", P_FORMAT},
    {"pivot", 0, "method", "the compact table instead: a line per dataset, student\n"
     "and teacher, a column per method, cells worst-group\n"
     "mean ± std", P_PIVOT},
    {"plots", 0, "DIR", "write the figures (curves, groups, axis_<key>) and\n"
     "their captions (DIR/figures.md) into DIR", P_PLOTS},
    {"plot-format", 0, "L", "formats of the figures, comma-separated from pdf, svg,\n"
     "png (default pdf,png)", P_PLOT_FORMAT},
    {"diagnostics", 0, NULL, "show per-job diagnostics stored in the files, and\n"
     "dfr{} jobs' choices (L2 strength, scores per strength,\n"
     "subsamples, refits)", P_DIAG},
    {"ident", 0, NULL, "show each identification job's error set: size, rows\n"
     "per group and class, and a WARNING if it is degenerate\n"
     "(empty, more than half the training rows, or a single\n"
     "class)", P_IDENT},
    {"script", 0, "GRID.lua", "the jobs of that script (by its text) among those of\n"
     "the file; default: the jobs of the last script run on\n"
     "the file", P_SCRIPT},
    {"all", 0, NULL, "every job the file holds, whichever script asked for it", P_ALL},
    {"stat", 0, "S", "what every ± (and every band or bar of --plots) shows:\n"
     "the sample std over seeds (std, default) or the\n"
     "standard error of the mean, std / sqrt(n) (sem)", P_STAT},
    {NULL, 0, NULL, NULL, 0},
};

/* --help onto out */
static void report_usage(FILE *out)
{
    fputs("usage: dett report RESULTS.h5 [more.h5 ...] [options]\n", out);
    opts_usage(out, report_defs);
    fputs("\nJobs that differ only in their seed form one row (mean ± sample std over\n"
          "seeds, or ± standard error with --stat sem); several files merge into one\n"
          "report. Accuracies are in percent.\n", out);
}

/* argv into a (files into the caller's array of argc entries); 0 ok, 1
 * --help printed onto out, 2 a usage error in e */
static int report_parse(FILE *out, int argc, char **argv, report_args *a, const char **files,
                        const char **path, dett_err *e)
{
    opts_parser p;
    const char *v;
    int id;
    report_args_default(a);
    a->files = files;
    if (opts_begin(&p, "report", report_defs, argc, argv, e)) return 2;
    while ((id = opts_next(&p, &v, e)) != OPTS_DONE) {
        switch (id) {
        case OPTS_BAD: return 2;
        case OPTS_HELP:   /* one copy under a launcher */
            if (cmd_world_rank() == 0) report_usage(out);
            return 1;
        case OPTS_ARG: files[a->n_files++] = v; break;
        case P_OUT: *path = v; break;
        case P_SELECT: a->select = v; break;
        case P_FORMAT: a->format = v; break;
        case P_PLOT_FORMAT: a->plot_format = v; break;
        case P_TUNE: a->tune = v; break;
        case P_PLOTS: a->plots = v; break;
        case P_PIVOT: a->pivot = v; break;
        case P_SCRIPT: a->script = v; break;
        case P_PER_GROUP: a->per_group = 1; break;
        case P_DIAG: a->diagnostics = 1; break;
        case P_IDENT: a->ident = 1; break;
        case P_ALL: a->all = 1; break;
        case P_STAT: a->stat = v; break;
        }
    }
    return 0;
}

int report_run(FILE *out, int argc, char **argv, dett_err *e)
{
    report_args a;
    const char *path = NULL;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) return dett_fail(e, "report: out of memory"), 1;
    int rc = report_parse(out, argc, argv, &a, files, &path, e);
    if (rc == 1) rc = 0;
    else if (rc == 0 && !path) rc = report_exec(out, &a, e);
    else if (rc == 0) {   /* -o FILE: the whole report, or no file */
        FILE *f = fopen(path, "w");
        if (!f) rc = (dett_fail(e, "report: -o %s: cannot create it", path), 1);
        else {
            rc = report_exec(f, &a, e);
            if (fclose(f) != 0 && rc == 0)
                rc = (dett_fail(e, "report: -o %s: write error", path), 1);
            if (rc) remove(path);
        }
    }
    if (rc == 2 && e) {   /* a usage error: the hint once */
        opts_parser p = {.cmd = "report"};
        opts_bad_value(&p, e);
    }
    free(files);
    return rc;
}

int cmd_report_main(int argc, char **argv)
{
    dett_err e = {{0}};
    int rc = report_run(stdout, argc, argv, &e);
    if (rc) fprintf(stderr, "dett: %s\n", e.msg);
    return rc;
}
