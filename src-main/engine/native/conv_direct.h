/*
 * What the convolution code shares: the geometry of a 2-D convolution (NHWC input, HWIO filter) and the direct
 * kernels of conv_direct.c.
 */
#ifndef AE_CONV_DIRECT_H
#define AE_CONV_DIRECT_H

#include "vectorise.h"

typedef struct {
  int batch, in_h, in_w, in_c, k_h, k_w, out_c, out_h, out_w, stride_h, stride_w, pad_top, pad_left, dil_h, dil_w;
} conv_geometry;

/* A filter tap count (k_h * k_w * in_c) at or below which the direct kernels beat im2col + GEMM. */
#define DIRECT_TAPS 32

/* Whether the direct kernels take this convolution: few taps per output (the first layer on grey or RGB images, or
 * a transposed convolution back to them). */
int conv_direct_suits(const conv_geometry *g);

/* The forward convolution: out[b,oy,ox,f] = Σ x-patch · filter[ky,kx,c,f]. */
void conv_direct_forward(const conv_geometry *g, const float *x, const float *w, float *out);

/* The input gradient (a transposed convolution's forward): dx = Σ over the outputs each input feeds. This and the
 * filter gradient return -1 when their few KB of scratch memory cannot be had, 0 otherwise. */
int conv_direct_backprop_input(const conv_geometry *g, const float *dy, const float *w, float *dx);

/* The filter gradient: dw[ky,kx,c,f] = Σ over every output pixel of x-patch · dy. */
int conv_direct_backprop_filter(const conv_geometry *g, const float *x, const float *dy, float *dw);

#endif
