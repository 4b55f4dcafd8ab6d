/*
 * Barnes-Hut t-SNE (van der Maaten 2014), following scikit-learn's TSNE(method="barnes_hut") step for step so that
 * its layouts are as good: exact k nearest neighbours (k = 3 x perplexity + 1, by BLAS distance blocks), a binary
 * search per point for the perplexity, symmetrised joint probabilities, then gradient descent with momentum and
 * per-coordinate gains, early exaggeration, attractive forces over the sparse neighbours and repulsive forces from a
 * quadtree whose cells act as one point when they look smaller than theta from the point.
 *
 * Runs on a libuv worker thread (napi_async_work) so the calling process keeps answering, and splits each loop over
 * the machine's cores (threads.h: pthreads, or Win32 threads on Windows). JS reads progress and requests cancellation through a small Int32Array.
 * Registered by ae_kernels.c; used by src-main/latent/tsne.ts.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "threads.h"
#include "tsne.h"

/* Distance blocks hold at most this many floats (64 MB). */
#define BLOCK_FLOATS (16 * 1024 * 1024)
#define MAX_DEPTH 48

/* control[] slots shared with JS. */
enum { CONTROL_CANCEL = 0, CONTROL_DONE = 1, CONTROL_PHASE = 2 };
enum { PHASE_NEIGHBOURS = 1, PHASE_AFFINITIES = 2, PHASE_OPTIMISING = 3 };
enum { TSNE_OK = 0, TSNE_CANCELLED = 1, TSNE_NO_MEMORY = 2 };

typedef struct {
  int n, d, threads, iterations, exaggeration_iterations;
  const float *x;
  double *y;
  double perplexity, learning_rate, exaggeration, theta;
  volatile int32_t *control;
} tsne_job;

/* Threads for a loop over n rows: below 512 rows a thread's start costs more than it saves. */
static int threads_for(const tsne_job *job, int n) { return n < 512 ? 1 : job->threads; }

static int cancelled(const tsne_job *job) { return job->control[CONTROL_CANCEL] != 0; }

/* ---- exact k nearest neighbours ----------------------------------------------------------------------------------- */

typedef struct {
  const tsne_job *job;
  const float *norms, *dots;
  int first, k;
  int32_t *nbr;
  float *dist2;
} knn_ctx;

/* Keeps the k smallest distances of one row in a max-heap (the largest kept one on top). */
static void knn_rows(void *arg, int begin, int end, int thread) {
  (void)thread;
  knn_ctx *c = (knn_ctx *)arg;
  const int n = c->job->n, k = c->k;
  for (int r = begin; r < end; r++) {
    const int i = c->first + r;
    const float *dots = c->dots + (size_t)r * n;
    float *hd = c->dist2 + (size_t)i * k;
    int32_t *hi = c->nbr + (size_t)i * k;
    int size = 0;
    for (int j = 0; j < n; j++) {
      if (j == i) continue;
      float d = c->norms[i] + c->norms[j] - 2.0f * dots[j];
      if (d < 0) d = 0;
      if (size < k) {
        int at = size++;
        while (at > 0 && hd[(at - 1) / 2] < d) {
          hd[at] = hd[(at - 1) / 2];
          hi[at] = hi[(at - 1) / 2];
          at = (at - 1) / 2;
        }
        hd[at] = d;
        hi[at] = j;
      } else if (d < hd[0]) {
        int at = 0;
        for (;;) {
          int child = 2 * at + 1;
          if (child >= k) break;
          if (child + 1 < k && hd[child + 1] > hd[child]) child++;
          if (hd[child] <= d) break;
          hd[at] = hd[child];
          hi[at] = hi[child];
          at = child;
        }
        hd[at] = d;
        hi[at] = j;
      }
    }
  }
}

