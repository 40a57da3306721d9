/* test_method_add.c - adding a method touches only the method table, its
 * objective and its tests: this file registers a test-only method,
 * label-smoothed cross-entropy `lsce{eps = 0.1}`, and drives it through the
 * normal paths without any other change to the code:
 *  - the DSL: the lsce{} constructor exists, checks its key's range, fills
 *    the default, and the job's canonical text and labels come from the row;
 *  - dett run (in-process): a grid with erm{} and lsce{} students trains,
 *    every job done, lsce's objective finite and falling, its curves written;
 *  - dett train: --method lsce --eps 0.2 trains; --eps 1 is refused.
 * One process (MPI_COMM_WORLD of size 1). */
#include "check.h"
#include "cmd.h"
#include "dataset.h"
#include "dsl.h"
#include "method.h"
#include "synth.h"
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the method: its objective and its row ------------------------------- */

/* label-smoothed cross-entropy (arg: eps): q = (1 - eps) onehot(y) + eps / C,
 * loss_i = logsumexp(z_i) - sum_c q_c z_ic, d loss_i / d z_ic = p_ic - q_c;
 * c_i = w_i / N as for plain cross-entropy */
static double objective_lsce(obj_out *out, const obj_in *in)
{
    const int C = in->C;
    const double eps = in->arg[0];
    double s = 0.0;
    for (int i = 0; i < in->B; i++) {
        const float *z = in->z + (size_t)i * C;
        double mx = z[0], se = 0.0, qz = 0.0;
        for (int c = 1; c < C; c++) if (z[c] > mx) mx = z[c];
        for (int c = 0; c < C; c++) se += exp(z[c] - mx);
        for (int c = 0; c < C; c++) qz += ((c == in->y[i]) * (1.0 - eps) + eps / C) * z[c];
        out->loss[i] = (float)(mx + log(se) - qz);
        const double ci = (double)in->w[i] / in->N;
        for (int c = 0; c < C; c++) {
            double p = exp(z[c] - mx) / se, q = (c == in->y[i]) * (1.0 - eps) + eps / C;
            out->dz[(size_t)i * C + c] = (float)(ci * (p - q));
        }
        s += ci * out->loss[i];
    }
    return s;
}

static const method_def lsce_row = {
    "lsce", 1,
    { { "eps", MKEY_NUM, MROLE_ARG, 0, 1, MKEY_HI_OPEN, 0.1 } },
    MF_LOGIT_LOSS, OPTIM_SGD, objective_lsce, NULL, SAMPLER_KIND_ROWS,
};

