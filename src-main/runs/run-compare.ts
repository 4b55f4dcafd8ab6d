import type { Database } from '../store/database';
import type { LayerSpec, RunComparison } from '../api/contract';
import { fieldName } from '../api/field-names';
import type { TrainingSupervisor } from '../training/training-supervisor';
import { getRunDetail } from './run-detail';
import { requireRun } from './run-summaries';

/** A config as flat "path = value" pairs: nested objects by dotted path, lists as compact JSON. */
/** A setting's value as the comparison shows it: whole, in words; layer lists one layer after another. */
function settingText(value: unknown): string {
  if (value === null) return 'off';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (value === 'mse') return 'MSE';
  if (value === 'bce') return 'cross-entropy';
  if (Array.isArray(value))
    return value.length === 0
      ? 'none'
      : value.every(isLayer)
        ? value.map(layerText).join(' → ')
        : value.map((v) => settingText(v)).join(', ');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const isLayer = (value: unknown): value is LayerSpec => typeof value === 'object' && value !== null && 'type' in value;

/** "conv 32 3×3 /2 same relu", "dense 64", "dropout 0.2". */
function layerText(layer: LayerSpec): string {
  const activation = 'activation' in layer && layer.activation ? ` ${layer.activation}` : '';
  switch (layer.type) {
    case 'dense':
      return `dense ${layer.units}${activation}`;
    case 'conv':
    case 'deconv':
      return (
        `${layer.type === 'conv' ? 'conv' : 'transposed conv'} ${layer.filters} ${layer.kernel}×${layer.kernel}` +
        `${layer.stride > 1 ? ` /${layer.stride}` : ''} ${layer.padding}${activation}`
      );
    case 'maxPool':
      return `max pool ${layer.size}`;
    case 'avgPool':
      return `average pool ${layer.size}`;
    case 'upsample':
      return `upsample ×${layer.size}`;
    case 'unpool':
      return 'max unpool';
    case 'batchNorm':
      return layer.momentum === undefined ? 'batch norm' : `batch norm (momentum ${layer.momentum})`;
    case 'dropout':
      return `dropout ${layer.rate}`;
    case 'reshape':
      return `reshape ${layer.height}×${layer.width}×${layer.channels}`;
    case 'flatten':
      return 'flatten';
  }
}

/**
 * A config's settings by dotted path ("model.latent", under `prefix.` when given): nested objects are walked, lists
 * (the layers) and everything else are leaves. Compare and the runs CSV both list settings this way.
 */
export function settingLeaves(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) settingLeaves(inner, prefix ? `${prefix}.${key}` : key, out);
  } else out.set(prefix, value);
  return out;
}

/** Runs side by side: each one's curves, and the settings that are not the same in all of them. */
export function compareRuns(db: Database, supervisor: TrainingSupervisor, runIds: number[]): RunComparison {
  const details = [...new Set(runIds)].map((id) => {
    requireRun(db, id);
    return getRunDetail(db, id, supervisor);
  });
  const flat = details.map((detail) => {
    // The image size follows the dataset, and the dataset shows in its own column.
    const { input: _input, ...config } = detail.config;
    const out = new Map([...settingLeaves(config)].map(([path, leaf]) => [path, JSON.stringify(leaf)]));
    out.set('dataset', JSON.stringify(detail.run.datasetName));
    return out;
  });
  const settings = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
  const differences = settings
    .map((setting) => ({ setting, values: flat.map((f) => f.get(setting) ?? '—') }))
    .filter((row) => new Set(row.values).size > 1)
    .map((row) => ({
      setting: row.setting,
      label: fieldName(row.setting.split('.')) ?? row.setting,
      values: row.values.map((v) => (v === '—' ? v : settingText(JSON.parse(v)))),
    }));
  return {
    runs: details.map((d) => d.run),
    curves: details.map((d) => ({ runId: d.run.id, epochs: d.epochMetrics, batchLoss: d.batchLoss })),
    differences,
    sameDataset: new Set(details.map((d) => d.run.datasetId)).size === 1,
  };
}
