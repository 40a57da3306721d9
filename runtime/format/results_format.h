/* results_format.h - every name of dett's two file formats, once.
 *
 * The results file (`dett run -o RESULTS.h5`, written by runtime/io/results.c,
 * read by analysis/report_read.c, cli/cmd_export.c and scripts/dett_results.py)
 * and the data file (`dett data`, runtime/io/dataset.c) are contracts with
 * users' h5py scripts: every dataset, group and attribute name, the status
 * values and the format versions are defined here and nowhere else. C code
 * spells a name through these macros only. The schema, with axes and units,
 * is docs/results-format.md.
 *
 * Header only; no MPI, no HDF5 (the names are plain strings).
 */
#ifndef DETT_RESULTS_FORMAT_H
#define DETT_RESULTS_FORMAT_H

/* ==== results file ======================================================== */

#define RF_FORMAT_NAME "dett-results"   /* value of the root attribute RF_A_FORMAT */
/* 1: string-only job configuration (dett <= 0.1.0 before typed attributes);
 * 2: typed configuration attributes (arch.*, optim.*, method.*, weighting.*),
 *    variable-length UTF-8 strings, and @axes/@units on every dataset.
 * 3: a store that grows: jobs keyed by content hashes (data digests, not
 *    paths), an extensible (chunked) /jobs/table, /scripts/<sha256> (the
 *    rows each script asks for) and /checkpoints/<hash>.
 * 4: selected has a fourth entry (val-worst-class); dfr{} jobs have
 *    /jobs/<id>/dfr (DFR's choices).
 * 5: a dfr{} job's curves are its base model's true epochs (format 4 stored
 *    the refit as one more epoch, with a NaN training loss); the refit's
 *    accuracies are /jobs/<id>/dfr/{acc, worst, avg, mean}.
 * Readers accept RF_FORMAT_OLDEST..RF_FORMAT_VERSION; the writer writes
 * RF_FORMAT_VERSION only and grows only files of RF_FORMAT_VERSION. */
#define RF_FORMAT_VERSION 5
#define RF_FORMAT_DFR_REFIT 5    /* the first version with /jobs/<id>/dfr/acc etc. */
#define RF_FORMAT_OLDEST 1

/* ---- root attributes ---- */
#define RF_A_FORMAT "format"
#define RF_A_FORMAT_VERSION "format_version"
#define RF_A_DETT_VERSION "dett_version"
#define RF_A_GIT_COMMIT "git_commit"
#define RF_A_SCRIPT "script"
#define RF_A_SCRIPT_PATH "script_path"
#define RF_A_SCRIPT_SHA256 "script_sha256"
#define RF_A_WORLD_SIZE "world_size"
#define RF_A_RANKS_PER_JOB "ranks_per_job"
#define RF_A_START_TIME "start_time"
#define RF_A_N_JOBS "n_jobs"

/* ---- groups and the job table ---- */
#define RF_JOBS "/jobs"                 /* one group per job: RF_JOBS "/" id */
#define RF_TABLE "/jobs/table"
#define RF_TABLE_NAME "table"           /* the name a job id may not take */
#define RF_ARTIFACTS "/artifacts"       /* one group per hash */
#define RF_DIAGNOSTICS "diagnostics"    /* subgroup of a job */
/* /jobs/<id>/dfr (format 4 on, dfr{} jobs only): DFR's model selection
 * (runtime/linalg/dfr.h, dfr_select_report), NaN until written */
#define RF_DFR "dfr"                    /* subgroup of a job */
#define RF_D_DFR_SCORES "scores"        /* float64 [L, 3]: per L2 strength tried: the
                                           strength, worst-group and overall accuracy
                                           on the second half of val */
#define RF_D_DFR_CHOICE "choice"        /* float64 [RF_DFR_N_CHOICE], @fields names them */
/* format 5: the refit model's accuracies (the job's reported result; the
 * job's own curves are the base model's epochs) */
#define RF_D_DFR_ACC "acc"              /* float64 [2, G]: split (val, test), group */
#define RF_D_DFR_WORST "worst"          /* float64 [2]: worst-group accuracy per split */
#define RF_D_DFR_AVG "avg"              /* float64 [2]: train-proportion weighted */
#define RF_D_DFR_MEAN "mean"            /* float64 [2]: unweighted mean of the groups */
#define RF_X_FIELDS "fields"            /* text [n]: the entries of a vector dataset */
#define RF_DFR_N_LAMBDAS 5              /* L: the strengths dfr{} tries */
enum { RF_DFR_LAMBDA, RF_DFR_BEST, RF_DFR_N_HALF_FIT, RF_DFR_N_HALF_SCORE,
       RF_DFR_PER_GROUP_FIT, RF_DFR_PER_GROUP_FINAL, RF_DFR_GROUPS_EMPTY, RF_DFR_RETRIES,
       RF_DFR_N_CHOICE };