static int nearest_neighbours(tsne_job *job, int k, int32_t *nbr, float *dist2) {
  const int n = job->n, d = job->d;
  int rows = BLOCK_FLOATS / n;
  if (rows < 1) rows = 1;
  if (rows > n) rows = n;
  float *norms = (float *)malloc((size_t)n * sizeof(float));
  float *dots = (float *)malloc((size_t)rows * n * sizeof(float));
  if (!norms || !dots) {
    free(norms);
    free(dots);
    return TSNE_NO_MEMORY;
  }
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < d; j++) s += (double)job->x[(size_t)i * d + j] * job->x[(size_t)i * d + j];
    norms[i] = (float)s;
  }
  int status = TSNE_OK;
  for (int first = 0; first < n; first += rows) {
    if (cancelled(job)) {
      status = TSNE_CANCELLED;
      break;
    }
    const int count = first + rows > n ? n - first : rows;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, count, n, d, 1.0f, job->x + (size_t)first * d, d, job->x, d,
                0.0f, dots, n);
    knn_ctx ctx = {job, norms, dots, first, k, nbr, dist2};
    ae_parallel_for(threads_for(job, count), count, knn_rows, &ctx);
    job->control[CONTROL_DONE] = first + count;
  }
  free(norms);
  free(dots);
  return status;
}

/* ---- affinities ---------------------------------------------------------------------------------------------------- */

typedef struct {
  const float *dist2;
  double *p;
  int k;
  double perplexity;
} perplexity_ctx;

/* scikit-learn's _binary_search_perplexity: the Gaussian precision that gives each point the wanted entropy. */
static void perplexity_rows(void *arg, int begin, int end, int thread) {
  (void)thread;
  perplexity_ctx *c = (perplexity_ctx *)arg;
  const double target = log(c->perplexity);
  for (int i = begin; i < end; i++) {
    const float *d2 = c->dist2 + (size_t)i * c->k;
    double *p = c->p + (size_t)i * c->k;
    double beta = 1, lo = -INFINITY, hi = INFINITY;
    for (int step = 0; step < 100; step++) {
      double sum = 0;
      for (int j = 0; j < c->k; j++) sum += (p[j] = exp(-d2[j] * beta));
      if (sum == 0) sum = 1e-8;
      double weighted = 0;
      for (int j = 0; j < c->k; j++) {
        p[j] /= sum;
        weighted += d2[j] * p[j];
      }
      const double diff = log(sum) + beta * weighted - target;
      if (fabs(diff) <= 1e-5) break;
      if (diff > 0) {
        lo = beta;
        beta = hi == INFINITY ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo == -INFINITY ? beta / 2 : (beta + lo) / 2;
      }
    }
  }
}

typedef struct {
  int32_t col;
  double value;
} entry;

static int by_column(const void *a, const void *b) {
  const int32_t x = ((const entry *)a)->col, y = ((const entry *)b)->col;
  return (x > y) - (x < y);
}

/* Sparse symmetric P in CSR form: P = (P_cond + P_cond^T) / sum. */
typedef struct {
  int64_t *start; /* n + 1 */
  int32_t *col;
  double *value;
} sparse;

typedef struct {
  sparse *s;
  entry *entries;
  int64_t *fill;
} merge_ctx;

/* Sorts each row by column and adds up the duplicate (i, j) pairs in place; row lengths go to fill[]. */
static void merge_rows(void *arg, int begin, int end, int thread) {
  (void)thread;
  merge_ctx *c = (merge_ctx *)arg;
  for (int i = begin; i < end; i++) {
    entry *row = c->entries + c->s->start[i];
    const int64_t len = c->s->start[i + 1] - c->s->start[i];
    qsort(row, (size_t)len, sizeof(entry), by_column);
    int64_t out = 0;
    for (int64_t e = 0; e < len; e++) {
      if (out > 0 && row[out - 1].col == row[e].col) row[out - 1].value += row[e].value;
      else row[out++] = row[e];
    }
    c->fill[i] = out;
  }
}

