/** The Python that runs exported models in the tests: Debian's, which has python3-torch (CI installs it). */
export const torchPython = '/usr/bin/python3';

/** What an export for PyTorch holds when every layer has a Keras equivalent, sorted. */
export const pytorchExportFiles = [
  'README.md',
  'example.py',
  'model.py',
  'model_keras.py',
  'test_images.safetensors',
  'weights.safetensors',
];
