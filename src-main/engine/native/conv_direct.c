/*
 * Direct convolutions for layers with few taps per output (k_h * k_w * in_c ≤ DIRECT_TAPS): the first layer on grey
 * or RGB images (3x3x1 = 9 taps, 2x2x3 = 12) and the transposed convolution back to them. There im2col + GEMM does
 * badly: the GEMM's inner dimension is a handful of taps, and the im2col buffer is written and read for little work
 * (`npm run bench:train -- --profile` measured those layers at 3–10% of the machine's peak, a quarter of the
 * reference conv AE's step). Here the taps of a run of up to RUN output pixels of one row are gathered into a small
 * stack buffer (bounds worked out once per tap, not per pixel), and each pixel's filters are vector operations over
 * the filters, contiguous in NHWC/HWIO; the batch is split over the cores by image.
 *
 * Each output value is summed by one thread in a fixed order, and the filter gradient's partial sums are over fixed
 * image ranges added in a fixed order, so results do not depend on the number of threads (resumed runs stay bit for
 * bit the same).
 */
#include "conv_direct.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "threads.h"

/* The filter gradient's partial sums: this many image ranges, whatever the number of threads. */
#define FILTER_PARTS 8

int conv_direct_suits(const conv_geometry *g) { return g->k_h * g->k_w * g->in_c <= DIRECT_TAPS; }

/* The images of part p of n over the batch. */
static void part_images(const conv_geometry *g, int p, int n, int *first, int *last) {
  *first = (int)((int64_t)g->batch * p / n);
  *last = (int)((int64_t)g->batch * (p + 1) / n);
}

/* ---- a run of output pixels' taps ---------------------------------------------------------------------------- */

/* Output pixels of one row handled together: their taps fit in a 32 KB stack buffer. */
#define RUN 256

/* Taps rounded up to whole 16-float vectors (DIRECT_TAPS is a multiple of 16). */
static int padded_taps(const conv_geometry *g) { return (g->k_h * g->k_w * g->in_c + 15) / 16 * 16; }

/* The output columns [lo, hi) whose tap kx falls inside the image (ix = ox * stride - pad + kx * dilation). */
static void inside_columns(const conv_geometry *g, int kx, int ox0, int ox1, int *lo, int *hi) {
  const int offset = kx * g->dil_w - g->pad_left;
  int a = offset >= 0 ? 0 : (-offset + g->stride_w - 1) / g->stride_w;
  int b = g->in_w - 1 - offset < 0 ? 0 : (g->in_w - 1 - offset) / g->stride_w + 1;
  *lo = a < ox0 ? ox0 : a > ox1 ? ox1 : a;
  *hi = b > ox1 ? ox1 : b < *lo ? *lo : b;
}

/*
 * The taps of output pixels (oy, ox0..ox1) of `image`: patches[(ox - ox0) * stride + t] for tap t = (ky, kx, c), zero
 * outside the image. Column by column per tap, so the bounds are worked out once per tap rather than per pixel.
 */
static void gather_run(const conv_geometry *g, const float *image, int oy, int ox0, int ox1, int stride,
                       float *patches) {
  const int c_in = g->in_c, count = ox1 - ox0;
  for (int ky = 0; ky < g->k_h; ky++) {
    const int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
    for (int kx = 0; kx < g->k_w; kx++) {
      int lo, hi;
      inside_columns(g, kx, ox0, ox1, &lo, &hi);
      if (iy < 0 || iy >= g->in_h) lo = hi = ox1;
      for (int c = 0; c < c_in; c++) {
        float *dst = patches + (ky * g->k_w + kx) * c_in + c;
        /* Only formed when some column is inside (iy may be outside the image otherwise). */
        const int ix = lo * g->stride_w - g->pad_left + kx * g->dil_w;
        const float *src = hi > lo ? image + ((size_t)iy * g->in_w + ix) * c_in + c : NULL;
        const size_t step = (size_t)g->stride_w * c_in;
        int p = 0;
        for (; p < lo - ox0; p++) dst[(size_t)p * stride] = 0.0f;
        for (; p < hi - ox0; p++, src += step) dst[(size_t)p * stride] = *src;
        for (; p < count; p++) dst[(size_t)p * stride] = 0.0f;
      }
    }
  }
}

