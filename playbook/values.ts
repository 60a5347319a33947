// The value model shared by the YAML loader, the templating engine, variables and the wire to targets.
// Plain data is JSON-shaped: null (Python None), boolean, number, string, arrays (lists) and plain objects
// (dicts, insertion-ordered). Values that plain JSON cannot say are the classes below.

import { PyFloat, WrappedString } from "../core/codec.ts";

export { PyFloat };

/** A string from `!unsafe`: never templated, printed as is. */
export class UnsafeString extends WrappedString {
  constructor(readonly value: string) {
    super();
  }
  /** Serialised, it is the text (Ansible's unsafe text is a str to json.dumps): events, caches, files. */
  toJSON(): string {
    return this.value;
  }
}

/** A `!vault` scalar: decrypted on first use, so a playbook that never reads it needs no password. */
export class VaultString extends WrappedString {
  #plain: string | undefined;
  constructor(
    readonly ciphertext: string,
    readonly source: string,
    readonly decrypt: (ciphertext: string) => string,
  ) {
    super();
  }
  get value(): string {
    if (this.#plain === undefined) this.#plain = this.decrypt(this.ciphertext);
    return this.#plain;
  }
}

/**
 * A Python int literal's value (`123`, `0x1f`, `0o17`, `0b101`; no sign, no underscores): a number, or a
 * bigint beyond ±2^53 so that Python's exact ints stay exact.
 */
export function pyInt(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/** JSON of a value used as an identity key (ints beyond ±2^53, which JSON.stringify refuses, included). */
export function keyJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => typeof x === "bigint" ? `${x}n` : x);
}

export type PlainValue =
  | null
  | boolean
  | number
  | string
  | PlainValue[]
  | { [key: string]: PlainValue };

/** A copy of plain lists and dicts (keys kept) with `leaf` applied to everything else. */
function mapLeaves(v: unknown, leaf: (x: unknown) => unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => mapLeaves(x, leaf));
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = mapLeaves(x, leaf);
    return out;
  }
  return leaf(v);
}

/**
 * A copy in which every string is an UnsafeString (Ansible's wrap_var): what modules return and what is
 * registered is data, never template source, however often it is referenced later.
 */
export function wrapUnsafe(v: unknown): unknown {
  return mapLeaves(v, (x) => (typeof x === "string" ? new UnsafeString(x) : x));
}

/**
 * A copy with unsafe and vault strings as plain strings: what leaves the templating layer for a module.
 * `keepVault`: vaulted values stay encrypted until used (only the unsafe mark is dropped).
 */
export function plainStrings(v: unknown, o: { keepVault?: boolean } = {}): unknown {
  return mapLeaves(
    v,
    (x) => (x instanceof UnsafeString || (!o.keepVault && x instanceof VaultString) ? x.value : x),
  );
}
