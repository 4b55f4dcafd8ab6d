import { describe, expect, it } from 'vitest';
import { keepUnchanged, mergeById } from '../../../src-renderer/lib/merge-list';

const newestFirst = (a: { id: number }, b: { id: number }) => b.id - a.id;

describe('keeping a shown list current', () => {
  const runs = [
    { id: 3, name: 'c', loss: 0.3 },
    { id: 2, name: 'b', loss: 0.2 },
    { id: 1, name: 'a', loss: 0.1 },
  ];

  it('replaces, adds and removes only the items a change names, keeping the others as they were', () => {
    const merged = mergeById(
      runs,
      [2, 4, 1],
      [
        { id: 4, name: 'new', loss: 1 },
        { id: 2, name: 'b', loss: 0.15 },
      ],
      newestFirst,
    );
    expect(merged.map((run) => [run.id, run.loss])).toEqual([
      [4, 1],
      [3, 0.3],
      [2, 0.15],
    ]);
    // The run the change did not touch is the same object: whatever shows it does not redraw.
    expect(merged[1]).toBe(runs[0]);
  });

  it('gives back the very same list when the fetched items are what was shown', () => {
    expect(mergeById(runs, [2], [{ id: 2, name: 'b', loss: 0.2 }], newestFirst)).toBe(runs);
    expect(
      keepUnchanged(
        runs,
        runs.map((run) => ({ ...run })),
      ),
    ).toBe(runs);
    expect(keepUnchanged(runs, [...runs].reverse())).not.toBe(runs);
  });
});
