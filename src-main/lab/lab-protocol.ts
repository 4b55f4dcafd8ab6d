import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { appRoot } from '../app/paths';
import type { LabWorkerInfo, TrainingConfig, WorkerHealth } from '../api/contract';

export type { LabJobRow, LabStatus, LabWorkerRow, WorkerHealth } from '../api/contract';

/**
 * What a lab hub and its workers say to each other over HTTP (lab-hub-server.ts, hub-client.ts). Workers never touch
 * the queue's database: the hub is the one process that talks to PostgreSQL and writes the store, and a worker holds
 * only the hub's address and its token. Every request names the app's version; a hub refuses any other, in words.
 */
export const labApiBase = '/lab/v1';
export const versionHeader = 'x-ae-studio-version';
/** pg-boss's queue of training jobs: one job per run, its id fixed when the run is queued. */
export const trainQueue = 'ae-studio-train';
/** The hub's port when none is given. */
export const defaultHubPort = 7878;

let version: string | undefined;
/** This app's version (package.json): hub and workers must run the same one. */
export function appVersion(): string {
  version ??= (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

export const workerInfoSchema = z.object({
  id: z.string().min(1).max(200),
  host: z.string().min(1).max(200),
  gpu: z.string().max(200).nullable(),
  engine: z.string().max(300),
}) satisfies z.ZodType<LabWorkerInfo>;

/** A worker's health as it reports it: one that fails the same way again and again stops taking work. */
export const workerHealthSchema = z.object({
  healthy: z.boolean(),
  problem: z.string().max(2000).nullable(),
}) satisfies z.ZodType<WorkerHealth>;

export const helloSchema = z.object({ worker: workerInfoSchema, health: workerHealthSchema });

const epochMetric = z.object({
  epoch: z.number().int().min(0),
  step: z.number().int().min(0),
  trainLoss: z.number().nullable(),
  testLoss: z.number().nullable(),
  imagesPerSec: z.number().nullable(),
  elapsedMs: z.number().min(0),
});
export type EpochMetric = z.infer<typeof epochMetric>;

/** Sent every few seconds while a job trains: it keeps the job alive in the queue and carries the epochs so far. */
export const heartbeatSchema = z.object({
  worker: workerInfoSchema,
  runId: z.number().int().positive(),
  epochs: z.array(epochMetric).max(100_000),
});

/** The hub's answer to a heartbeat: go on, or stop because the run was cancelled or handed to another worker. */
export interface HeartbeatAnswer {
  stop: 'cancelled' | 'reassigned' | null;
  why: string | null;
}

export const failSchema = z.object({
  worker: workerInfoSchema,
  runId: z.number().int().positive(),
  error: z.string().max(5000),
});

export const completeSchema = z.object({ worker: workerInfoSchema, runId: z.number().int().positive() });

/** A dataset as the hub serves it: its identity is the hash of its pixels, labels and shape. */
export interface DatasetPackInfo {
  hash: string;
  name: string;
  width: number;
  height: number;
  channels: 1 | 3;
  classNames: string[];
  images: number;
}

/** What a dataset's manifest holds besides its identity: each image's split, label and name, in pixel order. */
export interface DatasetPack extends DatasetPackInfo {
  rows: Array<{ split: 'train' | 'test'; label: number; fileName: string }>;
}

/** A job as a worker gets it. */
export interface LabJob {
  jobId: string;
  runId: number;
  runName: string;
  config: TrainingConfig;
  dataset: DatasetPackInfo;
  /** 0 the first time; how many times it was tried before. */
  retryCount: number;
}

/** Refused requests carry a sentence for the person at the worker's terminal. */
export interface LabErrorBody {
  error: string;
}