/* the names of choice's entries: the chosen strength, its index in scores,
 * val rows in the tuning and the scoring half, rows per group of a tuning
 * and of a final group-balanced subsample, groups absent from the tuning
 * half, refits with 10x the strength after a failed solve (all fits) */
#define RF_DFR_CHOICE_NAMES {"lambda", "best", "n_half_fit", "n_half_score", \
    "per_group_fit", "per_group_final", "groups_empty", "retries_10x"}
/* format 3: one group per script run on the file, named by the sha256 of
 * its text; root @script_sha256 names the last one */
#define RF_SCRIPTS "/scripts"
#define RF_S_SCRIPT "script"            /* text of the script */
#define RF_S_SCRIPT_PATH "script_path"  /* path as given to dett run */
#define RF_S_LAST_RUN "last_run"        /* UTC time of the last run of it */
#define RF_S_ROWS "rows"                /* int32 [n]: its jobs' rows of /jobs/table */
/* format 3: the last checkpoint of a running job, one group per hash, two
 * slots (one is written while the other stays valid) */
#define RF_CHECKPOINTS "/checkpoints"
#define RF_C_F32 "f32"                  /* float32 [2, n]: parameters, optimiser state,
                                           the selected-epoch snapshot, group weights */
#define RF_C_F64 "f64"                  /* float64 [2, m]: position, counters, curves */
#define RF_C_MARK "mark"                /* int32 [2]: a slot's position (steps done + 1),
                                           -1: empty or being written */

/* fields of /jobs/table (compound) and their stored string sizes */
#define RF_F_ID "id"
#define RF_F_KIND "kind"
#define RF_F_HASH "hash"
#define RF_F_STATUS "status"
#define RF_F_ERROR "error"
#define RF_F_WALL_SECONDS "wall_seconds"
#define RF_F_RANKS "ranks"
#define RF_F_EPOCHS_RUN "epochs_run"
enum { RF_ID_LEN = 16, RF_KIND_LEN = 8, RF_HASH_LEN = 65, RF_ERROR_LEN = 256 };

/* the status field */
enum { JOB_PENDING = 0, JOB_RUNNING = 1, JOB_DONE = 2, JOB_FAILED = 3, JOB_SKIPPED = 4,
       RF_N_STATUS = 5 };
/* names of the statuses, index = value (stored as the table's @status) */
#define RF_STATUS_NAMES {"pending", "running", "done", "failed", "skipped"}
/* the kind field */
#define RF_KIND_TRAIN "train"
#define RF_KIND_IDENT "ident"
#define RF_KIND_STUDENT "student"

/* ---- attributes of /jobs/<id> ---- */
/* text kept from format 1 (labels; analysis of format 1 parses them) */
#define RF_J_CONFIG "config"            /* canonical config text */
#define RF_J_HASH "hash"
#define RF_J_KIND "kind"
#define RF_J_METHOD "method"            /* method name, "dett" */
#define RF_J_METHOD_ARGS "method_args"  /* "up=50,T=1" (label) */
#define RF_J_ARCH "arch"                /* "mlp[64,64]", "cnn[8,16;k3;max2;fc0]" */
#define RF_J_WEIGHTING "weighting"      /* "jtt(T=1,up=50)", "none" (label) */
#define RF_J_OPTIM "optim"              /* "sgd(lr=0.01,momentum=0.9,wd=0.0001)" */
#define RF_J_DATASET "dataset"
#define RF_J_TEACHER "teacher"          /* job id or "" */
#define RF_J_IDENT "ident"              /* job id or "" */
#define RF_J_SELECT "select"            /* "val-worst" | "val-avg" | "oracle" */
#define RF_J_SAMPLER "sampler"          /* "rows" | "groups" | "groups-exact"
                                           (docs/sampling.md); absent in files of
                                           dett before it: read as "rows" */
/* numbers */
#define RF_J_INIT "init"                /* "random" | "teacher" (how the parameters
                                           started; older files: absent, "random") */
#define RF_J_INIT_LAYERS "init_layers"  /* int32: layers with parameters copied from
                                           the teacher (0 for "random") */