/* ---- helpers --------------------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    EXPECT(f && fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", path);
}

/* train_loss [E] of job `id` in results file path; returns E (0 on failure) */
static int read_loss(const char *path, const char *id, double *loss, int max)
{
    char name[64];
    snprintf(name, sizeof name, "/jobs/%s/train_loss", id);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t n = 0;
    int ok = sp >= 0 && H5Sget_simple_extent_dims(sp, &n, NULL) == 1 && n <= (hsize_t)max &&
             H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, loss) >= 0;
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    H5Fclose(f);
    return ok ? (int)n : 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    dett_err e = { "" };

    /* the table: the new row is found like the built-ins */
    int kind = method_register(&lsce_row, &e);
    EXPECT(kind >= N_METHODS, "method_register: %s", e.msg);
    EXPECT(method_find("lsce") == kind && method_get(kind)->objective == objective_lsce,
           "lsce is row %d", method_find("lsce"));
    EXPECT(method_register(&lsce_row, &e) < 0 && strstr(e.msg, "taken"),
           "a second lsce is refused: %s", e.msg);

    /* data */
    dataset_info info;
    dataset_rows split[N_SPLITS];
    synth_opts so = synth_defaults();
    so.n_train = 1200;
    so.n_val = 300;
    so.n_test = 300;
    EXPECT(synth_generate(&so, &info, split, &e) == 0, "synth: %s", e.msg);
    EXPECT(dataset_write("method_add.h5", &info, split, &e) == 0, "write: %s", e.msg);
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&split[s]);

    /* the DSL builds lsce{} from the row: default, range, canonical text */
    write_text("method_add.lua",
               "local d = dataset \"method_add.h5\"\n"
               "return grid { data = d, student = mlp{16}, epochs = 4, batch = 64,\n"
               "  method = sweep{ erm{}, lsce{}, lsce{ eps = 0.3 } } }\n");
    dsl *dl = NULL;
    job_list jobs = { 0, 0, NULL };
    EXPECT(dsl_load("method_add.lua", &dl, &jobs, &e) == 0, "dsl_load: %s", e.msg);
    EXPECT(jobs.n == 3, "%d jobs", jobs.n);
    const char *want_canon[3] = { "erm", "lsce(eps=0.1)", "lsce(eps=0.3)" };
    const char *want_label[3] = { "", "eps=0.1", "eps=0.3" };
    for (int j = 0; j < jobs.n && j < 3; j++) {
        char canon[256], label[256];
        jobs_canon_field(jobs.jobs[j].canon, "method", canon, sizeof canon);
        method_label_args(&jobs.jobs[j].method, label, sizeof label);
        EXPECT(!strcmp(canon, want_canon[j]) && !strcmp(label, want_label[j]),
               "job %d: canon '%s' label '%s'", j, canon, label);
        EXPECT(jobs.jobs[j].optim.kind == OPTIM_SGD && jobs.jobs[j].teacher == -1 &&
               jobs.jobs[j].ident == -1, "job %d: sgd, no dependencies", j);
    }
    method_arg a[4];
    EXPECT(jobs.n == 3 && method_args(&jobs.jobs[2].method, a, 4) == 1 &&
           !strcmp(a[0].name, "eps") && a[0].type == MARG_REAL && a[0].num == (double)0.3f,
           "typed arguments of lsce(eps=0.3)");
    job_list_free(&jobs);
    dsl_free(dl);
    write_text("method_add_bad.lua",
               "local d = dataset \"method_add.h5\"\n"
               "return grid { data = d, student = mlp{16}, method = lsce{ eps = 1 } }\n");
    dl = NULL;
    EXPECT(dsl_load("method_add_bad.lua", &dl, &jobs, &e) != 0 &&
           strstr(e.msg, "lsce{}: 'eps' must be in [0, 1), got 1"), "range: %s", e.msg);
    dsl_free(dl);

    /* dett run, in-process: every job done, lsce's objective falls */
    char *run_argv[] = { "run", "method_add.lua", "-o", "method_add_results.h5", "--force",
                         "--progress", "lines", NULL };
    remove("method_add_results.h5");
    EXPECT(cmd_run(7, run_argv) == 0, "dett run of the lsce grid failed");
    double loss[3][8];
    for (int j = 0; j < 3; j++) {
        char id[8];
        snprintf(id, sizeof id, "j%03d", j);
        int E = read_loss("method_add_results.h5", id, loss[j], 8);
        EXPECT(E == 4 && isfinite(loss[j][3]) && loss[j][3] < loss[j][0],
               "%s: %d epochs, objective %g -> %g", id, E, loss[j][0], E ? loss[j][E - 1] : 0);
    }
    /* smoothing keeps the objective above cross-entropy's: it never reaches 0 */
    EXPECT(loss[2][3] > loss[1][3] && loss[1][3] > loss[0][3],
           "final objectives erm %g < lsce(0.1) %g < lsce(0.3) %g", loss[0][3], loss[1][3],
           loss[2][3]);

    /* dett train takes the method and its key from the row */
    char *tr_argv[] = { "train", "--data", "method_add.h5", "--method", "lsce", "--eps", "0.2",
                        "--epochs", "2", "--arch", "mlp:8", NULL };
    EXPECT(cmd_train(11, tr_argv) == 0, "dett train --method lsce failed");
    tr_argv[6] = "1";
    EXPECT(cmd_train(11, tr_argv) == 2, "dett train --eps 1 was accepted");

    int rc = TEST_END();
    MPI_Finalize();
    return rc;
}
