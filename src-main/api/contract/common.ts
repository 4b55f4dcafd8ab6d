/** Errors, results, the engine and the app itself. */

export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'conflict'
  | 'store_unavailable'
  | 'store_too_new'
  | 'disk_full'
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
  /** The argument at fault, as a dot path ("config.batchSize", "config.model.encoder.1.filters"), for forms to mark. */
  field?: string;
}

/**
 * The largest request a client may send over a connection (browser mode's WebSocket): a dropped image of up to
 * maxUploadBytes travels as base64 (4/3 of its size) inside the request, so this must stay above that.
 */
export const maxUploadBytes = 50_000_000;
export const maxRequestBytes = 72 * 1024 * 1024;

/** Every call answers with data, never by throwing across the process boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export type EngineName = 'tfjs-node-gpu' | 'webgpu' | 'tfjs-node' | 'native' | 'wasm' | 'cpu';

/** Each engine as the status bar, the run views and the CLI name it. */
export const engineLabels = {
  'tfjs-node-gpu': 'TensorFlow GPU',
  webgpu: 'GPU (WebGPU)',
  'tfjs-node': 'TensorFlow CPU',
  native: 'Native CPU',
  wasm: 'WebAssembly',
  cpu: 'JavaScript CPU',
} as const satisfies Record<EngineName, string>;

/** The GPU the WebGPU engine runs on, as its driver names it. */
export interface GpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  /** The driver's description, often with its version. */
  description: string;
  /** Vulkan, Direct3D 12 or Metal. */
  api: string;
  /** A software rasteriser (SwiftShader, llvmpipe), used only when allowed. */
  software: boolean;
}

export interface EngineStatus {
  name: EngineName;
  label: string;
  detail: string;
  /** The GPU, when the engine is webgpu. */
  adapter: GpuAdapter | null;
  /** Faster engines that were not used, each with the reason. */
  unavailable: Array<{ name: EngineName; reason: string }>;
}

export interface AppInfo {
  name: string;
  version: string;
  dataDir: string;
  transport: 'electron' | 'browser';
}

/** What changed: these ids (fetch them again; one that is not there any more was deleted), or null for "any". */
export interface ChangedIds {
  ids: number[] | null;
}

/**
 * Events pushed from main to the renderer. The store events say what changed, whoever changed it (this window, a
 * training worker, a CLI command, another window), at most every couple of seconds, so a window fetches only that.
 */
export interface CommonEvents {
  'runs:changed': ChangedIds;
  'datasets:changed': ChangedIds;
  'sweeps:changed': ChangedIds;
  /** Runs whose latent codes or maps were made or deleted. */
  'latent:changed': ChangedIds;
  /** A project was made, renamed or opened: every list may differ. */
  'projects:changed': { at: number };
}

export const commonEventChannels = {
  'runs:changed': true,
  'datasets:changed': true,
  'sweeps:changed': true,
  'latent:changed': true,
  'projects:changed': true,
} as const satisfies Record<keyof CommonEvents, true>;

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
