/* conv_dnnl.c - the convolution layer through oneDNN (see conv_dnnl.h).
 *
 * dett's tensors stay in its own layouts (activations [B, C, H, W] = nchw,
 * or nChw8c / nChw16c where the model's layout plan keeps them blocked:
 * l->blk_in, l->blk_out, blocked.h; weights [OC, C, k, k] = oihw, bias
 * [OC]); the primitives are created with format "any" and choose their
 * blocked layouts (nChw8c on AVX2, nChw16c on AVX-512), and a
 * "port" reorders between the two where they differ. Per plan (batch size):
 *   forward:  src, weights, dst ports; bias read in place
 *   backward: diff_dst ports for the data and the weights primitive (one
 *             reorder when both want the same layout: ddst_same), src
 *             port, diff_weights to a plain buffer that is added into g
 *             (oneDNN overwrites, dett's backward accumulates), diff_bias
 *             likewise; diff_src port writes din.
 * The forward and backward halves of a plan are created on first use.
 */
#include "conv_dnnl.h"

#ifndef DETT_WITH_DNNL

int conv_dnnl_built(void) { return 0; }
conv_dnnl *conv_dnnl_new(const layer *l) { (void)l; return NULL; }
void conv_dnnl_free(conv_dnnl *d) { (void)d; }
int conv_dnnl_forward(const layer *l, conv_dnnl *d, const float *p, float *out,
                      const float *in, int B)
{
    (void)l; (void)d; (void)p; (void)out; (void)in; (void)B;
    return -1;
}
int conv_dnnl_backward(const layer *l, conv_dnnl *d, const float *p, float *g,
                       float *din, const float *dout, const float *in, int B)
{
    (void)l; (void)d; (void)p; (void)g; (void)din; (void)dout; (void)in; (void)B;
    return -1;
}

#else

#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define PLANS 4          /* batch sizes kept (training, last batch, evaluation) */

/* a tensor in dett's layout (user) and, where the primitive wants another
 * layout, a buffer in that one (blk) with reorders both ways */
typedef struct {
    dnnl_memory_t user, blk;
    dnnl_primitive_t to_blk, to_user;
} port;

typedef struct {
    int B, have_fwd, have_bwd, bad;   /* bad: a creation failed; use im2col */
    int blk_in, blk_out;              /* the layouts the plan was made for */
    int relu;                         /* and whether its forward applies the ReLU */
    int ddst_same;                    /* the data and the weights primitive want
                                         diff_dst in the same layout: one reorder */
    unsigned long used;               /* last use, for eviction */
    dnnl_primitive_t fwd, bwd_d, bwd_w;
    port src, w, dst;                 /* forward */
    port bsrc, bw, ddst_d, ddst_w, dsrc, dw;   /* backward */
    dnnl_memory_t bias, dbias, fscratch, dscratch, wscratch;
    float *dw_plain, *db_plain;       /* [OC * R], [OC] */
} plan;

struct conv_dnnl {
    dnnl_engine_t eng;
    dnnl_stream_t st;
    dnnl_primitive_attr_t attr;       /* user-managed scratchpad */
    dnnl_primitive_attr_t attr_relu;  /* the same plus the ReLU post-op */
    unsigned long clock;
    plan plans[PLANS];
};

int conv_dnnl_built(void) { return 1; }

#define OK(x) ((x) == dnnl_success)

/* runs with one OpenMP thread (see conv_dnnl.h), restoring the caller's
 * setting after: oneDNN sizes its parallel regions and its kernels'
 * blocking by omp_get_max_threads() at creation and execution */
typedef struct { int saved; } one_thread;
static one_thread one_thread_begin(void)
{
    one_thread t = { omp_get_max_threads() };
    if (t.saved != 1) omp_set_num_threads(1);
    return t;
}
static void one_thread_end(one_thread t)
{
    if (t.saved != 1) omp_set_num_threads(t.saved);
}

static void port_free(port *p)
{
    if (p->to_blk) dnnl_primitive_destroy(p->to_blk);
    if (p->to_user) dnnl_primitive_destroy(p->to_user);
    if (p->blk) dnnl_memory_destroy(p->blk);
    if (p->user) dnnl_memory_destroy(p->user);
    memset(p, 0, sizeof *p);
}

/* a reorder primitive from md a to md b; NULL on failure */
static dnnl_primitive_t reorder_new(dnnl_engine_t e, const dnnl_memory_desc_t *a,
                                    const dnnl_memory_desc_t *b)
{
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t r = NULL;
    if (!OK(dnnl_reorder_primitive_desc_create(&pd, a, e, b, e, NULL))) return NULL;
    if (!OK(dnnl_primitive_create(&r, pd))) r = NULL;
    dnnl_primitive_desc_destroy(pd);
    return r;
}

