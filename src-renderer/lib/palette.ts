/**
 * Colour-blind-safe categorical colours (Okabe & Ito, extended with Paul Tol's), one per class index, used for a
 * dataset's classes everywhere. Okabe & Ito's black and yellow, and Tol's wine, vanish on one of the two themes'
 * backgrounds (black on dark, yellow on white), so brown, a dark yellow and Tol's purple stand in for them: every
 * colour here has a contrast ratio of at least 3 against the dark theme's background (#14171c).
 */
const classColours = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#A89000',
  '#8C564B',
  '#AA4499',
  '#999933',
];

/** A class's colour; images without a class (noise, a dropped file) get neutral grey. */
export function classColour(label: number | null): string {
  if (label === null || label < 0) return '#8a8f98';
  return classColours[label % classColours.length];
}

/** Loss charts: training in blue (per batch light, per epoch dark), test in vermillion. */
export const chartColours = { train: '#0072B2', trainEpoch: '#00466E', test: '#D55E00' };

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
