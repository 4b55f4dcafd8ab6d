/** Errors, results, the engine and the app itself. */

export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'conflict'
  | 'store_unavailable'
  | 'store_too_new'
  | 'file_error'
  | 'engine_unavailable'
  | 'training_failed'
  | 'forbidden'
  | 'unsupported'
  | 'cancelled'
  | 'internal';

export interface ApiError {
  code: ErrorCode;
  /** Written for the person using the app. */
  message: string;
}

/** Every call answers with data, never by throwing across the process boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export type EngineName = 'tfjs-node-gpu' | 'tfjs-node' | 'native' | 'wasm' | 'cpu';

export interface EngineStatus {
  name: EngineName;
  label: string;
  detail: string;
  /** Faster engines that were not used, each with the reason. */
  unavailable: Array<{ name: EngineName; reason: string }>;
}

export interface AppInfo {
  name: string;
  version: string;
  dataDir: string;
  transport: 'electron' | 'browser';
}

export interface CommonMethods {
  'app:info': { args: void; result: AppInfo };
  'engine:status': { args: void; result: EngineStatus };
  'app:chooseFolder': { args: void; result: string | null };
}

/** Every channel above, once: `satisfies` fails the build when one is missing or unknown. */
export const commonChannels = {
  'app:info': true,
  'engine:status': true,
  'app:chooseFolder': true,
} as const satisfies Record<keyof CommonMethods, true>;
