import { readUserFile } from '../app/user-file';
import {
  corruptionKinds,
  corruptionTypes,
  lrScheduleTypes,
  defaultCheckpointPolicy,
  type CheckpointPolicy,
  type Augmentation,
  type CorruptionType,
  type LrSchedule,
  type Preset,
  type TrainingConfig,
} from '../api/contract';
import { UserError } from '../api/errors';

/** What `ae-studio train` accepts besides the dataset. */
export interface TrainFlags {
  preset?: string;
  config?: string;
  epochs?: number;
  batch?: number;
  lr?: number;
  optimizer?: string;
  momentum?: number;
  lrSchedule?: string;
  warmupEpochs?: number;
  lrStep?: number;
  lrFactor?: number;
  lrPatience?: number;
  weightDecay?: number;
  augment?: string;
  trainSubset?: number;
  latent?: number;
  seed?: number;
  loss?: string;
  noise?: string;
  earlyStop?: number;
  keepLast?: number;
  keepEvery?: number;
  lookBack?: boolean;
}

function readConfigFile(file: string): unknown {
  // A config is a few kB; 1 MB is generous and keeps a wrong path (a dataset, /dev/zero) from filling memory.
  // An editor may have saved it with a byte-order mark, which JSON does not allow.
  const text = readUserFile(file, 1e6, 'The config file')
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  try {
    let parsed = JSON.parse(text) as { ok?: unknown; value?: unknown; config?: unknown } | null;
    // Accept a bare training config, or a run's JSON as `ae-studio run <id> --json` prints it: inside the
    // { ok, value } envelope every --json answer has, the config is under "config".
    if (parsed && typeof parsed === 'object' && parsed.ok === true && 'value' in parsed) {
      parsed = parsed.value as typeof parsed;
    }
    return parsed && typeof parsed === 'object' && 'config' in parsed ? parsed.config : parsed;
  } catch (err) {
    throw new UserError('invalid_argument', `The config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** "gaussian:0.5", "occlusion:0.3", "none" → a corruption; the level defaults to a moderate one per type. */
export function parseNoise(value: string): TrainingConfig['corruption'] {
  if (value === 'none') return null;
  const [type, level] = value.split(':');
  if (!(corruptionTypes as readonly string[]).includes(type)) {
    throw new UserError(
      'invalid_argument',
      `--noise must be one of ${corruptionTypes.join(', ')} or none, optionally with :level (e.g. gaussian:0.5).`,
    );
  }
  const parsed = level === undefined ? corruptionKinds[type as CorruptionType].defaultLevel : Number(level);
  if (!Number.isFinite(parsed)) throw new UserError('invalid_argument', `The noise level "${level}" is not a number.`);
  return { type: type as CorruptionType, level: parsed };
}

/**
 * The config a `train` command asks for: a config file or a preset (adapted to the dataset), then the flags on top.
 * The result is validated by the API like any other start request.
 */
export function configFromFlags(presets: Preset[], flags: TrainFlags): unknown {
  if (flags.config !== undefined && flags.preset !== undefined) {
    throw new UserError('invalid_argument', 'Give either --preset or --config, not both.');
  }
  let base: Record<string, unknown>;
  if (flags.config !== undefined) {
    const loaded = readConfigFile(flags.config);
    if (!loaded || typeof loaded !== 'object')
      throw new UserError('invalid_argument', `The config file ${flags.config} does not hold a training config.`);
    base = loaded as Record<string, unknown>;
  } else {
    const id = flags.preset ?? 'small-conv';
    const preset = presets.find((p) => p.id === id);
    if (!preset) {
      throw new UserError(
        'invalid_argument',
        `There is no preset "${id}". Presets: ${presets.map((p) => p.id).join(', ')}.`,
      );
    }
    base = structuredClone(preset.config) as unknown as Record<string, unknown>;
  }
  const set = <K extends string>(key: K, value: unknown) => {
    if (value !== undefined) base[key] = value;
  };
  set('epochs', flags.epochs);
  set('batchSize', flags.batch);
  set('learningRate', flags.lr);
  set('optimizer', flags.optimizer);
  set('momentum', flags.momentum);
  set('trainSubset', flags.trainSubset);
  if (flags.momentum !== undefined && (flags.optimizer ?? base.optimizer) === 'adam') {
    throw new UserError(
      'invalid_argument',
      '--momentum is for --optimizer sgd or rmsprop; Adam keeps its own moving averages.',
    );
  }
  set('weightDecay', flags.weightDecay);
  const schedule = scheduleFromFlags(base.lrSchedule as LrSchedule | undefined, flags);
  if (schedule) base.lrSchedule = schedule;
  set('seed', flags.seed);
  set('loss', flags.loss);
  if (flags.noise !== undefined) base.corruption = parseNoise(flags.noise);
  if (flags.augment !== undefined) base.augment = parseAugment(flags.augment);
  if (flags.earlyStop !== undefined) base.earlyStopping = { patience: flags.earlyStop, minDelta: 0 };
  if (flags.keepLast !== undefined || flags.keepEvery !== undefined || flags.lookBack !== undefined) {
    const kept = (base.checkpoints as CheckpointPolicy | undefined) ?? defaultCheckpointPolicy;
    base.checkpoints = {
      keepLast: flags.keepLast ?? kept.keepLast,
      keepEvery: flags.keepEvery ?? kept.keepEvery,
      lookBack: flags.lookBack ?? kept.lookBack ?? false,
    };
  }
  if (flags.latent !== undefined) base.model = { ...(base.model as object), latent: flags.latent };
  return base;
}

/** "Sneaker,7" → class indices, by name or index, against a dataset's classes; refused in words otherwise. */
export function parseClasses(option: string, text: string, classNames: string[]): number[] {
  return text.split(',').map((part) => {
    const wanted = part.trim();
    const byName = classNames.indexOf(wanted);
    if (byName >= 0) return byName;
    if (/^\d+$/.test(wanted) && Number(wanted) < classNames.length) return Number(wanted);
    throw new UserError(
      'invalid_argument',
      `--${option}: there is no class "${wanted}". Classes: ${classNames.map((c, i) => `${i} ${c}`).join(', ')}.`,
    );
  });
}

/** "flip,crop=0.1,rotate=10,jitter=0.2" → an augmentation; "none" → null. Strengths are checked with the config. */
export function parseAugment(value: string): Augmentation | null {
  if (value.trim() === 'none') return null;
  const augment: Augmentation = {};
  for (const part of value.split(',').map((p) => p.trim())) {
    const [name, level] = part.split('=');
    if (name === 'flip' && level === undefined) {
      augment.flip = true;
      continue;
    }
    if (!['crop', 'rotate', 'jitter'].includes(name) || level === undefined || !Number.isFinite(Number(level))) {
      throw new UserError(
        'invalid_argument',
        `--augment takes flip, crop=<fraction>, rotate=<degrees> and jitter=<amount>, separated by commas ` +
          `(e.g. flip,crop=0.1,rotate=10,jitter=0.2), or none; "${part}" is not one of them.`,
      );
    }
    augment[name as 'crop' | 'rotate' | 'jitter'] = Number(level);
  }
  return augment;
}

/**
 * The learning-rate schedule the flags ask for, on top of the config's: --lr-schedule picks the kind, the others set
 * its numbers; undefined when no flag is about it.
 */
function scheduleFromFlags(base: LrSchedule | undefined, flags: TrainFlags): LrSchedule | undefined {
  const { lrSchedule: type, warmupEpochs, lrStep, lrFactor, lrPatience } = flags;
  if ([type, warmupEpochs, lrStep, lrFactor, lrPatience].every((v) => v === undefined)) return undefined;
  if (type !== undefined && !(lrScheduleTypes as readonly string[]).includes(type)) {
    throw new UserError(
      'invalid_argument',
      `--lr-schedule must be one of ${lrScheduleTypes.join(', ')}, not "${type}".`,
    );
  }
  const schedule: LrSchedule = { ...base, type: (type as LrSchedule['type'] | undefined) ?? base?.type ?? 'constant' };
  if (warmupEpochs !== undefined) schedule.warmupEpochs = warmupEpochs;
  if (lrStep !== undefined) schedule.stepEpochs = lrStep;
  if (lrFactor !== undefined) schedule.factor = lrFactor;
  if (lrPatience !== undefined) schedule.patience = lrPatience;
  return schedule;
}

/** "yes" / "no" (and true/false, on/off) as a switch's value; anything else is refused in words. */
export function yesNo(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (['yes', 'true', 'on'].includes(value)) return true;
  if (['no', 'false', 'off'].includes(value)) return false;
  throw new UserError('invalid_argument', `--${name} takes yes or no, not "${value}".`);
}