/* a port between dett's plain md and the primitive's md want; in: user ->
 * blk is needed, out: blk -> user. 0 ok, -1 on failure */
static int port_init(port *p, dnnl_engine_t e, const dnnl_memory_desc_t *plain,
                     const dnnl_memory_desc_t *want, int in, int out)
{
    memset(p, 0, sizeof *p);
    if (!OK(dnnl_memory_create(&p->user, plain, e, DNNL_MEMORY_NONE))) return -1;
    if (dnnl_memory_desc_equal(plain, want)) return 0;
    if (!OK(dnnl_memory_create(&p->blk, want, e, DNNL_MEMORY_ALLOCATE))) return -1;
    if (in && !(p->to_blk = reorder_new(e, plain, want))) return -1;
    if (out && !(p->to_user = reorder_new(e, want, plain))) return -1;
    return 0;
}

/* the memory the primitive uses for port p holding data at user pointer
 * x, after reordering it in if needed; *bad set on a failed reorder */
static dnnl_memory_t port_in(dnnl_stream_t s, port *p, const void *x, int *bad)
{
    *bad |= !OK(dnnl_memory_set_data_handle(p->user, (void *)x));
    if (!p->blk) return p->user;
    dnnl_exec_arg_t a[2] = { { DNNL_ARG_FROM, p->user }, { DNNL_ARG_TO, p->blk } };
    *bad |= !OK(dnnl_primitive_execute(p->to_blk, s, 2, a));
    return p->blk;
}

/* the memory a primitive writes for port p, to land at user pointer x */
static dnnl_memory_t port_out_mem(port *p, void *x, int *bad)
{
    *bad |= !OK(dnnl_memory_set_data_handle(p->user, x));
    return p->blk ? p->blk : p->user;
}

/* after the primitive wrote port p: reorder into the user pointer if needed */
static void port_out_done(dnnl_stream_t s, port *p, int *bad)
{
    if (!p->blk) return;
    dnnl_exec_arg_t a[2] = { { DNNL_ARG_FROM, p->blk }, { DNNL_ARG_TO, p->user } };
    *bad |= !OK(dnnl_primitive_execute(p->to_user, s, 2, a));
}

static void plan_free(plan *pl)
{
    dnnl_primitive_t *pr[3] = { &pl->fwd, &pl->bwd_d, &pl->bwd_w };
    for (int i = 0; i < 3; i++)
        if (*pr[i]) dnnl_primitive_destroy(*pr[i]);
    port *ports[9] = { &pl->src, &pl->w, &pl->dst, &pl->bsrc, &pl->bw, &pl->ddst_d,
                       &pl->ddst_w, &pl->dsrc, &pl->dw };
    for (int i = 0; i < 9; i++) port_free(ports[i]);
    dnnl_memory_t *m[5] = { &pl->bias, &pl->dbias, &pl->fscratch, &pl->dscratch,
                            &pl->wscratch };
    for (int i = 0; i < 5; i++)
        if (*m[i]) dnnl_memory_destroy(*m[i]);
    free(pl->dw_plain);
    free(pl->db_plain);
    memset(pl, 0, sizeof *pl);
}

/* the memory descriptors of layer l at batch B: dett's (src, dst in the
 * layer's layouts), and "any" for the primitives to choose */
typedef struct {
    dnnl_memory_desc_t src, w, b, dst, src_any, w_any, dst_any;
    dnnl_dims_t strides, pad_l, pad_r;
} conv_mds;

/* dett's tag for an activation in layout blk (layer.h blk_in, blk_out: 0
 * plain, else the block of blocked.h) */
static dnnl_format_tag_t act_tag(int blk)
{
    return blk == 16 ? dnnl_nChw16c : blk ? dnnl_nChw8c : dnnl_nchw;
}

