import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainingConfig } from '../../../src-main/api/contract';
import { selectEngine } from '../../../src-main/engine/select-engine';
import { presetConfig } from '../../../src-main/models/presets';
import { makeOptimizer, optimizerEpsilon, rmspropRho, setLearningRate } from '../../../src-main/trainer/optimizers';
import { epochLearningRate, initialScheduleState } from '../../../src-main/training/lr-schedule';
import { loadFashionSample } from '../../helpers/fashion-subset';
import { torchPython } from '../../helpers/python-export';
import { useTempDirs } from '../../helpers/temp-dir';

/**
 * A notebook's optimizer settings must mean the same here as in Keras and PyTorch. The same dense autoencoder
 * (784-512-256-128-8 and back, the example), the same starting weights and the same batches of real
 * Fashion-MNIST images go through our optimizer and through PyTorch's, and the per-epoch losses must agree.
 */
const images = 4096;
const batchSize = 256;
const epochs = 2;
const widths = [784, 512, 256, 128, 8, 128, 256, 512, 784];
/** How far `ours` is from `reference`, as a fraction of it. */
const off = (ours: number, reference: number) => Math.abs(ours - reference) / Math.abs(reference);
const activation = (layer: number) => (layer === widths.length - 2 ? 'sigmoid' : layer === 3 ? 'linear' : 'relu');

const torchScript = String.raw`
import json, sys, numpy as np, torch
torch.set_num_threads(1)
spec = json.load(open(sys.argv[1]))
folder = spec["folder"]
x_all = torch.from_numpy(np.fromfile(folder + "/images.f32", dtype=np.float32).reshape(-1, 784))
params = []
for i in range(len(spec["widths"]) - 1):
    w = np.fromfile(folder + f"/w{i}.f32", dtype=np.float32).reshape(spec["widths"][i], spec["widths"][i + 1])
    b = np.fromfile(folder + f"/b{i}.f32", dtype=np.float32)
    params += [torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)]
if spec["optimizer"] == "rmsprop":
    opt = torch.optim.RMSprop(params, lr=spec["lr"], alpha=spec["rho"], eps=spec["eps"], momentum=spec["momentum"])
elif spec["optimizer"] == "adamw":
    opt = torch.optim.AdamW(params, lr=spec["lr"], eps=spec["eps"], weight_decay=spec["decay"])
else:
    opt = torch.optim.SGD(params, lr=spec["lr"], momentum=spec["momentum"])
cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=spec["epochs"]) if spec["cosine"] else None
acts = {"relu": torch.relu, "linear": lambda t: t, "sigmoid": torch.sigmoid}
means = []
for epoch in range(spec["epochs"]):
    total = 0.0
    batches = 0
    for start in range(0, x_all.shape[0], spec["batch"]):
        x = x_all[start:start + spec["batch"]]
        h = x
        for i in range(len(params) // 2):
            h = acts[spec["activations"][i]](h @ params[2 * i] + params[2 * i + 1])
        loss = ((h - x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
        batches += 1
    means.append(total / batches)
    if cosine:
        cosine.step()
norm = sum(float((w.detach().double() ** 2).sum()) for w in params) ** 0.5
print(json.dumps({"means": means, "norm": norm}))
`;

