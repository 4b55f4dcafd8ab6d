/**
 * Settings and arguments named as the screens name them, from their path in a request or config
 * (["config", "model", "encoder", 1, "filters"] → "Encoder layer 2 filters"): used for validation messages and for
 * the settings a comparison lists.
 */

/** Field names as the forms show them, by the last one or two keys of the path. */
const fieldNames: Record<string, string> = {
  datasetId: 'Dataset',
  runId: 'Run',
  runIds: 'Runs',
  projectId: 'Project',
  sweepId: 'Sweep',
  embeddingId: 'Embedding',
  projectionId: 'Map',
  epochs: 'Epochs',
  batchSize: 'Batch size',
  learningRate: 'Learning rate',
  optimizer: 'Optimizer',
  momentum: 'Momentum',
  lrSchedule: 'Learning-rate schedule',
  'lrSchedule.type': 'Learning-rate schedule',
  warmupEpochs: 'Warm-up epochs',
  stepEpochs: 'Decay every',
  'lrSchedule.factor': 'Decay factor',
  'lrSchedule.patience': 'Patience',
  weightDecay: 'Weight decay',
  trainSubset: 'Training images used',
  trainClasses: 'Classes to train on',
  loss: 'Loss',
  seed: 'Seed',
  klWeight: 'KL weight β',
  'sparsity.weight': 'Sparsity weight λ',
  'sparsity.layers': 'Sparse layers',
  'earlyStopping.patience': 'Patience',
  'earlyStopping.minDelta': 'Smallest improvement',
  'checkpoints.keepLast': 'Last checkpoints kept',
  'checkpoints.keepEvery': 'Every N-th checkpoint kept',
  'checkpoints.lookBack': 'Look-back checkpoints',
  corruption: 'Denoising',
  sparsity: 'Sparsity penalty',
  earlyStopping: 'Early stopping',
  checkpoints: 'Checkpoints kept',
  preset: 'Preset',
  dataset: 'Dataset',
  'corruption.type': 'Denoising',
  'corruption.level': 'Corruption level',
  'model.variant': 'Model kind',
  'model.latent': 'Latent size',
  'model.latentActivation': 'Code activation',
  'model.activation': 'Activation',
  'model.outputActivation': 'Output activation',
  'model.encoder': 'Encoder',
  'model.decoder': 'Decoder',
  config: 'The config',
  input: 'Input shape',
  channels: 'Colour channels',
  name: 'Name',
  path: 'Folder',
  dir: 'Folder',
  out: 'Destination folder',
  format: 'Format',
  split: 'Split',
  order: 'Order',
  count: 'Number of images',
  testSplit: 'Test share',
  tags: 'Tags',
  label: 'Label',
  notes: 'Notes',
  method: 'Method',
  perplexity: 'Perplexity',
  iterations: 'Iterations',
  exaggeration: 'Early exaggeration',
  init: 'Initialisation',
  nNeighbors: 'Neighbours',
  minDist: 'Minimum distance',
  k: 'Number of similar images',
  epoch: 'Epoch',
};

/** A layer's own fields, after "Encoder layer 3". */
const layerFieldNames: Record<string, string> = {
  type: 'type',
  units: 'units',
  filters: 'filters',
  kernel: 'kernel size',
  stride: 'stride',
  padding: 'padding',
  size: 'size',
  rate: 'rate',
  momentum: 'momentum',
  activation: 'activation',
  height: 'height',
  width: 'width',
  channels: 'channels',
};

type Path = readonly PropertyKey[];

/** The field's name in words, or undefined for the argument as a whole. */
export function fieldName(path: Path): string | undefined {
  const keys = path.map(String);
  const layerAt = keys.findIndex(
    (key, i) => (key === 'encoder' || key === 'decoder') && /^\d+$/.test(keys[i + 1] ?? ''),
  );
  if (layerAt >= 0) {
    const layer = `${keys[layerAt] === 'encoder' ? 'Encoder' : 'Decoder'} layer ${Number(keys[layerAt + 1]) + 1}`;
    const field = keys[layerAt + 2];
    return field === undefined ? layer : `${layer} ${layerFieldNames[field] ?? humanize(field)}`;
  }
  const named = keys.filter((key) => !/^\d+$/.test(key));
  if (named.length === 0) return undefined;
  const lastTwo = named.slice(-2).join('.');
  const last = named.at(-1)!;
  return fieldNames[lastTwo] ?? fieldNames[last] ?? capitalize(humanize(last));
}

function humanize(key: string): string {
  return key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