static int joint_probabilities(const tsne_job *job, int k, const int32_t *nbr, const double *cond, sparse *out) {
  const int n = job->n;
  int64_t *start = (int64_t *)calloc((size_t)n + 1, sizeof(int64_t));
  int64_t *fill = (int64_t *)calloc((size_t)n, sizeof(int64_t));
  entry *entries = (entry *)malloc((size_t)n * k * 2 * sizeof(entry));
  if (!start || !fill || !entries) {
    free(start);
    free(fill);
    free(entries);
    return TSNE_NO_MEMORY;
  }
  for (int i = 0; i < n; i++) {
    start[i + 1] += k;
    for (int m = 0; m < k; m++) start[nbr[(size_t)i * k + m] + 1]++;
  }
  for (int i = 0; i < n; i++) start[i + 1] += start[i];
  for (int i = 0; i < n; i++) {
    for (int m = 0; m < k; m++) {
      const int32_t j = nbr[(size_t)i * k + m];
      const double p = cond[(size_t)i * k + m];
      entries[start[i] + fill[i]++] = (entry){j, p};
      entries[start[j] + fill[j]++] = (entry){i, p};
    }
  }
  sparse s = {start, NULL, NULL};
  merge_ctx ctx = {&s, entries, fill};
  ae_parallel_for(threads_for(job, n), n, merge_rows, &ctx);
  /* Compact the merged rows and normalise so all of P sums to 1. */
  int64_t total = 0;
  for (int i = 0; i < n; i++) total += fill[i];
  out->start = start;
  out->col = (int32_t *)malloc((size_t)total * sizeof(int32_t));
  out->value = (double *)malloc((size_t)total * sizeof(double));
  if (!out->col || !out->value) {
    free(out->col);
    free(out->value);
    free(fill);
    free(entries);
    free(start);
    return TSNE_NO_MEMORY;
  }
  double sum = 0;
  int64_t at = 0;
  for (int i = 0; i < n; i++) {
    const entry *row = entries + start[i];
    start[i] = at;
    for (int64_t e = 0; e < fill[i]; e++, at++) {
      out->col[at] = row[e].col;
      out->value[at] = row[e].value;
      sum += row[e].value;
    }
  }
  start[n] = at;
  if (sum < 1e-300) sum = 1e-300;
  for (int64_t e = 0; e < at; e++) out->value[e] /= sum;
  free(fill);
  free(entries);
  return TSNE_OK;
}

/* ---- quadtree ------------------------------------------------------------------------------------------------------ */

typedef struct {
  double cx, cy; /* centre of mass */
  double side;   /* the cell's side length */
  int32_t count, first_child, children, lo, hi;
} qnode;

typedef struct {
  qnode *nodes;
  int size, capacity;
  int32_t *perm, *scratch;
  const double *y;
} quadtree;

static int tree_reserve(quadtree *t, int more) {
  if (t->size + more <= t->capacity) return 1;
  int capacity = t->capacity * 2 > t->size + more ? t->capacity * 2 : t->size + more;
  qnode *nodes = (qnode *)realloc(t->nodes, (size_t)capacity * sizeof(qnode));
  if (!nodes) return 0;
  t->nodes = nodes;
  t->capacity = capacity;
  return 1;
}

/* Fills node `at` with the points perm[lo, hi) inside the square (x0, y0, side), splitting it into its quadrants. */
static int tree_build(quadtree *t, int at, int lo, int hi, double x0, double y0, double side, int depth) {
  double sx = 0, sy = 0;
  for (int e = lo; e < hi; e++) {
    sx += t->y[2 * t->perm[e]];
    sy += t->y[2 * t->perm[e] + 1];
  }
  const int count = hi - lo;
  t->nodes[at] = (qnode){sx / count, sy / count, side, count, -1, 0, lo, hi};
  if (count <= 1 || depth >= MAX_DEPTH) return 1;
  const double half = side / 2, mx = x0 + half, my = y0 + half;
  int sizes[4] = {0, 0, 0, 0};
  for (int e = lo; e < hi; e++) {
    const int32_t p = t->perm[e];
    sizes[(t->y[2 * p] >= mx) + 2 * (t->y[2 * p + 1] >= my)]++;
  }
  int offsets[4] = {lo, lo + sizes[0], lo + sizes[0] + sizes[1], lo + sizes[0] + sizes[1] + sizes[2]};
  int cursor[4] = {offsets[0], offsets[1], offsets[2], offsets[3]};
  for (int e = lo; e < hi; e++) {
    const int32_t p = t->perm[e];
    t->scratch[cursor[(t->y[2 * p] >= mx) + 2 * (t->y[2 * p + 1] >= my)]++] = p;
  }
  memcpy(t->perm + lo, t->scratch + lo, (size_t)count * sizeof(int32_t));
  int children = 0;
  for (int q = 0; q < 4; q++) children += sizes[q] > 0;
  if (!tree_reserve(t, children)) return 0;
  const int first = t->size;
  t->size += children;
  t->nodes[at].first_child = first;
  t->nodes[at].children = children;
  int child = first;
  for (int q = 0; q < 4; q++) {
    if (sizes[q] == 0) continue;
    if (!tree_build(t, child++, offsets[q], offsets[q] + sizes[q], q & 1 ? mx : x0, q & 2 ? my : y0, half, depth + 1))
      return 0;
  }
  return 1;
}