static int conv_mds_init(const layer *l, int B, conv_mds *m)
{
    dnnl_dims_t s = { B, l->C, l->H, l->W }, w = { l->OC, l->C, l->k, l->k },
                b = { l->OC }, d = { B, l->OC, l->OH, l->OW };
    m->strides[0] = m->strides[1] = l->stride;
    m->pad_l[0] = m->pad_l[1] = l->pad;
    /* dett's output size floor((H + 2 pad - k) / s) + 1 with the padding
     * on the far side that oneDNN's arithmetic needs for it */
    m->pad_r[0] = (dnnl_dim_t)(l->OH - 1) * l->stride + l->k - l->H - l->pad;
    m->pad_r[1] = (dnnl_dim_t)(l->OW - 1) * l->stride + l->k - l->W - l->pad;
    if (m->pad_r[0] < 0 || m->pad_r[1] < 0) return -1;
    const dnnl_format_tag_t src_tag = act_tag(l->blk_in), dst_tag = act_tag(l->blk_out);
    return OK(dnnl_memory_desc_init_by_tag(&m->src, 4, s, dnnl_f32, src_tag))
        && OK(dnnl_memory_desc_init_by_tag(&m->w, 4, w, dnnl_f32, dnnl_oihw))
        && OK(dnnl_memory_desc_init_by_tag(&m->b, 1, b, dnnl_f32, dnnl_x))
        && OK(dnnl_memory_desc_init_by_tag(&m->dst, 4, d, dnnl_f32, dst_tag))
        && OK(dnnl_memory_desc_init_by_tag(&m->src_any, 4, s, dnnl_f32, dnnl_format_tag_any))
        && OK(dnnl_memory_desc_init_by_tag(&m->w_any, 4, w, dnnl_f32, dnnl_format_tag_any))
        && OK(dnnl_memory_desc_init_by_tag(&m->dst_any, 4, d, dnnl_f32, dnnl_format_tag_any))
        ? 0 : -1;
}

/* the forward primitive descriptor for l at B (relu: with the ReLU
 * post-op); NULL on failure */
static dnnl_primitive_desc_t fwd_pd(const conv_dnnl *c, const conv_mds *m, int relu)
{
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd;
    if (!OK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training,
                                               dnnl_convolution_direct, &m->src_any,
                                               &m->w_any, &m->b, &m->dst_any, m->strides,
                                               m->pad_l, m->pad_r)))
        return NULL;
    return OK(dnnl_primitive_desc_create(&pd, &cd, relu ? c->attr_relu : c->attr, c->eng,
                                         NULL)) ? pd : NULL;
}

static const dnnl_memory_desc_t *q(const_dnnl_primitive_desc_t pd, dnnl_query_t what,
                                   int i)
{
    return dnnl_primitive_desc_query_md(pd, what, i);
}

/* a scratchpad memory for pd (none if it needs none) */
static int scratch_new(dnnl_memory_t *m, const conv_dnnl *c, const_dnnl_primitive_desc_t pd)
{
    *m = NULL;
    return OK(dnnl_memory_create(m, q(pd, dnnl_query_scratchpad_md, 0), c->eng,
                                 DNNL_MEMORY_ALLOCATE)) ? 0 : -1;
}

static int plan_make_fwd(const layer *l, conv_dnnl *c, plan *pl)
{
    conv_mds m;
    if (conv_mds_init(l, pl->B, &m)) return -1;
    dnnl_primitive_desc_t pd = fwd_pd(c, &m, l->relu_out);
    if (!pd) return -1;
    int rc = OK(dnnl_primitive_create(&pl->fwd, pd))
        && !port_init(&pl->src, c->eng, &m.src, q(pd, dnnl_query_src_md, 0), 1, 0)
        && !port_init(&pl->w, c->eng, &m.w, q(pd, dnnl_query_weights_md, 0), 1, 0)
        && !port_init(&pl->dst, c->eng, &m.dst, q(pd, dnnl_query_dst_md, 0), 0, 1)
        && OK(dnnl_memory_create(&pl->bias, &m.b, c->eng, DNNL_MEMORY_NONE))
        && !scratch_new(&pl->fscratch, c, pd) ? 0 : -1;
    dnnl_primitive_desc_destroy(pd);
    return rc;
}

