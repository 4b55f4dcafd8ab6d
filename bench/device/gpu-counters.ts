/**
 * Counts what tfjs's WebGPU backend asks of the GPU: compute dispatches (one per kernel that runs a shader), queue
 * submissions, and reads back to the CPU (each one waits for the queue to drain: a sync). It wraps the backend
 * instance's own methods (tfjs-backend-webgpu 4.22: recordAndSubmit, submitQueue, getBufferData), so the numbers are
 * the backend's, not an estimate. For the benchmarks only; the app never installs it.
 */
export interface GpuWorkCount {
  dispatches: number;
  submits: number;
  reads: number;
}

interface WebgpuBackendInternals {
  recordAndSubmit(...args: unknown[]): unknown;
  submitQueue(...args: unknown[]): unknown;
  getBufferData(...args: unknown[]): Promise<unknown>;
}

export function countGpuWork(backend: unknown): { read(): GpuWorkCount } {
  const target = backend as WebgpuBackendInternals;
  for (const name of ['recordAndSubmit', 'submitQueue', 'getBufferData'] as const) {
    if (typeof target[name] !== 'function') throw new Error(`tfjs's WebGPU backend has no ${name}: cannot count.`);
  }
  const count: GpuWorkCount = { dispatches: 0, submits: 0, reads: 0 };
  const wrap = <K extends keyof WebgpuBackendInternals>(name: K, counter: keyof GpuWorkCount) => {
    const original = target[name].bind(target) as (...args: unknown[]) => unknown;
    (target as unknown as Record<K, unknown>)[name] = (...args: unknown[]) => {
      count[counter]++;
      return original(...args);
    };
  };
  wrap('recordAndSubmit', 'dispatches');
  wrap('submitQueue', 'submits');
  wrap('getBufferData', 'reads');
  return { read: () => ({ ...count }) };
}
