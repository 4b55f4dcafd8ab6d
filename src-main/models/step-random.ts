/**
 * Seeds for the random parts of a training step (dropout masks, VAE samples, input corruption). They depend only on
 * the run's seed and the position (epoch, batch), never on what ran before, so a resumed run draws exactly what an
 * unbroken one would have drawn, on any engine.
 */
let stepSeed = 0;
let drawn = 0;

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ (b + 0x9e3779b9), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Called by the training loop before each batch. */
export function setRandomStep(seed: number, epoch: number, batch: number): void {
  stepSeed = mix(mix(seed, epoch), batch);
  drawn = 0;
}

/** The next seed for a random op inside this step; the same sequence of calls gives the same seeds. */
export function nextStepSeed(): number {
  return mix(stepSeed, ++drawn);
}
