/* npz_write.h - numpy .npz archives (a zip of .npy files), written with
 * libzip: the format `dett export` hands to numpy and PyTorch.
 *
 * Each entry is one .npy array (format 1.0: magic, a Python-literal header
 * padded to 64 bytes, then the raw little-endian data). Entries are kept in
 * memory until npz_close writes the archive (stored, not compressed, as
 * numpy.savez does), so a failed export leaves no file behind.
 */
#ifndef DETT_NPZ_WRITE_H
#define DETT_NPZ_WRITE_H
#include "err.h"
#include <stddef.h>
#include <stdint.h>

typedef struct npz npz;

/* a new archive to be written at path; NULL with a message on failure */
npz *npz_new(const char *path, dett_err *e);
/* float32 array of the given shape (rank 0..4) named name (".npy" is added) */
int npz_f32(npz *z, const char *name, const float *v, int rank, const int64_t *shape,
            dett_err *e);
/* float64 and int32 arrays likewise */
int npz_f64(npz *z, const char *name, const double *v, int rank, const int64_t *shape,
            dett_err *e);
int npz_i32(npz *z, const char *name, const int32_t *v, int rank, const int64_t *shape,
            dett_err *e);
/* a 0-d unicode string array (numpy dtype '<U<n>') holding the UTF-8 text
 * s (invalid bytes become U+FFFD) */
int npz_str(npz *z, const char *name, const char *s, dett_err *e);
/* writes the archive and frees z (also on failure; NULL ok) */
int npz_close(npz *z, dett_err *e);
/* frees z without writing (NULL ok) */
void npz_discard(npz *z);

#endif
