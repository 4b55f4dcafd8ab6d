/** What the exported Python files say about where they came from. */
export interface ExportInfo {
  runId: number;
  runName: string;
  epoch: number;
  datasetName: string;
  classNames: string[];
}

/** Text safe inside a Python docstring: no backslashes or closing quotes, one line. */
export const docText = (text: string) => text.replace(/[\\"\r\n]+/g, ' ').trim();

/** A Python string literal (JSON's escapes are all valid Python). */
export const pyString = (text: string) => JSON.stringify(text);

export function pythonHeader(info: ExportInfo, framework: string): string {
  return `"""${docText(info.runName)}: run ${info.runId} of Autoencoder Studio at epoch ${info.epoch}, as ${framework} code.

Trained on ${docText(info.datasetName)}. Written by Autoencoder Studio's "Export for PyTorch"; the weights are in
weights.safetensors (PyTorch layouts) and example.py shows how to use them.
"""`;
}
