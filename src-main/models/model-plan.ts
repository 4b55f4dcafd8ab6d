import { UserError } from '../api/errors';
import type { LayerSpec, LayerSummary, ModelConfig, ModelSummary } from '../api/contract';
import type { Activation } from './model-config';

/**
 * Turns a model description into the exact list of layers that will be built, with every output shape and parameter
 * count, without touching tfjs. The same plan drives the builder, the Keras-style summary and the validation, so a
 * config that cannot work is explained in words before any training starts.
 */

export type ImageShape = [height: number, width: number, channels: number];
type Shape = number[];

/** Name of the layer whose output is the code (for a VAE: the sample; its mean is `latentMeanLayerName`). */
export const latentLayerName = 'latent';
export const latentMeanLayerName = 'z_mean';
export const latentLogVarLayerName = 'z_log_var';
/** tfjs's and Keras's default: each training batch moves the moving statistics 1% of the way. */
export const defaultBatchNormMomentum = 0.99;
/** Largest model we agree to build: beyond this, a desktop CPU cannot train it in reasonable time or memory. */
export const maxParams = 100_000_000;

export type PlannedOp =
  | { op: 'input' }
  | { op: 'flatten' }
  | { op: 'reshape'; target: [number, number, number] }
  | { op: 'dense'; units: number; activation: Activation }
  | {
      op: 'conv' | 'deconv';
      filters: number;
      kernel: number;
      stride: number;
      padding: 'same' | 'valid';
      activation: Activation;
    }
  | { op: 'maxPool' | 'avgPool' | 'upsample'; size: number }
  /** `indices` is the encoder layer whose output was max-pooled; its pooling picks where each value goes back. */
  | { op: 'unpool'; size: number; indices: string }
  | { op: 'batchNorm'; momentum: number }
  | { op: 'dropout'; rate: number }
  | { op: 'identity' }
  | { op: 'sample' }
  | { op: 'crop'; top: number; bottom: number; left: number; right: number };

export type PlannedLayer = PlannedOp & {
  name: string;
  kind: string;
  section: LayerSummary['section'];
  inputs: string[];
  shape: Shape;
  params: number;
  trainableParams: number;
  automatic: boolean;
};

export interface ModelPlan {
  input: ImageShape;
  layers: PlannedLayer[];
  /** A VAE: the model also outputs the code's mean and log-variance for the KL term. */
  variational: boolean;
  summary: ModelSummary;
}

const kinds: Record<PlannedOp['op'], string> = {
  input: 'InputLayer',
  flatten: 'Flatten',
  reshape: 'Reshape',
  dense: 'Dense',
  conv: 'Conv2D',
  deconv: 'Conv2DTranspose',
  maxPool: 'MaxPooling2D',
  avgPool: 'AveragePooling2D',
  upsample: 'UpSampling2D',
  unpool: 'MaxUnpooling2D',
  batchNorm: 'BatchNormalization',
  dropout: 'Dropout',
  identity: 'Identity',
  sample: 'GaussianSample',
  crop: 'Cropping2D',
};

const describeShape = (shape: Shape): string =>
  shape.length === 3 ? `${shape[0]}x${shape[1]}x${shape[2]}` : `${shape[0]}`;
const product = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/** Output length of a transposed convolution, as tfjs computes it. */
function deconvLength(size: number, stride: number, kernel: number, padding: 'same' | 'valid'): number {
  return size * stride + (padding === 'valid' ? Math.max(kernel - stride, 0) : 0);
}

class Planner {
  readonly layers: PlannedLayer[] = [];
  private readonly counters = new Map<string, number>();
  private readonly pools: Array<{ input: string; inShape: Shape; outShape: Shape; size: number; label: string }> = [];
  /** The encoder's last feature-map shape: where a decoder goes back to spatial layers by default. */
  private lastEncoderMap: [number, number, number] | null = null;

  constructor(
    private readonly config: ModelConfig,
    readonly input: ImageShape,
  ) {
    this.add({ op: 'input' }, 'input', 'input', [...input], 0, 0, false, []);
  }

  get current(): PlannedLayer {
    return this.layers[this.layers.length - 1];
  }

