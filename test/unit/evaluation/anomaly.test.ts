import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src-main/app/random';
import { rocCurve } from '../../../src-main/evaluation/anomaly';
import { torchPython } from '../../helpers/python-export';

/** The AUC and ROC curve against scikit-learn's roc_auc_score and roc_curve on the same scores, ties included. */
const sklearnScript = String.raw`
import json, sys
from sklearn.metrics import roc_auc_score, roc_curve
spec = json.loads(sys.stdin.read())
fpr, tpr, _ = roc_curve(spec["positive"], spec["scores"], drop_intermediate=False)
print(json.dumps({"auc": roc_auc_score(spec["positive"], spec["scores"]), "fpr": list(fpr), "tpr": list(tpr)}))
`;

function sklearn(scores: number[], positive: boolean[]) {
  const input = JSON.stringify({ scores, positive: positive.map(Number) });
  return JSON.parse(execFileSync(torchPython, ['-c', sklearnScript], { input, encoding: 'utf8' })) as {
    auc: number;
    fpr: number[];
    tpr: number[];
  };
}

describe('anomaly detection: ROC and AUC, against scikit-learn', () => {
  it.each([
    ['well separated', 0.02, 5],
    ['overlapping', 0.005, 5],
    // Scores rounded to 3 decimals: many ties, which scikit-learn counts as one step of the curve.
    ['with many ties', 0.005, 3],
  ] as const)('%s: AUC to 1e-6 and the same curve', (_, gap, digits) => {
    const random = seededRandom(3);
    const positive = Array.from({ length: 2000 }, () => random() < 0.3);
    // Reconstruction errors: anomalies score higher on average.
    const scores = positive.map((p) => Number((0.01 + random() * 0.02 + (p ? gap * random() * 2 : 0)).toFixed(digits)));
    const ours = rocCurve(scores, positive);
    const reference = sklearn(scores, positive);
    expect(Math.abs(ours.auc - reference.auc)).toBeLessThan(1e-6);
    expect(ours.points.map((p) => p.fpr)).toHaveLength(reference.fpr.length);
    ours.points.forEach((p, i) => {
      expect(p.fpr).toBeCloseTo(reference.fpr[i], 12);
      expect(p.tpr).toBeCloseTo(reference.tpr[i], 12);
    });
    expect(ours.auc).toBeGreaterThan(0.5);
  });
});
