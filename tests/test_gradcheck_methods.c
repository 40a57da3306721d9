/* test_gradcheck_methods.c - every row of the method table: its objective
 * composed with a model the way the training loop composes them, checked
 * by finite differences at GRADCHECK_TOL (which fails a 1 % error):
 *  - a transplant method (SimKD, DeTT) on a student with the teacher's
 *    frozen head, the gradient entering at the features only;
 *  - a projector method (FitNet) through its projector, both checked;
 *  - teacher logits and features from a teacher model, sample weights
 *    != 1 (method defaults for the arguments, KD at T = 4), group DRO's
 *    per-group weights from its group step.
 * The row's flags decide which gradients reach model_backward (as in
 * runtime/train/train.c), so a row whose flags disagree with its objective
 * fails here. One process, no MPI. */
#include "check.h"
#include "gradcheck.h"
#include "method.h"
#include "model.h"
#include "rng.h"
#include "transplant.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { B = 6, D = 5, C = 3, N = 10, TW = 7, SW = 4 };

static void fill_normal(float *x, size_t n, uint64_t stream)
{
    for (size_t i = 0; i < n; i++) x[i] = rng_normal(17, stream, i);
}

/* the gradcheck of row k; returns its worst error (negative: setup failed) */
static double check_row(int k, const model *teacher, const float *x, double inject)
{
    const method_def *d = method_get(k);
    method_spec ms;
    EXPECT(method_defaults(k, &ms) == 0, "%s: defaults", d->name);
    int sw[1] = { SW };
    model *m = model_mlp(D, sw, 1, C), *proj = NULL;
    if (!m) return -1;
    model_init(m, 5, 0);
    if (d->flags & MF_TRANSPLANT) {
        m = model_transplant(m, teacher, 5, 1000);
        if (!m) return -1;
    }
    if (d->flags & MF_PROJECTOR) {
        proj = model_mlp(m->feat_dim, NULL, 0, teacher->feat_dim);
        if (!proj) { model_free(m); return -1; }
        model_init(proj, 5, 1000);
    }
    /* teacher outputs on x, sample weights 0.25 .. 2.75, labels, groups */
    float tz[B * C], tf[B * TW], w[B], gw[4], q[4] = { 0.25f, 0.25f, 0.25f, 0.25f };
    int y[B], g[B];
    model_ws *tw = model_ws_new(teacher, B);
    if (!tw) { model_free(m); model_free(proj); return -1; }
    memcpy(tz, model_forward(teacher, tw, x, B), sizeof tz);
    memcpy(tf, model_features(teacher, tw), sizeof tf);
    model_ws_free(tw);
    for (int i = 0; i < B; i++) {
        y[i] = i % C;
        g[i] = i % 4;
        w[i] = 0.25f + 0.5f * (float)i;
    }
    if (d->group_step) {   /* one group step from made-up statistics */
        double gl[4] = { 2.0, 0.5, 1.0, 3.0 }, gc[4] = { 2, 1, 2, 1 };
        int64_t ntr[4] = { 40, 5, 30, 8 };
        float arg[METHOD_MAX_ARGS];
        memcpy(arg, ms.arg, sizeof arg);
        arg[0] = 1.0f;   /* eta large enough that q moves well away from uniform */
        d->group_step(gw, q, gl, gc, ntr, 4, arg);
    }
    if (k == METHOD_KD) EXPECT(ms.tau == 4.0f, "kd's default T is %g, the check wants T = 4", ms.tau);
    gradcheck_opts o;
    memset(&o, 0, sizeof o);
    o.x = x;
    o.B = B;
    o.logit_grad = (d->flags & MF_LOGIT_LOSS) != 0;
    o.feat_grad = (d->flags & MF_FEATURE_LOSS) != 0;
    o.seed = 1;
    o.max_checks = 1000;
    o.fn = d->objective;
    o.proj = proj;
    o.N = N;
    o.y = y;
    o.g = g;
    o.w = w;
    o.gw = d->group_step ? gw : NULL;
    o.tz = tz;
    o.tf = tf;
    o.arg = ms.arg;
    o.inject = inject;
    double err = gradcheck_run(m, &o);
    /* the transplanted head received exactly nothing (gradcheck_run says
     * INFINITY otherwise) and the feature-only path skipped it */
    model_free(m);
    model_free(proj);
    return err;
}

int main(void)
{
    int tw_[1] = { TW };
    model *teacher = model_mlp(D, tw_, 1, C);
    EXPECT(teacher != NULL, "teacher");
    if (!teacher) return TEST_END();
    model_init(teacher, 9, 0);
    float x[B * D];
    fill_normal(x, sizeof x / sizeof *x, 3);
    for (int k = 0; k < method_count(); k++) {
        const method_def *d = method_get(k);
        double err = check_row(k, teacher, x, 0.0);
        double off = check_row(k, teacher, x, 0.01);
        printf("%-9s %s%s%s: gradcheck %.2e, with a 1%% error %.2e (tolerance %.0e)\n", d->name,
               d->flags & MF_LOGIT_LOSS ? "logits " : "", d->flags & MF_FEATURE_LOSS ? "features " : "",
               d->flags & MF_TRANSPLANT ? "(transplant)" : d->flags & MF_PROJECTOR ? "(projector)" : "",
               err, off, GRADCHECK_TOL);
        EXPECT(err >= 0 && err < GRADCHECK_TOL, "%s: gradcheck error %g (inf: a frozen parameter got "
               "gradient)", d->name, err);
        EXPECT(off > GRADCHECK_TOL, "%s: a 1%% gradient error passed (%g)", d->name, off);
    }
    model_free(teacher);
    return TEST_END();
}
