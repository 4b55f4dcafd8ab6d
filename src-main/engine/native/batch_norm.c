/*
 * Batch normalisation over NHWC tensors seen as x[rows][channels] (rows = batch x height x width): applying known
 * statistics (inference), and training mode's forward and backward passes as one kernel each. Through tfjs's ops a
 * training step's batch norm is a dozen tensor-sized kernels per layer (moments, normalise, and the gradients of
 * each); `npm run bench:train -- --profile` measured them at 18–29% of the CAE's and the photo stack's step. Here
 * the forward reads x twice (channel sums, then normalise) and the backward reads dy and x twice (channel sums, then
 * dx).
 *
 * Channel sums are in double, over FIXED row ranges (BN_PARTS) added in a fixed order, so results do not depend on
 * the number of threads (resumed runs stay bit for bit the same).
 */
#include "batch_norm.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "threads.h"
#include "vectorise.h"

/* Row ranges the channel sums are split into, whatever the number of threads. */
#define BN_PARTS 16
/* Below this many values a tensor pass runs on one thread: starting one costs more than it saves. */
#define BN_PARALLEL_MIN 65536

typedef struct {
  size_t rows, channels;
  const float *a, *b;          /* sums: x (forward) or dy and x (backward); apply: x */
  const float *mean;           /* backward: the forward's mean */
  const float *f1, *f2, *f3;   /* apply: y = f1[c] a + f3[c]; backward: dx = f1[c] dy + f2[c] (x - mean[c]) + f3[c] */
  double *partials;            /* sums: BN_PARTS x 2 x channels */
  float *out;
} bn_job;

static int threads_for(size_t values) { return values < BN_PARALLEL_MIN ? 1 : ae_thread_budget(); }

static size_t part_row(size_t rows, int p) { return (size_t)((uint64_t)rows * p / BN_PARTS); }

/* Forward sums per part: Σx and Σx² per channel. */
static VECTORISED void forward_sums(void *ctx, int begin, int end, int thread) {
  (void)thread;
  const bn_job *job = (const bn_job *)ctx;
  const size_t c = job->channels;
  for (int p = begin; p < end; p++) {
    double *restrict s1 = job->partials + (size_t)p * 2 * c, *restrict s2 = s1 + c;
    for (size_t j = 0; j < c; j++) s1[j] = s2[j] = 0;
    for (size_t r = part_row(job->rows, p); r < part_row(job->rows, p + 1); r++) {
      const float *restrict x = job->a + r * c;
      for (size_t j = 0; j < c; j++) {
        const double v = x[j];
        s1[j] += v;
        s2[j] += v * v;
      }
    }
  }
}

/* Backward sums per part: Σdy and Σdy (x - mean) per channel. */
static VECTORISED void backward_sums(void *ctx, int begin, int end, int thread) {
  (void)thread;
  const bn_job *job = (const bn_job *)ctx;
  const size_t c = job->channels;
  const float *restrict mean = job->mean;
  for (int p = begin; p < end; p++) {
    double *restrict s1 = job->partials + (size_t)p * 2 * c, *restrict s2 = s1 + c;
    for (size_t j = 0; j < c; j++) s1[j] = s2[j] = 0;
    for (size_t r = part_row(job->rows, p); r < part_row(job->rows, p + 1); r++) {
      const float *restrict dy = job->a + r * c, *restrict x = job->b + r * c;
      for (size_t j = 0; j < c; j++) {
        const double g = dy[j];
        s1[j] += g;
        s2[j] += g * ((double)x[j] - mean[j]);
      }
    }
  }
}

/* The parts' sums added in part order into sums[0 .. 2c). */
static void channel_sums(bn_job *job, ae_range_fn fn, double *sums) {
  const size_t c = job->channels;
  ae_parallel_for(threads_for(job->rows * c), BN_PARTS, fn, job);
  for (size_t j = 0; j < 2 * c; j++) sums[j] = 0;
  for (int p = 0; p < BN_PARTS; p++)
    for (size_t j = 0; j < 2 * c; j++) sums[j] += job->partials[(size_t)p * 2 * c + j];
}

