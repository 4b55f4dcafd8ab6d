import { resolve } from 'node:path';
import type { CodeProbeScore, EvalImages, Split } from '../../api/contract';
import { UserError } from '../../api/errors';
import { writeUserFile } from '../../app/user-file';
import { crispScale, imageGridPng } from '../../evaluation/figure-png';
import type { Command } from '../command';
import { definedOnly, number, runIdArg } from '../options';
import { parseClasses, parseNoise } from '../train-options';

/** Rows of images (base64 uint8) as one crisp PNG, written atomically; returns the absolute path. */
async function writeGrid(
  out: string,
  shape: { width: number; height: number; channels: 1 | 3 },
  rows: Array<string | Uint8Array>,
): Promise<string> {
  const png = await imageGridPng({
    ...shape,
    rows: rows.map((row) => (typeof row === 'string' ? Buffer.from(row, 'base64') : row)),
    scale: crispScale(shape.width),
  });
  const path = resolve(out);
  writeUserFile(path, png, 'The picture');
  return path;
}

/** "epoch 3: k-NN 78.2%, linear probe 74.0% (chance 10.0%)" */
const describeProbe = (p: CodeProbeScore) =>
  `epoch ${p.epoch}: k-NN ${percent(p.knnAccuracy)}, linear probe ${percent(p.linearAccuracy)} (chance ${percent(p.chance)})`;
const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

