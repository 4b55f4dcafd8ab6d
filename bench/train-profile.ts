/**
 * `npm run bench:train -- --profile`: where one training step's time goes, kernel by kernel, on the CPU engine.
 *
 * Every kernel of the engine's backend is wrapped with a timer (only the outermost call counts, so a kernel that
 * calls another is not counted twice). Each call is put in a phase of the step: data (building the batch tensors),
 * forward (kernels recorded on the gradient tape), backward (after the tape, until the optimizer), optimizer (the
 * Adam step and what follows). The backward kernels are split by what they compute: input gradients, weight
 * gradients and the rest (elementwise, reductions, activations' gradients). What the kernels do not account for is
 * tfjs's dispatch, allocation and bookkeeping plus the trainer's own work ("overhead").
 *
 * Matrix products and convolutions get their FLOP count (2 per multiply-add) and so an achieved GFLOP/s, printed
 * beside the machine's measured peak: the best of a few large sgemm calls through the same native addon.
 */
import type * as tfType from '@tensorflow/tfjs';
import { performance } from 'node:perf_hooks';
import { MemoryPixels } from '../src-main/trainer/memory-pixels';
import { createTrainerCore } from '../src-main/trainer/trainer-core';
import { loadNativeAddon } from '../src-main/engine/native-addon';
import type { Engine } from '../src-main/engine/select-engine';
import type { TrainingConfig } from '../src-main/api/contract';

type Phase = 'data' | 'forward' | 'backward' | 'optimizer';
type Part =
  | 'data'
  | 'forward: linear'
  | 'forward: other'
  | 'input gradient'
  | 'weight gradient'
  | 'backward: other'
  | 'optimizer';

interface KernelTotal {
  part: Part;
  kernel: string;
  shapes: string;
  calls: number;
  ms: number;
  flops: number;
}

export interface Profile {
  model: string;
  engine: string;
  batch: number;
  steps: number;
  stepMs: number;
  imagesPerSec: number;
  peakGflops: number;
  parts: Array<{ part: Part | 'overhead'; msPerStep: number; share: number; gflops: number | null }>;
  kernels: Array<{
    part: Part;
    kernel: string;
    shapes: string;
    callsPerStep: number;
    msPerStep: number;
    share: number;
    gflops: number | null;
    ofPeak: number | null;
  }>;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Multiply-adds times two of the linear kernels, from their inputs, attributes and output (NHWC). */
function flopsOf(
  name: string,
  inputs: Record<string, tfType.TensorInfo>,
  attrs: Record<string, unknown>,
  output: tfType.TensorInfo,
): number {
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      const [kh, kw, ic] = inputs.filter.shape;
      return 2 * size(output.shape) * kh * kw * ic;
    }
    case 'Conv2DBackpropInput': {
      const [kh, kw, ic] = inputs.filter.shape;
      return 2 * size(inputs.dy.shape) * kh * kw * ic;
    }
    case 'Conv2DBackpropFilter': {
      const [kh, kw, ic] = attrs.filterShape as number[];
      return 2 * size(inputs.dy.shape) * kh * kw * ic;
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      const [m, n] = output.shape.slice(-2);
      const { a } = inputs;
      const k = attrs.transposeA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
      return 2 * size(output.shape.slice(0, -2)) * m * n * k;
    }
    default:
      return 0;
  }
}

/** What a backward kernel computes: a matmul's transposes and a convolution's kind tell gradients apart. */
function backwardPart(name: string, attrs: Record<string, unknown>): Part {
  if (name === 'Conv2DBackpropFilter' || ((name === 'BatchMatMul' || name === '_FusedMatMul') && attrs.transposeA))
    return 'weight gradient';
  // A transposed convolution's input gradient is a forward convolution, and a convolution's is a transposed one.
  if (['Conv2DBackpropInput', 'Conv2D', 'BatchMatMul', '_FusedMatMul'].includes(name)) return 'input gradient';
  return 'backward: other';
}