static int plan_make_bwd(const layer *l, conv_dnnl *c, plan *pl)
{
    conv_mds m;
    if (conv_mds_init(l, pl->B, &m)) return -1;
    dnnl_primitive_desc_t hint = fwd_pd(c, &m, 0), dpd = NULL, wpd = NULL;
    if (!hint) return -1;
    dnnl_convolution_desc_t dd, wd;
    int rc = -1;
    if (!OK(dnnl_convolution_backward_data_desc_init(&dd, dnnl_convolution_direct,
                                                     &m.src_any, &m.w_any, &m.dst_any,
                                                     m.strides, m.pad_l, m.pad_r))
        || !OK(dnnl_primitive_desc_create(&dpd, &dd, c->attr, c->eng, hint)))
        goto out;
    if (!OK(dnnl_convolution_backward_weights_desc_init(&wd, dnnl_convolution_direct,
                                                        &m.src_any, &m.w_any, &m.b,
                                                        &m.dst_any, m.strides, m.pad_l,
                                                        m.pad_r))
        || !OK(dnnl_primitive_desc_create(&wpd, &wd, c->attr, c->eng, hint)))
        goto out;
    const size_t nw = (size_t)l->OC * l->C * l->k * l->k;
    pl->dw_plain = malloc(sizeof(float) * nw);
    pl->db_plain = malloc(sizeof(float) * (size_t)l->OC);
    if (!pl->dw_plain || !pl->db_plain) goto out;
    if (OK(dnnl_primitive_create(&pl->bwd_d, dpd))
        && OK(dnnl_primitive_create(&pl->bwd_w, wpd))
        && !port_init(&pl->ddst_d, c->eng, &m.dst, q(dpd, dnnl_query_diff_dst_md, 0), 1, 0)
        && !port_init(&pl->bw, c->eng, &m.w, q(dpd, dnnl_query_weights_md, 0), 1, 0)
        && !port_init(&pl->dsrc, c->eng, &m.src, q(dpd, dnnl_query_diff_src_md, 0), 0, 1)
        && !port_init(&pl->bsrc, c->eng, &m.src, q(wpd, dnnl_query_src_md, 0), 1, 0)
        && !port_init(&pl->ddst_w, c->eng, &m.dst, q(wpd, dnnl_query_diff_dst_md, 0), 1, 0)
        && !port_init(&pl->dw, c->eng, &m.w, q(wpd, dnnl_query_diff_weights_md, 0), 0, 1)
        && OK(dnnl_memory_create(&pl->dbias, &m.b, c->eng, DNNL_MEMORY_NONE))
        && !scratch_new(&pl->dscratch, c, dpd) && !scratch_new(&pl->wscratch, c, wpd))
        rc = 0;
    if (rc == 0)
        pl->ddst_same = dnnl_memory_desc_equal(q(dpd, dnnl_query_diff_dst_md, 0),
                                               q(wpd, dnnl_query_diff_dst_md, 0));
out:
    if (wpd) dnnl_primitive_desc_destroy(wpd);
    if (dpd) dnnl_primitive_desc_destroy(dpd);
    dnnl_primitive_desc_destroy(hint);
    return rc;
}

/* an emptied plan slot keyed to batch B, l's layouts and its ReLU */
static void plan_key(plan *pl, const layer *l, int B)
{
    pl->B = B;
    pl->blk_in = l->blk_in;
    pl->blk_out = l->blk_out;
    pl->relu = l->relu_out;
}

/* the plan for batch B, l's layouts and ReLU with its forward (bwd = 0) or
 * backward half made; NULL if that cannot be made */
static plan *plan_get(const layer *l, conv_dnnl *c, int B, int bwd)
{
    if (B <= 0) return NULL;        /* nothing to compute; free slots have B 0 */
    plan *pl = NULL, *old = &c->plans[0];
    for (int i = 0; i < PLANS; i++) {
        const plan *t = &c->plans[i];
        if (t->B == B && t->blk_in == l->blk_in && t->blk_out == l->blk_out
            && t->relu == l->relu_out) {
            pl = &c->plans[i];
            break;
        }
        if (t->used < old->used) old = &c->plans[i];
    }
    if (!pl) {
        plan_free(old);
        pl = old;
        plan_key(pl, l, B);
    }
    pl->used = ++c->clock;
    if (pl->bad) return NULL;
    int *have = bwd ? &pl->have_bwd : &pl->have_fwd;
    if (!*have) {
        if ((bwd ? plan_make_bwd : plan_make_fwd)(l, c, pl)) {
            plan_free(pl);          /* keep the key, marked bad */
            plan_key(pl, l, B);
            pl->used = c->clock;
            pl->bad = 1;
            return NULL;
        }
        *have = 1;
    }
    return pl;
}

conv_dnnl *conv_dnnl_new(const layer *l)
{
    conv_dnnl *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    one_thread t = one_thread_begin();
    conv_mds m;
    dnnl_post_ops_t po = NULL;
    int ok = conv_mds_init(l, 1, &m) == 0
        && OK(dnnl_engine_create(&c->eng, dnnl_cpu, 0))
        && OK(dnnl_stream_create(&c->st, c->eng, dnnl_stream_default_flags))
        && OK(dnnl_primitive_attr_create(&c->attr))
        && OK(dnnl_primitive_attr_set_scratchpad_mode(c->attr, dnnl_scratchpad_mode_user))
        && OK(dnnl_primitive_attr_create(&c->attr_relu))
        && OK(dnnl_primitive_attr_set_scratchpad_mode(c->attr_relu, dnnl_scratchpad_mode_user))
        && OK(dnnl_post_ops_create(&po))
        && OK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f))
        && OK(dnnl_primitive_attr_set_post_ops(c->attr_relu, po));
    if (po) dnnl_post_ops_destroy(po);
    one_thread_end(t);
    if (!ok) { conv_dnnl_free(c); return NULL; }
    return c;
}