/* out = f1[c] a + f3[c], or with a second input, out = f1[c] a + f2[c] (b - mean[c]) + f3[c]: rows [begin, end). */
static VECTORISED void affine_rows(void *ctx, int begin, int end, int thread) {
  (void)thread;
  const bn_job *job = (const bn_job *)ctx;
  const size_t c = job->channels;
  const float *restrict f1 = job->f1, *restrict f2 = job->f2, *restrict f3 = job->f3, *restrict mean = job->mean;
  for (size_t r = (size_t)begin; r < (size_t)end; r++) {
    const float *restrict a = job->a + r * c;
    float *restrict out = job->out + r * c;
    if (job->b) {
      const float *restrict b = job->b + r * c;
      for (size_t j = 0; j < c; j++) out[j] = f1[j] * a[j] + f2[j] * (b[j] - mean[j]) + f3[j];
    } else {
      for (size_t j = 0; j < c; j++) out[j] = f1[j] * a[j] + f3[j];
    }
  }
}

static void affine(bn_job *job) { ae_parallel_for(threads_for(job->rows * job->channels), (int)job->rows, affine_rows, job); }

/*
 * A training pass's channel sums: allocates the scratch (the parts' sums in job->partials, and `sets` vectors of
 * per-channel factors in *factors), runs fn over the parts, and returns the sums' totals (2 x channels); NULL when out
 * of memory. bn_free releases the scratch.
 */
static const double *scratch_and_sums(bn_job *job, ae_range_fn fn, int sets, float **factors) {
  const size_t c = job->channels;
  job->partials = (double *)malloc((BN_PARTS + 1) * 2 * c * sizeof(double));
  *factors = (float *)malloc(sets * c * sizeof(float));
  if (!job->partials || !*factors) {
    free(job->partials);
    free(*factors);
    return NULL;
  }
  double *sums = job->partials + BN_PARTS * 2 * c;
  channel_sums(job, fn, sums);
  return sums;
}

static void bn_free(bn_job *job, float *factors) {
  free(job->partials);
  free(factors);
}

void bn_apply(size_t rows, size_t channels, const float *x, const float *factor, const float *shift, float *y) {
  bn_job job = {rows, channels, x, NULL, NULL, factor, NULL, shift, NULL, y};
  affine(&job);
}

int bn_train_forward(size_t rows, size_t channels, const float *x, const float *scale, const float *offset,
                     double epsilon, float *y, float *mean, float *variance) {
  const size_t c = channels;
  bn_job job = {rows, c, x, NULL, NULL, NULL, NULL, NULL, NULL, y};
  float *factors;
  const double *sums = scratch_and_sums(&job, forward_sums, 2, &factors);
  if (!sums) return -1;
  for (size_t j = 0; j < c; j++) {
    const double m = sums[j] / (double)rows, v = fmax(sums[c + j] / (double)rows - m * m, 0.0);
    const double a = scale[j] / sqrt(v + epsilon);
    mean[j] = (float)m;
    variance[j] = (float)v;
    factors[j] = (float)a;
    factors[c + j] = (float)(offset[j] - m * a);
  }
  bn_apply(rows, c, x, factors, factors + c, y);
  bn_free(&job, factors);
  return 0;
}

int bn_train_backward(size_t rows, size_t channels, const float *dy, const float *x, const float *scale,
                      const float *mean, const float *variance, double epsilon, float *dx, float *dscale,
                      float *doffset) {
  const size_t c = channels;
  bn_job job = {rows, c, dy, x, mean, NULL, NULL, NULL, NULL, dx};
  float *factors;
  const double *sums = scratch_and_sums(&job, backward_sums, 3, &factors);
  if (!sums) return -1;
  /*
   * With x̂ = (x - mean) s, s = 1 / sqrt(variance + epsilon), and N rows:
   *   dx = scale s (dy - Σdy / N - x̂ Σ(dy x̂) / N) = f1 dy + f2 (x - mean) + f3,
   *   f1 = scale s, f2 = -scale s³ Σ(dy (x - mean)) / N, f3 = -f1 Σdy / N.
   */
  for (size_t j = 0; j < c; j++) {
    const double s = 1.0 / sqrt((double)variance[j] + epsilon), n = (double)rows;
    const double f1 = scale[j] * s, f2 = -scale[j] * s * s * s * sums[c + j] / n;
    factors[j] = (float)f1;
    factors[c + j] = (float)f2;
    factors[2 * c + j] = (float)(-f1 * sums[j] / n);
    doffset[j] = (float)sums[j];
    dscale[j] = (float)(sums[c + j] * s);
  }
  job.f1 = factors;
  job.f2 = factors + c;
  job.f3 = factors + 2 * c;
  affine(&job);
  bn_free(&job, factors);
  return 0;
}
