/* test_linalg_none.c - the stand-ins of runtime/linalg for a build without
 * ScaLAPACK (linalg_none.c, compiled into this test in every build): every
 * DFR and CKA entry point fails with linalg.h's message and leaves its
 * outputs alone; options and prediction still work. */
#include "check.h"
#include "cka.h"
#include "dfr.h"
#include "linalg.h"
#include <string.h>

static void expect_refusal(int rc, const dett_err *e, const char *what)
{
    EXPECT(rc == -1, "%s returned %d", what, rc);
    EXPECT(strcmp(e->msg, LINALG_NO_SCALAPACK) == 0, "%s: message '%s'", what, e->msg);
}

int main(void)
{
    float F[4] = { 0, 1, 2, 3 }, W[2] = { 7, 7 }, b[2] = { 7, 7 };
    double Wd[2] = { 7, 7 }, bd[2] = { 7, 7 }, c = 7, cg[2] = { 7, 7 }, mg[2] = { 7, 7 };
    int32_t y[2] = { 0, 1 }, g[2] = { 0, 1 }, pred[2] = { -1, -1 };
    int64_t ng[2] = { 7, 7 };
    dfr_opts o;
    dett_err e;
    dfr_opts_default(&o);
    EXPECT(o.solver == DFR_LOGISTIC && o.block == 64, "defaults still set");

    e.msg[0] = 0;
    expect_refusal(dfr_fit(MPI_COMM_NULL, F, y, 2, 2, 2, &o, W, b, NULL, &e), &e, "dfr_fit");
    EXPECT(W[0] == 7 && b[1] == 7, "dfr_fit left its outputs alone");
    e.msg[0] = 0;
    expect_refusal(dfr_fit_d(MPI_COMM_NULL, F, y, 2, 2, 2, &o, Wd, bd, NULL, &e), &e,
                   "dfr_fit_d");
    e.msg[0] = 0;
    expect_refusal(dfr_fit_grid(NULL, F, y, 2, 2, 2, &o, Wd, bd, NULL, &e), &e, "dfr_fit_grid");
    static const double lambdas[1] = { 1e-3 };
    dfr_select_opts so = { lambdas, 1, 1, 0 };
    e.msg[0] = 0;
    expect_refusal(dfr_select(MPI_COMM_NULL, F, y, g, 2, 2, 2, 2, &o, &so, W, b, NULL, &e),
                   &e, "dfr_select");
    e.msg[0] = 0;
    expect_refusal(cka_linear(MPI_COMM_NULL, F, 2, F, 2, 2, &c, &e), &e, "cka_linear");
    EXPECT(c == 7, "cka_linear left its output alone");
    e.msg[0] = 0;
    expect_refusal(cka_per_group(MPI_COMM_NULL, F, F, 2, g, 2, 2, cg, mg, ng, &e), &e,
                   "cka_per_group");
    EXPECT(cg[0] == 7 && mg[1] == 7 && ng[0] == 7, "cka_per_group left its outputs alone");

    /* prediction needs no ScaLAPACK: argmax of W x + b */
    float Wp[4] = { 1, 0, 0, 1 }, bp[2] = { 0, 0.5f }, x[4] = { 2, 0, 0, 0 };
    dfr_predict(pred, Wp, bp, x, 2, 2, 2);
    EXPECT(pred[0] == 0 && pred[1] == 1, "predictions %d %d", pred[0], pred[1]);
    return TEST_END();
}
