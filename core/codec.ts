// Structured message bodies: compact JSON plus binary blobs (docs/protocol.md "Structured bodies"). Values
// plain JSON cannot say travel as one-key tag objects; bytes are blobs after the JSON, never base64.
import { FLAG_BLOBS, FLAG_TAGS } from "./frame.ts";

/** A float whose value is integral (YAML `1.0`, Python `2 / 1`): JS numbers cannot tell it from an int. */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
}

/**
 * A string the layers above wrap for their own reasons (the playbook's `!unsafe` and `!vault` values): on
 * the wire it is its plain text. Subclassing this, rather than the codec knowing those classes, keeps
 * core/ free of the playbook layer.
 */
export abstract class WrappedString {
  abstract readonly value: string;
  toString(): string {
    return this.value;
  }
}

/** A Python tuple: an array that comes back as a tuple on the far side. */
export class Tuple<T = unknown> extends Array<T> {
  static override get [Symbol.species]() {
    return Array;
  }
}

export function tuple<T = unknown>(...items: T[]): Tuple<T> {
  const t = new Tuple<T>();
  t.push(...items);
  return t;
}

/** An exception raised on a target (or an error value sent by one). */
export class RemoteError extends Error {
  readonly type: string;
  readonly remoteMessage: string;
  readonly traceback: string;
  readonly data: unknown;
  constructor(fields: { type: string; message: string; traceback?: string; data?: unknown }) {
    super(`${fields.type}: ${fields.message}`);
    this.name = "RemoteError";
    this.type = fields.type;
    this.remoteMessage = fields.message;
    this.traceback = fields.traceback ?? "";
    this.data = fields.data ?? null;
  }
}

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CodecError";
  }
}

export interface Encoded {
  body: Uint8Array;
  /** The header bits the body needs: FLAG_TAGS when the JSON holds tag objects, FLAG_BLOBS with blobs. */
  flags: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Deepest nesting of arrays and objects (tags included) a decoder accepts (docs/protocol.md "Limits"). */
export const MAX_DEPTH = 512;
/** Most arrays and objects in one body: JSON.parse spends ~70 bytes and ~0.3 µs on each, so 128 MB of
 * "[]," would cost gigabytes; real results hold far fewer per byte. */
export const MAX_CONTAINERS = 1_000_000;
/** Most digits of a `$i` big integer: Python's own default limit, as int() is quadratic beyond. */
export const MAX_INT_DIGITS = 4300;
const INT_TEXT = new RegExp(`^-?[0-9]{1,${MAX_INT_DIGITS}}$`);
// The float texts encoders write: Python's repr and JS's String() of a finite number, nan and ±inf.
const FLOAT_TEXT = /^(nan|-?inf|-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?)$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

class EncodeState {
  blobs: Uint8Array[] = [];
  tagged = false;
}

function floatRepr(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (Object.is(v, -0)) return "-0.0";
  if (Number.isInteger(v)) {
    // Python's repr switches to exponent notation at 1e16; the mantissa digits are the same shortest ones.
    if (Math.abs(v) < 1e16) return `${v}.0`;
    return v.toExponential();
  }
  return String(v);
}

/** out[k] = v, except that "__proto__" becomes a key too (under Node, assigning it sets the prototype and
 * the key would vanish from the JSON). */
function setKey(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === "__proto__") {
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  } else out[k] = v;
}