#define RF_J_BATCH "batch"              /* int32 */
#define RF_J_SEED "seed"                /* int64 */
#define RF_J_EPOCHS "epochs"            /* int32: E, rows of the curves */
#define RF_J_GROUPS "groups"            /* int32: G */
#define RF_J_N_ATTRS "n_attrs"          /* int32: A; group g = y * A + a */
/* typed configuration (format 2) */
#define RF_J_ARCH_KIND "arch.kind"          /* "mlp" | "cnn" */
#define RF_J_ARCH_WIDTHS "arch.widths"      /* int32 [n] mlp hidden widths (n >= 0) */
#define RF_J_ARCH_CHANNELS "arch.channels"  /* int32 [n] cnn conv channels */
#define RF_J_ARCH_KERNEL "arch.kernel"      /* int32 cnn conv kernel side */
#define RF_J_ARCH_POOL "arch.pool"          /* int32 cnn pool window */
#define RF_J_ARCH_POOL_KIND "arch.pool_kind" /* "max" | "avg" */
#define RF_J_ARCH_FC "arch.fc"              /* int32 cnn fc width, 0: no fc layer */
#define RF_J_ARCH_WIDTH "arch.width"        /* int32 the last hidden width (the
                                               "width" axis of the plots); mlp
                                               without hidden layers: 0 */
#define RF_J_OPTIM_PREFIX "optim."          /* optim.name (text), optim.lr, ... */
#define RF_J_OPTIM_NAME "optim.name"        /* "sgd" | "adamw" */
#define RF_J_METHOD_PREFIX "method."        /* one attribute per method argument */
#define RF_J_WEIGHTING_PREFIX "weighting."  /* weighting.kind (text), weighting.T, ... */
#define RF_J_WEIGHTING_KIND "weighting.kind" /* "none" | "jtt" | "group_balanced" | "lua" */
#define RF_ARCH_MLP "mlp"
#define RF_ARCH_CNN "cnn"
#define RF_POOL_MAX "max"                   /* values of arch.pool_kind */
#define RF_POOL_AVG "avg"

#define RF_J_INPUT_SHAPE "input_shape"  /* int32 [1 or 3]: per-row input, [d] or [c, h, w] */
#define RF_J_N_CLASSES "n_classes"      /* int32: C, the head's outputs */

/* ---- datasets of /jobs/<id> ---- */
#define RF_D_TRAIN_LOSS "train_loss"    /* float64 [E] */
#define RF_D_ACC "acc"                  /* float64 [E, 2, G] */
#define RF_D_WORST "worst"              /* float64 [E, 2] */
#define RF_D_AVG "avg"                  /* float64 [E, 2] */
#define RF_D_MEAN "mean"                /* float64 [E, 2] */
#define RF_D_SELECTED "selected"        /* int32 [4] (format 1-3: [3]) */
#define RF_D_PARAMS "params"            /* float32 [P]; also in artifacts */
#define RF_D_CKA "cka"                  /* diagnostics: float64 [G] */
#define RF_D_FEATURE_MSE "feature_mse"  /* diagnostics: float64 [G] */
#define RF_D_ERROR_SET "error_set"      /* artifacts of ident jobs: uint8 [n_train] */
#define RF_D_ERROR_GROUPS "error_groups" /* ident jobs: int64 [G] error-set rows per
                                            training group (-1: not written) */
/* a degenerate identification error set (issue 16): empty, more than half
 * of the n training rows, or all in one class (class of group g = g / A);
 * the run's log warns, dett report --ident flags. Bit i of the flags is
 * RF_IDENT_FLAG_NAMES[i]. */
enum { RF_IDENT_EMPTY = 1, RF_IDENT_OVER_HALF = 2, RF_IDENT_ONE_CLASS = 4, RF_N_IDENT_FLAGS = 3 };
#define RF_IDENT_FLAG_NAMES {"empty", "more than half the training rows", "a single class"}
static inline int rf_ident_flags(const long long *count, int G, int A, long long n)
{
    long long tot = 0;
    int classes = 0;
    for (int g = 0; g < G; g++) tot += count[g];
    for (int y = 0; y * A < G; y++) {
        long long in = 0;
        for (int a = 0; a < A; a++) in += count[y * A + a];
        classes += in > 0;
    }
    return (tot == 0 ? RF_IDENT_EMPTY : 0) | (2 * tot > n ? RF_IDENT_OVER_HALF : 0) |
           (classes == 1 ? RF_IDENT_ONE_CLASS : 0);
}
/* index 0 and 1 of the split axis of acc/worst/avg/mean */
enum { RF_SPLIT_VAL = 0, RF_SPLIT_TEST = 1, RF_N_SPLITS = 2 };
#define RF_SPLIT_NAMES {"val", "test"}
/* the entries of selected, index = select kind (format 4: four; files of
 * format 1-3 hold the first three) */
enum { RF_SEL_VAL_WORST = 0, RF_SEL_VAL_AVG = 1, RF_SEL_ORACLE = 2, RF_SEL_VAL_WORST_CLASS = 3,
       RF_N_SEL = 4, RF_N_SEL_V3 = 3 };
