/* Batch normalisation kernels (batch_norm.c) over x[rows][channels], the NHWC layout with rows = N x H x W. */
#ifndef AE_BATCH_NORM_H
#define AE_BATCH_NORM_H

#include <stddef.h>

/* y = x factor[c] + shift[c]: batch norm with known statistics folded into one multiply-add a value. */
void bn_apply(size_t rows, size_t channels, const float *x, const float *factor, const float *shift, float *y);

/*
 * Training mode's forward pass: the batch's mean and (population) variance per channel, and
 * y = (x - mean) scale / sqrt(variance + epsilon) + offset. This and the backward pass return -1 when their
 * scratch memory (a few KB) cannot be had, 0 otherwise.
 */
int bn_train_forward(size_t rows, size_t channels, const float *x, const float *scale, const float *offset,
                     double epsilon, float *y, float *mean, float *variance);

/*
 * Its gradient through the batch's own statistics: dx, and the scale's and offset's gradients, from dy, x, the scale
 * and the forward's mean and variance.
 */
int bn_train_backward(size_t rows, size_t channels, const float *dy, const float *x, const float *scale,
                      const float *mean, const float *variance, double epsilon, float *dx, float *dscale,
                      float *doffset);

#endif
