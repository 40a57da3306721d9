/* step.c - a rank's step buffers, forward and backward (see step.h). */
#define _POSIX_C_SOURCE 200809L
#include "step.h"
#include "stacked.h"
#include <stdlib.h>
#include <string.h>

void step_work_free(step_work *st)
{
    if (st->sw)
        for (int s = 0; s < st->ns; s++) {
            model_ws_free(st->sw[s].ws);
            model_ws_free(st->sw[s].pws);
        }
    free(st->sw); free(st->off); free(st->xr);
    free(st->x); free(st->w); free(st->loss); free(st->tmp); free(st->dz); free(st->df);
    free(st->dfs); free(st->tz); free(st->tf); free(st->y); free(st->grp);
    model_ws_free(st->ws); model_ws_free(st->pws);
    free(st->grad); free(st->pgrad); free(st->scratch); free(st->pscratch);
    tree_free(&st->tree); tree_free(&st->ptree);
    memset(st, 0, sizeof *st);
}

/* DETT_STEP: 1 stacked, 0 per shard, -1 an unknown value */
static int step_mode_env(void)
{
    const char *v = getenv("DETT_STEP");
    if (!v || !*v || !strcmp(v, "stacked")) return 1;
    if (!strcmp(v, "pershard")) return 0;
    return -1;
}

/* floats of n rows of width w (at least one, for malloc) */
static size_t rows(size_t n, int w)
{
    size_t k = n * (size_t)(w > 0 ? w : 1);
    return k ? k : 1;
}

int step_work_init(step_work *st, int ns, int cap, int d, const model *m, const model *proj,
                   int tfeat_dim, dett_err *e)
{
    memset(st, 0, sizeof *st);
    const int mode = step_mode_env();
    if (mode < 0)
        return dett_fail(e, "DETT_STEP=%s: expected stacked or pershard", getenv("DETT_STEP"));
    const size_t R = (size_t)ns * cap;
    st->ns = ns;
    st->cap = cap;
    st->d = d;
    st->C = m->n_classes;
    st->F = proj ? proj->n_classes : m->feat_dim;
    st->Fs = m->feat_dim;
    st->TF = tfeat_dim;
    st->stacked = mode == 1 && model_stackable(m) && (!proj || model_stackable(proj));
    st->xrows = st->stacked && model_rows_input(m);
    st->sw = calloc((size_t)ns, sizeof *st->sw);
    st->off = calloc((size_t)ns + 1, sizeof(int));
    if (!st->xrows) {   /* rows read in place need no copy */
        st->x = malloc(sizeof(float) * rows(R, d));
        CHECK_ALLOC(e, st->x);
    }
    st->y = malloc(sizeof(int) * rows(R, 1));
    st->grp = malloc(sizeof(int) * rows(R, 1));
    st->w = malloc(sizeof(float) * rows(R, 1));
    st->loss = malloc(sizeof(float) * rows(R, 1));
    st->tmp = malloc(sizeof(float) * rows(R, 1));
    st->dz = malloc(sizeof(float) * rows(R, st->C));
    st->df = malloc(sizeof(float) * rows(R, st->F));
    st->tz = malloc(sizeof(float) * rows(R, st->C));
    st->tf = malloc(sizeof(float) * rows(R, tfeat_dim));
    CHECK_ALLOC(e, st->sw); CHECK_ALLOC(e, st->off);
    CHECK_ALLOC(e, st->y); CHECK_ALLOC(e, st->grp); CHECK_ALLOC(e, st->w);
    CHECK_ALLOC(e, st->loss); CHECK_ALLOC(e, st->tmp); CHECK_ALLOC(e, st->dz);
    CHECK_ALLOC(e, st->df); CHECK_ALLOC(e, st->tz); CHECK_ALLOC(e, st->tf);
    if (proj) {
        st->dfs = malloc(sizeof(float) * rows(R, st->Fs));
        CHECK_ALLOC(e, st->dfs);
    }
    if (st->xrows) {
        st->xr = malloc(sizeof(float *) * rows(R, 1));
        CHECK_ALLOC(e, st->xr);
    }
    if (st->stacked) {
        st->ws = model_ws_new(m, (int)R);
        st->grad = malloc(sizeof(float) * rows(m->n_trainable, 1));
        st->scratch = calloc(stacked_scratch_floats(m, ns), sizeof(float));
        CHECK_ALLOC(e, st->ws); CHECK_ALLOC(e, st->grad); CHECK_ALLOC(e, st->scratch);
        if (proj) {
            st->pws = model_ws_new(proj, (int)R);
            st->pgrad = malloc(sizeof(float) * rows(proj->n_trainable, 1));
            st->pscratch = calloc(stacked_scratch_floats(proj, ns), sizeof(float));
            CHECK_ALLOC(e, st->pws); CHECK_ALLOC(e, st->pgrad); CHECK_ALLOC(e, st->pscratch);
        }
        return 0;
    }
    for (int s = 0; s < ns; s++) {
        st->sw[s].ws = model_ws_new(m, cap);
        CHECK_ALLOC(e, st->sw[s].ws);
        if (proj) {
            st->sw[s].pws = model_ws_new(proj, cap);
            CHECK_ALLOC(e, st->sw[s].pws);
        }
    }
    CHECK(tree_init(&st->tree, m->n_trainable, ns, e));
    if (proj) CHECK(tree_init(&st->ptree, proj->n_trainable, ns, e));
    return 0;
fail:
    step_work_free(st);
    return -1;
}

