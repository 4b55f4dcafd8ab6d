/*
 * Native CPU kernels for the hot operations of autoencoder training: matrix products and 2-D convolutions with their
 * two gradients, each a BLAS sgemm (OpenBLAS, vectorised for the machine it runs on and threaded) around an
 * im2col / col2im in NHWC layout — the same scheme PyTorch's CPU convolution uses when it has no oneDNN — except for
 * convolutions with few taps per output (the first layer on grey or RGB images), which conv_direct.c computes
 * directly; plus the few memory-bound ops the WebAssembly backend does slowly: the Adam step, sums over axes,
 * last-axis bias add/scale, same-shape add/subtract/multiply, tile, batch norm (batch_norm.c: inference, and training's
 * forward and backward), and the gradients of max pooling and nearest upsampling.
 *
 * The functions write into Float32Arrays that view the WebAssembly backend's heap, so tfjs keeps owning every tensor
 * and no data is copied between JS and native memory. Every other op stays on the WebAssembly backend. Loaded by
 * native-kernels.ts; built by scripts/build-native.mjs.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "batch_norm.h"
#include "conv_direct.h"
#include "tsne.h"

/* Upper bound on an im2col buffer, in floats (64 MB): larger batches are processed a few images at a time. */
#define COL_LIMIT (16 * 1024 * 1024)

static float *col_buffer = NULL;
static size_t col_capacity = 0;

static float *col_reserve(size_t floats) {
  if (floats > col_capacity) {
    free(col_buffer);
    col_buffer = (float *)malloc(floats * sizeof(float));
    col_capacity = col_buffer ? floats : 0;
  }
  return col_buffer;
}

/* ---- argument helpers ---------------------------------------------------------------------------------------- */

static int get_floats(napi_env env, napi_value value, float **data, size_t *length) {
  napi_typedarray_type type;
  size_t len;
  void *ptr;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, &len, &ptr, &buffer, &offset) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "expected a Float32Array");
    return 0;
  }
  *data = (float *)ptr;
  *length = len;
  return 1;
}

static int get_ints(napi_env env, napi_value value, int32_t *out, size_t count) {
  napi_typedarray_type type;
  size_t len;
  void *ptr;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, &len, &ptr, &buffer, &offset) != napi_ok || type != napi_int32_array ||
      len < count) {
    napi_throw_type_error(env, NULL, "expected an Int32Array of parameters");
    return 0;
  }
  memcpy(out, ptr, count * sizeof(int32_t));
  return 1;
}

#define ARGS(n)                                                                                                        \
  size_t argc = n;                                                                                                     \
  napi_value argv[n];                                                                                                  \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) {                                  \
    napi_throw_error(env, NULL, "wrong number of arguments");                                                          \
    return NULL;                                                                                                       \
  }

/* ---- convolution geometry ------------------------------------------------------------------------------------ */

#define GEOMETRY_INTS 15

static int get_geometry(napi_env env, napi_value value, conv_geometry *g) {
  int32_t p[GEOMETRY_INTS];
  if (!get_ints(env, value, p, GEOMETRY_INTS)) return 0;
  *g = (conv_geometry){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
  return 1;
}

/* True when im2col would copy x unchanged: a 1x1, stride-1, unpadded convolution. */
static int is_pointwise(const conv_geometry *g) {
  return g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 && g->pad_left == 0;
}

/* Images per chunk so that the column buffer stays under COL_LIMIT (at least one image). */
static int images_per_chunk(const conv_geometry *g) {
  size_t per_image = (size_t)g->out_h * g->out_w * g->k_h * g->k_w * g->in_c;
  size_t n = per_image ? COL_LIMIT / per_image : (size_t)g->batch;
  if (n < 1) n = 1;
  if (n > (size_t)g->batch) n = (size_t)g->batch;
  return (int)n;
}

/* Rows (b, oy, ox) x columns (ky, kx, c) of the input patches each output pixel sees; zero outside the image. */
static void im2col(const conv_geometry *g, const float *x, int first, int count, float *col) {
  const int c = g->in_c;
  const size_t row_len = (size_t)g->k_h * g->k_w * c;
  for (int b = 0; b < count; b++) {
    const float *image = x + (size_t)(first + b) * g->in_h * g->in_w * c;
    for (int oy = 0; oy < g->out_h; oy++) {
      for (int ox = 0; ox < g->out_w; ox++) {
        float *row = col + (((size_t)b * g->out_h + oy) * g->out_w + ox) * row_len;
        for (int ky = 0; ky < g->k_h; ky++) {
          const int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
          for (int kx = 0; kx < g->k_w; kx++) {
            const int ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
            float *dst = row + ((size_t)ky * g->k_w + kx) * c;
            if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w)
              memset(dst, 0, c * sizeof(float));
            else
              memcpy(dst, image + ((size_t)iy * g->in_w + ix) * c, c * sizeof(float));
          }
        }
      }
    }
  }
}

