import type { Api } from '../api/client';
import type { ApiEvents, EventChannel, Result } from '../api/contract';
import type { ApiHandlers } from '../host/handlers';
import type { Flags } from './options';

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
}

/** One `ae-studio` command: its line in the help, and what it does. Returns the exit code. */
export interface Command {
  name: string;
  /** Its arguments as the help shows them, e.g. "<run-id>". */
  args?: string;
  summary: string;
  /** Further help lines (its options), indented under the summary. */
  details?: string[];
  /** Whether opening the store for it resumes the training queue (serve only: listing must never start training). */
  resumesQueue?: boolean;
  run(ctx: CliContext): Promise<number>;
}
