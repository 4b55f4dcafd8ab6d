/**
 * Class colours: matplotlib's tab10 (Tableau's classic 10), a palette designed for 10 categories and the one our users'
 * notebooks colour their scatter plots with, so a map here looks like theirs. Every colour has a contrast ratio of at
 * least 3 against the dark theme's background; on the light theme olive is the faintest (1.88). Classes 10-19 take
 * tab20's lighter halves, made to sit beside tab10; beyond 20 the colours repeat.
 */
const classColours = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
  '#ff9896',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
  '#c7c7c7',
  '#dbdb8d',
  '#9edae5',
];

/** A class's colour; images without a class (noise, a dropped file) get neutral grey. */
export function classColour(label: number | null): string {
  if (label === null || label < 0) return '#8a8f98';
  return classColours[label % classColours.length];
}

/** Loss charts: training in blue (per batch light, per epoch dark), test in vermillion. */
export const chartColours = {
  train: '#0072B2',
  trainEpoch: '#00466E',
  test: '#D55E00',
  penalty: '#009E73',
  rate: '#CC79A7',
};

/** Viridis (perceptually uniform, colour-blind safe) at 9 stops, for values from low (0) to high (1). */
const viridis = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

/** The viridis colour of a value between 0 and 1 (clamped), interpolated between its stops. */
export function sequentialColour(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (viridis.length - 1);
  const i = Math.min(viridis.length - 2, Math.floor(x));
  const f = x - i;
  const channel = (hex: string, k: number) => parseInt(hex.slice(1 + 2 * k, 3 + 2 * k), 16);
  const mix = (k: number) => Math.round(channel(viridis[i], k) * (1 - f) + channel(viridis[i + 1], k) * f);
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}

/** CSS gradient of the same scale, for colour bars. */
export const sequentialGradient = `linear-gradient(to right, ${viridis.join(', ')})`;