/* The adjoint of im2col: adds each column entry back onto the input pixel it came from. */
static void col2im(const conv_geometry *g, const float *col, int first, int count, float *x) {
  const int c = g->in_c;
  const size_t row_len = (size_t)g->k_h * g->k_w * c;
  for (int b = 0; b < count; b++) {
    float *image = x + (size_t)(first + b) * g->in_h * g->in_w * c;
    for (int oy = 0; oy < g->out_h; oy++) {
      for (int ox = 0; ox < g->out_w; ox++) {
        const float *row = col + (((size_t)b * g->out_h + oy) * g->out_w + ox) * row_len;
        for (int ky = 0; ky < g->k_h; ky++) {
          const int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
          if (iy < 0 || iy >= g->in_h) continue;
          for (int kx = 0; kx < g->k_w; kx++) {
            const int ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
            if (ix < 0 || ix >= g->in_w) continue;
            const float *src = row + ((size_t)ky * g->k_w + kx) * c;
            float *dst = image + ((size_t)iy * g->in_w + ix) * c;
            for (int i = 0; i < c; i++) dst[i] += src[i];
          }
        }
      }
    }
  }
}

static int check_sizes(napi_env env, size_t have, size_t need, const char *what) {
  if (have < need) {
    napi_throw_range_error(env, NULL, what);
    return 0;
  }
  return 1;
}

/* conv2d(x, filter, out, geometry): out[b,oy,ox,f] = Σ x-patch · filter[ky,kx,c,f]. */
static napi_value conv2d(napi_env env, napi_callback_info info) {
  ARGS(4);
  float *x, *w, *out;
  size_t nx, nw, nout;
  conv_geometry g;
  if (!get_floats(env, argv[0], &x, &nx) || !get_floats(env, argv[1], &w, &nw) ||
      !get_floats(env, argv[2], &out, &nout) || !get_geometry(env, argv[3], &g))
    return NULL;
  const size_t k = (size_t)g.k_h * g.k_w * g.in_c;
  const size_t pixels = (size_t)g.out_h * g.out_w;
  if (!check_sizes(env, nx, (size_t)g.batch * g.in_h * g.in_w * g.in_c, "conv2d: input too small") ||
      !check_sizes(env, nw, k * g.out_c, "conv2d: filter too small") ||
      !check_sizes(env, nout, (size_t)g.batch * pixels * g.out_c, "conv2d: output too small"))
    return NULL;
  if (is_pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g.batch * (int)pixels, g.out_c, (int)k, 1.0f, x, (int)k, w,
                g.out_c, 0.0f, out, g.out_c);
    return NULL;
  }
  if (conv_direct_suits(&g)) {
    conv_direct_forward(&g, x, w, out);
    return NULL;
  }
  const int chunk = images_per_chunk(&g);
  float *col = col_reserve((size_t)chunk * pixels * k);
  if (!col) {
    napi_throw_error(env, NULL, "conv2d: out of memory");
    return NULL;
  }
  for (int first = 0; first < g.batch; first += chunk) {
    const int count = g.batch - first < chunk ? g.batch - first : chunk;
    im2col(&g, x, first, count, col);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, count * (int)pixels, g.out_c, (int)k, 1.0f, col, (int)k, w,
                g.out_c, 0.0f, out + (size_t)first * pixels * g.out_c, g.out_c);
  }
  return NULL;
}

/* conv2dBackpropInput(dy, filter, dx, geometry): the gradient of conv2d with respect to x (and transposed conv). */
static napi_value conv2d_backprop_input(napi_env env, napi_callback_info info) {
  ARGS(4);
  float *dy, *w, *dx;
  size_t ndy, nw, ndx;
  conv_geometry g;
  if (!get_floats(env, argv[0], &dy, &ndy) || !get_floats(env, argv[1], &w, &nw) ||
      !get_floats(env, argv[2], &dx, &ndx) || !get_geometry(env, argv[3], &g))
    return NULL;
  const size_t k = (size_t)g.k_h * g.k_w * g.in_c;
  const size_t pixels = (size_t)g.out_h * g.out_w;
  const size_t dx_size = (size_t)g.batch * g.in_h * g.in_w * g.in_c;
  if (!check_sizes(env, ndy, (size_t)g.batch * pixels * g.out_c, "conv2dBackpropInput: dy too small") ||
      !check_sizes(env, nw, k * g.out_c, "conv2dBackpropInput: filter too small") ||
      !check_sizes(env, ndx, dx_size, "conv2dBackpropInput: dx too small"))
    return NULL;
  if (is_pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g.batch * (int)pixels, (int)k, g.out_c, 1.0f, dy, g.out_c, w,
                g.out_c, 0.0f, dx, (int)k);
    return NULL;
  }
  if (conv_direct_suits(&g)) {
    if (conv_direct_backprop_input(&g, dy, w, dx) != 0)
      napi_throw_error(env, NULL, "conv2dBackpropInput: out of memory");
    return NULL;
  }
  const int chunk = images_per_chunk(&g);
  float *col = col_reserve((size_t)chunk * pixels * k);
  if (!col) {
    napi_throw_error(env, NULL, "conv2dBackpropInput: out of memory");
    return NULL;
  }
  memset(dx, 0, dx_size * sizeof(float));
  for (int first = 0; first < g.batch; first += chunk) {
    const int count = g.batch - first < chunk ? g.batch - first : chunk;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, count * (int)pixels, (int)k, g.out_c, 1.0f,
                dy + (size_t)first * pixels * g.out_c, g.out_c, w, g.out_c, 0.0f, col, (int)k);
    col2im(&g, col, first, count, dx);
  }
  return NULL;
}

