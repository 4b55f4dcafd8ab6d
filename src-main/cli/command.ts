import type { Api } from '../api/client';
import type { ApiEvents, EventChannel, Result } from '../api/contract';
import type { ApiHandlers } from '../host/handlers';
import type { Services } from '../host/services';
import type { Flags } from './options';
import type { HubClient } from '../lab/hub-client';

/** Where a command's answer goes: one result on stdout (text, or one JSON document with --json), progress on stderr. */
export interface Output {
  json: boolean;
  result(value: unknown, text: string): void;
  progress(text: string): void;
}

type Unwrapped<F> = F extends (...args: infer A) => Promise<Result<infer R>> ? (...args: A) => Promise<R> : never;

/**
 * The API as the CLI calls it: `api.<domain>.<verb>(args)` through the same schemas and handlers as the app, with
 * each `{ ok: false }` answer thrown as a UserError (so it prints and sets the exit code).
 */
export type CliApi = {
  [D in Exclude<keyof Api, 'on'>]: { [V in keyof Api[D]]: Unwrapped<Api[D][V]> };
} & {
  on<E extends EventChannel>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
};

export interface CliContext {
  api: CliApi;
  out: Output;
  flags: Flags;
  positionals: string[];
  dataDir: string;
  /** The dispatcher itself, for `serve`, which hands it to the browser-mode server. */
  handlers: ApiHandlers;
  /** The services under the API, for the lab hub and worker, which run beside it. */
  services: Services;
}

/** What a command that talks to a lab hub gets: the hub's client, and no store of its own. */
export interface HubContext {
  hub: HubClient;
  out: Output;
  flags: Flags;
  positionals: string[];
}

/** One `ae-studio` command: its line in the help, and what it does. Returns the exit code. */
export interface Command {
  name: string;
  /** Its arguments as the help shows them, e.g. "<run-id>". */
  args?: string;
  summary: string;
  /** Further help lines (its options), indented under the summary. */
  details?: string[];
  /**
   * Runs against a lab hub (--hub URL --token T) without opening a store on this machine; `hubOnly` when the command
   * has no other way (jobs, cancel, slurm-script).
   */
  onHub?(ctx: HubContext): Promise<number>;
  hubOnly?: boolean;
  /** Its own data folder when --data-dir is not given (a lab worker keeps its cache apart from the user's store). */
  defaultDataDir?(standard: string): string;
  /** Whether opening the store for it resumes the training queue (serve only: listing must never start training). */
  resumesQueue?: boolean;
  /** What it does with a store (absent for a command that only talks to a lab hub). */
  run?(ctx: CliContext): Promise<number>;
}