static int tree_rebuild(quadtree *t, int n) {
  double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
  for (int i = 0; i < n; i++) {
    const double x = t->y[2 * i], y = t->y[2 * i + 1];
    if (x < minx) minx = x;
    if (x > maxx) maxx = x;
    if (y < miny) miny = y;
    if (y > maxy) maxy = y;
  }
  double side = fmax(maxx - minx, maxy - miny);
  side = side * (1 + 1e-6) + 1e-12;
  t->size = 1;
  return tree_build(t, 0, 0, n, minx, miny, side, 0);
}

/* ---- gradient ------------------------------------------------------------------------------------------------------ */

typedef struct {
  const tsne_job *job;
  const sparse *p;
  const quadtree *tree;
  double exaggeration, theta2;
  double *attract, *repel;
  double z[AE_MAX_THREADS];
  int32_t *stacks; /* one per thread */
  int stack_size;
} gradient_ctx;

static void gradient_rows(void *arg, int begin, int end, int thread) {
  gradient_ctx *c = (gradient_ctx *)arg;
  const double *y = c->job->y;
  const qnode *nodes = c->tree->nodes;
  const int32_t *perm = c->tree->perm;
  int32_t *stack = c->stacks + (size_t)thread * c->stack_size;
  double z = 0;
  /* Points in quadtree order: neighbours in the loop visit the same cells, which stay in cache. */
  for (int at = begin; at < end; at++) {
    const int i = perm[at];
    const double yx = y[2 * i], yy = y[2 * i + 1];
    double fx = 0, fy = 0;
    for (int64_t e = c->p->start[i]; e < c->p->start[i + 1]; e++) {
      const int32_t j = c->p->col[e];
      const double dx = yx - y[2 * j], dy = yy - y[2 * j + 1];
      const double w = c->p->value[e] * c->exaggeration / (1 + dx * dx + dy * dy);
      fx += w * dx;
      fy += w * dy;
    }
    c->attract[2 * i] = fx;
    c->attract[2 * i + 1] = fy;

    double rx = 0, ry = 0;
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const qnode *node = &nodes[stack[--top]];
      const double dx = yx - node->cx, dy = yy - node->cy, d2 = dx * dx + dy * dy;
      if (node->first_child < 0) {
        for (int e = node->lo; e < node->hi; e++) {
          const int32_t j = perm[e];
          if (j == i) continue;
          const double ex = yx - y[2 * j], ey = yy - y[2 * j + 1];
          const double q = 1 / (1 + ex * ex + ey * ey);
          z += q;
          rx += q * q * ex;
          ry += q * q * ey;
        }
      } else if (node->side * node->side < c->theta2 * d2) {
        const double q = 1 / (1 + d2), m = node->count * q;
        z += m;
        rx += m * q * dx;
        ry += m * q * dy;
      } else {
        for (int ch = 0; ch < node->children; ch++) stack[top++] = node->first_child + ch;
      }
    }
    c->repel[2 * i] = rx;
    c->repel[2 * i + 1] = ry;
  }
  c->z[thread] = z;
}

/* ---- the optimisation ------------------------------------------------------------------------------------------- */