/* conv2dBackpropFilter(x, dy, dw, geometry): the gradient of conv2d with respect to its filter. */
static napi_value conv2d_backprop_filter(napi_env env, napi_callback_info info) {
  ARGS(4);
  float *x, *dy, *dw;
  size_t nx, ndy, ndw;
  conv_geometry g;
  if (!get_floats(env, argv[0], &x, &nx) || !get_floats(env, argv[1], &dy, &ndy) ||
      !get_floats(env, argv[2], &dw, &ndw) || !get_geometry(env, argv[3], &g))
    return NULL;
  const size_t k = (size_t)g.k_h * g.k_w * g.in_c;
  const size_t pixels = (size_t)g.out_h * g.out_w;
  if (!check_sizes(env, nx, (size_t)g.batch * g.in_h * g.in_w * g.in_c, "conv2dBackpropFilter: x too small") ||
      !check_sizes(env, ndy, (size_t)g.batch * pixels * g.out_c, "conv2dBackpropFilter: dy too small") ||
      !check_sizes(env, ndw, k * g.out_c, "conv2dBackpropFilter: dw too small"))
    return NULL;
  if (is_pointwise(&g)) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, g.out_c, g.batch * (int)pixels, 1.0f, x, (int)k, dy,
                g.out_c, 0.0f, dw, g.out_c);
    return NULL;
  }
  if (conv_direct_suits(&g)) {
    if (conv_direct_backprop_filter(&g, x, dy, dw) != 0)
      napi_throw_error(env, NULL, "conv2dBackpropFilter: out of memory");
    return NULL;
  }
  const int chunk = images_per_chunk(&g);
  float *col = col_reserve((size_t)chunk * pixels * k);
  if (!col) {
    napi_throw_error(env, NULL, "conv2dBackpropFilter: out of memory");
    return NULL;
  }
  for (int first = 0; first < g.batch; first += chunk) {
    const int count = g.batch - first < chunk ? g.batch - first : chunk;
    im2col(&g, x, first, count, col);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, g.out_c, count * (int)pixels, 1.0f, col, (int)k,
                dy + (size_t)first * pixels * g.out_c, g.out_c, first == 0 ? 0.0f : 1.0f, dw, g.out_c);
  }
  return NULL;
}

/*
 * matmul(a, b, out, [batchA, batchB, m, n, k, transposeA, transposeB]): out[i] = op(a[i]) · op(b[i]) for each batch
 * entry; a batch of 1 is broadcast against the other's.
 */
static napi_value matmul(napi_env env, napi_callback_info info) {
  ARGS(4);
  float *a, *b, *out;
  size_t na, nb, nout;
  int32_t p[7];
  if (!get_floats(env, argv[0], &a, &na) || !get_floats(env, argv[1], &b, &nb) ||
      !get_floats(env, argv[2], &out, &nout) || !get_ints(env, argv[3], p, 7))
    return NULL;
  const int batch_a = p[0], batch_b = p[1], m = p[2], n = p[3], k = p[4], ta = p[5], tb = p[6];
  const int batch = batch_a > batch_b ? batch_a : batch_b;
  if ((batch_a != batch && batch_a != 1) || (batch_b != batch && batch_b != 1)) {
    napi_throw_range_error(env, NULL, "matmul: batch sizes do not broadcast");
    return NULL;
  }
  if (!check_sizes(env, na, (size_t)batch_a * m * k, "matmul: a too small") ||
      !check_sizes(env, nb, (size_t)batch_b * k * n, "matmul: b too small") ||
      !check_sizes(env, nout, (size_t)batch * m * n, "matmul: out too small"))
    return NULL;
  for (int i = 0; i < batch; i++) {
    const float *ai = a + (batch_a == 1 ? 0 : (size_t)i * m * k);
    const float *bi = b + (batch_b == 1 ? 0 : (size_t)i * k * n);
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, ai,
                ta ? m : k, bi, tb ? k : n, 0.0f, out + (size_t)i * m * n, n);
  }
  return NULL;
}

