import type { LayerSpec, ModelConfig, Preset, TrainingConfig } from '../api/contract';
import { trainingDefaults } from './training-config';
import type { ImageShape } from './model-plan';

/**
 * Ready-made models: the architectures of our users' notebooks (shared/reference/WORKFLOWS.md) plus friendly
 * defaults. Each is a function of the dataset's image shape, so feature-map sizes, reshapes and output layers fit any
 * image size; on the notebook's own data it rebuilds the notebook's model (001's CAE has its 306,699 parameters).
 */
interface PresetDefinition {
  id: string;
  name: string;
  origin: string;
  description: string;
  build(shape: ImageShape): Omit<TrainingConfig, 'input' | 'preset'>;
}

const standard = (model: Partial<ModelConfig> & Pick<ModelConfig, 'encoder' | 'decoder'>): ModelConfig => ({
  variant: 'standard',
  latent: 16,
  latentActivation: 'linear',
  activation: 'relu',
  outputActivation: 'sigmoid',
  ...model,
});

const conv = (filters: number, kernel: number, stride: number, padding: 'same' | 'valid' = 'same'): LayerSpec => ({
  type: 'conv',
  filters,
  kernel,
  stride,
  padding,
});

const dense = (units: number): LayerSpec => ({ type: 'dense', units });
/** Undoes a stride-2 'same' 3x3 conv: doubles the feature map. */
const halvingDeconv = (filters: number): LayerSpec => ({
  type: 'deconv',
  filters,
  kernel: 3,
  stride: 2,
  padding: 'same',
});
const bn: LayerSpec = { type: 'batchNorm' };

/**
 * A stride-2 transposed conv from size `from` to exactly `to` when `to` ≥ 2·from (kernel 2 doubles, 3 adds one,
 * and so on); smaller targets get 'same' padding and the final crop trims the difference.
 */
function deconvTo(from: number, to: number, filters: number): LayerSpec {
  if (to >= 2 * from)
    return { type: 'deconv', filters, kernel: Math.min(15, 2 + to - 2 * from), stride: 2, padding: 'valid' };
  return { type: 'deconv', filters, kernel: 3, stride: 2, padding: 'same' };
}

/** Sizes after repeatedly halving with floor (k=2 s=2 valid convs, or 2x2 max-pooling). */
function floorHalvings(size: number, times: number): number[] {
  const sizes = [size];
  for (let i = 0; i < times; i++) sizes.push(Math.floor(sizes[i] / 2));
  return sizes;
}

/** The 3x3 max-pooled conv encoder of seed 002 (8, 16, 16 filters). */
const pooledEncoder: LayerSpec[] = [
  conv(8, 3, 1),
  { type: 'maxPool', size: 2 },
  conv(16, 3, 1),
  { type: 'maxPool', size: 2 },
  conv(16, 3, 1),
  { type: 'maxPool', size: 2 },
];

/** Seed 001's Keras CAE; the reshape size is chosen so the decoder reaches the image size. */
function fashionCae([height, width]: ImageShape): Omit<TrainingConfig, 'input' | 'preset'> {
  // Inverse of "upsample x3 then valid 3x3 conv" (s -> 3s - 2), applied twice, so the decoder reaches the image.
  const start = (size: number) => Math.ceil((Math.ceil((size + 2) / 3) + 2) / 3);
  const [h, w] = [start(height), start(width)];
  return {
    ...trainingDefaults,
    loss: 'bce',
    batchSize: 100,
    epochs: 20,
    model: standard({
      latent: 2,
      latentActivation: 'relu',
      encoder: [
        conv(112, 3, 1, 'valid'),
        bn,
        { type: 'maxPool', size: 2 },
        conv(112, 3, 1, 'valid'),
        bn,
        { type: 'maxPool', size: 2 },
      ],
      decoder: [
        bn,
        dense(h * w * 64),
        bn,
        { type: 'reshape', height: h, width: w, channels: 64 },
        bn,
        { type: 'upsample', size: 3 },
        conv(112, 3, 1, 'valid'),
        bn,
        { type: 'upsample', size: 3 },
        conv(112, 3, 1, 'valid'),
        bn,
      ],
    }),
  };
}

/** Seed 000 used 19 filters (22x22x19 = 9196 features); capped so its output layer stays under 30M weights. */
function cifarLastFilters(pixels: number): number {
  return Math.max(1, Math.min(19, Math.floor(30_000_000 / (22 * 22 * pixels))));
}