export const resultCommands: Command[] = [
  {
    name: 'anomaly',
    args: '<run-id>',
    summary: "Anomaly detection with the run's reconstruction errors: the AUC of the normal classes against the",
    details: ['rest of the test split: --normal <name|index,…> (default: the classes it trained on) --epoch <n>'],
    async run({ api, out, flags, positionals }) {
      const runId = runIdArg(positionals, 'anomaly');
      const epoch = number('epoch', flags.epoch);
      const detail = await api.runs.get({ runId });
      const dataset = (await api.datasets.list()).find((d) => d.id === detail.run.datasetId);
      const normal =
        flags.normal === undefined || !dataset ? undefined : parseClasses('normal', flags.normal, dataset.classNames);
      const scores = await api.results.anomaly({ runId, ...definedOnly({ epoch }), ...(normal ? { normal } : {}) });
      const { scores: _s, labels, cacheIndices: _c, ...summary } = scores;
      const names = scores.normal.map((c) => scores.classNames[c]).join(', ');
      const others = labels.filter((l) => !scores.normal.includes(l)).length;
      out.result(
        { ...summary, testImages: labels.length, anomalous: others },
        `Run ${runId}, epoch ${scores.epoch}: AUC ${scores.auc.toFixed(4)} for telling ${others} test images of other ` +
          `classes from ${labels.length - others} of the normal ones (${names}) by their reconstruction error.`,
      );
      return 0;
    },
  },
  {
    name: 'probe',
    args: '<run-id>',
    summary: "Score a checkpoint's codes: k-NN (k=5) and linear-probe accuracy against chance;",
    details: ['--epoch <n> (default: the last) or --all-epochs (every kept checkpoint: a curve)'],
    async run({ api, out, flags, positionals }) {
      const runId = runIdArg(positionals, 'probe');
      const epoch = number('epoch', flags.epoch);
      if (epoch !== undefined && flags['all-epochs']) {
        throw new UserError('invalid_argument', 'Give --epoch or --all-epochs, not both.');
      }
      if (!flags['all-epochs']) {
        const probe = await api.results.probe({ runId, ...definedOnly({ epoch }) });
        out.result(
          probe,
          `Run ${runId}, ${describeProbe(probe)}\n  on ${probe.dims}-number codes of ${probe.trainCount} training and ` +
            `${probe.testCount} test images`,
        );
        return 0;
      }
      const detail = await api.runs.get({ runId });
      const epochs = detail.run.checkpointEpochs;
      if (epochs.length === 0) throw new UserError('not_found', `Run ${runId} has no checkpoint to score yet.`);
      for (const e of epochs) {
        const probe = await api.results.probe({ runId, epoch: e });
        out.progress(`  ${describeProbe(probe)}`);
      }
      const probes = await api.results.probes({ runId });
      out.result(
        probes,
        `Run ${runId}, across its checkpoints:\n${probes.map((p) => `  ${describeProbe(p)}`).join('\n')}`,
      );
      return 0;
    },
  },
  {
    name: 'reconstruct',
    args: '<run-id>',
    summary: "Reconstruct images and report each one's error: --split <train|test, default test>",
    details: [
      '--n <count, default 10> --order <stratified|first|random|worst|best> --seed <n> --epoch <n>',
      "--image <file> (instead of the dataset's images) --noise <type[:level]> (corrupt first)",
      '--out <file.png> (originals above reconstructions)',
    ],
    async run({ api, out, flags, positionals }) {
      const runId = runIdArg(positionals, 'reconstruct');
      const epoch = number('epoch', flags.epoch);
      const images: EvalImages = flags.image
        ? { from: 'file', path: resolve(flags.image) }
        : {
            from: 'split',
            split: (flags.split ?? 'test') as Split,
            order: (flags.order ?? 'stratified') as 'stratified',
            count: number('n', flags.n) ?? 10,
            ...definedOnly({ seed: number('seed', flags.seed) }),
          };
      const result = await api.results.reconstruct({
        runId,
        ...definedOnly({ epoch }),
        images,
        corruption: flags.noise === undefined ? null : parseNoise(flags.noise),
        ...definedOnly({ seed: number('seed', flags.seed) }),
      });
      const rows = [result.originals, ...(result.inputs ? [result.inputs] : []), result.reconstructions];
      const written = flags.out ? await writeGrid(flags.out, result, rows) : null;
      const { originals: _o, inputs: _i, reconstructions: _r, ...numbers } = result;
      const count = result.items.length;
      out.result(
        { ...numbers, png: written },
        `Run ${runId}, epoch ${result.epoch}: mean squared error ${result.meanMse.toPrecision(4)}, ` +
          `PSNR ${result.meanPsnr.toFixed(2)} dB${result.meanSsim === null ? '' : `, SSIM ${result.meanSsim.toFixed(4)}`} ` +
          `over ${count} image${count === 1 ? '' : 's'}\n` +
          `  MSE      PSNR (dB)  SSIM    class        file\n` +
          result.items
            .map(
              (item) =>
                `  ${item.mse.toFixed(5)}  ${item.psnr.toFixed(2).padStart(9)}  ${item.ssim?.toFixed(4) ?? '  —   '}  ` +
                `${item.labelName.padEnd(12)} ${item.fileName}`,
            )
            .join('\n') +
          (written
            ? `\nWrote ${written} (${rows.length === 3 ? 'originals, corrupted inputs, outputs' : 'originals above reconstructions'})`
            : ''),
      );
      return 0;
    },
  },
  {
    name: 'generate',
    args: '<run-id>',
    summary: 'Decode random codes into new images (a VAE from its prior; otherwise from the training',
    details: ["codes' fitted distribution): --n <count, default 16> --seed <n> --epoch <n> --out <file.png>"],
    async run({ api, out, flags, positionals }) {
      const runId = runIdArg(positionals, 'generate');
      const result = await api.results.decode({
        runId,
        ...definedOnly({ epoch: number('epoch', flags.epoch) }),
        recipe: { kind: 'random', count: number('n', flags.n) ?? 16, seed: number('seed', flags.seed) ?? 1 },
      });
      const perRow = Math.ceil(Math.sqrt(result.count));
      const pixels = Buffer.from(result.images, 'base64');
      const size = result.width * result.height * result.channels;
      const rows = Array.from({ length: Math.ceil(result.count / perRow) }, (_, r) =>
        pixels.subarray(r * perRow * size, Math.min(result.count, (r + 1) * perRow) * size),
      );
      const written = flags.out ? await writeGrid(flags.out, result, rows) : null;
      // Copied out of Buffer's shared pool, whose ArrayBuffer holds other bytes around a small allocation.
      const codes = new Float32Array(Uint8Array.from(Buffer.from(result.codes, 'base64')).buffer);
      out.result(
        {
          runId,
          epoch: result.epoch,
          count: result.count,
          dims: result.dims,
          codes: Array.from({ length: result.count }, (_, i) =>
            Array.from(codes.subarray(i * result.dims, (i + 1) * result.dims)),
          ),
          png: written,
        },
        `Decoded ${result.count} random codes of ${result.dims} numbers (run ${runId}, epoch ${result.epoch})` +
          (written ? `\nWrote ${written}` : '\nAdd --out <file.png> to save them as an image.'),
      );
      return 0;
    },
  },
];