/* Activations a fused kernel may apply after its bias; the numbers match native-kernels.ts. */
enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_ELU = 3, ACT_LEAKY_RELU = 4, ACT_SIGMOID = 5 };

/* biasActivation(out, bias | null, [rows, n, activation], alpha): out[r, j] = act(out[r, j] + bias[j]), in place. */
static napi_value bias_activation(napi_env env, napi_callback_info info) {
  ARGS(4);
  float *out, *bias = NULL;
  size_t nout, nbias = 0;
  int32_t p[3];
  double alpha = 0;
  napi_valuetype bias_type;
  if (!get_floats(env, argv[0], &out, &nout)) return NULL;
  napi_typeof(env, argv[1], &bias_type);
  if (bias_type != napi_null && !get_floats(env, argv[1], &bias, &nbias)) return NULL;
  if (!get_ints(env, argv[2], p, 3) || napi_get_value_double(env, argv[3], &alpha) != napi_ok) return NULL;
  const size_t rows = (size_t)p[0], n = (size_t)p[1];
  const int act = p[2];
  const float a = (float)alpha;
  if (!check_sizes(env, nout, rows * n, "biasActivation: out too small") ||
      (bias && !check_sizes(env, nbias, n, "biasActivation: bias too small")))
    return NULL;
  for (size_t r = 0; r < rows; r++) {
    float *row = out + r * n;
    if (bias)
      for (size_t j = 0; j < n; j++) row[j] += bias[j];
    switch (act) {
      case ACT_RELU:
        for (size_t j = 0; j < n; j++) row[j] = row[j] > 0 ? row[j] : 0;
        break;
      case ACT_RELU6:
        for (size_t j = 0; j < n; j++) row[j] = row[j] < 0 ? 0 : row[j] > 6 ? 6 : row[j];
        break;
      case ACT_ELU:
        for (size_t j = 0; j < n; j++) row[j] = row[j] > 0 ? row[j] : expm1f(row[j]);
        break;
      case ACT_LEAKY_RELU:
        for (size_t j = 0; j < n; j++) row[j] = row[j] > 0 ? row[j] : a * row[j];
        break;
      case ACT_SIGMOID:
        for (size_t j = 0; j < n; j++) row[j] = 1.0f / (1.0f + expf(-row[j]));
        break;
      default:
        break;
    }
  }
  return NULL;
}

/* sumAxes(x, out, [outer, reduced, inner]): out[o, i] = Σ_r x[o, r, i] — any reduction over contiguous axes. */
static napi_value sum_axes(napi_env env, napi_callback_info info) {
  ARGS(3);
  float *x, *out;
  size_t nx, nout;
  int32_t p[3];
  if (!get_floats(env, argv[0], &x, &nx) || !get_floats(env, argv[1], &out, &nout) || !get_ints(env, argv[2], p, 3))
    return NULL;
  const size_t outer = (size_t)p[0], reduced = (size_t)p[1], inner = (size_t)p[2];
  if (!check_sizes(env, nx, outer * reduced * inner, "sumAxes: x too small") ||
      !check_sizes(env, nout, outer * inner, "sumAxes: out too small"))
    return NULL;
  for (size_t o = 0; o < outer; o++) {
    float *dst = out + o * inner;
    const float *src = x + o * reduced * inner;
    if (inner == 1) {
      /* A double accumulator keeps long sums (a whole batch's loss) accurate. */
      double total = 0;
      for (size_t r = 0; r < reduced; r++) total += src[r];
      dst[0] = (float)total;
      continue;
    }
    memcpy(dst, src, inner * sizeof(float));
    for (size_t r = 1; r < reduced; r++) {
      const float *row = src + r * inner;
      for (size_t i = 0; i < inner; i++) dst[i] += row[i];
    }
  }
  return NULL;
}

/* biasOp(x, bias, out, [rows, n, multiply]): out[r, j] = x[r, j] + bias[j] (or x[r, j] * bias[j]). */
static napi_value bias_op(napi_env env, napi_callback_info info) {
  ARGS(4);
  float *x, *bias, *out;
  size_t nx, nbias, nout;
  int32_t p[3];
  if (!get_floats(env, argv[0], &x, &nx) || !get_floats(env, argv[1], &bias, &nbias) ||
      !get_floats(env, argv[2], &out, &nout) || !get_ints(env, argv[3], p, 3))
    return NULL;
  const size_t rows = (size_t)p[0], n = (size_t)p[1];
  const int multiply = p[2];
  if (!check_sizes(env, nx, rows * n, "biasOp: x too small") || !check_sizes(env, nbias, n, "biasOp: bias too small") ||
      !check_sizes(env, nout, rows * n, "biasOp: out too small"))
    return NULL;
  for (size_t r = 0; r < rows; r++) {
    const float *src = x + r * n;
    float *dst = out + r * n;
    if (multiply)
      for (size_t j = 0; j < n; j++) dst[j] = src[j] * bias[j];
    else
      for (size_t j = 0; j < n; j++) dst[j] = src[j] + bias[j];
  }
  return NULL;
}

