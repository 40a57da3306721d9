/* test_dedier.c - DEDIER's math by hand (kernels/dedier.h, objective.h):
 *  - the readout's weights on 5 two-class rows and one three-class row,
 *    computed in Python (the comment) and matched: correct rows keep their
 *    old weight, a tie predicts class 0, a wrong row's weight replaces an
 *    old one, |p0 - p1| = p[pred] - p[y] with two classes;
 *  - the weighted objective (KD's, each row's CE and KD terms times w_i,
 *    mean over N) on 4 rows, its value and one row's dJ/dz;
 *  - the readout's own loss (mean softmax cross-entropy of a linear layer)
 *    by finite differences at GRADCHECK_TOL, which fails a 1 % error.
 * No MPI: kernels only. */
#include "check.h"
#include "dedier.h"
#include "gradcheck.h"
#include "model.h"
#include "objective.h"
#include "rng.h"
#include <math.h>
#include <string.h>

/* relative difference */
static double rel(double a, double b) { return fabs(a - b) / fmax(1e-12, fabs(b)); }

static void weights_by_hand(void)
{
    /* Python:
     *   def sm(z): e = [exp(v - max(z)) for v in z]; return [v / sum(e) for v in e]
     *   alpha, beta = 0.5, 2.0; a wrong row: w = exp(beta * (p[pred] - p[y]) ** alpha)
     *   rows (z, y, old w): ([2,0],0,1) right; ([2,0],1,1) wrong, m = tanh(1);
     *   ([0,0],1,3) tie -> pred 0, wrong, m = 0 -> 1; ([0.5,1],1,2.5) right;
     *   ([-1,1],0,1) wrong, m = tanh(1)
     *   -> [1, 5.728119, 1, 2.5, 5.728119]
     *   three classes ([1,3,0], y = 2): pred 1, m = 0.801785 -> 5.994537 */
    const float z[10] = { 2, 0, 2, 0, 0, 0, 0.5f, 1, -1, 1 };
    const int y[5] = { 0, 1, 1, 1, 0 };
    float w[5] = { 1, 1, 3, 2.5f, 1 };
    const double want[5] = { 1, 5.728119, 1, 2.5, 5.728119 };
    int wrong = dedier_reweight(w, z, y, 5, 2, 0.5f, 2.0f);
    EXPECT(wrong == 3, "%d rows wrong, want 3", wrong);
    for (int i = 0; i < 5; i++)
        EXPECT(rel(w[i], want[i]) < 1e-6, "row %d: weight %.7g, want %.7g", i, w[i], want[i]);
    const float z3[3] = { 1, 3, 0 };
    const int y3 = 2;
    float w3 = 1;
    EXPECT(dedier_reweight(&w3, z3, &y3, 1, 3, 0.5f, 2.0f) == 1 && rel(w3, 5.994537) < 1e-6,
           "three classes: %.7g, want 5.994537", w3);
    /* beta = 0: every weight exp(0) = 1 (dedier is then KD) */
    float w0[5] = { 1, 1, 1, 1, 1 };
    dedier_reweight(w0, z, y, 5, 2, 0.05f, 0.0f);
    for (int i = 0; i < 5; i++) EXPECT(w0[i] == 1.0f, "beta 0: row %d weight %g", i, w0[i]);
    EXPECT(dedier_weight(1.0, 0.05f, 4.0f) == (float)exp(4.0), "a sure mistake: e^beta");
}

static void objective_by_hand(void)
{
    /* Python (T = 3, kd_alpha = 0.5, N = 4):
     *   loss_i = (1 - a) CE(z_i, y_i) + a T^2 KL(sm(t_i / T) || sm(z_i / T))
     *   J = sum_i w_i loss_i / N = 1.45052018
     *   row 1: loss 0.49010809, dJ/dz = (0.63184994, -0.63184994) */
    const float z[8] = { 1.0f, -0.5f, 0.2f, 0.4f, -1.0f, 2.0f, 0.3f, 0.3f };
    const float tz[8] = { 2.0f, -1.0f, -0.5f, 1.5f, 0.0f, 1.0f, 1.0f, 0.0f };
    const int y[4] = { 0, 1, 0, 1 }, g[4] = { 0, 1, 2, 3 };
    const float w[4] = { 1.0f, 5.72811921f, 1.0f, 2.5f };
    const float arg[5] = { 3.0f, 0.5f, 0.5f, 2.0f, 1.0f };
    float loss[4], dz[8], tmp[4];
    obj_in in = { 4, 2, 0, 4, z, NULL, tz, NULL, y, g, w, NULL, arg };
    obj_out out = { loss, dz, NULL, tmp };
    double J = objective_dedier(&out, &in);
    EXPECT(rel(J, 1.45052018) < 1e-5, "J %.9g, want 1.45052018", J);
    EXPECT(rel(loss[1], 0.49010809) < 1e-5, "loss 1 %.8g", loss[1]);
    EXPECT(rel(dz[2], 0.63184994) < 1e-5 && rel(dz[3], -0.63184994) < 1e-5,
           "dz row 1 %.8g %.8g", dz[2], dz[3]);
}

/* the readout's loss through a linear layer, at a 0 or 1 % injected error */
static double readout_gradcheck(double inject)
{
    enum { B = 6, H = 5, C = 3 };
    model *r = model_mlp(H, NULL, 0, C);
    if (!r) return -1;
    model_init(r, 11, 3000);
    float x[B * H], w[B];
    int y[B], g[B];
    for (int i = 0; i < B * H; i++) x[i] = rng_normal(5, 1, (uint64_t)i);
    for (int i = 0; i < B; i++) { y[i] = i % C; g[i] = 0; w[i] = 1.0f; }
    gradcheck_opts o;
    memset(&o, 0, sizeof o);
    o.x = x; o.B = B; o.logit_grad = 1; o.seed = 2; o.max_checks = 1000;
    o.fn = objective_xent; o.N = B; o.y = y; o.g = g; o.w = w; o.inject = inject;
    double err = gradcheck_run(r, &o);
    model_free(r);
    return err;
}

int main(void)
{
    weights_by_hand();
    objective_by_hand();
    double err = readout_gradcheck(0.0), off = readout_gradcheck(0.01);
    printf("readout loss: gradcheck %.2e, with a 1%% error %.2e (tolerance %.0e)\n", err, off,
           GRADCHECK_TOL);
    EXPECT(err >= 0 && err < GRADCHECK_TOL, "readout gradcheck %g", err);
    EXPECT(off > GRADCHECK_TOL, "a 1%% readout gradient error passed (%g)", off);
    return TEST_END();
}