/* The adjoint of gather_run: adds sent[(ox - ox0) * stride + t] onto the input value under tap t of each pixel. */
static void scatter_run(const conv_geometry *g, const float *sent, int oy, int ox0, int ox1, int stride,
                        float *image) {
  const int c_in = g->in_c;
  for (int ky = 0; ky < g->k_h; ky++) {
    const int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
    if (iy < 0 || iy >= g->in_h) continue;
    for (int kx = 0; kx < g->k_w; kx++) {
      int lo, hi;
      inside_columns(g, kx, ox0, ox1, &lo, &hi);
      if (hi <= lo) continue;
      for (int c = 0; c < c_in; c++) {
        const float *src = sent + (ky * g->k_w + kx) * c_in + c;
        const int ix = lo * g->stride_w - g->pad_left + kx * g->dil_w;
        float *dst = image + ((size_t)iy * g->in_w + ix) * c_in + c;
        const size_t step = (size_t)g->stride_w * c_in;
        for (int p = lo - ox0; p < hi - ox0; p++, dst += step) *dst += src[(size_t)p * stride];
      }
    }
  }
}

/* ---- forward ------------------------------------------------------------------------------------------------- */

typedef struct {
  const conv_geometry *g;
  const float *a, *b;
  float *out;
  int parts;
} conv_job;

/* What is done with one gathered run: output pixels (b, oy, ox0..ox1), whose taps are patches[(ox - ox0) * taps]. */
typedef void (*run_fn)(const conv_job *job, float *target, int b, int oy, int ox0, int ox1, const float *patches);

/* Gathers the taps of every run of output pixels of images [first, last) (job->a) and hands each to fn. */
static void each_gathered_run(const conv_job *job, int first, int last, run_fn fn, float *target) {
  const conv_geometry *g = job->g;
  const int taps = g->k_h * g->k_w * g->in_c;
  float patches[RUN * DIRECT_TAPS];
  for (int b = first; b < last; b++) {
    const float *image = job->a + (size_t)b * g->in_h * g->in_w * g->in_c;
    for (int oy = 0; oy < g->out_h; oy++) {
      for (int ox0 = 0; ox0 < g->out_w; ox0 += RUN) {
        const int ox1 = ox0 + RUN < g->out_w ? ox0 + RUN : g->out_w;
        gather_run(g, image, oy, ox0, ox1, taps, patches);
        fn(job, target, b, oy, ox0, ox1, patches);
      }
    }
  }
}

/* Each output pixel: out[j] = Σ_t patch[t] w[t][j], sixteen filters at a time with the sums held in one vector. */
static VECTORISED void forward_run(const conv_job *job, float *target, int b, int oy, int ox0, int ox1,
                                   const float *patches) {
  const conv_geometry *g = job->g;
  const int n = g->out_c, taps = g->k_h * g->k_w * g->in_c;
  const float *restrict w = job->b;
  for (int ox = ox0; ox < ox1; ox++) {
    const float *restrict patch = patches + (size_t)(ox - ox0) * taps;
    float *restrict out = target + (((size_t)b * g->out_h + oy) * g->out_w + ox) * n;
    int j = 0;
    for (; j + 16 <= n; j += 16) {
      float lanes[16] = {0};
      for (int t = 0; t < taps; t++)
        for (int l = 0; l < 16; l++) lanes[l] += patch[t] * w[(size_t)t * n + j + l];
      for (int l = 0; l < 16; l++) out[j + l] = lanes[l];
    }
    for (; j < n; j++) {
      float sum = 0;
      for (int t = 0; t < taps; t++) sum += patch[t] * w[(size_t)t * n + j];
      out[j] = sum;
    }
  }
}

static void forward_images(void *ctx, int first, int last, int thread) {
  (void)thread;
  const conv_job *job = (const conv_job *)ctx;
  each_gathered_run(job, first, last, forward_run, job->out);
}

void conv_direct_forward(const conv_geometry *g, const float *x, const float *w, float *out) {
  conv_job job = {g, x, w, out, g->batch};
  ae_parallel_for(ae_thread_budget(), g->batch, forward_images, &job);
}

/* ---- input gradient ------------------------------------------------------------------------------------------- */

/*
 * Each output pixel's dy sends Σ_j dy[j] w[t][j] to the input value under tap t: a product with the filter
 * transposed (filters x padded taps, job->b), all taps at once in vectors, then added onto the image.
 */