static VECTORISED void elementwise_op(size_t n, const float *restrict a, const float *restrict b, float *restrict out,
                                      int op) {
  if (op == 0)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
  else if (op == 1)
    for (size_t i = 0; i < n; i++) out[i] = a[i] - b[i];
  else
    for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

/* elementwise(a, b, out, [n, op]): out = a + b (op 0), a - b (1) or a * b (2), for two tensors of one shape. */
static napi_value elementwise(napi_env env, napi_callback_info info) {
  ARGS(4);
  float *a, *b, *out;
  size_t na, nb, nout;
  int32_t p[2];
  if (!get_floats(env, argv[0], &a, &na) || !get_floats(env, argv[1], &b, &nb) ||
      !get_floats(env, argv[2], &out, &nout) || !get_ints(env, argv[3], p, 2))
    return NULL;
  const size_t n = (size_t)p[0];
  if (p[1] < 0 || p[1] > 2) {
    napi_throw_range_error(env, NULL, "elementwise: op must be 0 (add), 1 (subtract) or 2 (multiply)");
    return NULL;
  }
  if (!check_sizes(env, na, n, "elementwise: a too small") || !check_sizes(env, nb, n, "elementwise: b too small") ||
      !check_sizes(env, nout, n, "elementwise: out too small"))
    return NULL;
  elementwise_op(n, a, b, out, p[1]);
  return NULL;
}

/*
 * batchNorm(x, mean, variance, offset|null, scale|null, out, [rows, channels], epsilon): per channel c,
 * out = (x - mean[c]) * scale[c] / sqrt(variance[c] + epsilon) + offset[c], folded into one multiply-add a pixel.
 */
static napi_value batch_norm(napi_env env, napi_callback_info info) {
  ARGS(8);
  float *x, *mean, *variance, *offset = NULL, *scale = NULL, *out;
  size_t nx, nmean, nvar, noffset = 0, nscale = 0, nout;
  napi_valuetype kind;
  int32_t p[2];
  double epsilon;
  if (!get_floats(env, argv[0], &x, &nx) || !get_floats(env, argv[1], &mean, &nmean) ||
      !get_floats(env, argv[2], &variance, &nvar))
    return NULL;
  napi_typeof(env, argv[3], &kind);
  if (kind != napi_null && !get_floats(env, argv[3], &offset, &noffset)) return NULL;
  napi_typeof(env, argv[4], &kind);
  if (kind != napi_null && !get_floats(env, argv[4], &scale, &nscale)) return NULL;
  if (!get_floats(env, argv[5], &out, &nout) || !get_ints(env, argv[6], p, 2)) return NULL;
  if (napi_get_value_double(env, argv[7], &epsilon) != napi_ok) {
    napi_throw_type_error(env, NULL, "batchNorm: expected epsilon as a number");
    return NULL;
  }
  const size_t rows = (size_t)p[0], c = (size_t)p[1];
  if (!check_sizes(env, nx, rows * c, "batchNorm: x too small") ||
      !check_sizes(env, nout, rows * c, "batchNorm: out too small") ||
      !check_sizes(env, nmean, c, "batchNorm: mean too small") ||
      !check_sizes(env, nvar, c, "batchNorm: variance too small") ||
      (offset && !check_sizes(env, noffset, c, "batchNorm: offset too small")) ||
      (scale && !check_sizes(env, nscale, c, "batchNorm: scale too small")))
    return NULL;
  float *factor = (float *)malloc(2 * c * sizeof(float));
  if (!factor) {
    napi_throw_error(env, NULL, "batchNorm: out of memory");
    return NULL;
  }
  float *shift = factor + c;
  for (size_t j = 0; j < c; j++) {
    const double a = (scale ? scale[j] : 1.0) / sqrt((double)variance[j] + epsilon);
    factor[j] = (float)a;
    shift[j] = (float)((offset ? offset[j] : 0.0) - mean[j] * a);
  }
  bn_apply(rows, c, x, factor, shift, out);
  free(factor);
  return NULL;
}

/* The batch-norm kernels' arguments: float arrays, then [rows, channels], then epsilon. */
typedef struct {
  size_t rows, channels;
  double epsilon;
  float *a[8];
} bn_args;

/*
 * Reads argv as `layout` says, one letter an array: T a tensor (rows x channels values at least), C one value a
 * channel; then the parameters. `name` starts the error a wrong type, a short array or a bad parameter throws.
 */
static int get_bn_args(napi_env env, napi_value *argv, const char *layout, const char *name, bn_args *out) {
  const int count = (int)strlen(layout);
  int32_t p[2];
  if (!get_ints(env, argv[count], p, 2)) return 0;
  if (p[0] < 1 || p[1] < 1 || napi_get_value_double(env, argv[count + 1], &out->epsilon) != napi_ok ||
      !(out->epsilon > 0)) {
    napi_throw_range_error(env, NULL, "batch norm: needs rows, channels and epsilon above 0");
    return 0;
  }
  out->rows = (size_t)p[0];
  out->channels = (size_t)p[1];
  for (int i = 0; i < count; i++) {
    const size_t need = layout[i] == 'T' ? out->rows * out->channels : out->channels;
    size_t have;
    if (!get_floats(env, argv[i], &out->a[i], &have)) return 0;
    if (have < need) {
      char message[96];
      snprintf(message, sizeof message, "%s: array %d holds %zu values, needs %zu", name, i, have, need);
      napi_throw_range_error(env, NULL, message);
      return 0;
    }
  }
  return 1;
}

/*
 * batchNormTrain(x, scale, offset, y, mean, variance, [rows, channels], epsilon): training mode's batch norm (see
 * batch_norm.h), with the batch's statistics written to mean and variance.
 */
static napi_value batch_norm_train(napi_env env, napi_callback_info info) {
  ARGS(8);
  bn_args b;
  if (get_bn_args(env, argv, "TCCTCC", "batchNormTrain", &b) &&
      bn_train_forward(b.rows, b.channels, b.a[0], b.a[1], b.a[2], b.epsilon, b.a[3], b.a[4], b.a[5]) != 0)
    napi_throw_error(env, NULL, "batchNormTrain: out of memory");
  return NULL;
}

/* batchNormTrainGrad(dy, x, scale, mean, variance, dx, dscale, doffset, [rows, channels], epsilon): its gradient. */
static napi_value batch_norm_train_grad(napi_env env, napi_callback_info info) {
  ARGS(10);
  bn_args b;
  if (get_bn_args(env, argv, "TTCCCTCC", "batchNormTrainGrad", &b) &&
      bn_train_backward(b.rows, b.channels, b.a[0], b.a[1], b.a[2], b.a[3], b.a[4], b.epsilon, b.a[5], b.a[6],
                        b.a[7]) != 0)
    napi_throw_error(env, NULL, "batchNormTrainGrad: out of memory");
  return NULL;
}

/*
 * maxPoolGrad(x, dy, dx, [batch, in_h, in_w, channels, out_h, out_w, k_h, k_w, stride_h, stride_w, pad_top,
 * pad_left]): each dy value goes to the first largest x in its pooling window (tfjs's and TensorFlow's rule).
 */
static napi_value max_pool_grad(napi_env env, napi_callback_info info) {
  ARGS(4);
  float *x, *dy, *dx;
  size_t nx, ndy, ndx;
  int32_t p[12];
  if (!get_floats(env, argv[0], &x, &nx) || !get_floats(env, argv[1], &dy, &ndy) ||
      !get_floats(env, argv[2], &dx, &ndx) || !get_ints(env, argv[3], p, 12))
    return NULL;
  const int batch = p[0], in_h = p[1], in_w = p[2], c = p[3], out_h = p[4], out_w = p[5], k_h = p[6], k_w = p[7],
            stride_h = p[8], stride_w = p[9], pad_top = p[10], pad_left = p[11];
  const size_t in_size = (size_t)batch * in_h * in_w * c;
  if (!check_sizes(env, nx, in_size, "maxPoolGrad: x too small") ||
      !check_sizes(env, ndx, in_size, "maxPoolGrad: dx too small") ||
      !check_sizes(env, ndy, (size_t)batch * out_h * out_w * c, "maxPoolGrad: dy too small"))
    return NULL;
  float *best = (float *)malloc((size_t)c * sizeof(float));
  size_t *where = (size_t *)malloc((size_t)c * sizeof(size_t));
  if (!best || !where) {
    free(best);
    free(where);
    napi_throw_error(env, NULL, "maxPoolGrad: out of memory");
    return NULL;
  }
  memset(dx, 0, in_size * sizeof(float));
  for (int b = 0; b < batch; b++) {
    const size_t image = (size_t)b * in_h * in_w;
    for (int oy = 0; oy < out_h; oy++) {
      for (int ox = 0; ox < out_w; ox++) {
        for (int j = 0; j < c; j++) {
          best[j] = -INFINITY;
          where[j] = SIZE_MAX;
        }
        for (int ky = 0; ky < k_h; ky++) {
          const int iy = oy * stride_h - pad_top + ky;
          if (iy < 0 || iy >= in_h) continue;
          for (int kx = 0; kx < k_w; kx++) {
            const int ix = ox * stride_w - pad_left + kx;
            if (ix < 0 || ix >= in_w) continue;
            const size_t base = (image + (size_t)iy * in_w + ix) * c;
            const float *row = x + base;
            for (int j = 0; j < c; j++)
              if (row[j] > best[j]) {
                best[j] = row[j];
                where[j] = base + j;
              }
          }
        }
        const float *grad = dy + (((size_t)b * out_h + oy) * out_w + ox) * c;
        for (int j = 0; j < c; j++)
          if (where[j] != SIZE_MAX) dx[where[j]] += grad[j];
      }
    }
  }
  free(best);
  free(where);
  return NULL;
}

/*
 * resizeNearestGrad(dy, dx, [batch, in_h, in_w, channels, out_h, out_w], sourceRows, sourceCols): the gradient of a
 * nearest-neighbour resize, each output pixel's dy added to the input pixel it was copied from (the maps say which).
 */
static napi_value resize_nearest_grad(napi_env env, napi_callback_info info) {
  ARGS(5);
  float *dy, *dx;
  size_t ndy, ndx;
  int32_t p[6];
  if (!get_floats(env, argv[0], &dy, &ndy) || !get_floats(env, argv[1], &dx, &ndx) || !get_ints(env, argv[2], p, 6))
    return NULL;
  const int batch = p[0], in_h = p[1], in_w = p[2], c = p[3], out_h = p[4], out_w = p[5];
  int32_t *rows = (int32_t *)malloc(((size_t)out_h + out_w) * sizeof(int32_t));
  if (!rows) {
    napi_throw_error(env, NULL, "resizeNearestGrad: out of memory");
    return NULL;
  }
  int32_t *cols = rows + out_h;
  if (!get_ints(env, argv[3], rows, (size_t)out_h) || !get_ints(env, argv[4], cols, (size_t)out_w)) {
    free(rows);
    return NULL;
  }
  int ok = check_sizes(env, ndx, (size_t)batch * in_h * in_w * c, "resizeNearestGrad: dx too small") &&
           check_sizes(env, ndy, (size_t)batch * out_h * out_w * c, "resizeNearestGrad: dy too small");
  for (int i = 0; ok && i < out_h + out_w; i++)
    if (rows[i] < 0 || rows[i] >= (i < out_h ? in_h : in_w)) {
      napi_throw_range_error(env, NULL, "resizeNearestGrad: a source pixel is outside the input");
      ok = 0;
    }
  if (ok) {
    memset(dx, 0, (size_t)batch * in_h * in_w * c * sizeof(float));
    for (int b = 0; b < batch; b++)
      for (int oy = 0; oy < out_h; oy++)
        for (int ox = 0; ox < out_w; ox++) {
          const float *grad = dy + (((size_t)b * out_h + oy) * out_w + ox) * c;
          float *dst = dx + (((size_t)b * in_h + rows[oy]) * in_w + cols[ox]) * c;
          for (int j = 0; j < c; j++) dst[j] += grad[j];
        }
  }
  free(rows);
  return NULL;
}

/* Copies x (shape dims[d..]) tiled reps[d..] times into out, one dimension at a time; rows are memcpy'd. */
static float *tile_dim(const float *x, float *out, const int32_t *dims, const int32_t *reps, int d, int rank,
                       const size_t *in_stride) {
  if (d == rank - 1) {
    for (int r = 0; r < reps[d]; r++, out += dims[d]) memcpy(out, x, dims[d] * sizeof(float));
    return out;
  }
  float *start = out;
  for (int i = 0; i < dims[d]; i++) out = tile_dim(x + i * in_stride[d], out, dims, reps, d + 1, rank, in_stride);
  /* The remaining repetitions of this dimension repeat the block just written. */
  const size_t block = (size_t)(out - start);
  for (int r = 1; r < reps[d]; r++, out += block) memcpy(out, start, block * sizeof(float));
  return out;
}

/* tile(x, out, [rank, dims..., reps...]): tf.tile for float32, rank ≤ 8. */
static napi_value tile(napi_env env, napi_callback_info info) {
  ARGS(3);
  float *x, *out;
  size_t nx, nout;
  int32_t p[17];
  if (!get_floats(env, argv[0], &x, &nx) || !get_floats(env, argv[1], &out, &nout) || !get_ints(env, argv[2], p, 1))
    return NULL;
  const int rank = p[0];
  if (rank < 1 || rank > 8 || !get_ints(env, argv[2], p, 1 + 2 * rank)) {
    napi_throw_range_error(env, NULL, "tile: rank must be 1 to 8");
    return NULL;
  }
  const int32_t *dims = p + 1, *reps = p + 1 + rank;
  size_t in_stride[8], in_size = 1, out_size = 1;
  for (int d = rank - 1; d >= 0; d--) {
    in_stride[d] = in_size;
    in_size *= (size_t)dims[d];
    out_size *= (size_t)dims[d] * reps[d];
  }
  if (!check_sizes(env, nx, in_size, "tile: x too small") || !check_sizes(env, nout, out_size, "tile: out too small"))
    return NULL;
  if (out_size > 0) tile_dim(x, out, dims, reps, 0, rank, in_stride);
  return NULL;
}

static VECTORISED void adam_step(size_t n, const float *restrict value, const float *restrict m,
                                 const float *restrict v, const float *restrict g, float *restrict new_value,
                                 float *restrict new_m, float *restrict new_v, float lr, float b1, float b2, float eps,
                                 float c1, float c2) {
  const float step = lr / c1, inv_c2 = 1.0f / c2;
  for (size_t i = 0; i < n; i++) {
    const float mi = m[i] * b1 + g[i] * (1 - b1);
    const float vi = v[i] * b2 + g[i] * g[i] * (1 - b2);
    new_m[i] = mi;
    new_v[i] = vi;
    new_value[i] = value[i] - step * mi / (sqrtf(vi * inv_c2) + eps);
  }
}

/*
 * adam(value, m, v, grad, newValue, newM, newV, [lr, beta1, beta2, epsilon, 1 - beta1^t, 1 - beta2^t]): one Adam step
 * in a single pass, with tfjs's formula (epsilon added to the square root of the bias-corrected second moment).
 */
static napi_value adam(napi_env env, napi_callback_info info) {
  ARGS(8);
  float *arrays[7];
  size_t lengths[7];
  for (int i = 0; i < 7; i++)
    if (!get_floats(env, argv[i], &arrays[i], &lengths[i])) return NULL;
  napi_typedarray_type type;
  size_t count;
  void *ptr;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, argv[7], &type, &count, &ptr, &buffer, &offset) != napi_ok ||
      type != napi_float64_array || count < 6) {
    napi_throw_type_error(env, NULL, "adam: expected a Float64Array of 6 hyper-parameters");
    return NULL;
  }
  const double *h = (const double *)ptr;
  const size_t n = lengths[0];
  for (int i = 1; i < 7; i++)
    if (!check_sizes(env, lengths[i], n, "adam: arrays differ in size")) return NULL;
  adam_step(n, arrays[0], arrays[1], arrays[2], arrays[3], arrays[4], arrays[5], arrays[6], (float)h[0], (float)h[1],
            (float)h[2], (float)h[3], (float)h[4], (float)h[5]);
  return NULL;
}