function prep(v: unknown, st: EncodeState): unknown {
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      if (Number.isFinite(v)) return v;
      st.tagged = true;
      return { $f: floatRepr(v) };
    case "bigint":
      if (v <= MAX_SAFE && v >= -MAX_SAFE) return Number(v);
      st.tagged = true;
      return { $i: v.toString() };
    case "undefined":
      return null;
    case "object":
      break;
    default:
      throw new CodecError(`cannot encode a ${typeof v} value`);
  }
  if (v === null) return null;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = prep(v[i], st);
    if (v instanceof Tuple) {
      st.tagged = true;
      return { $t: out };
    }
    return out;
  }
  if (v instanceof Uint8Array) {
    st.tagged = true;
    st.blobs.push(v);
    return { $b: st.blobs.length - 1 };
  }
  if (v instanceof PyFloat) {
    if (Number.isInteger(v.value) || !Number.isFinite(v.value)) {
      st.tagged = true;
      return { $f: floatRepr(v.value) };
    }
    return v.value;
  }
  if (v instanceof WrappedString) return v.value;
  if (v instanceof RemoteError) {
    st.tagged = true;
    return { $e: { type: v.type, message: v.remoteMessage, traceback: v.traceback, data: prep(v.data, st) } };
  }
  if (v instanceof Map) {
    let plain = true;
    for (const k of v.keys()) {
      if (typeof k !== "string") {
        plain = false;
        break;
      }
    }
    if (plain && !(v.size === 1 && (v.keys().next().value as string).startsWith("$"))) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of v) setKey(out, k as string, prep(x, st));
      return out;
    }
    st.tagged = true;
    const pairs: unknown[] = [];
    for (const [k, x] of v) pairs.push([prep(k, st), prep(x, st)]);
    return { $d: pairs };
  }
  if (v instanceof ArrayBuffer) return prep(new Uint8Array(v), st);
  if (ArrayBuffer.isView(v)) {
    return prep(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), st);
  }
  const obj = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  let count = 0;
  let only = "";
  for (const k in obj) {
    const x = obj[k];
    if (x === undefined || typeof x === "function") continue;
    setKey(out, k, prep(x, st));
    count++;
    only = k;
  }
  if (count === 1 && only.startsWith("$")) {
    st.tagged = true;
    return { $d: [[only, out[only]]] };
  }
  return out;
}

/** Encodes a value as a structured body: bare JSON, or JSON and a blob table when bytes were found. */
export function encodeBody(value: unknown): Encoded {
  const st = new EncodeState();
  const json = encoder.encode(JSON.stringify(prep(value, st)));
  const flags = st.tagged ? FLAG_TAGS : 0;
  if (!st.blobs.length) return { body: json, flags };
  let size = 8 + json.length;
  for (const b of st.blobs) size += 4 + b.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length);
  out.set(json, 4);
  let off = 4 + json.length;
  view.setUint32(off, st.blobs.length);
  off += 4;
  for (const b of st.blobs) {
    view.setUint32(off, b.length);
    out.set(b, off + 4);
    off += 4 + b.length;
  }
  return { body: out, flags: flags | FLAG_BLOBS };
}

/** What a walk over a parsed body resolves: blobs and long strings by index, and whether tags count. */
interface Found {
  blobs: Uint8Array[];
  /** The long strings parseJson took out of the text, for their placeholders. */
  strings: string[];
  /** False for a body sent without FLAG_TAGS: only the decoder's own placeholders are replaced. */
  tags: boolean;
}

/** The placeholder parseJson leaves for a long string; never on the wire (docs/protocol.md "Limits"). */
const STRING_TAG = "$s";

function untag(v: unknown, d: Found): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = untag(v[i], d);
    return v;
  }
  const obj = v as Record<string, unknown>;
  let count = 0;
  let only = "";
  for (const k in obj) {
    count++;
    only = k;
    if (count > 1) break;
  }
  if (count === 1 && only.charCodeAt(0) === 36 /* $ */) {
    if (only === STRING_TAG && d.strings.length) return longString(obj[only], d);
    if (d.tags) return fromTag(only, obj[only], d);
  }
  for (const k in obj) obj[k] = untag(obj[k], d);
  return obj;
}

function longString(x: unknown, d: Found): string {
  if (!Number.isInteger(x) || !((x as number) >= 0 && (x as number) < d.strings.length)) {
    throw new CodecError(`bad long string index ${brief(x)}`);
  }
  return d.strings[x as number];
}