describe('optimizers, against PyTorch on the same weights and batches', () => {
  const tempDir = useTempDirs();
  let tf: typeof tfType;
  let data: Float32Array;

  beforeAll(async () => {
    process.env.AE_STUDIO_ENGINE = 'native';
    ({ tf } = await selectEngine());
    const sample = loadFashionSample();
    data = Float32Array.from(sample.pixels.subarray(0, images * 784), (v) => v / 255);
  });

  /**
   * Trains the dense autoencoder with `optimizer` (at `rateOf(epoch)` when given), returning the mean batch loss of
   * each epoch, its start weights and the L2 norm of its final weights.
   */
  function trainOurs(
    optimizer: tfType.Optimizer,
    rateOf?: (epoch: number) => number,
  ): { means: number[]; start: Float32Array[]; norm: number } {
    const model = tf.sequential();
    for (let i = 0; i < widths.length - 1; i++) {
      model.add(
        tf.layers.dense({
          units: widths[i + 1],
          activation: activation(i),
          ...(i === 0 ? { inputShape: [784] } : {}),
          kernelInitializer: tf.initializers.glorotUniform({ seed: 7 + i }),
        }),
      );
    }
    const start = model.getWeights().map((w) => w.dataSync() as Float32Array);
    const variables = model.trainableWeights.map((w) => w.read() as tfType.Variable);
    const means: number[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (rateOf) setLearningRate(optimizer, rateOf(epoch + 1));
      let total = 0;
      let batches = 0;
      for (let at = 0; at < images; at += batchSize) {
        const count = Math.min(batchSize, images - at);
        const x = tf.tensor2d(data.subarray(at * 784, (at + count) * 784), [count, 784]);
        const cost = optimizer.minimize(
          () => tf.mean(tf.squaredDifference(model.apply(x) as tfType.Tensor, x)) as tfType.Scalar,
          true,
          variables,
        )!;
        total += cost.dataSync()[0];
        batches++;
        tf.dispose([x, cost]);
      }
      means.push(total / batches);
    }
    const norm = Math.sqrt(
      variables.reduce((sum, v) => sum + (v.dataSync() as Float32Array).reduce((s, x) => s + x * x, 0), 0),
    );
    model.dispose();
    optimizer.dispose();
    return { means, start, norm };
  }

  function trainTorch(
    start: Float32Array[],
    optimizer: string,
    lr: number,
    momentum: number,
    adamw = { decay: 0, cosine: false },
  ): { means: number[]; norm: number } {
    const folder = tempDir();
    writeFileSync(join(folder, 'images.f32'), data);
    start.forEach((values, i) => writeFileSync(join(folder, `${i % 2 ? 'b' : 'w'}${i >> 1}.f32`), values));
    const spec = {
      folder,
      widths,
      activations: widths.slice(1).map((_, i) => activation(i)),
      optimizer,
      lr,
      momentum,
      rho: rmspropRho,
      eps: optimizerEpsilon,
      epochs,
      batch: batchSize,
      ...adamw,
    };
    writeFileSync(join(folder, 'spec.json'), JSON.stringify(spec));
    writeFileSync(join(folder, 'train.py'), torchScript);
    return JSON.parse(
      execFileSync(torchPython, [join(folder, 'train.py'), join(folder, 'spec.json')], { encoding: 'utf8' }),
    ) as { means: number[]; norm: number };
  }

  const config = (optimizer: TrainingConfig['optimizer'], learningRate: number, momentum: number): TrainingConfig => ({
    ...presetConfig('small-dense', [28, 28, 1])!,
    optimizer,
    learningRate,
    momentum,
  });

  it.each([
    ['rmsprop', 3e-4, 0],
    ['rmsprop', 1e-4, 0.9],
    ['sgd', 0.5, 0.9],
    ['sgd', 2, 0],
  ] as const)(
    '%s (lr %s, momentum %s) trains as PyTorch does: per-epoch losses within 0.5%',
    (optimizer, lr, momentum) => {
      const ours = trainOurs(makeOptimizer(tf, config(optimizer, lr, momentum)));
      const torch = trainTorch(ours.start, optimizer, lr, momentum).means;
      console.info(`[${optimizer} lr ${lr} momentum ${momentum}] per-epoch loss: ours ${ours.means}, PyTorch ${torch}`);
      // It learned: the second epoch's loss is well below the first's (the mean image alone scores about 0.09).
      expect(ours.means[1]).toBeLessThan(ours.means[0]);
      for (let epoch = 0; epoch < epochs; epoch++) {
        expect(off(ours.means[epoch], torch[epoch]), `epoch ${epoch + 1}`).toBeLessThan(0.005);
      }
    },
    120_000,
  );

  it("tfjs's own RMSprop (epsilon inside the square root) is not PyTorch's: the comparison above can tell", () => {
    const stock = trainOurs(tf.train.rmsprop(3e-4, rmspropRho, 0, optimizerEpsilon));
    const torch = trainTorch(stock.start, 'rmsprop', 3e-4, 0).means;
    console.info(`[tfjs rmsprop] per-epoch loss: tfjs ${stock.means}, PyTorch ${torch}`);
    expect(off(stock.means[1], torch[1])).toBeGreaterThan(0.02);
  }, 120_000);

  it("AdamW with a cosine schedule trains as PyTorch's AdamW and CosineAnnealingLR do", () => {
    // A decay strong enough to matter within the test's 32 steps: without it, the final weights are measurably larger.
    const lr = 2e-3;
    const decay = 0.5;
    const adamw: TrainingConfig = {
      ...config('adam', lr, 0),
      momentum: undefined,
      weightDecay: decay,
      epochs,
      lrSchedule: { type: 'cosine' },
    };
    const rateOf = (epoch: number) => epochLearningRate(adamw, epoch, initialScheduleState(adamw));
    const ours = trainOurs(makeOptimizer(tf, adamw), rateOf);
    const plain = trainOurs(makeOptimizer(tf, { ...adamw, weightDecay: 0 }), rateOf);
    const torch = trainTorch(ours.start, 'adamw', lr, 0, { decay, cosine: true });
    console.info(
      `[adamw ${decay}, cosine] per-epoch loss: ours ${ours.means}, PyTorch ${torch.means}; ` +
        `final weight norm: ours ${ours.norm}, PyTorch ${torch.norm}, without decay ${plain.norm}`,
    );
    expect(ours.means[1]).toBeLessThan(ours.means[0]);
    for (let epoch = 0; epoch < epochs; epoch++) {
      expect(off(ours.means[epoch], torch.means[epoch]), `epoch ${epoch + 1}`).toBeLessThan(0.005);
    }
    expect(off(ours.norm, torch.norm)).toBeLessThan(0.001);
    // The decay is what makes them agree: without it the weights end measurably larger.
    expect(off(plain.norm, torch.norm)).toBeGreaterThan(0.005);
  }, 120_000);
});