static int optimise(tsne_job *job, const sparse *p) {
  const int n = job->n, threads = job->threads;
  quadtree tree = {NULL, 0, 0, NULL, NULL, job->y};
  double *attract = (double *)malloc((size_t)n * 2 * sizeof(double));
  double *repel = (double *)malloc((size_t)n * 2 * sizeof(double));
  double *update = (double *)calloc((size_t)n * 2, sizeof(double));
  double *gains = (double *)malloc((size_t)n * 2 * sizeof(double));
  const int stack_size = 4 * MAX_DEPTH + 8;
  int32_t *stacks = (int32_t *)malloc((size_t)threads * stack_size * sizeof(int32_t));
  tree.perm = (int32_t *)malloc((size_t)n * sizeof(int32_t));
  tree.scratch = (int32_t *)malloc((size_t)n * sizeof(int32_t));
  int status = TSNE_OK;
  if (!attract || !repel || !update || !gains || !stacks || !tree.perm || !tree.scratch || !tree_reserve(&tree, 2 * n))
    status = TSNE_NO_MEMORY;
  for (int e = 0; status == TSNE_OK && e < 2 * n; e++) gains[e] = 1;
  for (int i = 0; status == TSNE_OK && i < n; i++) tree.perm[i] = i;

  for (int iter = 0; status == TSNE_OK && iter < job->iterations; iter++) {
    if (cancelled(job)) {
      status = TSNE_CANCELLED;
      break;
    }
    const int exploring = iter < job->exaggeration_iterations;
    if (iter == job->exaggeration_iterations) {
      /* scikit-learn starts the second phase with fresh momentum and gains. */
      memset(update, 0, (size_t)n * 2 * sizeof(double));
      for (int e = 0; e < 2 * n; e++) gains[e] = 1;
    }
    if (!tree_rebuild(&tree, n)) {
      status = TSNE_NO_MEMORY;
      break;
    }
    gradient_ctx ctx = {job, p, &tree, exploring ? job->exaggeration : 1, job->theta * job->theta, attract, repel,
                        {0}, stacks, stack_size};
    ae_parallel_for(threads_for(job, n), n, gradient_rows, &ctx);
    double z = 0;
    for (int t = 0; t < AE_MAX_THREADS; t++) z += ctx.z[t];
    if (z < 1e-300) z = 1e-300;
    const double momentum = exploring ? 0.5 : 0.8;
    for (int e = 0; e < 2 * n; e++) {
      const double grad = 4 * (attract[e] - repel[e] / z);
      if (update[e] * grad < 0) gains[e] += 0.2;
      else gains[e] *= 0.8;
      if (gains[e] < 0.01) gains[e] = 0.01;
      update[e] = momentum * update[e] - job->learning_rate * gains[e] * grad;
      job->y[e] += update[e];
    }
    job->control[CONTROL_DONE] = iter + 1;
  }
  free(attract);
  free(repel);
  free(update);
  free(gains);
  free(stacks);
  free(tree.perm);
  free(tree.scratch);
  free(tree.nodes);
  return status;
}

static int run_tsne(tsne_job *job) {
  const int n = job->n;
  int k = (int)(3 * job->perplexity + 1);
  if (k > n - 1) k = n - 1;
  int32_t *nbr = (int32_t *)malloc((size_t)n * k * sizeof(int32_t));
  float *dist2 = (float *)malloc((size_t)n * k * sizeof(float));
  double *cond = (double *)malloc((size_t)n * k * sizeof(double));
  sparse p = {NULL, NULL, NULL};
  int status = nbr && dist2 && cond ? TSNE_OK : TSNE_NO_MEMORY;
  if (status == TSNE_OK) {
    job->control[CONTROL_PHASE] = PHASE_NEIGHBOURS;
    status = nearest_neighbours(job, k, nbr, dist2);
  }
  if (status == TSNE_OK) {
    job->control[CONTROL_PHASE] = PHASE_AFFINITIES;
    perplexity_ctx ctx = {dist2, cond, k, job->perplexity};
    ae_parallel_for(threads_for(job, n), n, perplexity_rows, &ctx);
    status = joint_probabilities(job, k, nbr, cond, &p);
  }
  free(nbr);
  free(dist2);
  free(cond);
  if (status == TSNE_OK) {
    job->control[CONTROL_DONE] = 0;
    job->control[CONTROL_PHASE] = PHASE_OPTIMISING;
    status = optimise(job, &p);
  }
  free(p.start);
  free(p.col);
  free(p.value);
  return status;
}

