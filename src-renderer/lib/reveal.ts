/**
 * A Svelte action that scrolls its element into view when it appears (and, with a parameter, whenever that changes):
 * something the user just asked for (a new dataset, an opened report, similar images) must not appear unseen below
 * the fold. `false` leaves the element where it is.
 */
export function reveal(node: HTMLElement, when: unknown = true): { update(next: unknown): void } {
  const show = (wanted: unknown) => {
    if (wanted === false || wanted === null || wanted === undefined) return;
    // After layout, so the element has its final size.
    requestAnimationFrame(() => node.scrollIntoView({ block: 'nearest', behavior: 'smooth' }));
  };
  show(when);
  return { update: show };
}
