/* test_method_table.c - the method table's rows and the text made from them
 * (runtime/core/method.h), without MPI, files or Lua:
 *  - names, kinds and the flags the rest of dett asks for;
 *  - each built-in's defaults, canonical text (part of every job hash) and
 *    label (results file, report) exactly as before the table existed;
 *  - typed argument pairs; select and job kind names; optimiser defaults;
 *  - method_register refuses inconsistent rows. */
#include "check.h"
#include "method.h"
#include <string.h>

/* canonical text and label of method k with its defaults */
static void texts(int k, char *canon, char *label)
{
    method_spec m;
    EXPECT(method_defaults(k, &m) == 0, "defaults of %d", k);
    method_canon(&m, canon, 128);
    method_label_args(&m, label, 128);
}

static double dummy_objective(obj_out *out, const obj_in *in)
{
    (void)out;
    (void)in;
    return 0.0;
}

int main(void)
{
    /* names and kinds */
    static const char *const names[N_METHODS] = { "erm", "groupdro", "jtt", "kd",
                                                  "fitnet", "simkd", "dett", "dfr",
                                                  "dedier" };
    EXPECT(method_count() == N_METHODS, "%d rows", method_count());
    for (int k = 0; k < N_METHODS; k++)
        EXPECT(method_find(names[k]) == k && !strcmp(method_name(k), names[k]) &&
               method_get(k)->objective, "row %d is %s", k, names[k]);
    EXPECT(method_find("emr") == -1 && method_get(-1) == NULL && method_get(N_METHODS) == NULL &&
           !strcmp(method_name(99), "?"), "unknown names and kinds");

    /* flags: who needs a teacher, transplants, has a feature loss, ... */
    unsigned teacher = 0, transplant = 0, feat = 0, weights = 0, proj = 0, diag = 0, dfr = 0,
             readout = 0;
    for (int k = 0; k < N_METHODS; k++) {
        unsigned f = method_get(k)->flags, bit = 1u << k;
        if (method_needs_teacher(method_get(k))) teacher |= bit;
        if (f & MF_TRANSPLANT) transplant |= bit;
        if (f & MF_FEATURE_LOSS) feat |= bit;
        if (f & MF_SAMPLE_WEIGHTS) weights |= bit;
        if (f & MF_PROJECTOR) proj |= bit;
        if (f & MF_DIAGNOSTICS) diag |= bit;
        if (f & MF_DFR_REFIT) dfr |= bit;
        if (f & MF_READOUT) readout |= bit;
        EXPECT(f & (MF_LOGIT_LOSS | MF_FEATURE_LOSS), "%s has a loss", names[k]);
    }
#define B(k) (1u << (k))
    EXPECT(teacher == (B(METHOD_KD) | B(METHOD_FITNET) | B(METHOD_SIMKD) | B(METHOD_DETT) |
                       B(METHOD_DEDIER)),
           "teacher %#x", teacher);
    EXPECT(transplant == (B(METHOD_SIMKD) | B(METHOD_DETT)), "transplant %#x", transplant);
    EXPECT(feat == (B(METHOD_FITNET) | B(METHOD_SIMKD) | B(METHOD_DETT)), "feature %#x", feat);
    EXPECT(weights == (B(METHOD_JTT) | B(METHOD_DETT)), "weights %#x", weights);
    EXPECT(proj == B(METHOD_FITNET) && dfr == B(METHOD_DFR), "projector, dfr");
    EXPECT(readout == B(METHOD_DEDIER), "readout %#x", readout);
    EXPECT(diag == (B(METHOD_FITNET) | B(METHOD_SIMKD) | B(METHOD_DETT)), "diagnostics %#x", diag);
    EXPECT(method_get(METHOD_GROUPDRO)->group_step != NULL && !method_get(METHOD_ERM)->group_step,
           "only group DRO has a group step");
    for (int k = 0; k < N_METHODS; k++) {
        optim_kind want = (feat & B(k)) ? OPTIM_ADAMW : OPTIM_SGD;
        EXPECT(method_get(k)->optim == want && method_default_optim(k).kind == want,
               "%s: default optimiser", names[k]);
    }
#undef B

    /* defaults, canonical text and labels: byte for byte the old ones */
    static const char *const canon[N_METHODS] = {
        "erm", "groupdro(adj=0,eta=0.01)", "jtt", "kd(T=4,alpha=0.9)",
        "fitnet(ce_w=1,feat_w=1)", "simkd", "dett", "dfr",
        "dedier(T=3,alpha=0.05,beta=4,kd_alpha=1,layer=1)" };
    static const char *const label[N_METHODS] = {
        "", "eta=0.01,adj=0", "T=1,up=20", "T=4,alpha=0.9", "feat_w=1,ce_w=1", "", "T=1,up=50",
        "", "T=3,kd_alpha=1,alpha=0.05,beta=4,layer=1" };
    for (int k = 0; k < N_METHODS; k++) {
        char c[128], l[128];
        texts(k, c, l);
        EXPECT(!strcmp(c, canon[k]) && !strcmp(l, label[k]), "%s: canon '%s' label '%s'",
               names[k], c, l);
    }
    method_spec m;
    method_defaults(METHOD_JTT, &m);
    EXPECT(m.weighting.kind == WEIGHT_JTT && m.weighting.T == 1 && m.weighting.up == 20.0f &&
           m.weighting.resample == 1 && m.weighting.lua_fn == -1, "jtt's default weighting");
    EXPECT(method_ident_epochs(&m) == 1, "jtt needs 1 identification epoch");
    method_defaults(METHOD_DETT, &m);
    EXPECT(m.weighting.kind == WEIGHT_JTT && m.weighting.up == 50.0f && m.weighting.resample == 0,
           "dett's default weighting");
    method_defaults(METHOD_KD, &m);
    EXPECT(m.tau == 4.0f && m.alpha == 0.9f && m.arg[0] == m.tau, "kd's named arguments");
    EXPECT(method_set(&m, "alpha", 0.25) == 0 && m.alpha == 0.25f, "method_set alpha");
    EXPECT(method_set(&m, "eta", 1) == -1 && method_ident_epochs(&m) == 0, "kd has no eta");
    char c[128], l[128];
    method_canon(&m, c, sizeof c);
    method_label_args(&m, l, sizeof l);
    EXPECT(!strcmp(c, "kd(T=4,alpha=0.25)") && !strcmp(l, "T=4,alpha=0.25"), "%s / %s", c, l);
    method_canon(&m, c, 6);
    EXPECT(c[0] == '\0', "canon that does not fit is empty: '%s'", c);

    /* weighting labels and typed arguments */
    weighting_spec w = { WEIGHT_LUA, 2, 0, 0, 7, 0, { 0 } };
    weighting_label(&w, c, sizeof c);
    EXPECT(!strcmp(c, "lua#7"), "%s", c);
    method_defaults(METHOD_DETT, &m);
    m.weighting = w;
    method_label_args(&m, l, sizeof l);
    EXPECT(!strcmp(l, "lua#7"), "dett with a Lua weighting: %s", l);
    method_arg a[8];
    EXPECT(method_args(&m, a, 8) == 2 && !strcmp(a[0].name, "weighting") &&
           a[0].type == MARG_STR && !strcmp(a[0].str, "lua") && !strcmp(a[1].name, "T") &&
           a[1].type == MARG_INT && a[1].num == 2, "typed arguments of dett(lua)");
    method_defaults(METHOD_JTT, &m);
    EXPECT(method_args(&m, NULL, 0) == 4 && method_args(&m, a, 8) == 4 &&
           !strcmp(a[0].str, "jtt") && a[2].type == MARG_REAL && a[2].num == 20.0 &&
           !strcmp(a[3].name, "resample") && a[3].num == 1, "typed arguments of jtt");
    method_defaults(METHOD_GROUPDRO, &m);
    EXPECT(method_args(&m, a, 8) == 2 && !strcmp(a[0].name, "eta") && a[0].num == (double)0.01f &&
           !strcmp(a[1].name, "adj") && a[1].num == 0, "typed arguments of groupdro");
    method_defaults(METHOD_ERM, &m);
    EXPECT(method_args(&m, a, 8) == 0, "erm has no arguments");

    /* the one spelling of select rules and job kinds; optimiser defaults */
    EXPECT(!strcmp(select_names[SELECT_VAL_WORST], "val-worst") &&
           !strcmp(select_names[SELECT_ORACLE], "oracle") && select_names[N_SELECTS] == NULL &&
           select_find("val-avg") == SELECT_VAL_AVG && select_find("best") == -1, "selects");
    EXPECT(!strcmp(job_kind_names[JOB_IDENT], "ident") && job_kind_names[N_JOB_KINDS] == NULL,
           "job kinds");
    optim_cfg s = optim_defaults(OPTIM_SGD), ad = optim_defaults(OPTIM_ADAMW);
    EXPECT(s.kind == OPTIM_SGD && s.lr == 1e-2f && s.momentum == 0.9f && s.wd == 1e-4f, "sgd");
    EXPECT(ad.kind == OPTIM_ADAMW && ad.lr == 1e-3f && ad.wd == 1e-4f && ad.beta1 == 0.9f &&
           ad.beta2 == 0.999f && ad.eps == 1e-8f, "adamw");
    optim_label(&ad, c, sizeof c);
    EXPECT(!strcmp(c, "adamw(lr=0.001,wd=0.0001)"), "%s", c);

    /* registration checks its row */
    dett_err e = { "" };
    method_def bad = { "weighted_arg", 1, { { "T", MKEY_INT, MROLE_WEIGHT_T, 1, 9, 0, 1 } },
                       MF_LOGIT_LOSS, OPTIM_SGD, dummy_objective, NULL, SAMPLER_KIND_ROWS };
    EXPECT(method_register(&bad, &e) < 0, "a weighting key without MF_SAMPLE_WEIGHTS");
    bad.keys[0] = (method_key){ "x", MKEY_BOOL, MROLE_ARG, 0, 1, 0, 0 };
    EXPECT(method_register(&bad, &e) < 0, "a boolean argument");
    bad.keys[0] = (method_key){ "x", MKEY_NUM, MROLE_ARG, 0, 1, 0, 0 };
    bad.objective = NULL;
    EXPECT(method_register(&bad, &e) < 0 && strstr(e.msg, "objective"), "no objective");
    bad.objective = dummy_objective;
    bad.name = "kd";
    EXPECT(method_register(&bad, &e) < 0 && strstr(e.msg, "taken"), "a taken name");
    bad.name = "ok";
    EXPECT(method_register(&bad, &e) == N_METHODS && method_count() == N_METHODS + 1,
           "a good row: %s", e.msg);
    return TEST_END();
}
