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
