// Python's order of str values (sorted(), sort_keys=True): by code point. JS's default sort compares UTF-16
// units, which puts U+10000 and above before U+E000–U+FFFF.

/** Compares two strings by code point, for sort(). */
export function pyStrCompare(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    // Both surrogates, or both not: UTF-16 order is code point order. A surrogate (U+10000 and above)
    // against U+E000–U+FFFF is the one place where it is not.
    const xs = x >= 0xd800 && x <= 0xdfff, ys = y >= 0xd800 && y <= 0xdfff;
    if (xs === ys) return x - y;
    return xs ? 1 : -1;
  }
  return a.length - b.length;
}
