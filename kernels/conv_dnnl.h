/* conv_dnnl.h - the optional oneDNN path of the convolution layer (conv.c).
 *
 * Built when CMake finds oneDNN (DETT_WITH_DNNL, Debian's libdnnl-dev 2.6);
 * otherwise conv_dnnl.c compiles to stubs: conv_dnnl_new returns NULL and
 * the layer keeps its im2col + sgemm path.
 *
 * Everything oneDNN needs (engine, stream, primitives, blocked buffers,
 * scratchpads) lives in one conv_dnnl object owned by its layer (l->dnnl);
 * kernels/ keeps no global state. Primitives are shape-specific: the object
 * keeps plans for the last few batch sizes it saw (oneDNN's own primitive
 * cache makes re-creating an evicted plan cheap).
 *
 * Determinism: every primitive is created and run with one OpenMP thread
 * (omp_set_num_threads(1) around each call, restored after), the
 * scratchpad is the plan's own, and oneDNN 2.6's CPU convolutions use no
 * atomics on one thread, so a given batch size gives the same bits on every
 * run on the same machine and ISA. The shapes a rank sees are its
 * micro-shards' and evaluation blocks', which do not depend on the rank
 * count, so results stay bit-identical across K. The bits differ from the
 * im2col path's (another summation order).
 */
#ifndef DETT_CONV_DNNL_H
#define DETT_CONV_DNNL_H
#include "layer.h"

typedef struct conv_dnnl conv_dnnl;

/* 1 if this build has the oneDNN path */
int conv_dnnl_built(void);
/* a oneDNN context for convolution layer l (geometry read now); NULL when
 * not built with oneDNN, when the geometry is not one oneDNN takes, or out
 * of memory. Free with conv_dnnl_free (NULL is fine). */
conv_dnnl *conv_dnnl_new(const layer *l);
void conv_dnnl_free(conv_dnnl *d);
/* as the layer's forward/backward (layer.h); return 0, or -1 if no plan
 * could be made for batch B (nothing written: the caller runs im2col).
 * With l->relu_out the forward applies max(x, 0) to its output as a
 * post-op (oneDNN's ReLU of slope 0 is a MAXPS against +0: the bits of the
 * ReLU layer's x > 0 ? x : 0, NaN and -0 to +0 included; tests/test_conv.c
 * compares them). */
int conv_dnnl_forward(const layer *l, conv_dnnl *d, const float *p, float *out,
                      const float *in, int B);
int conv_dnnl_backward(const layer *l, conv_dnnl *d, const float *p, float *g,
                       float *din, const float *dout, const float *in, int B);

#endif
