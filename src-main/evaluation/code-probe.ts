import type * as tfType from '@tensorflow/tfjs';
import type { CodeProbe, CheckpointRef } from '../api/contract';
import { UserError } from '../api/errors';
import { countOf } from '../api/units';
import { openPixelCache } from '../datasets/dataset-store';
import { stratifiedSample } from '../datasets/split';
import { splitIndex } from '../store/images';
import type { EvaluationContext } from './evaluation-context';
import type { RequestScope } from './request-scope';
import { encodeAndReconstruct, toModelInput } from './run-model';

/**
 * How useful a checkpoint's codes are, by the two scores representation learning uses: k-NN accuracy (each test
 * code takes the majority class of its 5 nearest training codes, Euclidean; a tie goes to the lower class, as
 * scikit-learn's KNeighborsClassifier does) and a linear probe (multinomial logistic regression on standardised codes,
 * L2 with C = 1, scikit-learn's LogisticRegression defaults, fitted by a fixed number of full-batch Adam steps from
 * zero weights, so it is deterministic), each beside the chance level (the most common test class's share).
 */

export const probeNeighbours = 5;
export const probeIterations = 500;
/** Codes scored at most: a seeded stratified sample beyond these keeps a probe to seconds on MNIST-sized sets. */
export const probeMaxTrain = 10_000;
export const probeMaxTest = 5_000;
const chunk = 256;

export async function probeCodes(
  ctx: EvaluationContext,
  query: CheckpointRef,
  scope: RequestScope,
): Promise<CodeProbe> {
  const started = performance.now();
  const parts = await ctx.models.load(query);
  const train = splitIndex(ctx.db, parts.dataset.id, 'train');
  const test = splitIndex(ctx.db, parts.dataset.id, 'test');
  const classes = new Set(train.labels).size;
  if (classes < 2 || test.idx.length === 0) {
    throw new UserError(
      'invalid_argument',
      `Scoring codes needs labelled training and test images of at least two classes; "${parts.dataset.name}" has ` +
        `${countOf(classes, 'class', 'classes')} and ${countOf(test.idx.length, 'test image')}.`,
    );
  }
  const pick = (split: typeof train, max: number) => {
    const chosen = stratifiedSample(split.labels, max, 1);
    return {
      idx: Int32Array.from(chosen, (i) => split.idx[i]),
      labels: Int32Array.from(chosen, (i) => split.labels[i]),
    };
  };
  const trainPick = pick(train, probeMaxTrain);
  const testPick = pick(test, probeMaxTest);
  const total = trainPick.idx.length + testPick.idx.length;
  const cache = openPixelCache(ctx.dataDir, parts.dataset);
  const encodeAll = async (idx: Int32Array, offset: number) => {
    const codes = new Float32Array(idx.length * parts.latentDims);
    for (let start = 0; start < idx.length; start += chunk) {
      await scope.between();
      scope.report({ what: `Encoding ${countOf(total, 'image')}`, done: offset + start, total });
      const n = Math.min(chunk, idx.length - start);
      const inputs = toModelInput(cache.read(idx.subarray(start, start + n)));
      codes.set((await encodeAndReconstruct(ctx.tf, parts, inputs, n)).codes, start * parts.latentDims);
    }
    return codes;
  };
  let trainCodes: Float32Array;
  let testCodes: Float32Array;
  try {
    trainCodes = await encodeAll(trainPick.idx, 0);
    testCodes = await encodeAll(testPick.idx, trainPick.idx.length);
  } finally {
    cache.close();
  }
  const d = parts.latentDims;
  const codes = { trainCodes, trainLabels: trainPick.labels, testCodes, testLabels: testPick.labels, d };
  scope.report({ what: 'Scoring the codes', done: total, total });
  await scope.between();
  const knn = knnAccuracy(ctx.tf, codes);
  await scope.between();
  const linear = linearProbeAccuracy(ctx.tf, codes);
  return {
    runId: parts.runId,
    epoch: parts.epoch,
    trainCount: trainPick.idx.length,
    testCount: testPick.idx.length,
    dims: d,
    knnAccuracy: knn,
    linearAccuracy: linear,
    chance: chanceLevel(testPick.labels),
    neighbours: probeNeighbours,
    iterations: probeIterations,
    elapsedMs: performance.now() - started,
  };
}