/** A field the untag walk does not reach (an error tag's texts): its long string when it is a placeholder. */
function placed(v: unknown, d: Found): unknown {
  if (!d.strings.length || v === null || typeof v !== "object" || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === STRING_TAG
    ? longString((v as Record<string, unknown>)[STRING_TAG], d)
    : v;
}

function fromTag(tag: string, x: unknown, d: Found): unknown {
  const blobs = d.blobs;
  switch (tag) {
    case "$b": {
      if (!Number.isInteger(x) || !((x as number) >= 0 && (x as number) < blobs.length)) {
        throw new CodecError(`bad blob index ${brief(x)}`);
      }
      return blobs[x as number];
    }
    case "$i":
      if (typeof x !== "string" || !INT_TEXT.test(x)) throw new CodecError(`bad big integer ${brief(x)}`);
      return BigInt(x);
    case "$f": {
      if (typeof x !== "string" || !FLOAT_TEXT.test(x)) throw new CodecError(`bad float ${brief(x)}`);
      return new PyFloat(x === "nan" ? NaN : x === "inf" ? Infinity : x === "-inf" ? -Infinity : Number(x));
    }
    case "$t": {
      if (!Array.isArray(x)) throw new CodecError("bad tuple tag");
      const t = new Tuple();
      for (const item of x) t.push(untag(item, d));
      return t;
    }
    case "$d": {
      if (!Array.isArray(x)) throw new CodecError("bad dict tag");
      const m = new Map<unknown, unknown>();
      let allStrings = true;
      for (const pair of x) {
        if (!Array.isArray(pair) || pair.length !== 2) throw new CodecError("bad dict pair");
        const k = untag(pair[0], d);
        if (typeof k !== "string") allStrings = false;
        m.set(k, untag(pair[1], d));
      }
      // A plain dict that only looked like a tag comes back as a plain object.
      if (allStrings) return Object.fromEntries(m);
      return m;
    }
    case "$e": {
      if (!x || typeof x !== "object" || Array.isArray(x)) throw new CodecError("bad error tag");
      const e = x as Record<string, unknown>;
      return new RemoteError({
        type: text(placed(e.type, d), "Exception"),
        message: text(placed(e.message, d), ""),
        traceback: text(placed(e.traceback, d), ""),
        data: untag(e.data ?? null, d),
      });
    }
    default:
      throw new CodecError(`unknown tag ${brief(tag)}`);
  }
}

/**
 * Decodes a structured body whose header carried `flags`; hostile lengths raise CodecError instead of
 * allocating.
 */
export function decodeBody(body: Uint8Array, flags = FLAG_TAGS): unknown {
  if (!(flags & FLAG_BLOBS)) return parseJson(body, (flags & FLAG_TAGS) !== 0, []);
  if (body.length < 8) throw new CodecError(`structured body of ${body.length} bytes is too short`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const jsonLen = view.getUint32(0);
  if (jsonLen > body.length - 8) {
    throw new CodecError(`JSON length ${jsonLen} exceeds the body (${body.length} bytes)`);
  }
  let off = 4 + jsonLen;
  const count = view.getUint32(off);
  off += 4;
  if (count > (body.length - off) / 4) throw new CodecError(`blob count ${count} exceeds the body`);
  const blobs: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (off + 4 > body.length) throw new CodecError("truncated blob header");
    const n = view.getUint32(off);
    off += 4;
    if (n > body.length - off) throw new CodecError(`blob ${i} length ${n} exceeds the body`);
    blobs.push(body.subarray(off, off + n));
    off += n;
  }
  if (off !== body.length) throw new CodecError(`${body.length - off} trailing bytes after the blobs`);
  return parseJson(body.subarray(4, 4 + jsonLen), true, blobs);
}

/** A field of an error tag as text; decoded JSON only, so JSON.stringify cannot throw. */
function text(v: unknown, fallback: string): string {
  if (v === undefined || v === null) return fallback;
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** A hostile value shown in an error message, cut short. */
function brief(v: unknown): string {
  const s = typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** A string literal of this many characters or more is taken out of the JSON text before JSON.parse
 * (see parseJson); shorter ones are not worth the walk. */
export const LONG_STRING = 64 * 1024;

/** A long string literal of the JSON text: the characters between its quotes, and whether any is escaped. */
interface LongString {
  start: number;
  end: number;
  escaped: boolean;
}

/**
 * Refuses JSON nested deeper than MAX_DEPTH or holding more than MAX_CONTAINERS arrays and objects before
 * JSON.parse builds any of it: 10 MB of "[[[[…" or "[],[],…" would otherwise cost seconds and hundreds of
 * MB. Strings are skipped with indexOf, so a body that is mostly one long string costs little. Returns the
 * string values (not keys) of LONG_STRING characters or more.
 */
function scanJson(text: string): LongString[] {
  let depth = 0;
  let containers = 0;
  const longs: LongString[] = [];
  const n = text.length;
  // A backslash at or after the last long string's start (n: none): it only moves forward, so telling
  // escaped long strings from plain ones costs one pass over the text however many there are.
  let backslash = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const open = i;
      // The closing quote is the next one preceded by an even number of backslashes.
      for (;;) {
        const j = text.indexOf('"', i + 1);
        if (j < 0) return []; // unterminated: JSON.parse says so
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        i = j;
        if ((j - 1 - k) % 2 === 0) break;
      }
      if (i - open - 1 >= LONG_STRING && !isKey(text, i + 1)) {
        if (backslash < open) {
          backslash = text.indexOf("\\", open);
          if (backslash < 0) backslash = n;
        }
        longs.push({ start: open + 1, end: i, escaped: backslash !== -1 && backslash < i });
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) throw new CodecError(`body nested deeper than ${MAX_DEPTH} levels`);
      if (++containers > MAX_CONTAINERS) {
        throw new CodecError(`body holds more than ${MAX_CONTAINERS} arrays and objects`);
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return longs;
}

/** Whether the string literal ending just before `i` is an object key: a colon follows it. */
function isKey(text: string, i: number): boolean {
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c === 0x3a;
  }
  return false;
}

/**
 * JSON.parse copies every string out of the text, so a body that is mostly one 100 MB string held its
 * bytes, the text and the copy at once. Long string values are taken out of the text first: a plain one
 * becomes a slice of the text (V8 shares its characters: no copy), an escaped one is parsed on its own,
 * and the rest is parsed with a placeholder tag `{"$s": n}` in their place (an encoder never writes a
 * one-key `$` object untagged; a peer that writes this one gets back a string it sent itself). A slice keeps
 * the whole text alive, so this is done only when long strings are most of it, and only for an ASCII body:
 * one other character beyond Latin-1 makes the whole text two bytes a character, and a slice of it would
 * keep an ASCII string at twice the size of JSON.parse's copy. Unlike JSON.parse, raw control characters
 * in a long plain string are not refused: no encoder writes them, and finding them would cost as much as
 * the copy this saves.
 */
function parseJson(json: Uint8Array, tagged: boolean, blobs: Uint8Array[]): unknown {
  const text = decoder.decode(json);
  let longs = scanJson(text);
  const ascii = text.length === json.length;
  if (!ascii || longs.reduce((sum, l) => sum + l.end - l.start, 0) * 2 < text.length) longs = [];
  const value = parseText(longs.length ? withPlaceholders(text, longs) : text);
  if (!longs.length) return tagged ? untag(value, { blobs, strings: [], tags: true }) : value;
  const strings = longs.map((l) =>
    l.escaped ? parseText(text.slice(l.start - 1, l.end + 1)) as string : text.slice(l.start, l.end)
  );
  return untag(value, { blobs, strings, tags: tagged });
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CodecError(`bad JSON in body: ${(e as Error).message}`);
  }
}

/** The text with each long string literal replaced by the placeholder tag of its index. */
function withPlaceholders(text: string, longs: LongString[]): string {
  const parts: string[] = [];
  let from = 0;
  longs.forEach((l, i) => {
    parts.push(text.slice(from, l.start - 1), `{"${STRING_TAG}":${i}}`);
    from = l.end + 1;
  });
  parts.push(text.slice(from));
  return parts.join("");
}
