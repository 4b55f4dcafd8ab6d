/**
 * Workflow comparison: `npm run bench:workflows`. Trains the presets that rebuild our users' notebooks on the real
 * Fashion-MNIST (Debian's dataset-fashion-mnist) exactly as a user would — through the `ae-studio` command, into a
 * kept data folder — and prints each epoch's losses beside the figures the notebooks reported (seeds 001 and 002 in
 * shared/seeds) and, for workflow 002's dense AE, PyTorch training the same model on the same data in the same run.
 *
 *   npm run bench:workflows                                    # both workflows, default epochs
 *   npm run bench:workflows -- --presets fashion-cae-2d --epochs 3
 *
 * Runs are stored in --data-dir (default: <tmp>/ae-studio-bench-workflows). A finished run of the same preset and
 * epochs there is reported again rather than retrained, and an unfinished one (killed, or the machine restarted) is
 * resumed from its last checkpoint: seed 001's CAE costs about half an hour an epoch on a 2-core CPU.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunDetail, RunSummary } from '../src-main/api/contract';
import { hasTorch, runTorchScript } from './torch';

const fashionDir = '/usr/share/datasets/fashion-mnist';
const bin = fileURLToPath(new URL('../bin/ae-studio.mjs', import.meta.url));

interface Workflow {
  source: string;
  epochs: number;
  loss: string;
  /** The notebook's reported losses per epoch (train, test), from the seed write-up. */
  digest: { data: string; perEpoch: Array<[number, number | null]>; note: string };
  /** Whether bench/torch_workflows.py trains the same model. */
  torch: boolean;
}

const workflows: Record<string, Workflow> = {
  'fashion-cae-2d': {
    source: '001 (Keras, Fashion-MNIST)',
    // 100 epochs in the notebook ("about 3 hours", on a GPU); two take about an hour on a 2-core CPU.
    epochs: 2,
    loss: 'BCE',
    digest: {
      data: 'Fashion-MNIST',
      perEpoch: [
        [0.4505, 0.6435],
        [0.3643, 0.7304],
        [0.3527, 0.7493],
        [0.3482, 0.6644],
        [0.345, 0.5278],
        [0.3434, 0.4344],
        [0.3428, 0.3559],
        [0.3416, 0.3365],
        [0.342, 0.345],
        [0.3393, 0.3441],
      ],
      note: 'after 100 epochs: train 0.3259, test 0.3304',
    },
    torch: false,
  },
  'fc-512-256-128-30': {
    source: '002 (PyTorch, MNIST)',
    epochs: 10,
    loss: 'MSE',
    digest: {
      data: 'MNIST',
      perEpoch: [0.0702, 0.0389, 0.0316, 0.0278, 0.0257, 0.0242, 0.0231, 0.022, 0.0212, 0.0206].map((t) => [t, null]),
      note: 'on MNIST, not Fashion-MNIST: digits are easier to reconstruct; PyTorch on the same data is the reference',
    },
    torch: true,
  },
};

/** Runs the CLI against the bench's data folder; progress goes to our stderr, the --json result is returned. */
function cli<T>(dataDir: string, args: string[]): T {
  const out = execFileSync(process.execPath, [bin, ...args, '--data-dir', dataDir, '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 2 ** 20,
  });
  const reply = JSON.parse(out) as { ok: boolean; value: T };
  return reply.value;
}

/** The run to report: a finished one of this preset and epochs, else an unfinished one resumed, else a new one. */
function trainedRun(dataDir: string, preset: string, epochs: number): number {
  const ours = cli<RunSummary[]>(dataDir, ['runs']).filter(
    (r) => r.epochs === epochs && cli<RunDetail>(dataDir, ['run', String(r.id)]).config.preset === preset,
  );
  const done = ours.find((r) => r.status === 'completed');
  if (done) {
    process.stderr.write(`Run ${done.id} (${preset}, ${epochs} epochs) is already trained; reporting it.\n`);
    return done.id;
  }
  const unfinished = ours.find((r) => r.status !== 'failed');
  if (unfinished) {
    process.stderr.write(`Resuming run ${unfinished.id} from its last checkpoint.\n`);
    return cli<RunSummary>(dataDir, ['resume', String(unfinished.id)]).id;
  }
  const args = ['train', '--dataset', 'Fashion-MNIST', '--preset', preset, '--epochs', String(epochs)];
  return cli<RunSummary>(dataDir, args).id;
}

interface TorchEpoch {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  seconds: number;
  engine: string;
}

function torchReference(epochs: number): TorchEpoch[] {
  return hasTorch() ? runTorchScript('torch_workflows.py', ['--data', fashionDir, '--epochs', String(epochs)]) : [];
}

const loss = (v: number | null | undefined) => (v === null || v === undefined ? '' : v.toFixed(4));
const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

function main(): void {
  const { values } = parseArgs({
    options: {
      presets: { type: 'string', default: Object.keys(workflows).join(',') },
      epochs: { type: 'string' },
      'data-dir': { type: 'string', default: join(tmpdir(), 'ae-studio-bench-workflows') },
    },
  });
  if (!existsSync(join(fashionDir, 'train-images-idx3-ubyte.gz')))
    throw new Error("Install Debian's dataset-fashion-mnist first (apt install dataset-fashion-mnist).");
  const dataDir = values['data-dir'];
  mkdirSync(dataDir, { recursive: true });
  const datasets = cli<Array<{ name: string }>>(dataDir, ['datasets']);
  if (!datasets.some((d) => d.name === 'Fashion-MNIST')) cli(dataDir, ['import-builtin', 'fashion-mnist']);

  console.log(`Workflow comparison — ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, data in ${dataDir}`);
  for (const preset of values.presets.split(',')) {
    const workflow = workflows[preset];
    if (!workflow)
      throw new Error(`No workflow figures for preset ${preset}; use ${Object.keys(workflows).join(', ')}`);
    const epochs = values.epochs ? Number(values.epochs) : workflow.epochs;
    const runId = trainedRun(dataDir, preset, epochs);
    const detail = cli<RunDetail>(dataDir, ['run', String(runId)]);
    const torch = workflow.torch ? torchReference(epochs) : [];
    console.log(
      `\n### ${preset} — workflow ${workflow.source}; ${workflow.loss}; ours: run ${runId}, engine ${detail.run.engine}`,
    );
    console.log(`Digest figures are for ${workflow.digest.data}; ${workflow.digest.note}.\n`);
    const header = ['epoch', 'ours train', 'ours test', 'ours time'];
    if (torch.length) header.push('PyTorch train', 'PyTorch test', 'PyTorch time');
    header.push('digest train', 'digest test');
    console.log(`| ${header.join(' | ')} |`);
    console.log(`| ${header.map(() => '---:').join(' | ')} |`);
    for (const m of detail.epochMetrics) {
      const row = [String(m.epoch), loss(m.trainLoss), loss(m.testLoss), minutes(m.elapsedMs)];
      const p = torch.find((t) => t.epoch === m.epoch);
      if (torch.length) row.push(loss(p?.trainLoss), loss(p?.testLoss), p ? minutes(p.seconds * 1000) : '');
      const [train, test] = workflow.digest.perEpoch[m.epoch - 1] ?? [null, null];
      row.push(loss(train), loss(test));
      console.log(`| ${row.join(' | ')} |`);
    }
    if (torch.length) console.log(`\nPyTorch: ${torch[0].engine}`);
  }
}

main();