/** The share of the most common class: what always guessing it scores. */
export function chanceLevel(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (const label of Array.from(labels)) counts.set(label, (counts.get(label) ?? 0) + 1);
  return Math.max(...counts.values()) / labels.length;
}

/** Training and test codes (d numbers each, back to back) with their images' classes. */
export interface LabelledCodes {
  trainCodes: Float32Array;
  trainLabels: Int32Array;
  testCodes: Float32Array;
  testLabels: Int32Array;
  d: number;
}

/** k-NN accuracy of the test codes against the training codes. */
export function knnAccuracy(tf: typeof tfType, codes: LabelledCodes, k = probeNeighbours): number {
  const { trainCodes, trainLabels, testCodes, testLabels, d } = codes;
  const nTrain = trainLabels.length;
  const nTest = testLabels.length;
  const kk = Math.min(k, nTrain);
  let correct = 0;
  const reference = tf.tensor2d(trainCodes, [nTrain, d]);
  const referenceNorms = tf.sum(tf.square(reference), 1);
  try {
    for (let start = 0; start < nTest; start += chunk) {
      const n = Math.min(chunk, nTest - start);
      const neighbours = tf.tidy(() => {
        const q = tf.tensor2d(testCodes.subarray(start * d, (start + n) * d), [n, d]);
        // ‖q − r‖² = ‖q‖² + ‖r‖² − 2 q·r; the nearest have the largest negated distance.
        const distances = tf.add(
          tf.sub(tf.sum(tf.square(q), 1, true), tf.mul(2, tf.matMul(q, reference, false, true))),
          referenceNorms,
        );
        return tf.topk(tf.neg(distances), kk).indices;
      });
      const found = neighbours.dataSync();
      neighbours.dispose();
      for (let i = 0; i < n; i++) {
        const votes = new Map<number, number>();
        for (let j = 0; j < kk; j++) {
          const label = trainLabels[found[i * kk + j]];
          votes.set(label, (votes.get(label) ?? 0) + 1);
        }
        let best = -1;
        let bestVotes = 0;
        for (const [label, count] of votes) {
          if (count > bestVotes || (count === bestVotes && label < best)) [best, bestVotes] = [label, count];
        }
        if (best === testLabels[start + i]) correct++;
      }
    }
  } finally {
    tf.dispose([reference, referenceNorms]);
  }
  return correct / nTest;
}

/** Linear-probe accuracy: softmax regression fitted on the standardised training codes, scored on the test codes. */
export function linearProbeAccuracy(tf: typeof tfType, codes: LabelledCodes, iterations = probeIterations): number {
  const { trainCodes, trainLabels, testCodes, testLabels, d } = codes;
  const classes = Math.max(...Array.from(trainLabels), ...Array.from(testLabels)) + 1;
  const n = trainLabels.length;
  return tf.tidy(() => {
    const x = tf.tensor2d(trainCodes, [n, d]);
    const { mean, variance } = tf.moments(x, 0);
    // A code number that never varies is left as it is (scikit-learn's StandardScaler does the same).
    const std = tf.where(tf.greater(variance, 0), tf.sqrt(variance), tf.onesLike(variance));
    const standardise = (t: tfType.Tensor2D) => tf.div(tf.sub(t, mean), std) as tfType.Tensor2D;
    const xs = standardise(x);
    const ys = tf.oneHot(tf.tensor1d(trainLabels, 'int32'), classes).toFloat();
    const w = tf.variable(tf.zeros([d, classes]));
    const b = tf.variable(tf.zeros([classes]));
    // LogisticRegression's objective, C = 1: Σ log-loss + ½‖w‖² (the bias is not penalised), here divided by n.
    const optimizer = tf.train.adam(0.1);
    for (let i = 0; i < iterations; i++) {
      optimizer.minimize(() => {
        const logits = tf.add(tf.matMul(xs, w), b);
        const loss = tf.losses.softmaxCrossEntropy(ys, logits);
        return tf.add(loss, tf.mul(0.5 / n, tf.sum(tf.square(w)))) as tfType.Scalar;
      });
    }
    const predicted = tf.argMax(
      tf.add(tf.matMul(standardise(tf.tensor2d(testCodes, [testLabels.length, d])), w), b),
      1,
    );
    const correct = tf.sum(tf.equal(predicted, tf.tensor1d(testLabels, 'int32'))).dataSync()[0];
    optimizer.dispose();
    w.dispose();
    b.dispose();
    return correct / testLabels.length;
  });
}