/** Best GFLOP/s of a few n x n x n sgemm calls through the native addon (its BLAS, threaded as in training). */
export function measureGemmPeak(n = 2048, repeats = 4): number {
  const native = loadNativeAddon();
  const a = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const out = new Float32Array(n * n);
  const params = Int32Array.from([1, 1, n, n, n, 0, 0]);
  native.matmul(a, b, out, params); // warm-up: threads started, pages touched
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    native.matmul(a, b, out, params);
    best = Math.min(best, performance.now() - t0);
  }
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

/**
 * Profiles one model on random images: `warmup` steps, then `steps` timed as they are (the step time), then `steps`
 * with every kernel timed (the breakdown; what the kernels do not account for of the step time is overhead).
 */
export async function profileModel(
  engine: Engine,
  model: string,
  config: TrainingConfig,
  peakGflops: number,
  { warmup = 3, steps = 10 } = {},
): Promise<Profile> {
  const tf = engine.tf;
  const backend = tf.getBackend();
  const { height, width, channels } = config.input!;
  const imageBytes = height * width * channels;
  const images = config.batchSize * (warmup + 2 * steps);
  let seed = 12345;
  const pixels = Uint8Array.from({ length: images * imageBytes }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed >> 23;
  });
  const trainer = createTrainerCore(tf, { gpu: engine.gpu });
  await trainer.init(
    { config, shape: [height, width, channels], checkpoint: null },
    { train: new MemoryPixels(pixels, imageBytes), test: new MemoryPixels(pixels.subarray(0, imageBytes), imageBytes) },
  );
  for (let b = 0; b < warmup; b++) await trainer.trainBatch(1, b, config.learningRate);
  // The step's own time, measured before the timers go in (they cost a little on every kernel call).
  let stepMs = 0;
  for (let b = warmup; b < warmup + steps; b++) {
    const t0 = performance.now();
    await trainer.trainBatch(1, b, config.learningRate);
    stepMs += performance.now() - t0;
  }

  const totals = new Map<string, KernelTotal>();
  let phase: Phase = 'data';
  let depth = 0;
  const state = (tf.engine() as unknown as { state: { gradientDepth: number } }).state;
  const wrapped: tfType.KernelConfig[] = [];
  for (const config of tf.getKernelsForBackend(backend)) {
    const { kernelName, kernelFunc } = config;
    tf.unregisterKernel(kernelName, backend);
    wrapped.push(config);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (depth > 0) return kernelFunc(args);
        // The tape is on while the forward pass runs; the backward pass runs after it, then the optimizer.
        if (state.gradientDepth > 0) phase = 'forward';
        else if (phase === 'forward') phase = 'backward';
        if (/adam/i.test(kernelName)) phase = 'optimizer';
        const inputs = args.inputs as Record<string, tfType.TensorInfo>;
        const attrs = (args.attrs ?? {}) as Record<string, unknown>;
        const t0 = performance.now();
        depth++;
        let result: ReturnType<tfType.KernelFunc>;
        try {
          result = kernelFunc(args);
        } finally {
          depth--;
        }
        const ms = performance.now() - t0;
        const output = (Array.isArray(result) ? result[0] : result) as tfType.TensorInfo;
        const flops = flopsOf(kernelName, inputs, attrs, output);
        const part: Part =
          phase === 'forward'
            ? flops > 0
              ? 'forward: linear'
              : 'forward: other'
            : phase === 'backward'
              ? backwardPart(kernelName, attrs)
              : phase;
        const shapes = Object.values(inputs)
          .filter((t) => t)
          .map((t) => `[${t.shape.join(',')}]`)
          .join(' ');
        const key = `${part}|${kernelName}|${shapes}|${attrs.transposeA ? 'tA' : ''}${attrs.transposeB ? 'tB' : ''}`;
        const total = totals.get(key) ?? { part, kernel: kernelName, shapes, calls: 0, ms: 0, flops: 0 };
        total.calls++;
        total.ms += ms;
        total.flops += flops;
        totals.set(key, total);
        return result;
      },
    });
  }
  try {
    for (let b = warmup + steps; b < warmup + 2 * steps; b++) {
      phase = 'data';
      await trainer.trainBatch(1, b, config.learningRate);
    }
    await trainer.flush();
  } finally {
    for (const config of wrapped) {
      tf.unregisterKernel(config.kernelName, backend);
      tf.registerKernel(config);
    }
    await trainer.dispose();
  }

  const perStep = stepMs / steps;
  const gflops = (flops: number, ms: number) => (flops > 0 ? flops / (ms / 1000) / 1e9 : null);
  const kernels = [...totals.values()]
    .sort((p, q) => q.ms - p.ms)
    .map((k) => ({
      part: k.part,
      kernel: k.kernel,
      shapes: k.shapes,
      callsPerStep: k.calls / steps,
      msPerStep: k.ms / steps,
      share: k.ms / stepMs,
      gflops: gflops(k.flops, k.ms),
      ofPeak: k.flops > 0 ? gflops(k.flops, k.ms)! / peakGflops : null,
    }));
  const partNames: Part[] = [
    'data',
    'forward: linear',
    'forward: other',
    'input gradient',
    'weight gradient',
    'backward: other',
    'optimizer',
  ];
  const parts: Profile['parts'] = partNames.map((part) => {
    const mine = [...totals.values()].filter((k) => k.part === part);
    const ms = mine.reduce((s, k) => s + k.ms, 0);
    const flops = mine.reduce((s, k) => s + k.flops, 0);
    return { part, msPerStep: ms / steps, share: ms / stepMs, gflops: gflops(flops, ms) };
  });
  const kernelMs = parts.reduce((s, p) => s + p.msPerStep, 0);
  parts.push({ part: 'overhead', msPerStep: perStep - kernelMs, share: 1 - kernelMs / perStep, gflops: null });
  return {
    model,
    engine: `${engine.status.label} (${engine.status.detail})`,
    batch: config.batchSize,
    steps,
    stepMs: perStep,
    imagesPerSec: (config.batchSize * 1000) / perStep,
    peakGflops,
    parts,
    kernels,
  };
}