const definitions: PresetDefinition[] = [
  {
    id: 'small-conv',
    name: 'Small convolutional AE',
    origin: 'Autoencoder Studio',
    description: 'Two stride-2 3x3 conv layers (16, 32 filters), latent 16, transposed-conv decoder. A good first run.',
    build: ([, , channels]) => ({
      ...trainingDefaults,
      model: standard({
        encoder: [conv(16, 3, 2), conv(32, 3, 2)],
        decoder: [halvingDeconv(16), halvingDeconv(channels)],
      }),
    }),
  },
  {
    id: 'small-dense',
    name: 'Small dense AE',
    origin: 'Autoencoder Studio',
    description: 'Fully connected 256-64 encoder, latent 16, mirrored decoder. Fastest to train.',
    build: () => ({
      ...trainingDefaults,
      model: standard({ encoder: [dense(256), dense(64)], decoder: [dense(64), dense(256)] }),
    }),
  },
  {
    id: 'conv-vae',
    name: 'Convolutional VAE',
    origin: 'Autoencoder Studio',
    description:
      'Variational AE: conv 32-64 encoder to a 16-D Gaussian code, BCE + KL. Its decoder turns random codes into new images.',
    build: ([, , channels]) => ({
      ...trainingDefaults,
      loss: 'bce',
      model: {
        ...standard({
          encoder: [conv(32, 3, 2), conv(64, 3, 2)],
          decoder: [halvingDeconv(32), halvingDeconv(channels)],
        }),
        variant: 'variational',
      },
    }),
  },
  {
    id: 'cifar-conv-latent10',
    name: 'CIFAR conv AE, latent 10',
    origin: 'Workflow 000 (CIFAR-10, PyTorch)',
    description:
      'Four valid convs (13, 26, 38, 45 filters; kernels 1/2/2/2, strides 1/2/2/3), latent 10, dense 16 → 4x4x1, four ' +
      'transposed convs, dense output. Leaky ReLU everywhere, MSE, Adam.',
    build: ([height, width, channels]) => ({
      ...trainingDefaults,
      batchSize: 32,
      epochs: 2,
      model: standard({
        activation: 'leakyRelu',
        latent: 10,
        latentActivation: 'leakyRelu',
        encoder: [conv(13, 1, 1, 'valid'), conv(26, 2, 2, 'valid'), conv(38, 2, 2, 'valid'), conv(45, 2, 3, 'valid')],
        decoder: [
          dense(16),
          { type: 'reshape', height: 4, width: 4, channels: 1 },
          { type: 'deconv', filters: 5, kernel: 2, stride: 1, padding: 'valid' },
          { type: 'deconv', filters: 9, kernel: 2, stride: 2, padding: 'valid' },
          { type: 'deconv', filters: 14, kernel: 3, stride: 2, padding: 'valid' },
          // The output layer maps 22x22xf features to every pixel; fewer filters keep it trainable for large images.
          {
            type: 'deconv',
            filters: cifarLastFilters(height * width * channels),
            kernel: 2,
            stride: 1,
            padding: 'valid',
          },
          { type: 'flatten' },
        ],
      }),
    }),
  },
  {
    id: 'fashion-cae-2d',
    name: 'Fashion CAE, 2-D latent',
    origin: 'Workflow 001 (Fashion-MNIST, Keras)',
    description:
      'Conv(112, 3)+BN+MaxPool twice, Dense(2, ReLU)+BN code, Dense(1024)+BN, reshape, UpSampling(3)+Conv(112, 3)+BN ' +
      'twice, 1x1 sigmoid conv. BCE, batch 100 (the notebook trained 100 epochs).',
    build: fashionCae,
  },
  {
    id: 'fashion-denoising-cae',
    name: 'Fashion denoising CAE',
    origin: 'Workflow 001 (Fashion-MNIST, Keras)',
    description: 'The 2-D latent CAE above, trained on inputs with Gaussian noise (σ 0.2) to output the clean image.',
    build: (shape) => ({ ...fashionCae(shape), corruption: { type: 'gaussian', level: 0.2 } }),
  },
  {
    id: 'fc-512-256-128-30',
    name: 'Dense AE 512-256-128-30',
    origin: 'Workflow 002 (MNIST, PyTorch)',
    description:
      'The PCA comparison model: 784-512-256-128-30 encoder (ReLU), 30-128-256-784 decoder, MSE, Adam 3e-4, batch 256, ' +
      '10 epochs. Sigmoid output where the notebook had ReLU, so pixels stay in 0..1.',
    build: () => ({
      ...trainingDefaults,
      learningRate: 3e-4,
      batchSize: 256,
      epochs: 10,
      model: standard({
        latent: 30,
        latentActivation: 'relu',
        encoder: [dense(512), dense(256), dense(128)],
        decoder: [dense(128), dense(256)],
      }),
    }),
  },
  {
    id: 'one-hidden-128',
    name: 'One hidden layer (128)',
    origin: 'Workflow 002 (MNIST, PyTorch)',
    description:
      'Under-complete AE 784-x-784 with x = 128 (the notebook compared 64, 128 and 256: change the latent size).',
    build: () => ({
      ...trainingDefaults,
      learningRate: 3e-4,
      batchSize: 256,
      epochs: 10,
      model: standard({ latent: 128, latentActivation: 'relu', encoder: [], decoder: [] }),
    }),
  },
  {
    id: 'sparse-1156',
    name: 'Sparse over-complete AE (1156)',
    origin: 'Workflow 002 (MNIST, PyTorch)',
    description:
      "784-1156-784 with an L1 penalty on the hidden activations. The notebook's weight 4e-6 was on the sum over a " +
      'batch of 256 images; per image that is 1.024e-3. 5 epochs.',
    build: () => ({
      ...trainingDefaults,
      learningRate: 3e-4,
      batchSize: 256,
      epochs: 5,
      sparsity: { weight: 4e-6 * 256, layers: ['latent'] },
      model: standard({ latent: 1156, latentActivation: 'relu', encoder: [], decoder: [] }),
    }),
  },
  {
    id: 'denoising-256',
    name: 'Denoising AE (256)',
    origin: 'Workflow 002 (MNIST, PyTorch)',
    description: '784-256-784 trained on inputs with Gaussian noise (the notebook tried 0.3, 0.5, 0.8 and 0.9).',
    build: () => ({
      ...trainingDefaults,
      learningRate: 3e-4,
      batchSize: 256,
      epochs: 10,
      corruption: { type: 'gaussian', level: 0.5 },
      model: standard({ latent: 256, latentActivation: 'relu', encoder: [], decoder: [] }),
    }),
  },
  {
    id: 'manifold-64-8',
    name: 'Manifold AE 64-8-64',
    origin: 'Workflow 002 (MNIST, PyTorch)',
    description: '784-64-8-64-784: an 8-D code to explore by adding noise to it and decoding.',
    build: () => ({
      ...trainingDefaults,
      learningRate: 3e-4,
      batchSize: 256,
      epochs: 10,
      model: standard({ latent: 8, latentActivation: 'relu', encoder: [dense(64)], decoder: [dense(64)] }),
    }),
  },
  {
    id: 'conv-unpool',
    name: 'Conv AE, max-unpooling decoder',
    origin: 'Workflow 002 (MNIST, PyTorch)',
    description:
      "Conv 8-16-16 (3x3) each with 2x2 max-pooling; the decoder unpools with the encoder's pooling indices. The " +
      'code is the last pooled feature map. 5 epochs.',
    build: ([, , channels]) => ({
      ...trainingDefaults,
      epochs: 5,
      model: standard({
        latent: null,
        encoder: pooledEncoder,
        decoder: [{ type: 'unpool' }, { type: 'unpool' }, conv(8, 3, 1), { type: 'unpool' }, conv(channels, 3, 1)],
      }),
    }),
  },
  {
    id: 'conv-transpose',
    name: 'Conv AE, transposed-conv decoder',
    origin: 'Workflow 002 (MNIST, PyTorch)',
    description: 'The same pooled encoder; the decoder upsamples with stride-2 transposed convolutions. 5 epochs.',
    build: ([height, width, channels]) => {
      const sizes = floorHalvings(Math.max(height, width), 3);
      return {
        ...trainingDefaults,
        epochs: 5,
        model: standard({
          latent: null,
          encoder: pooledEncoder,
          decoder: [
            deconvTo(sizes[3], sizes[2], 16),
            deconvTo(sizes[2], sizes[1], 8),
            deconvTo(sizes[1], sizes[0], channels),
          ],
        }),
      };
    },
  },
  {
    id: 'conv-unpool-transpose',
    name: 'Conv AE, unpooling + transposed conv',
    origin: 'Workflow 002 (MNIST, PyTorch)',
    description:
      'The same pooled encoder; each decoder stage unpools with the indices, then a 3x3 transposed conv. 5 epochs.',
    build: ([, , channels]) => {
      const deconv = (filters: number): LayerSpec => ({
        type: 'deconv',
        filters,
        kernel: 3,
        stride: 1,
        padding: 'same',
      });
      return {
        ...trainingDefaults,
        epochs: 5,
        model: standard({
          latent: null,
          encoder: pooledEncoder,
          decoder: [
            { type: 'unpool' },
            deconv(16),
            { type: 'unpool' },
            deconv(8),
            { type: 'unpool' },
            deconv(channels),
          ],
        }),
      };
    },
  },
  {
    id: 'selu-conv-fc',
    name: 'SELU conv + dense AE',
    origin: 'Workflow 003 (MNIST, PyTorch)',
    description:
      'Conv 6-39-72 (3x3, stride 2) then dense 145-98-52 to a latent of n = 6 (the report compared 2 and 6), mirrored ' +
      'decoder, SELU everywhere, sigmoid output. MSE, Adam 1e-3, batch 512 (the report trained 60 epochs).',
    build: ([height, width, channels]) => {
      const side = Math.max(height, width);
      const s1 = Math.ceil(side / 2);
      const s2 = Math.ceil(s1 / 2);
      const s3 = Math.floor((s2 - 3) / 2) + 1;
      return {
        ...trainingDefaults,
        batchSize: 512,
        epochs: 20,
        model: standard({
          activation: 'selu',
          latent: 6,
          encoder: [conv(6, 3, 2), conv(39, 3, 2), conv(72, 3, 2, 'valid'), dense(145), dense(98), dense(52)],
          decoder: [
            dense(52),
            dense(98),
            dense(145),
            deconvTo(s3, s2, 39),
            deconvTo(s2, s1, 6),
            deconvTo(s1, side, channels),
          ],
        }),
      };
    },
  },
  {
    id: 'photos-stride2-bn',
    name: 'Photo CAE: stride-2 conv + BN stack',
    origin: 'Workflow 004 (own photos, PyTorch)',
    description:
      'Stride-2 2x2 convs with batch norm and ReLU, 32 → 1024 filters, down to 1x1 (7 layers for 128x128), latent 64, ' +
      'mirrored transposed-conv decoder with batch norm, sigmoid output. MSE, batch 32.',
    build: ([height, width, channels]) => {
      const side = Math.min(height, width);
      const layers = Math.max(1, Math.floor(Math.log2(side)));
      const sizes = floorHalvings(Math.max(height, width), layers);
      const filters = Array.from({ length: layers }, (_, i) => Math.min(1024, 32 * 2 ** i));
      const encoder = filters.flatMap((f): LayerSpec[] => [conv(f, 2, 2, 'valid'), bn]);
      const decoder: LayerSpec[] = [];
      for (let i = layers - 1; i >= 0; i--) {
        const out = i === 0 ? channels : filters[i - 1];
        decoder.push(deconvTo(sizes[i + 1], sizes[i], out));
        if (i > 0) decoder.push(bn);
      }
      return {
        ...trainingDefaults,
        batchSize: 32,
        epochs: 50,
        model: standard({ latent: 64, encoder, decoder }),
      };
    },
  },
];

export const defaultPresetId = 'small-conv';
export const presetIds = definitions.map((d) => d.id);

/** Every preset, adapted to images of `shape`. */
export function listPresets(shape: ImageShape): Preset[] {
  return definitions.map(({ id, name, origin, description, build }) => ({
    id,
    name,
    origin,
    description,
    config: { ...build(shape), preset: id },
  }));
}

/** A preset's name ("Small dense"), or undefined for a custom model or an unknown id. */
export function presetName(id: string | undefined): string | undefined {
  return definitions.find((d) => d.id === id)?.name;
}

/** One preset for images of `shape`, or undefined when there is no such id. */
export function presetConfig(id: string, shape: ImageShape): TrainingConfig | undefined {
  const definition = definitions.find((d) => d.id === id);
  return definition && { ...definition.build(shape), preset: id };
}
