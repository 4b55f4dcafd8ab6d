import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuReadEvery } from '../../../src-main/trainer/trainer-core';
import { softwareGpuEnv } from '../../helpers/software-gpu';

/**
 * The GPU check that travels to a bare GPU machine (bench/device): built as it would be for one, copied where no
 * node_modules can be reached, and run with nothing but /usr/bin and /bin on the PATH and SwiftShader as the GPU.
 * Its smoke mode trains every benchmark model both ways (reading every loss, reading a group at a time) and PyTorch
 * on the CPU beside it, and the JSON it prints is what a real run prints.
 */
const root = join(import.meta.dirname, '..', '..', '..');
const models = ['conv', 'cae001', 'photos004'];
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

interface Measurement {
  readsEvery: number;
  steps: number;
  images: number;
  imagesPerSec: number;
  testLoss: number;
  peakGpuMb: number;
  perStep: { dispatches: number; submits: number; reads: number };
  lossesRead: number;
}

describe('the GPU check bundle', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ae-studio-gpu-check-'));
  let report: Record<string, unknown>;
  let written: string;

  beforeAll(() => {
    execFileSync(join(root, 'node_modules', '.bin', 'node'), ['--import', 'tsx', 'bench/device/build-bundle.ts'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    cpSync(join(root, '.device'), join(scratch, 'bundle'), { recursive: true });
    const swiftshader = softwareGpuEnv({ allow: false, force: false });
    const run = spawnSync('bash', ['bundle/run.sh', '--smoke'], {
      cwd: scratch,
      encoding: 'utf8',
      timeout: 480_000,
      env: {
        PATH: '/usr/bin:/bin',
        HOME: scratch,
        OUT: scratch,
        LD_LIBRARY_PATH: swiftshader.LD_LIBRARY_PATH,
        VK_ICD_FILENAMES: swiftshader.VK_ICD_FILENAMES,
      },
    });
    if (run.status !== 0) throw new Error(`run.sh --smoke failed (${run.status}):\n${run.stderr}`);
    report = JSON.parse(run.stdout) as Record<string, unknown>;
    written = readFileSync(join(scratch, 'gpu-check.json'), 'utf8');
  }, 900_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('fits in 60 MiB and carries its own Node, Dawn and Vulkan loader', () => {
    const bundle = join(scratch, 'bundle');
    const size = (dir: string): number =>
      readdirSync(dir, { withFileTypes: true }).reduce(
        (sum, e) => sum + (e.isDirectory() ? size(join(dir, e.name)) : statSync(join(dir, e.name)).size),
        0,
      );
    expect(size(bundle)).toBeLessThanOrEqual(60 * 1024 ** 2);
    expect(readdirSync(bundle).sort()).toEqual(
      ['data', 'dawn.node.xz', 'device-bench.mjs', 'lib', 'node.xz', 'run.sh', 'torch_reference.py'].sort(),
    );
    // Its own Node 22, not the system's (Debian's is 20).
    expect(report.machine).toMatchObject({ node: expect.stringMatching(/^v22\./) });
    expect(JSON.parse(written)).toEqual(report);
  });

  it('trains every model on the GPU both ways, with the same losses and one read per group', () => {
    expect(report.adapter).toMatchObject({ vendor: 'google', architecture: 'swiftshader', software: true });
    const webgpu = report.webgpu as Record<string, Record<string, unknown>>;
    expect(Object.keys(webgpu)).toEqual(models);
    for (const model of models) {
      const { readEveryBatch, readGrouped, comparedLosses, largestLossDifference } = webgpu[model] as {
        readEveryBatch: Measurement;
        readGrouped: Measurement;
        comparedLosses: number;
        largestLossDifference: number;
      };
      for (const m of [readEveryBatch, readGrouped]) {
        expect(m.steps).toBe(gpuReadEvery + 2);
        expect(m.images).toBe(4 * m.steps);
        expect(m.imagesPerSec).toBeGreaterThan(0);
        expect(Number.isFinite(m.testLoss)).toBe(true);
        expect(m.peakGpuMb).toBeGreaterThan(0);
        expect(m.perStep.dispatches).toBeGreaterThan(50);
      }
      // Before: a read (a sync) every step. After: one for the group of 16 and one for the 2 after it.
      expect(readEveryBatch.perStep.reads).toBe(1);
      expect(readGrouped.perStep.reads).toBeCloseTo(2 / (gpuReadEvery + 2), 2);
      // The same arithmetic in the same order: every loss equal, bit for bit (2 warm-up steps and the timed ones).
      expect(comparedLosses).toBe(gpuReadEvery + 4);
      expect(largestLossDifference).toBe(0);
      expect(readGrouped.testLoss).toBe(readEveryBatch.testLoss);
    }
  });

  it('puts PyTorch beside it where torch is installed, and says why not on CUDA', () => {
    expect(report.pytorchCuda).toEqual({ error: expect.stringMatching(/finds no CUDA device|No module named/) });
    const cpu = report.pytorchCpu as { results?: Array<Record<string, unknown>>; error?: string };
    if (!hasTorch) return expect(cpu.error).toMatch(/No module named 'torch'/);
    expect(cpu.results!.map((r) => r.model)).toEqual(models);
    for (const result of cpu.results!) {
      expect(result.imagesPerSec as number).toBeGreaterThan(0);
      expect(Number.isFinite(result.testLoss as number)).toBe(true);
    }
  });
});
