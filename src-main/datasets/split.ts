import { seededRandom } from '../app/random';
import type { Split } from '../store/datasets';

/**
 * A stratified random split: in every class, round(count * testFraction) images go to test, chosen by a seeded
 * shuffle, so the same folder, fraction and seed always give the same split.
 */
export function stratifiedSplit(labels: readonly number[], testFraction: number, seed: number): Split[] {
  const random = seededRandom(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const members = byClass.get(label);
    if (members) members.push(i);
    else byClass.set(label, [i]);
  });
  const splits: Split[] = labels.map(() => 'train');
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(label)!;
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j], members[i]];
    }
    const testCount = Math.round(members.length * testFraction);
    for (const i of members.slice(0, testCount)) splits[i] = 'test';
  }
  return splits;
}

/** The positions of each class's images, in stored order, classes by label. */
function positionsByClass(labels: ArrayLike<number>): number[][] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const members = byClass.get(labels[i]);
    if (members) members.push(i);
    else byClass.set(labels[i], [i]);
  }
  return [...byClass.keys()].sort((a, b) => a - b).map((label) => byClass.get(label)!);
}

/**
 * Positions (ascending) of `count` images drawn at random with `seed`, each class in its share of the whole (largest
 * remainders round), so a subset for training keeps the classes' balance. All of them when there are fewer.
 */
export function stratifiedSample(labels: ArrayLike<number>, count: number, seed: number): Int32Array {
  if (count >= labels.length) return Int32Array.from({ length: labels.length }, (_, i) => i);
  const random = seededRandom(seed);
  const classes = positionsByClass(labels);
  const exact = classes.map((members) => (members.length * count) / labels.length);
  const quota = exact.map(Math.floor);
  const byRemainder = exact.map((e, c) => [e - quota[c], c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; k < count - quota.reduce((a, b) => a + b, 0); k++) quota[byRemainder[k][1]]++;
  const picked: number[] = [];
  classes.forEach((members, c) => {
    for (let i = 0; i < quota[c]; i++) {
      const j = i + Math.floor(random() * (members.length - i));
      [members[i], members[j]] = [members[j], members[i]];
      picked.push(members[i]);
    }
  });
  return Int32Array.from(picked).sort();
}

/**
 * Positions of up to `count` images taking every class in turn (each class's images in their stored order), so a
 * gallery of a folder set sorted by class shows every class rather than the first class's first images.
 */
export function stratifiedPick(labels: ArrayLike<number>, count: number): Int32Array {
  const classes = positionsByClass(labels);
  const picked: number[] = [];
  for (let round = 0; picked.length < Math.min(count, labels.length); round++) {
    for (const members of classes) if (round < members.length && picked.length < count) picked.push(members[round]);
  }
  return Int32Array.from(picked);
}
