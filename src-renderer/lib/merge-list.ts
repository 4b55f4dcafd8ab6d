/** Keeping a list the window shows current without redrawing what did not change. */

/**
 * The fresh list, but with the previous object wherever an item is unchanged (and the previous list itself when
 * nothing changed), so a refresh that finds nothing new re-renders nothing and resets no half-finished edit.
 */
export function keepUnchanged<T extends { id: number }>(previous: T[], fresh: T[]): T[] {
  const before = new Map(previous.map((item) => [item.id, item]));
  let changed = previous.length !== fresh.length;
  const merged = fresh.map((item, i) => {
    const old = before.get(item.id);
    if (old && JSON.stringify(old) === JSON.stringify(item)) {
      if (previous[i] !== old) changed = true;
      return old;
    }
    changed = true;
    return item;
  });
  return changed ? merged : previous;
}

/**
 * The list with the items of `ids` replaced by `fresh` (what was fetched for them): one asked for and not returned is
 * gone (deleted); a new one takes its place in `order`. Unchanged items keep their objects, as in `keepUnchanged`.
 */
export function mergeById<T extends { id: number }>(
  previous: T[],
  ids: readonly number[],
  fresh: T[],
  order: (a: T, b: T) => number,
): T[] {
  const asked = new Set(ids);
  const merged = [...previous.filter((item) => !asked.has(item.id)), ...fresh].sort(order);
  return keepUnchanged(previous, merged);
}
