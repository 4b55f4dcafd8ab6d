import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../store/database';
import type { Reconstructions, ReconstructQuery, RunExport, RunExportArgs } from '../../api/contract';
import { parseConfig } from '../../runs/run-summaries';
import { planModel, type ModelPlan } from '../../models/model-plan';
import { chooseCheckpoint } from '../../evaluation/run-model';
import { readCheckpointWeights } from '../../training/checkpoint-files';
import { exportTarget, writeFolderWhole } from '../run-export';
import { encodeSafetensors } from './safetensors';
import { planLayouts } from './layouts';
import { torchStateDict } from './weights';
import { torchModelCode } from './torch-code';
import { kerasBlocker, kerasModelCode } from './keras-code';
import { pyString, type ExportInfo } from './python-text';

/** How many of the run's test images travel with the export, for example.py to reconstruct. */
export const bundledImages = 16;

/**
 * Exports a run's last checkpoint for Python: model.py (a plain torch.nn.Module), weights.safetensors (its state
 * dict), model_keras.py (the same model in Keras 3, when every layer has a Keras equivalent), test_images.safetensors
 * (a few test images and the error the app measured on each), example.py and a README. `reconstruct` is the
 * evaluation worker's, so the bundled errors are the app's own.
 */
export async function exportRunForPython(
  db: Database,
  dataDir: string,
  args: RunExportArgs,
  reconstruct: (query: ReconstructQuery) => Promise<Reconstructions>,
): Promise<RunExport> {
  const { run, dataset, target } = exportTarget(db, args, '-pytorch');
  const checkpoint = chooseCheckpoint(db, run.id);
  const plan = planModel(parseConfig(run).model, [dataset.height, dataset.width, dataset.channels]);
  const layouts = planLayouts(plan);
  const weights = readCheckpointWeights(join(dataDir, checkpoint.path));
  const info: ExportInfo = {
    runId: run.id,
    runName: run.name,
    epoch: checkpoint.epoch,
    datasetName: dataset.name,
    classNames: dataset.classNames,
  };
  const test = await reconstruct({
    runId: run.id,
    epoch: checkpoint.epoch,
    images: { from: 'split', split: 'test', order: 'random', count: bundledImages, seed: 1 },
  });
  const blocker = kerasBlocker(plan);

  await writeFolderWhole(dataDir, target, async (dir) => {
    writeFileSync(join(dir, 'model.py'), torchModelCode(plan, layouts, info));
    writeFileSync(join(dir, 'weights.safetensors'), encodeSafetensors(torchStateDict(plan, layouts, weights)));
    if (!blocker) writeFileSync(join(dir, 'model_keras.py'), kerasModelCode(plan, layouts, info));
    writeFileSync(join(dir, 'test_images.safetensors'), testImages(plan, test));
    writeFileSync(join(dir, 'example.py'), exampleCode(plan, info));
    writeFileSync(join(dir, 'README.md'), readme(info, blocker));
  });
  return { path: target, files: readdirSync(target).sort(), notes: blocker ? [blocker] : [] };
}

/** The images channels-first in 0..1 (as the model takes them), their classes, and the app's error on each. */
function testImages(plan: ModelPlan, test: Reconstructions): Buffer {
  const [h, w, c] = plan.input;
  const n = test.items.length;
  const pixels = Buffer.from(test.originals, 'base64');
  const images = new Float32Array(n * c * h * w);
  let i = 0;
  for (let k = 0; k < n; k++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) images[i++] = pixels[((k * h + y) * w + x) * c + ch] / 255;
  return encodeSafetensors(
    [
      { name: 'images', shape: [n, c, h, w], data: images },
      { name: 'labels', shape: [n], data: BigInt64Array.from(test.items, (item) => BigInt(item.label ?? -1)) },
      { name: 'app_mse', shape: [n], data: Float32Array.from(test.items, (item) => item.mse) },
    ],
    { file_names: JSON.stringify(test.items.map((item) => item.fileName)) },
  );
}

function exampleCode(plan: ModelPlan, info: ExportInfo): string {
  const reconstruct = plan.variational
    ? 'reconstructions, mean, log_var = model(images)'
    : 'reconstructions = model(images)';
  return `"""Reconstructs the test images exported with run ${info.runId} and prints their mean squared error beside the one
Autoencoder Studio measured on the same images. Run it from this folder: python3 example.py"""
import torch

from model import HERE, load_model, load_safetensors

CLASS_NAMES = [${info.classNames.map(pyString).join(', ')}]

model = load_model()
bundle = load_safetensors(HERE / "test_images.safetensors")
images = bundle["images"]  # [batch, channels, height, width] in 0..1
with torch.no_grad():
    ${reconstruct}
mse = ((reconstructions - images) ** 2).mean(dim=(1, 2, 3))

print(f"Reconstructed {len(images)} test images with PyTorch {torch.__version__}.")
print(f"Mean squared error: {mse.mean().item():.6f} (Autoencoder Studio: {bundle['app_mse'].mean().item():.6f})")
for label, ours, app in zip(bundle["labels"].tolist(), mse.tolist(), bundle["app_mse"].tolist()):
    name = CLASS_NAMES[label] if 0 <= label < len(CLASS_NAMES) else "-"
    print(f"  {name:<20} {ours:.6f}  (app {app:.6f})")
`;
}

function readme(info: ExportInfo, kerasBlocked: string | null): string {
  return `# ${info.runName}: run ${info.runId}, epoch ${info.epoch}, for PyTorch

\`\`\`python
from model import load_model      # a plain torch.nn.Module: encode, decode, forward
model = load_model()              # weights.safetensors, in eval mode
codes = model.encode(images)      # images: [batch, channels, height, width] floats in 0..1
\`\`\`

\`python3 example.py\` reconstructs the bundled test images and prints their error beside the app's.
${
  kerasBlocked
    ? `\nNo Keras code: ${kerasBlocked}\n`
    : '\n`model_keras.py` builds the same model in Keras 3 (`load_model()` there reads the same weights file).\n'
}`;
}
