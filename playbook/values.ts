// The value model shared by the YAML loader, the templating engine, variables and the wire to targets.
// Plain data is JSON-shaped: null (Python None), boolean, number, string, arrays (lists) and plain objects
// (dicts, insertion-ordered). Values that plain JSON cannot say are the classes below.

/** A string from `!unsafe`: never templated, printed as is. */
export class UnsafeString {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** A `!vault` scalar: decrypted on first use, so a playbook that never reads it needs no password. */
export class VaultString {
  #plain: string | undefined;
  constructor(
    readonly ciphertext: string,
    readonly source: string,
    readonly decrypt: (ciphertext: string) => string,
  ) {}
  get value(): string {
    if (this.#plain === undefined) this.#plain = this.decrypt(this.ciphertext);
    return this.#plain;
  }
  toString(): string {
    return this.value;
  }
}

/** A float whose value is integral (YAML `1.0`, Python `2 / 1`): JS numbers cannot tell it from an int. */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
}

export type PlainValue =
  | null
  | boolean
  | number
  | string
  | PlainValue[]
  | { [key: string]: PlainValue };

/**
 * A copy in which every string is an UnsafeString (Ansible's wrap_var): what modules return and what is
 * registered is data, never template source, however often it is referenced later.
 */
export function wrapUnsafe(v: unknown): unknown {
  if (typeof v === "string") return new UnsafeString(v);
  if (Array.isArray(v)) return v.map(wrapUnsafe);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = wrapUnsafe(x);
    return out;
  }
  return v;
}

/** A copy with unsafe and vault strings as plain strings: what leaves the templating layer for a module. */
export function plainStrings(v: unknown): unknown {
  if (v instanceof UnsafeString || v instanceof VaultString) return v.value;
  if (Array.isArray(v)) return v.map(plainStrings);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plainStrings(x);
    return out;
  }
  return v;
}
