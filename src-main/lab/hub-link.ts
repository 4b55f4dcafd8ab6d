import { existsSync, readFileSync } from 'node:fs';
import type { LabLink, StartSweepArgs, SweepSummary } from '../api/contract';
import { UserError } from '../api/errors';
import { HubClient } from './hub-client';
import { hubAddress, tokenFile } from './hub-token';
import type { LabStatus } from './lab-protocol';

/**
 * The app's view of the lab hub that serves its data folder: a hub started on this folder leaves its address and
 * token there, so the app (desktop or browser mode, opened on the hub's folder) can show the hub's workers and send
 * sweeps to its queue without being told anything. None when no hub was ever started here.
 */
function linkedHub(dataDir: string): HubClient | undefined {
  const url = hubAddress(dataDir);
  if (url === undefined || !existsSync(tokenFile(dataDir))) return undefined;
  return new HubClient({ url, token: readFileSync(tokenFile(dataDir), 'utf8').trim() });
}

export async function labLink(dataDir: string): Promise<LabLink> {
  const hub = linkedHub(dataDir);
  if (!hub) return { hub: null, status: null, problem: null };
  try {
    return { hub: hub.origin, status: await hub.get<LabStatus>('/status'), problem: null };
  } catch (err) {
    return { hub: hub.origin, status: null, problem: (err as Error).message };
  }
}

/** Sends a sweep to the hub's queue; its runs appear in this store as the hub stores them. */
export function sweepOnHub(dataDir: string, args: StartSweepArgs): Promise<SweepSummary> {
  const hub = linkedHub(dataDir);
  if (!hub) throw new UserError('unsupported', 'No lab hub serves this data folder: start one with ae-studio hub.');
  return hub.post<SweepSummary>('/sweeps', args);
}
