import type { ParseArgsConfig, parseArgs } from 'node:util';
import { UserError } from '../api/errors';

/** Every option any command takes; each command's help says which are its own. */
export const options = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  port: { type: 'string' },
  dataset: { type: 'string' },
  preset: { type: 'string' },
  config: { type: 'string' },
  loss: { type: 'string' },
  noise: { type: 'string' },
  'early-stop': { type: 'string' },
  'keep-last': { type: 'string' },
  'keep-every': { type: 'string' },
  'look-back': { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  'train-subset': { type: 'string' },
  optimizer: { type: 'string' },
  momentum: { type: 'string' },
  'lr-schedule': { type: 'string' },
  'warmup-epochs': { type: 'string' },
  'lr-step': { type: 'string' },
  'lr-factor': { type: 'string' },
  'lr-patience': { type: 'string' },
  'weight-decay': { type: 'string' },
  augment: { type: 'string' },
  'train-classes': { type: 'string' },
  normal: { type: 'string' },
  latent: { type: 'string' },
  seed: { type: 'string' },
  name: { type: 'string' },
  size: { type: 'string' },
  channels: { type: 'string' },
  fit: { type: 'string' },
  'test-split': { type: 'string' },
  exclude: { type: 'string', multiple: true },
  background: { type: 'string' },
  from: { type: 'string' },
  report: { type: 'boolean', default: false },
  cpu: { type: 'boolean', default: false },
  again: { type: 'boolean', default: false },
  split: { type: 'string' },
  sample: { type: 'string' },
  'per-class': { type: 'boolean', default: false },
  'all-epochs': { type: 'boolean', default: false },
  epoch: { type: 'string' },
  method: { type: 'string' },
  perplexity: { type: 'string' },
  neighbors: { type: 'string' },
  'min-dist': { type: 'string' },
  iterations: { type: 'string' },
  exaggeration: { type: 'string' },
  init: { type: 'string' },
  projection: { type: 'string' },
  'latent-columns': { type: 'boolean', default: false },
  out: { type: 'string' },
  format: { type: 'string' },
  index: { type: 'string' },
  k: { type: 'string' },
  metric: { type: 'string' },
  image: { type: 'string' },
  vary: { type: 'string', multiple: true },
  notes: { type: 'string' },
  new: { type: 'string' },
  open: { type: 'string' },
  tag: { type: 'string', multiple: true },
  n: { type: 'string' },
  order: { type: 'string' },
  per: { type: 'string' },
  hub: { type: 'string' },
  token: { type: 'string' },
  db: { type: 'string' },
  host: { type: 'string' },
  'max-upload-mb': { type: 'string' },
  'heartbeat-seconds': { type: 'string' },
  'run-hours': { type: 'string' },
  gpus: { type: 'string' },
  once: { type: 'boolean', default: false },
  tasks: { type: 'string' },
  partition: { type: 'string' },
  time: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

export type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

/** A number option, or undefined when it was not given; anything else is a usage error naming the option. */
export function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed))
    throw new UserError('invalid_argument', `--${flag} must be a number, not "${value}".`);
  return parsed;
}

/** Drops the options the user did not give, so the API applies its defaults. */
export function definedOnly<T extends Record<string, number | undefined>>(values: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: number };
}

/** The run id a command takes as its first argument. */
export function runIdArg(positionals: string[], command: string): number {
  return requiredId(positionals, 'run-id', `Say which run: ae-studio ${command} <run-id>`);
}

/** The first argument as an id, or a usage error that says what to type. */
export function requiredId(positionals: string[], what: string, usage: string): number {
  const id = number(what, positionals[0]);
  if (id === undefined) throw new UserError('invalid_argument', usage);
  return id;
}
