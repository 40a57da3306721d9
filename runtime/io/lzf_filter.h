/* lzf_filter.h - a decoder for h5py's LZF compression filter (HDF5 filter
 * id 32000), so data files written with h5py's compression="lzf" can be
 * read. h5py registers the filter only inside Python; the HDF5 C library
 * does not ship it. Decoding only: dett never writes LZF.
 */
#ifndef DETT_LZF_FILTER_H
#define DETT_LZF_FILTER_H
#include <stddef.h>

#define LZF_FILTER_ID 32000

/* Registers the decoder with HDF5 unless a filter with that id is already
 * available (a plugin). Process-wide, idempotent; not thread-safe. Returns
 * 0, or -1 if HDF5 refused the registration. */
int lzf_filter_register(void);

/* Decodes the LZF stream in[0..n) into out[0..cap); returns the decoded
 * length, or 0 if the stream is malformed or does not fit (then *too_small
 * is 1 if it only did not fit). Exposed for tests and fuzzing. */
size_t lzf_decode(const unsigned char *in, size_t n, unsigned char *out, size_t cap,
                  int *too_small);

#endif
