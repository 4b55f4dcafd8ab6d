import type { TrainingConfig } from '../src-main/api/contract';

/**
 * Issue 5's reference conv AE in the app's model language, for any square image size (a multiple of 4) and channel
 * count: bench:train uses 28x28 grey, bench:gallery 64x64 RGB. bench/torch_reference.py's reference_conv is the same.
 */
export function referenceConv(size: number, channels: number): TrainingConfig['model'] {
  const quarter = size / 4;
  return {
    variant: 'standard',
    encoder: [
      { type: 'conv', filters: 32, kernel: 3, stride: 2, padding: 'same' },
      { type: 'conv', filters: 64, kernel: 3, stride: 2, padding: 'same' },
    ],
    latent: 16,
    latentActivation: 'linear',
    decoder: [
      { type: 'dense', units: quarter * quarter * 64 },
      { type: 'reshape', height: quarter, width: quarter, channels: 64 },
      { type: 'deconv', filters: 32, kernel: 3, stride: 2, padding: 'same' },
      { type: 'deconv', filters: channels, kernel: 3, stride: 2, padding: 'same' },
    ],
    activation: 'relu',
    outputActivation: 'sigmoid',
  };
}
