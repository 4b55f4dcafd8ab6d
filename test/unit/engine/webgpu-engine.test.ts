import { describe, expect, it } from 'vitest';
import { gpuFitProblem } from '../../../src-main/engine/model-fit';
import { planModel } from '../../../src-main/models/model-plan';
import { describeGpuHost, tiny } from '../../helpers/gpu-host-suite';

/** The WebGPU engine on Dawn in Node, as the CLI and browser mode train (the desktop app: chromium-gpu-host.test.ts). */
describeGpuHost('dawn');

describe('fitting a model on the GPU', () => {
  it('explains a batch too large for the GPU before training', () => {
    const config = tiny('small-conv');
    const plan = planModel(config.model, [28, 28, 1]);
    expect(gpuFitProblem(plan.summary, 256, 128 * 1024 * 1024)).toBeNull();
    expect(gpuFitProblem(plan.summary, 4096, 16 * 1024 * 1024)).toMatch(
      /^A batch of 4096 is too large for this GPU: layer .*'s output \(4096 × 14×14×16 values, 49 MB\) exceeds its 16 MB buffer limit\. Lower the batch size to 1337 or less/,
    );
  });
});
