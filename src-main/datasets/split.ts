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
