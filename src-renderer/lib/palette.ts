/**
 * Colour-blind-safe categorical colours (Okabe & Ito, extended with two of Paul Tol's), one per class index, used
 * for a dataset's classes everywhere.
 */
const classColours = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#000000',
  '#882255',
  '#999933',
];

export function classColour(label: number): string {
  return classColours[label % classColours.length];
}

/** Loss charts: training in blue (per batch light, per epoch dark), test in vermillion. */
export const chartColours = { train: '#0072B2', trainEpoch: '#00466E', test: '#D55E00' };
