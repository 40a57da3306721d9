/* linalg_none.c - dfr.h and cka.h in a build without ScaLAPACK: every
 * collective fails at once with LINALG_NO_SCALAPACK (linalg.h). No
 * communication happens, so every rank fails alike without agreeing; the
 * outputs are left untouched. */
#include "cka.h"
#include "dfr.h"
#include "linalg.h"

static int unavailable(dett_err *e)
{
    return dett_fail(e, "%s", LINALG_NO_SCALAPACK);
}

int dfr_fit(MPI_Comm comm, const float *F_local, const int32_t *y_local, int64_t n_local,
            int d, int C, const dfr_opts *o, float *W_out, float *b_out, dfr_report *rep,
            dett_err *e)
{
    (void)comm; (void)F_local; (void)y_local; (void)n_local; (void)d; (void)C; (void)o;
    (void)W_out; (void)b_out; (void)rep;
    return unavailable(e);
}

int dfr_fit_d(MPI_Comm comm, const float *F_local, const int32_t *y_local, int64_t n_local,
              int d, int C, const dfr_opts *o, double *W_out, double *b_out,
              dfr_report *rep, dett_err *e)
{
    (void)comm; (void)F_local; (void)y_local; (void)n_local; (void)d; (void)C; (void)o;
    (void)W_out; (void)b_out; (void)rep;
    return unavailable(e);
}

int dfr_fit_grid(const sl_grid *g, const float *F_local, const int32_t *y_local,
                 int64_t n_local, int d, int C, const dfr_opts *o, double *W_out,
                 double *b_out, dfr_report *rep, dett_err *e)
{
    (void)g; (void)F_local; (void)y_local; (void)n_local; (void)d; (void)C; (void)o;
    (void)W_out; (void)b_out; (void)rep;
    return unavailable(e);
}

int dfr_select(MPI_Comm comm, const float *F_local, const int32_t *y_local,
               const int32_t *g_local, int64_t n_local, int d, int C, int G,
               const dfr_opts *o, const dfr_select_opts *so, float *W_out, float *b_out,
               dfr_select_report *rep, dett_err *e)
{
    (void)comm; (void)F_local; (void)y_local; (void)g_local; (void)n_local; (void)d;
    (void)C; (void)G; (void)o; (void)so; (void)W_out; (void)b_out; (void)rep;
    return unavailable(e);
}

int cka_linear(MPI_Comm comm, const float *X_local, int dx, const float *Y_local, int dy,
               int64_t n_local, double *cka, dett_err *e)
{
    (void)comm; (void)X_local; (void)dx; (void)Y_local; (void)dy; (void)n_local; (void)cka;
    return unavailable(e);
}

int cka_per_group(MPI_Comm comm, const float *T_local, const float *S_local, int d,
                  const int32_t *g_local, int64_t n_local, int G, double *cka_g,
                  double *mse_g, int64_t *n_g, dett_err *e)
{
    (void)comm; (void)T_local; (void)S_local; (void)d; (void)g_local; (void)n_local;
    (void)G; (void)cka_g; (void)mse_g; (void)n_g;
    return unavailable(e);
}