void step_place(step_work *st, int s, int b)
{
    const size_t r = (size_t)st->off[s];
    shard_work *w = &st->sw[s];
    st->off[s + 1] = st->off[s] + b;
    w->b = b;
    w->off = (int)r;
    w->x = st->x ? st->x + r * st->d : NULL;
    w->xr = st->xr ? st->xr + r : NULL;
    w->y = st->y + r;
    w->grp = st->grp + r;
    w->w = st->w + r;
    w->loss = st->loss + r;
    w->tmp = st->tmp + r;
    w->dz = st->dz + r * st->C;
    w->df = st->df + r * st->F;
    w->dfs = st->dfs ? st->dfs + r * st->Fs : NULL;
    w->tz = st->tz + r * st->C;
    w->tf = st->tf + r * (st->TF > 0 ? st->TF : 1);
}

void step_forward(step_work *st, const model *m, const model *proj)
{
    if (st->stacked) {
        if (st->xrows)
            model_forward_rows(m, st->ws, (const float *const *)st->xr, st->off[st->ns]);
        else
            model_forward(m, st->ws, st->x, st->off[st->ns]);
        if (proj) model_forward(proj, st->pws, model_features(m, st->ws), st->off[st->ns]);
        const float *z = st->ws->act[m->n_layers];
        const float *f = proj ? st->pws->act[proj->n_layers] : model_features(m, st->ws);
        for (int s = 0; s < st->ns; s++) {
            st->sw[s].z = z + (size_t)st->sw[s].off * st->C;
            st->sw[s].f = f + (size_t)st->sw[s].off * st->F;
        }
        return;
    }
    for (int s = 0; s < st->ns; s++) {
        shard_work *w = &st->sw[s];
        if (w->b > 0) {
            model_forward(m, w->ws, w->x, w->b);
            if (proj) model_forward(proj, w->pws, model_features(m, w->ws), w->b);
        }
        w->z = w->ws->act[m->n_layers];
        w->f = proj ? w->pws->act[proj->n_layers] : model_features(m, w->ws);
    }
}

const float *step_shard_act(const step_work *st, const model *m, int s, int i)
{
    if (!st->stacked) return st->sw[s].ws->act[i];
    if (i == 0 && st->xrows) return NULL;
    const int width = i == 0 ? m->in_dim : m->layers[i - 1]->out_dim;
    return st->ws->act[i] + (size_t)st->sw[s].off * width;
}

/* the per-shard backward: each shard into its own tree buffer; a shard
 * without rows (a short last step) pushes exact zeros */
static void backward_per_shard(step_work *st, const model *m, const model *proj, int use_dz,
                               int use_df)
{
    tree_reset(&st->tree);
    if (proj) tree_reset(&st->ptree);
    for (int s = 0; s < st->ns; s++) {
        shard_work *w = &st->sw[s];
        const float *dz = use_dz ? w->dz : NULL;
        const float *df = use_df ? w->df : NULL;
        if (w->b == 0) {
            if (proj) {
                tree_next(&st->ptree);
                tree_push(&st->ptree);
            }
            tree_next(&st->tree);
            tree_push(&st->tree);
            continue;
        }
        if (proj) {
            model_backward(proj, w->pws, tree_next(&st->ptree), df, NULL, w->b, w->dfs);
            tree_push(&st->ptree);
            df = w->dfs;
        }
        model_backward(m, w->ws, tree_next(&st->tree), dz, df, w->b, NULL);
        tree_push(&st->tree);
    }
}

float *step_backward(step_work *st, const model *m, const model *proj, int use_dz, int use_df,
                     float **pgrad)
{
    if (!st->stacked) {
        backward_per_shard(st, m, proj, use_dz, use_df);
        *pgrad = proj ? tree_result(&st->ptree) : NULL;
        return tree_result(&st->tree);
    }
    const float *dz = use_dz ? st->dz : NULL;
    const float *df = use_df ? st->df : NULL;
    if (proj) {   /* the projector's output gradient, then its input's */
        model_backward_shards(proj, st->pws, st->pgrad, df, NULL, st->off, st->ns, st->dfs,
                              st->pscratch);
        df = st->dfs;
    }
    model_backward_shards(m, st->ws, st->grad, dz, df, st->off, st->ns, NULL, st->scratch);
    *pgrad = proj ? st->pgrad : NULL;
    return st->grad;
}