  name(section: string, base: string): string {
    const key = `${section}_${base}`;
    const n = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, n);
    return `${key}_${n}`;
  }

  add(
    op: PlannedOp,
    name: string,
    section: LayerSummary['section'],
    shape: Shape,
    params: number,
    trainableParams: number,
    automatic: boolean,
    inputs = [this.current.name],
  ): PlannedLayer {
    const layer = { ...op, name, kind: kinds[op.op], section, inputs, shape, params, trainableParams, automatic };
    this.layers.push(layer);
    if (section === 'encoder' && shape.length === 3) this.lastEncoderMap = shape as [number, number, number];
    return layer;
  }

  flattenIfSpatial(section: LayerSummary['section']): void {
    if (this.current.shape.length === 3) {
      this.add(
        { op: 'flatten' },
        `${section}_flatten_${this.layers.length}`,
        section,
        [product(this.current.shape)],
        0,
        0,
        true,
      );
    }
  }

  /** A dense layer on the current tensor, or on `from` (the VAE's two heads share one input). */
  dense(
    section: LayerSummary['section'],
    name: string,
    units: number,
    activation: Activation,
    automatic = false,
    from?: PlannedLayer,
  ): void {
    if (!from) this.flattenIfSpatial(section);
    const source = from ?? this.current;
    const params = source.shape[0] * units + units;
    this.add({ op: 'dense', units, activation }, name, section, [units], params, params, automatic, [source.name]);
  }

  /** Projects a vector to a feature-map shape (dense layer only when the sizes differ) and reshapes it. */
  reshapeTo(section: LayerSummary['section'], target: [number, number, number]): void {
    this.flattenIfSpatial(section);
    if (this.current.shape[0] !== product(target)) {
      this.dense(section, `${section}_project`, product(target), this.config.activation, true);
    }
    this.add({ op: 'reshape', target }, this.name(section, 'reshape'), section, [...target], 0, 0, true);
  }

  /** Makes sure the current tensor is a feature map before a spatial layer. */
  requireMap(section: 'encoder' | 'decoder', label: string): [number, number, number] {
    if (this.current.shape.length === 3) return this.current.shape as [number, number, number];
    if (section === 'decoder' && this.lastEncoderMap) {
      this.reshapeTo(section, this.lastEncoderMap);
      return this.lastEncoderMap;
    }
    throw new UserError(
      'invalid_argument',
      `${label} needs feature maps, but it follows a dense (vector) layer. Add a reshape layer before it.`,
    );
  }

  layer(section: 'encoder' | 'decoder', spec: LayerSpec, index: number): void {
    const label = `${section === 'encoder' ? 'Encoder' : 'Decoder'} layer ${index + 1} (${spec.type})`;
    const activation = 'activation' in spec && spec.activation ? spec.activation : this.config.activation;
    switch (spec.type) {
      case 'dense':
        return this.dense(section, this.name(section, 'dense'), spec.units, activation);
      case 'flatten':
        return this.flattenIfSpatial(section);
      case 'reshape':
        return this.reshapeTo(section, [spec.height, spec.width, spec.channels]);
      case 'batchNorm': {
        const channels = this.current.shape[this.current.shape.length - 1];
        this.add(
          { op: 'batchNorm', momentum: spec.momentum ?? defaultBatchNormMomentum },
          this.name(section, 'bn'),
          section,
          this.current.shape,
          4 * channels,
          2 * channels,
          false,
        );
        return;
      }
      case 'dropout':
        this.add(
          { op: 'dropout', rate: spec.rate },
          this.name(section, 'dropout'),
          section,
          this.current.shape,
          0,
          0,
          false,
        );
        return;
      case 'conv':
      case 'deconv': {
        const [h, w, c] = this.requireMap(section, label);
        const { filters, kernel, stride, padding } = spec;
        let out: [number, number];
        if (spec.type === 'conv') {
          if (padding === 'valid' && (kernel > h || kernel > w)) {
            throw new UserError(
              'invalid_argument',
              `${label}: its ${kernel}x${kernel} kernel is larger than its ${h}x${w} input. ` +
                `Use a smaller kernel, 'same' padding, or fewer shrinking layers before it.`,
            );
          }
          out =
            padding === 'same'
              ? [Math.ceil(h / stride), Math.ceil(w / stride)]
              : [Math.floor((h - kernel) / stride) + 1, Math.floor((w - kernel) / stride) + 1];
        } else {
          out = [deconvLength(h, stride, kernel, padding), deconvLength(w, stride, kernel, padding)];
        }
        const params = kernel * kernel * c * filters + filters;
        const op = { op: spec.type, filters, kernel, stride, padding, activation } as const;
        this.add(op, this.name(section, spec.type), section, [...out, filters], params, params, false);
        return;
      }
      case 'maxPool':
      case 'avgPool': {
        const [h, w, c] = this.requireMap(section, label);
        if (spec.size > h || spec.size > w) {
          throw new UserError(
            'invalid_argument',
            `${label}: ${spec.size}x${spec.size} pooling does not fit its ${h}x${w} input. Remove it or a shrinking layer before it.`,
          );
        }
        const input = this.current;
        const layer = this.add(
          { op: spec.type, size: spec.size },
          this.name(section, spec.type === 'maxPool' ? 'maxpool' : 'avgpool'),
          section,
          [Math.floor(h / spec.size), Math.floor(w / spec.size), c],
          0,
          0,
          false,
        );
        if (spec.type === 'maxPool' && section === 'encoder') {
          this.pools.push({ input: input.name, inShape: input.shape, outShape: layer.shape, size: spec.size, label });
        }
        return;
      }
      case 'upsample': {
        const [h, w, c] = this.requireMap(section, label);
        const name = this.name(section, 'upsample');
        this.add({ op: 'upsample', size: spec.size }, name, section, [h * spec.size, w * spec.size, c], 0, 0, false);
        return;
      }
      case 'unpool': {
        const shape = this.requireMap(section, label);
        const pool = this.pools.pop();
        if (!pool) {
          throw new UserError(
            'invalid_argument',
            `${label} has no encoder max-pooling layer to take its indices from. Unpooling layers pair with the ` +
              `encoder's max-pool layers from the innermost outwards, so the decoder can have at most as many.`,
          );
        }
        if (describeShape(shape) !== describeShape(pool.outShape)) {
          throw new UserError(
            'invalid_argument',
            `${label} receives ${describeShape(shape)} feature maps, but its matching ${pool.label.toLowerCase()} ` +
              `produced ${describeShape(pool.outShape)}. Unpooling needs the same shape: change the layers between them.`,
          );
        }
        this.add(
          { op: 'unpool', size: pool.size, indices: pool.input },
          this.name(section, 'unpool'),
          section,
          [...pool.inShape],
          0,
          0,
          false,
          [pool.input, this.current.name],
        );
        return;
      }
    }
  }
}

