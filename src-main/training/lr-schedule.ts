import type { LrSchedule, TrainingConfig } from '../api/contract';
import type { ScheduleState } from '../trainer/trainer';

/**
 * Learning-rate schedules, stepped once per epoch with the rules of PyTorch's schedulers (LinearLR for the warm-up,
 * StepLR, CosineAnnealingLR, ReduceLROnPlateau in its default "min, rel 1e-4" mode), so a notebook's schedule means the
 * same here. The run host (train-run.ts) asks for each epoch's rate and hands it to the core with every batch; the only
 * state, reduce-on-plateau's, travels in the checkpoint, so a resumed run continues with the same rates.
 */

/** ReduceLROnPlateau's defaults: an improvement is a fall of more than 0.01%; a cut smaller than 1e-8 is skipped. */
const plateauThreshold = 1e-4;
const plateauEps = 1e-8;

/** The schedule with every default filled in, for a run of `epochs` epochs. */
export function scheduleSettings(schedule: LrSchedule | undefined, epochs: number): Required<LrSchedule> {
  const warmupEpochs = schedule?.warmupEpochs ?? 0;
  return {
    type: schedule?.type ?? 'constant',
    warmupEpochs,
    stepEpochs: schedule?.stepEpochs ?? Math.max(1, Math.round((epochs - warmupEpochs) / 3)),
    factor: schedule?.factor ?? 0.1,
    patience: schedule?.patience ?? 3,
  };
}

export function initialScheduleState(config: TrainingConfig): ScheduleState {
  return { rate: config.learningRate, best: null, bad: 0 };
}

/** The rate epoch `epoch` (1-based) trains at; `state` is the plateau state at its start. */
export function epochLearningRate(config: TrainingConfig, epoch: number, state: ScheduleState): number {
  const base = config.learningRate;
  const s = scheduleSettings(config.lrSchedule, config.epochs);
  const i = epoch - 1;
  if (i < s.warmupEpochs) return (base * (i + 1)) / (s.warmupEpochs + 1);
  const j = i - s.warmupEpochs;
  switch (s.type) {
    case 'constant':
      return base;
    case 'step':
      return base * s.factor ** Math.floor(j / s.stepEpochs);
    case 'cosine': {
      const span = Math.max(1, config.epochs - s.warmupEpochs);
      return (base * (1 + Math.cos((Math.PI * j) / span))) / 2;
    }
    case 'plateau':
      return state.rate;
  }
}

/**
 * The state after epoch `epoch` ended with `monitored` (the test loss, or the training loss without a test split).
 * Only reduce-on-plateau changes it, and only after the warm-up.
 */
export function afterEpoch(
  config: TrainingConfig,
  epoch: number,
  monitored: number,
  state: ScheduleState,
): ScheduleState {
  const s = scheduleSettings(config.lrSchedule, config.epochs);
  if (s.type !== 'plateau' || epoch <= s.warmupEpochs) return state;
  let { rate, best, bad } = state;
  if (best === null || monitored < best * (1 - plateauThreshold)) {
    best = monitored;
    bad = 0;
  } else {
    bad += 1;
  }
  if (bad > s.patience) {
    const cut = rate * s.factor;
    if (rate - cut > plateauEps) rate = cut;
    bad = 0;
  }
  return { rate, best, bad };
}

/** The schedule in words, for run details and comparisons: "cosine, 2 warm-up epochs". */
export function describeSchedule(config: TrainingConfig): string {
  const s = scheduleSettings(config.lrSchedule, config.epochs);
  const main =
    s.type === 'constant'
      ? 'constant'
      : s.type === 'cosine'
        ? 'cosine'
        : s.type === 'step'
          ? `step (× ${s.factor} every ${s.stepEpochs} epochs)`
          : `reduce on plateau (× ${s.factor} after ${s.patience} epochs without improvement)`;
  return s.warmupEpochs > 0 ? `${main}, ${s.warmupEpochs} warm-up epoch${s.warmupEpochs === 1 ? '' : 's'}` : main;
}