void conv_dnnl_free(conv_dnnl *c)
{
    if (!c) return;
    for (int i = 0; i < PLANS; i++) plan_free(&c->plans[i]);
    if (c->attr) dnnl_primitive_attr_destroy(c->attr);
    if (c->attr_relu) dnnl_primitive_attr_destroy(c->attr_relu);
    if (c->st) dnnl_stream_destroy(c->st);
    if (c->eng) dnnl_engine_destroy(c->eng);
    free(c);
}

/* Execution failures (none expected once a plan exists) return -1 before
 * anything is added to g, so the caller's im2col rerun is the whole call. */
int conv_dnnl_forward(const layer *l, conv_dnnl *c, const float *p, float *out,
                      const float *in, int B)
{
    one_thread t = one_thread_begin();
    plan *pl = plan_get(l, c, B, 0);
    if (!pl) { one_thread_end(t); return -1; }
    const float *Wt = p + l->off, *bias = Wt + (size_t)l->OC * l->C * l->k * l->k;
    int bad = !OK(dnnl_memory_set_data_handle(pl->bias, (void *)bias));
    dnnl_exec_arg_t a[5] = {
        { DNNL_ARG_SRC, port_in(c->st, &pl->src, in, &bad) },
        { DNNL_ARG_WEIGHTS, port_in(c->st, &pl->w, Wt, &bad) },
        { DNNL_ARG_BIAS, pl->bias },
        { DNNL_ARG_DST, port_out_mem(&pl->dst, out, &bad) },
        { DNNL_ARG_SCRATCHPAD, pl->fscratch },
    };
    bad |= !OK(dnnl_primitive_execute(pl->fwd, c->st, 5, a));
    port_out_done(c->st, &pl->dst, &bad);
    bad |= !OK(dnnl_stream_wait(c->st));
    one_thread_end(t);
    return bad ? -1 : 0;
}

int conv_dnnl_backward(const layer *l, conv_dnnl *c, const float *p, float *g,
                       float *din, const float *dout, const float *in, int B)
{
    one_thread t = one_thread_begin();
    plan *pl = plan_get(l, c, B, 1);
    if (!pl) { one_thread_end(t); return -1; }
    const size_t nw = (size_t)l->OC * l->C * l->k * l->k;
    int bad = 0;
    dnnl_memory_t ddst = NULL;   /* dout as the weights primitive read it */
    if (!l->frozen) {
        bad |= !OK(dnnl_memory_set_data_handle(pl->dbias, pl->db_plain));
        ddst = port_in(c->st, &pl->ddst_w, dout, &bad);
        dnnl_exec_arg_t a[5] = {
            { DNNL_ARG_SRC, port_in(c->st, &pl->bsrc, in, &bad) },
            { DNNL_ARG_DIFF_DST, ddst },
            { DNNL_ARG_DIFF_WEIGHTS, port_out_mem(&pl->dw, pl->dw_plain, &bad) },
            { DNNL_ARG_DIFF_BIAS, pl->dbias },
            { DNNL_ARG_SCRATCHPAD, pl->wscratch },
        };
        bad |= !OK(dnnl_primitive_execute(pl->bwd_w, c->st, 5, a));
        port_out_done(c->st, &pl->dw, &bad);
    }
    if (din) {
        dnnl_exec_arg_t a[4] = {
            /* a reorder is a copy: the weights primitive's is reused */
            { DNNL_ARG_DIFF_DST, ddst && pl->ddst_same ? ddst
                                                       : port_in(c->st, &pl->ddst_d, dout, &bad) },
            { DNNL_ARG_WEIGHTS, port_in(c->st, &pl->bw, p + l->off, &bad) },
            { DNNL_ARG_DIFF_SRC, port_out_mem(&pl->dsrc, din, &bad) },
            { DNNL_ARG_SCRATCHPAD, pl->dscratch },
        };
        bad |= !OK(dnnl_primitive_execute(pl->bwd_d, c->st, 4, a));
        port_out_done(c->st, &pl->dsrc, &bad);
    }
    bad |= !OK(dnnl_stream_wait(c->st));
    if (!bad && !l->frozen) {
        float *gW = g + l->off, *gb = gW + nw;
        for (size_t i = 0; i < nw; i++) gW[i] += pl->dw_plain[i];
        for (int o = 0; o < l->OC; o++) gb[o] += pl->db_plain[o];
    }
    one_thread_end(t);
    return bad ? -1 : 0;
}

#endif