extern char *openblas_get_config(void);

/* blasInfo(): the BLAS library's own description (version, CPU kernel) for the engine's detail line. */
static napi_value blas_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  const char *config = openblas_get_config();
  napi_create_string_utf8(env, config ? config : "OpenBLAS", NAPI_AUTO_LENGTH, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"conv2d", NULL, conv2d, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dBackpropInput", NULL, conv2d_backprop_input, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dBackpropFilter", NULL, conv2d_backprop_filter, NULL, NULL, NULL, napi_default, NULL},
      {"matmul", NULL, matmul, NULL, NULL, NULL, napi_default, NULL},
      {"biasActivation", NULL, bias_activation, NULL, NULL, NULL, napi_default, NULL},
      {"biasOp", NULL, bias_op, NULL, NULL, NULL, napi_default, NULL},
      {"sumAxes", NULL, sum_axes, NULL, NULL, NULL, napi_default, NULL},
      {"tile", NULL, tile, NULL, NULL, NULL, napi_default, NULL},
      {"elementwise", NULL, elementwise, NULL, NULL, NULL, napi_default, NULL},
      {"batchNorm", NULL, batch_norm, NULL, NULL, NULL, napi_default, NULL},
      {"batchNormTrain", NULL, batch_norm_train, NULL, NULL, NULL, napi_default, NULL},
      {"batchNormTrainGrad", NULL, batch_norm_train_grad, NULL, NULL, NULL, napi_default, NULL},
      {"maxPoolGrad", NULL, max_pool_grad, NULL, NULL, NULL, napi_default, NULL},
      {"resizeNearestGrad", NULL, resize_nearest_grad, NULL, NULL, NULL, napi_default, NULL},
      {"adam", NULL, adam, NULL, NULL, NULL, napi_default, NULL},
      {"blasInfo", NULL, blas_info, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  register_tsne(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
