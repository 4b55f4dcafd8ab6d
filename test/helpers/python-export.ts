import { execFileSync } from 'node:child_process';

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

/** A CSV file as Python's csv module reads it (what pandas and Tableau see): one object per row, by header. */
export function readCsvWithPython(file: string): Array<Record<string, string>> {
  const script = 'import csv, json, sys\nprint(json.dumps(list(csv.DictReader(open(sys.argv[1], newline="")))))';
  return JSON.parse(execFileSync(torchPython, ['-c', script, file], { encoding: 'utf8' })) as Array<
    Record<string, string>
  >;
}
