import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { LrSchedule, TrainingConfig } from '../../../src-main/api/contract';
import { presetConfig } from '../../../src-main/models/presets';
import { checkTrainingConfig } from '../../../src-main/models/training-config';
import { afterEpoch, epochLearningRate, initialScheduleState } from '../../../src-main/training/lr-schedule';
import { torchPython } from '../../helpers/python-export';

/**
 * Each schedule against PyTorch's own scheduler, stepped once per epoch as a notebook steps it: the rates of every
 * epoch must be PyTorch's (to rounding). Reduce-on-plateau is fed the same made-up test losses on both sides.
 */
const epochs = 12;
const base = 0.01;
/** Test losses that fall, stall, fall and stall again, so the plateau rule cuts the rate more than once. */
const losses = [1, 0.8, 0.7, 0.7, 0.70001, 0.69999, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5];

const torchScript = String.raw`
import json, sys, warnings, torch
warnings.filterwarnings("ignore")
spec = json.loads(sys.argv[1])
p = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([p], lr=spec["lr"])
kind, w, n = spec["type"], spec["warmup"], spec["epochs"]
S = torch.optim.lr_scheduler
if kind == "step":
    main = S.StepLR(opt, step_size=spec["step"], gamma=spec["factor"])
elif kind == "cosine":
    main = S.CosineAnnealingLR(opt, T_max=n - w)
elif kind == "plateau":
    main = S.ReduceLROnPlateau(opt, mode="min", factor=spec["factor"], patience=spec["patience"])
else:
    main = S.ConstantLR(opt, factor=1.0, total_iters=0)
sched = S.SequentialLR(opt, [S.LinearLR(opt, start_factor=1 / (w + 1), total_iters=w), main], milestones=[w]) if w and kind != "plateau" else main
rates = []
for epoch in range(n):
    rates.append(opt.param_groups[0]["lr"])
    if kind == "plateau":
        main.step(spec["losses"][epoch])
    else:
        sched.step()
print(json.dumps(rates))
`;

function ourRates(config: TrainingConfig): number[] {
  let state = initialScheduleState(config);
  const rates: number[] = [];
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    rates.push(epochLearningRate(config, epoch, state));
    state = afterEpoch(config, epoch, losses[epoch - 1], state);
  }
  return rates;
}

function torchRates(schedule: Required<LrSchedule>): number[] {
  const spec = {
    lr: base,
    epochs,
    type: schedule.type,
    warmup: schedule.warmupEpochs,
    step: schedule.stepEpochs,
    factor: schedule.factor,
    patience: schedule.patience,
    losses,
  };
  return JSON.parse(execFileSync(torchPython, ['-c', torchScript, JSON.stringify(spec)], { encoding: 'utf8' }));
}

describe("learning-rate schedules, against PyTorch's schedulers", () => {
  const config = (lrSchedule: LrSchedule): TrainingConfig => ({
    ...presetConfig('small-dense', [28, 28, 1])!,
    learningRate: base,
    epochs,
    lrSchedule,
  });

  it.each([
    { type: 'constant', warmupEpochs: 0, stepEpochs: 1, factor: 0.1, patience: 3 },
    { type: 'step', warmupEpochs: 0, stepEpochs: 4, factor: 0.5, patience: 3 },
    { type: 'step', warmupEpochs: 2, stepEpochs: 3, factor: 0.1, patience: 3 },
    { type: 'cosine', warmupEpochs: 0, stepEpochs: 1, factor: 0.1, patience: 3 },
    { type: 'cosine', warmupEpochs: 3, stepEpochs: 1, factor: 0.1, patience: 3 },
    { type: 'plateau', warmupEpochs: 0, stepEpochs: 1, factor: 0.5, patience: 1 },
    { type: 'plateau', warmupEpochs: 0, stepEpochs: 1, factor: 0.1, patience: 2 },
  ] satisfies Array<Required<LrSchedule>>)(
    '$type, $warmupEpochs warm-up epochs: the rates PyTorch steps through',
    (schedule) => {
      const ours = ourRates(config(schedule));
      const torch = torchRates(schedule);
      console.info(`[${schedule.type}] ours ${ours.map((r) => r.toPrecision(4))}`);
      expect(torch).toHaveLength(epochs);
      ours.forEach((rate, i) => expect(rate, `epoch ${i + 1}`).toBeCloseTo(torch[i], 12));
      // The schedule did something (but for the constant one): the rates are not all the same.
      if (schedule.type !== 'constant') expect(new Set(ours.map((r) => r.toPrecision(9))).size).toBeGreaterThan(1);
    },
  );

  it('resumes with the same rates: the plateau state carried over from any epoch continues as one unbroken run', () => {
    const c = config({ type: 'plateau', factor: 0.5, patience: 1 });
    const unbroken = ourRates(c);
    for (let stop = 1; stop < epochs; stop++) {
      let state = initialScheduleState(c);
      for (let epoch = 1; epoch <= stop; epoch++) state = afterEpoch(c, epoch, losses[epoch - 1], state);
      // What a checkpoint stores is JSON: the state must survive it.
      state = JSON.parse(JSON.stringify(state));
      const resumed: number[] = [];
      for (let epoch = stop + 1; epoch <= epochs; epoch++) {
        resumed.push(epochLearningRate(c, epoch, state));
        state = afterEpoch(c, epoch, losses[epoch - 1], state);
      }
      expect(resumed).toEqual(unbroken.slice(stop));
    }
  });

  it('refuses a warm-up as long as the run, and weight decay without Adam, in words', () => {
    expect(() => checkTrainingConfig(config({ type: 'cosine', warmupEpochs: epochs }), [28, 28, 1])).toThrow(
      /warm-up of 12 epochs leaves none of the 12 epochs/,
    );
    expect(() =>
      checkTrainingConfig({ ...config({ type: 'constant' }), optimizer: 'sgd', weightDecay: 0.01 }, [28, 28, 1]),
    ).toThrow(/decoupled, as in AdamW: choose the Adam optimizer/);
  });
});
