/**
 * Entry of the worker process. Main starts one per training run or latent-space job, and one long-lived one for the
 * results views (Electron utilityProcess, or a Node child process), so heavy compute never blocks the window and a
 * crash here cannot take the app down. It writes metrics, checkpoints, codes and maps to the store itself; main only
 * relays progress.
 *
 * A worker plays one role, set by the first message it gets; each role keeps its own state in its own module.
 */
import type { ElectronMessagePort } from './gpu-host-port';
import type { ToWorker } from './protocol';
import { connectToParent } from './parent-port';
import { trainingRole } from './training-role';
import { latentRole } from './latent-role';
import { resultsRole } from './results-role';
import type { TrainingRequest } from '../training/training-supervisor';
import type { LatentRequest } from '../latent/latent-jobs';
import type { EvaluationAsk } from '../evaluation/evaluation-client';

type Role = 'training' | 'latent' | 'results';

const roleOf: Record<ToWorker['type'], Role> = {
  train: 'training',
  probe: 'training',
  pause: 'training',
  resume: 'training',
  stop: 'training',
  latent: 'latent',
  evaluate: 'results',
  'evaluate-cancel': 'results',
};

const parent = connectToParent();
let role: { name: Role; handle(message: ToWorker, ports: ElectronMessagePort[]): void } | undefined;

parent.onMessage((message, ports) => {
  // 'stop' is spoken by two roles: it goes to the one this worker plays.
  const name = role?.name ?? roleOf[message.type];
  if (!role) {
    const handle =
      name === 'training' ? trainingRole(parent) : name === 'latent' ? latentRole(parent) : resultsRole(parent);
    role = { name, handle: handle as (message: ToWorker, ports: ElectronMessagePort[]) => void };
  } else if (name !== role.name && message.type !== 'stop') {
    console.error(`[worker] a ${role.name} worker was sent "${message.type}"; ignored.`);
    return;
  }
  role.handle(message as TrainingRequest & LatentRequest & EvaluationAsk, ports);
});