/* ---- N-API: tsne(x, y, params, control) -> Promise<boolean> ---------------------------------------------------- */

typedef struct {
  tsne_job job;
  int status;
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[3];
} tsne_async;

static void tsne_execute(napi_env env, void *data) {
  (void)env;
  tsne_async *a = (tsne_async *)data;
  a->status = run_tsne(&a->job);
}

static void tsne_complete(napi_env env, napi_status status, void *data) {
  tsne_async *a = (tsne_async *)data;
  napi_value value;
  if (status == napi_ok && a->status != TSNE_NO_MEMORY) {
    napi_get_boolean(env, a->status == TSNE_OK, &value);
    napi_resolve_deferred(env, a->deferred, value);
  } else {
    napi_value message;
    napi_create_string_utf8(env, "not enough memory for t-SNE on this many points", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &value);
    napi_reject_deferred(env, a->deferred, value);
  }
  for (int r = 0; r < 3; r++) napi_delete_reference(env, a->refs[r]);
  napi_delete_async_work(env, a->work);
  free(a);
}

static int typed_array(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length,
                       const char *what) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &offset) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  return 1;
}

/*
 * tsne(x: Float32Array (n*d), y: Float64Array (n*2, the start layout, overwritten with the result),
 *      params: Float64Array [n, d, perplexity, iterations, learningRate, exaggeration, exaggerationIterations, theta,
 *      threads], control: Int32Array(3)) -> Promise<boolean>: true when finished, false when cancelled.
 */
static napi_value tsne(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "tsne expects (x, y, params, control)");
    return NULL;
  }
  void *x, *y, *params, *control;
  size_t x_len, y_len, params_len, control_len;
  if (!typed_array(env, argv[0], napi_float32_array, &x, &x_len, "tsne: x must be a Float32Array") ||
      !typed_array(env, argv[1], napi_float64_array, &y, &y_len, "tsne: y must be a Float64Array") ||
      !typed_array(env, argv[2], napi_float64_array, &params, &params_len, "tsne: params must be a Float64Array") ||
      !typed_array(env, argv[3], napi_int32_array, &control, &control_len, "tsne: control must be an Int32Array"))
    return NULL;
  const double *pr = (const double *)params;
  if (params_len < 9 || control_len < 3) {
    napi_throw_range_error(env, NULL, "tsne: params needs 9 numbers and control 3 slots");
    return NULL;
  }
  const int n = (int)pr[0], d = (int)pr[1];
  if (n < 2 || d < 1 || (size_t)n * d != x_len || (size_t)n * 2 != y_len || !(pr[2] > 0) || pr[3] < 0 ||
      !(pr[4] > 0) || !(pr[7] >= 0)) {
    napi_throw_range_error(env, NULL, "tsne: array sizes or parameters do not match");
    return NULL;
  }
  tsne_async *a = (tsne_async *)calloc(1, sizeof(tsne_async));
  if (!a) {
    napi_throw_error(env, NULL, "tsne: out of memory");
    return NULL;
  }
  int threads = pr[8] > 0 ? (int)pr[8] : ae_thread_budget();
  if (threads > AE_MAX_THREADS) threads = AE_MAX_THREADS;
  a->job = (tsne_job){n,     d,     threads, (int)pr[3], (int)pr[6], (const float *)x, (double *)y, pr[2], pr[4],
                      pr[5], pr[7], (volatile int32_t *)control};
  for (int r = 0; r < 3; r++) napi_create_reference(env, argv[r == 2 ? 3 : r], 1, &a->refs[r]);
  napi_value promise, name;
  napi_create_promise(env, &a->deferred, &promise);
  napi_create_string_utf8(env, "tsne", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, tsne_execute, tsne_complete, a, &a->work);
  napi_queue_async_work(env, a->work);
  return promise;
}

void register_tsne(napi_env env, napi_value exports) {
  napi_property_descriptor property = {"tsne", NULL, tsne, NULL, NULL, NULL, napi_default, NULL};
  napi_define_properties(env, exports, 1, &property);
}