/** Plans the model for images of `input` shape; throws a UserError that says what to change when it cannot work. */
export function planModel(config: ModelConfig, input: ImageShape): ModelPlan {
  const planner = new Planner(config, input);
  config.encoder.forEach((spec, i) => planner.layer('encoder', spec, i));

  const variational = config.variant === 'variational';
  if (variational) {
    if (config.latent === null) {
      throw new UserError('invalid_argument', 'A variational autoencoder needs a latent size (the size of its code).');
    }
    planner.flattenIfSpatial('latent');
    const features = planner.current;
    planner.dense('latent', latentMeanLayerName, config.latent, 'linear');
    planner.dense('latent', latentLogVarLayerName, config.latent, 'linear', false, features);
    planner.add({ op: 'sample' }, latentLayerName, 'latent', [config.latent], 0, 0, false, [
      latentMeanLayerName,
      latentLogVarLayerName,
    ]);
  } else if (config.latent === null) {
    planner.add({ op: 'identity' }, latentLayerName, 'latent', planner.current.shape, 0, 0, false);
  } else {
    planner.dense('latent', latentLayerName, config.latent, config.latentActivation);
  }
  const latentSize = product(planner.current.shape);

  config.decoder.forEach((spec, i) => planner.layer('decoder', spec, i));
  finishOutput(planner, config, input);

  const layers = planner.layers;
  const totalParams = layers.reduce((a, l) => a + l.params, 0);
  const trainableParams = layers.reduce((a, l) => a + l.trainableParams, 0);
  if (totalParams > maxParams) {
    throw new UserError(
      'invalid_argument',
      `This model has ${totalParams.toLocaleString('en-US')} parameters; the most Autoencoder Studio trains is ` +
        `${maxParams.toLocaleString('en-US')}. Use fewer filters or units, or shrink the feature maps before dense layers.`,
    );
  }
  return {
    input,
    layers,
    variational,
    summary: {
      layers: layers.map(({ name, kind, section, shape, params, trainableParams: trainable, automatic }) => ({
        name,
        kind,
        section,
        outputShape: shape,
        params,
        trainableParams: trainable,
        automatic,
      })),
      totalParams,
      trainableParams,
      nonTrainableParams: totalParams - trainableParams,
      latentSize,
    },
  };
}

/**
 * The decoder must end as the image: a vector gets a dense output layer and a reshape; feature maps get a 1x1 conv to
 * the image's channels unless the last layer already is a conv with that many filters (then it takes the output
 * activation), and are centre-cropped when larger than the image.
 */
function finishOutput(planner: Planner, config: ModelConfig, input: ImageShape): void {
  const [height, width, channels] = input;
  const last = planner.current;
  if (last.shape.length === 1) {
    planner.dense('output', 'output', height * width * channels, config.outputActivation, true);
    planner.add({ op: 'reshape', target: input }, 'image', 'output', [...input], 0, 0, true);
    return;
  }
  if ((last.op === 'conv' || last.op === 'deconv') && last.section === 'decoder' && last.filters === channels) {
    last.activation = config.outputActivation;
    last.section = 'output';
  } else {
    const params = last.shape[2] * channels + channels;
    const op = {
      op: 'conv',
      filters: channels,
      kernel: 1,
      stride: 1,
      padding: 'same',
      activation: config.outputActivation,
    } as const;
    planner.add(op, 'output', 'output', [last.shape[0], last.shape[1], channels], params, params, true);
  }
  const [h, w] = planner.current.shape;
  if (h < height || w < width) {
    throw new UserError(
      'invalid_argument',
      `The decoder ends with ${h}x${w} feature maps, but the images are ${height}x${width}. It must end at least as ` +
        `large as the image (anything larger is cropped): add upsampling, or change the strides or kernels.`,
    );
  }
  if (h > height || w > width) {
    const top = Math.floor((h - height) / 2);
    const left = Math.floor((w - width) / 2);
    const crop = { op: 'crop', top, bottom: h - height - top, left, right: w - width - left } as const;
    planner.add(crop, 'crop', 'output', [...input], 0, 0, true);
  }
}