/** The profile as text tables: the step by part, then each kernel that took at least 0.5% of it. */
export function formatProfile(p: Profile): string {
  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (v: number | null, digits = 1, n = 8) => (v === null ? '' : v.toFixed(digits)).padStart(n);
  const pct = (v: number | null) => (v === null ? '' : `${(v * 100).toFixed(1)}%`).padStart(7);
  const lines = [
    `${p.model} on ${p.engine}: batch ${p.batch}, ${p.stepMs.toFixed(1)} ms a step (${p.imagesPerSec.toFixed(1)} images/s), ` +
      `mean of ${p.steps} steps; measured sgemm peak ${p.peakGflops.toFixed(1)} GFLOP/s`,
    '',
    `${pad('part', 18)}${'ms/step'.padStart(8)}${'share'.padStart(7)}${'GFLOP/s'.padStart(9)}${'of peak'.padStart(8)}`,
    ...p.parts.map(
      (r) =>
        `${pad(r.part, 18)}${num(r.msPerStep, 2)}${pct(r.share)}${num(r.gflops, 1, 9)}` +
        `${pct(r.gflops === null ? null : r.gflops / p.peakGflops).padStart(8)}`,
    ),
    '',
    `${pad('part', 18)}${pad('kernel', 22)}${'calls'.padStart(6)}${'ms/step'.padStart(8)}${'share'.padStart(7)}` +
      `${'GFLOP/s'.padStart(9)}${'of peak'.padStart(8)}  inputs`,
    ...p.kernels
      .filter((k) => k.share >= 0.005)
      .map(
        (k) =>
          `${pad(k.part, 18)}${pad(k.kernel, 22)}${num(k.callsPerStep, 0, 6)}${num(k.msPerStep, 2)}${pct(k.share)}` +
          `${num(k.gflops, 1, 9)}${pct(k.ofPeak).padStart(8)}  ${k.shapes}`,
      ),
  ];
  return lines.join('\n');
}