/* the selection rules' names: select_names[] of runtime/core/jobspec.h,
 * in the order of selected[] */

/* @layers of every params dataset (format 2): compound [n_layers], one
 * element per layer of the model in order (kernels/layer.h); the slice
 * params[offset, offset + n_params) is the layer's parameters: dense W
 * [out_dim, in_dim] then b [out_dim]; conv W [OC, C, k, k] then b [OC]. */
#define RF_X_LAYERS "layers"
#define RF_L_KIND "kind"            /* fixed string: dense, relu, conv, maxpool, avgpool, gap */
#define RF_L_OFFSET "offset"        /* int64 */
#define RF_L_N_PARAMS "n_params"    /* int64 */
#define RF_L_IN_DIM "in_dim"        /* int32 per-row elements in */
#define RF_L_OUT_DIM "out_dim"      /* int32 per-row elements out */
#define RF_L_C "C"                  /* int32 image layers: input channels, height, width */
#define RF_L_H "H"
#define RF_L_W "W"
#define RF_L_OC "OC"                /* int32 output channels, height, width */
#define RF_L_OH "OH"
#define RF_L_OW "OW"
#define RF_L_K "k"                  /* int32 kernel / pool window */
#define RF_L_STRIDE "stride"
#define RF_L_PAD "pad"
#define RF_L_FROZEN "frozen"        /* int32 1: not trained (a transplanted head) */
enum { RF_LAYER_KIND_LEN = 8 };
#define RF_LAYER_KINDS {"dense", "relu", "conv", "maxpool", "avgpool", "gap"}  /* layer_kind order */

/* ---- attributes describing datasets (NeXus style, format 2) ---- */
#define RF_X_AXES "axes"                /* text [rank]: the name of each dimension */
#define RF_X_UNITS "units"              /* "1" (a fraction in [0, 1]), "epoch", ... */
#define RF_X_LONG_NAME "long_name"      /* one line saying what the values are */
#define RF_X_EPOCH_BASE "epoch_base"    /* int32 0: epoch index e = after e + 1 epochs */
#define RF_X_SPLIT "split"              /* text [2]: names of the split axis' indices */
#define RF_X_SELECT "select"            /* text [3]: names of selected's entries */
#define RF_X_STATUS "status"            /* on /jobs/table: text [5], status names */
#define RF_X_FILL "fill"                /* what an unwritten element holds */
/* axis names */
#define RF_AX_EPOCH "epoch"
#define RF_AX_SPLIT "split"
#define RF_AX_GROUP "group"
#define RF_AX_PARAM "param"
#define RF_AX_ROW "row"
#define RF_AX_SELECT "select"
#define RF_AX_JOB "job"

/* ==== data file =========================================================== */

#define DF_FORMAT_NAME "dett-dataset"
#define DF_FORMAT_VERSION 1
#define DF_A_FORMAT RF_A_FORMAT          /* same root attribute names as results */
#define DF_A_FORMAT_VERSION RF_A_FORMAT_VERSION
#define DF_A_NAME "name"
#define DF_A_N_CLASSES "n_classes"
#define DF_A_N_ATTRS "n_attrs"
#define DF_A_SOURCE "source"
#define DF_A_LICENSE "license"
#define DF_A_DESCRIPTION "description"
/* one group per split, each with three datasets */
#define DF_SPLIT_NAMES {"train", "val", "test"}
#define DF_D_X "X"                       /* float32 [n, d] or [n, c, h, w] */
#define DF_D_Y "y"                       /* int32 [n] label in 0..C-1 */
#define DF_D_A "a"                       /* int32 [n] spurious attribute in 0..A-1 */

/* ==== teacher file (an external teacher, `external "teacher.h5"`) ========= */

#define TF_FORMAT_NAME "dett-teacher"
#define TF_FORMAT_VERSION 1
#define TF_A_FORMAT RF_A_FORMAT          /* same root attribute names as results */
#define TF_A_FORMAT_VERSION RF_A_FORMAT_VERSION
#define TF_A_LABEL_DIGEST "label_digest" /* hex SHA-256 of the data file's labels
                                            (runtime/io/teacher_file.h) */
#define TF_A_SOURCE "source"             /* optional text: what made the file */
#define TF_D_TRAIN_FEATURES "/train/features"  /* float [n_train, f], data-file row order */
#define TF_D_VAL_FEATURES "/val/features"      /* optional float [n_val, f] */
#define TF_D_TEST_FEATURES "/test/features"    /* optional float [n_test, f] */
#define TF_D_HEAD_W "/head/W"                  /* float [C, f]: logits = features W^T + b */
#define TF_D_HEAD_B "/head/b"                  /* float [C] */
#define TF_LABEL_DIGEST_MAGIC "dett-label-digest/1\n"

#endif
