// Python's random.Random (MT19937 with Python's seeding), so seeded `random`/`shuffle` match Ansible.
import { createHash, randomInt } from "node:crypto";

export class PyRandom {
  #mt = new Uint32Array(624);
  #i = 625;
  readonly #system: boolean;

  /** seed null: system randomness, as Ansible uses SystemRandom without a seed. */
  constructor(seed: string | number | null) {
    this.#system = seed === null;
    if (seed !== null) this.#seed(seed);
  }

  #seed(seed: string | number): void {
    let n: bigint;
    if (typeof seed === "string") {
      const b = Buffer.from(seed, "utf8");
      const all = Buffer.concat([b, createHash("sha512").update(b).digest()]);
      n = BigInt("0x" + (all.toString("hex") || "0"));
    } else {
      n = BigInt(Math.trunc(Math.abs(seed)));
    }
    const key: number[] = [];
    while (n > 0n) {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    }
    if (!key.length) key.push(0);
    this.#initByArray(key);
  }

  #initGenrand(s: number): void {
    const mt = this.#mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.#i = 624;
  }

  #initByArray(key: number[]): void {
    const mt = this.#mt;
    this.#initGenrand(19650218);
    let i = 1, j = 0;
    for (let k = Math.max(624, key.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= 624) {
        mt[0] = mt[623];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= 624) {
        mt[0] = mt[623];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  #next32(): number {
    const mt = this.#mt;
    if (this.#i >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.#i = 0;
    }
    let y = mt[this.#i++];
    y ^= y >>> 11;
    y = (y ^ ((y << 7) & 0x9d2c5680)) >>> 0;
    y = (y ^ ((y << 15) & 0xefc60000)) >>> 0;
    y ^= y >>> 18;
    return y >>> 0;
  }

  #getrandbits(k: number): number {
    if (k <= 32) return this.#next32() >>> (32 - k);
    // up to 53 bits: little-endian words as CPython assembles them
    const lo = this.#next32();
    const hi = this.#next32() >>> (64 - k);
    return hi * 2 ** 32 + lo;
  }

  randbelow(n: number): number {
    if (this.#system) return n <= 1 ? 0 : randomInt(0, n);
    if (n <= 0) return 0;
    const k = n.toString(2).length;
    let r = this.#getrandbits(k);
    while (r >= n) r = this.#getrandbits(k);
    return r;
  }

  randrange(start: number, stop: number, step: number): number {
    const width = stop - start;
    if (step === 1) {
      if (width <= 0) {
        throw new Error(`ValueError: empty range for randrange() (${start}, ${stop}, ${width})`);
      }
      return start + this.randbelow(width);
    }
    const n = step > 0 ? Math.floor((width + step - 1) / step) : Math.floor((width + step + 1) / step);
    if (n <= 0) throw new Error("ValueError: empty range for randrange()");
    return start + step * this.randbelow(n);
  }

  choice<T>(seq: T[]): T {
    if (!seq.length) throw new Error("IndexError: Cannot choose from an empty sequence");
    return seq[this.randbelow(seq.length)];
  }

  shuffle<T>(x: T[]): void {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      [x[i], x[j]] = [x[j], x[i]];
    }
  }
}
