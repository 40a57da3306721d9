/* lzf_filter.c - the LZF decoder and its HDF5 filter (see lzf_filter.h).
 *
 * The LZF format: a sequence of runs, each opened by a control byte c.
 * c < 32: a literal run, the next c + 1 bytes are copied. Otherwise a back
 * reference: length L = c >> 5 (L == 7: add the next byte), offset
 * ((c & 31) << 8) + next byte + 1 back from the output position, and
 * L + 2 bytes are copied from there (the source may overlap the copy).
 */
#include "lzf_filter.h"
#include <hdf5.h>
#include <string.h>

size_t lzf_decode(const unsigned char *in, size_t n, unsigned char *out, size_t cap,
                  int *too_small)
{
    size_t i = 0, o = 0;
    *too_small = 0;
    while (i < n) {
        unsigned c = in[i++];
        if (c < 32) {                       /* literal run */
            size_t len = (size_t)c + 1;
            if (len > n - i) return 0;
            if (len > cap - o) {
                *too_small = 1;
                return 0;
            }
            memcpy(out + o, in + i, len);
            i += len;
            o += len;
            continue;
        }
        size_t len = c >> 5;                /* back reference */
        if (len == 7) {
            if (i >= n) return 0;
            len += in[i++];
        }
        if (i >= n) return 0;
        size_t back = (((size_t)c & 31) << 8) + in[i++] + 1;
        len += 2;
        if (back > o) return 0;
        if (len > cap - o) {
            *too_small = 1;
            return 0;
        }
        for (size_t k = 0; k < len; k++, o++) out[o] = out[o - back];
    }
    return o;
}

/* H5Z_func_t: decodes *buf (nbytes) into a new buffer of the chunk's size
 * (cd_values[2] when h5py stored it, else growing); encoding is refused. */
static size_t lzf_h5_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[],
                            size_t nbytes, size_t *buf_size, void **buf)
{
    if (!(flags & H5Z_FLAG_REVERSE)) return 0;
    size_t cap = cd_nelmts >= 3 && cd_values[2] > 0 ? cd_values[2] : 2 * nbytes + 64;
    for (int tries = 0; tries < 24; tries++) {
        unsigned char *out = H5allocate_memory(cap, 0);
        if (!out) return 0;
        int too_small = 0;
        size_t got = lzf_decode(*buf, nbytes, out, cap, &too_small);
        if (got > 0) {
            H5free_memory(*buf);
            *buf = out;
            *buf_size = cap;
            return got;
        }
        H5free_memory(out);
        if (!too_small || cap > ((size_t)1 << 31)) return 0;
        cap *= 2;
    }
    return 0;
}

int lzf_filter_register(void)
{
    htri_t avail = H5Zfilter_avail(LZF_FILTER_ID);
    if (avail > 0) return 0;
    static const H5Z_class2_t cls = {
        H5Z_CLASS_T_VERS, (H5Z_filter_t)LZF_FILTER_ID, 0, 1, "lzf (dett decoder)",
        NULL, NULL, lzf_h5_filter,
    };
    return H5Zregister(&cls) < 0 ? -1 : 0;
}