static VECTORISED void backprop_input_images(void *ctx, int first, int last, int thread) {
  (void)thread;
  const conv_job *job = (const conv_job *)ctx;
  const conv_geometry *g = job->g;
  const int n = g->out_c, c_in = g->in_c, taps = padded_taps(g);
  const float *restrict wt = job->b;
  float sent[RUN * DIRECT_TAPS];
  for (int b = first; b < last; b++) {
    float *image = job->out + (size_t)b * g->in_h * g->in_w * c_in;
    memset(image, 0, (size_t)g->in_h * g->in_w * c_in * sizeof(float));
    for (int oy = 0; oy < g->out_h; oy++) {
      for (int ox0 = 0; ox0 < g->out_w; ox0 += RUN) {
        const int ox1 = ox0 + RUN < g->out_w ? ox0 + RUN : g->out_w;
        for (int ox = ox0; ox < ox1; ox++) {
          const float *restrict dy = job->a + (((size_t)b * g->out_h + oy) * g->out_w + ox) * n;
          float *restrict to = sent + (size_t)(ox - ox0) * taps;
          for (int t = 0; t < taps; t++) to[t] = 0;
          for (int j = 0; j < n; j++)
            for (int t = 0; t < taps; t++) to[t] += dy[j] * wt[(size_t)j * taps + t];
        }
        scatter_run(g, sent, oy, ox0, ox1, taps, image);
      }
    }
  }
}

int conv_direct_backprop_input(const conv_geometry *g, const float *dy, const float *w, float *dx) {
  const int n = g->out_c, taps = g->k_h * g->k_w * g->in_c, padded = padded_taps(g);
  float *wt = (float *)calloc((size_t)n * padded, sizeof(float));
  if (!wt) return -1;
  for (int t = 0; t < taps; t++)
    for (int j = 0; j < n; j++) wt[(size_t)j * padded + t] = w[(size_t)t * n + j];
  conv_job job = {g, dy, wt, dx, g->batch};
  ae_parallel_for(ae_thread_budget(), g->batch, backprop_input_images, &job);
  free(wt);
  return 0;
}

/* ---- filter gradient ------------------------------------------------------------------------------------------ */

/* Each output pixel adds patch[t] dy[j] to dw[t][j] (target: one part's partial sums): a vector update per tap. */
static VECTORISED void backprop_filter_run(const conv_job *job, float *target, int b, int oy, int ox0, int ox1,
                                           const float *patches) {
  const conv_geometry *g = job->g;
  const int n = g->out_c, taps = g->k_h * g->k_w * g->in_c;
  for (int ox = ox0; ox < ox1; ox++) {
    const float *restrict patch = patches + (size_t)(ox - ox0) * taps;
    const float *restrict dy = job->b + (((size_t)b * g->out_h + oy) * g->out_w + ox) * n;
    for (int t = 0; t < taps; t++) {
      const float v = patch[t];
      float *restrict row = target + (size_t)t * n;
      for (int j = 0; j < n; j++) row[j] += v * dy[j];
    }
  }
}

static void backprop_filter_parts(void *ctx, int begin, int end, int thread) {
  (void)thread;
  const conv_job *job = (const conv_job *)ctx;
  const size_t size = (size_t)job->g->k_h * job->g->k_w * job->g->in_c * job->g->out_c;
  for (int part = begin; part < end; part++) {
    float *partial = job->out + (size_t)part * size;
    memset(partial, 0, size * sizeof(float));
    int first, last;
    part_images(job->g, part, job->parts, &first, &last);
    each_gathered_run(job, first, last, backprop_filter_run, partial);
  }
}

int conv_direct_backprop_filter(const conv_geometry *g, const float *x, const float *dy, float *dw) {
  const size_t size = (size_t)g->k_h * g->k_w * g->in_c * g->out_c;
  const int parts = g->batch < FILTER_PARTS ? g->batch : FILTER_PARTS;
  /* Few taps, so the partial sums are small (at most FILTER_PARTS x DIRECT_TAPS x out_c floats). */
  float *partials = (float *)malloc((size_t)parts * size * sizeof(float));
  if (!partials) return -1;
  conv_job job = {g, x, dy, partials, parts};
  ae_parallel_for(ae_thread_budget(), parts, backprop_filter_parts, &job);
  memcpy(dw, partials, size * sizeof(float));
  for (int p = 1; p < parts; p++)
    for (size_t i = 0; i < size; i++) dw[i] += partials[(size_t)p * size + i];
  free(partials);
  return 0;
}
