import type { AnomalyQuery, AnomalyScores, RocPoint } from '../api/contract';
import { UserError } from '../api/errors';
import { trainingConfigSchema } from '../models/training-config';
import * as runs from '../store/runs';
import type { EvaluationContext } from './evaluation-context';
import type { RequestScope } from './request-scope';

/**
 * Anomaly detection, the classic use of an autoencoder trained on normal images only: each test image's
 * reconstruction error is its anomaly score, and the images of the other classes should score higher. The ROC curve
 * and its AUC are computed as scikit-learn's roc_curve and roc_auc_score (ties as one step, the trapezoid rule); the
 * scores come back too, so the view can move its threshold without asking again.
 */
export async function anomalyScores(
  ctx: EvaluationContext,
  query: AnomalyQuery,
  scope: RequestScope,
): Promise<AnomalyScores> {
  const started = performance.now();
  const parts = await ctx.models.load(query);
  const classes = parts.dataset.classNames;
  const run = runs.getRun(ctx.db, parts.runId)!;
  const trained = trainingConfigSchema.parse(JSON.parse(run.config)).trainClasses;
  const normal = query.normal ?? trained;
  if (!normal) {
    throw new UserError(
      'invalid_argument',
      'Say which classes are normal: this run trained on every class. (Train on some classes only to make an ' +
        'anomaly detector: --train-classes, or the Train form\'s "Train on these classes".)',
    );
  }
  const unknown = normal.filter((c) => c >= classes.length);
  if (unknown.length) {
    throw new UserError(
      'invalid_argument',
      `There is no class ${unknown.join(', ')}: the dataset has ${classes.length}.`,
    );
  }
  const table = await ctx.tables.table(parts, 'test', scope);
  const isNormal = new Set(normal);
  const anomalous = Array.from(table.labels, (label) => !isNormal.has(label));
  const positives = anomalous.filter(Boolean).length;
  if (positives === 0 || positives === anomalous.length) {
    throw new UserError(
      'invalid_argument',
      `The test split needs images of normal and of other classes to measure detection; ` +
        `it has ${positives === 0 ? 'no image outside' : 'only images outside'} the normal classes.`,
    );
  }
  const roc = rocCurve(table.errors, anomalous);
  return {
    runId: parts.runId,
    epoch: parts.epoch,
    normal: [...normal].sort((a, b) => a - b),
    trainedOn: trained ?? null,
    classNames: classes,
    auc: roc.auc,
    roc: thin(roc.points, 500),
    scores: Array.from(table.errors),
    labels: Array.from(table.labels),
    cacheIndices: Array.from(table.cacheIndices),
    elapsedMs: performance.now() - started,
  };
}

/** ROC points from the highest threshold down (scikit-learn's roc_curve with drop_intermediate off) and the AUC. */
export function rocCurve(scores: ArrayLike<number>, positive: ArrayLike<boolean>): { auc: number; points: RocPoint[] } {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let p = 0;
  let n = 0;
  for (let i = 0; i < positive.length; i++) {
    if (positive[i]) p++;
    else n++;
  }
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: null }];
  let tp = 0;
  let fp = 0;
  let auc = 0;
  for (let i = 0; i < order.length; i++) {
    if (positive[order[i]]) tp++;
    else fp++;
    // One point per distinct score: tied images cross the threshold together.
    if (i + 1 < order.length && scores[order[i + 1]] === scores[order[i]]) continue;
    const last = points[points.length - 1];
    const point = { fpr: fp / n, tpr: tp / p, threshold: scores[order[i]] };
    auc += ((point.fpr - last.fpr) * (point.tpr + last.tpr)) / 2;
    points.push(point);
  }
  return { auc, points };
}

/** At most `max` points of a curve, evenly spaced, the ends kept (for drawing; the AUC is of the whole curve). */
function thin<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]);
}
