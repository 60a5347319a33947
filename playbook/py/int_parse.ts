// Python's int(text, base): the one reading of a number written as text that Ansible's plugins rely on
// (the sequence lookup's `int(x, 0)`, Jinja's `int` filter with a base).
import { strRepr } from "./repr.ts";

/** Python's ValueError for text int() refuses, with Python's message. */
export class IntParseError extends Error {
  override name = "IntParseError";
  constructor(readonly text: string, readonly base: number) {
    super(`invalid literal for int() with base ${base}: ${strRepr(text)}`);
  }
}

const PREFIX_BASE: Record<string, number> = { x: 16, o: 8, b: 2 };

/**
 * int(text, base) for base 0 or 2..36: surrounding whitespace and a sign allowed, single underscores
 * between digits (and after a prefix), the 0x/0o/0b prefix of the base (any of them under base 0, where a
 * decimal number may not start with 0 unless it is all zeros). A number beyond 2^53 comes back a bigint.
 */
export function pyInt(text: string, base = 10): number | bigint {
  if (base !== 0 && !(base >= 2 && base <= 36)) {
    throw new RangeError("int() base must be >= 2 and <= 36, or 0");
  }
  const bad = () => new IntParseError(text, base);
  let s = text.trim();
  let neg = false;
  if (s[0] === "+" || s[0] === "-") {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  let radix = base;
  const prefix = /^0([xob])/i.exec(s);
  const prefixBase = prefix ? PREFIX_BASE[prefix[1].toLowerCase()] : undefined;
  if (prefixBase !== undefined && (base === 0 || base === prefixBase)) {
    radix = prefixBase;
    s = s.slice(2);
    if (s.startsWith("_")) s = s.slice(1);
  } else if (base === 0) {
    radix = 10;
    if (/^0/.test(s) && !/^0+(_0+)*$/.test(s)) throw bad();
  }
  if (!/^[0-9a-z]+(_[0-9a-z]+)*$/i.test(s)) throw bad();
  let n = 0n;
  for (const ch of s.replace(/_/g, "").toLowerCase()) {
    const d = parseInt(ch, 36);
    if (d >= radix) throw bad();
    n = n * BigInt(radix) + BigInt(d);
  }
  if (neg) n = -n;
  const small = Number(n);
  return Number.isSafeInteger(small) ? small : n;
}
