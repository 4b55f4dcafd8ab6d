import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectEngine } from '../../../src-main/engine/select-engine';
import { chanceLevel, knnAccuracy, linearProbeAccuracy } from '../../../src-main/evaluation/code-probe';
import { fitPca, pcaTransform } from '../../../src-main/latent/pca';
import { loadFashionSample } from '../../helpers/fashion-subset';
import { torchPython } from '../../helpers/python-export';
import { useTempDirs } from '../../helpers/temp-dir';

/**
 * The codes' scores against scikit-learn on the same codes: KNeighborsClassifier(5) and LogisticRegression (C = 1,
 * on StandardScaler'd codes). Codes here are Fashion-MNIST images projected on their first principal components —
 * a code as a linear autoencoder makes it — in two sizes, so both the k-NN and the probe have room to differ.
 */
const sklearnScript = String.raw`
import json, sys, warnings, numpy as np
from sklearn.neighbors import KNeighborsClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
warnings.filterwarnings("ignore")
spec = json.load(open(sys.argv[1]))
d = spec["d"]
train = np.fromfile(spec["train"], dtype=np.float32).reshape(-1, d)
test = np.fromfile(spec["test"], dtype=np.float32).reshape(-1, d)
ytrain = np.array(spec["trainLabels"]); ytest = np.array(spec["testLabels"])
knn = KNeighborsClassifier(n_neighbors=5).fit(train, ytrain).score(test, ytest)
scaler = StandardScaler().fit(train)
probe = LogisticRegression(max_iter=5000).fit(scaler.transform(train), ytrain).score(scaler.transform(test), ytest)
print(json.dumps({"knn": knn, "linear": probe}))
`;

describe('code scores, against scikit-learn on the same codes', () => {
  const tempDir = useTempDirs();
  let tf: typeof tfType;
  const [nTrain, nTest] = [3000, 1000];
  let pixels: Float64Array;
  let labels: Int32Array;

  beforeAll(async () => {
    process.env.AE_STUDIO_ENGINE = 'native';
    ({ tf } = await selectEngine());
    const sample = loadFashionSample();
    pixels = Float64Array.from(sample.pixels.subarray(0, (nTrain + nTest) * 784), (v) => v / 255);
    labels = Int32Array.from(sample.labels.subarray(0, nTrain + nTest));
  });

  it.each([2, 16])(
    '%i-number codes: k-NN and linear-probe accuracy within 1 point of scikit-learn',
    (d) => {
      const pca = fitPca(pixels.subarray(0, nTrain * 784), nTrain, 784, d);
      const codes = Float32Array.from(pcaTransform(pca, pixels, nTrain + nTest));
      const train = codes.subarray(0, nTrain * d);
      const test = codes.subarray(nTrain * d);
      const [trainLabels, testLabels] = [labels.subarray(0, nTrain), labels.subarray(nTrain)];
      const labelled = { trainCodes: train, trainLabels, testCodes: test, testLabels, d };
      const ours = { knn: knnAccuracy(tf, labelled), linear: linearProbeAccuracy(tf, labelled) };
      const folder = tempDir();
      writeFileSync(join(folder, 'train.f32'), train);
      writeFileSync(join(folder, 'test.f32'), test);
      const spec = {
        d,
        train: join(folder, 'train.f32'),
        test: join(folder, 'test.f32'),
        trainLabels: Array.from(trainLabels),
        testLabels: Array.from(testLabels),
      };
      writeFileSync(join(folder, 'spec.json'), JSON.stringify(spec));
      const sklearn = JSON.parse(
        execFileSync(torchPython, ['-c', sklearnScript, join(folder, 'spec.json')], { encoding: 'utf8' }),
      ) as { knn: number; linear: number };
      console.info(`[${d}-d codes] ours ${JSON.stringify(ours)}, scikit-learn ${JSON.stringify(sklearn)}`);
      expect(Math.abs(ours.knn - sklearn.knn)).toBeLessThanOrEqual(0.01);
      expect(Math.abs(ours.linear - sklearn.linear)).toBeLessThanOrEqual(0.01);
      // Both well above chance (10 balanced classes), so agreeing is not agreeing on nothing.
      const chance = chanceLevel(testLabels);
      expect(chance).toBeLessThan(0.15);
      expect(ours.knn).toBeGreaterThan(chance + 0.2);
      expect(ours.linear).toBeGreaterThan(chance + 0.2);
    },
    60_000,
  );
});
