import { timingSafeEqual } from 'node:crypto';

/** Compares a presented token with the expected one in constant time, so timing reveals nothing of it. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
