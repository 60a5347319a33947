// Python value semantics on the shared value model: printing (repr/str), truthiness, equality, ordering,
// int/float arithmetic. JS numbers are ints when integral, floats otherwise; PyFloat marks integral floats.
import { PyFloat, UnsafeString, VaultString } from "../values.ts";
import { WrappedString } from "../../core/codec.ts";
import { UndefinedError } from "./_errors.ts";
import { boolean, NotABooleanError } from "../py/boolean.ts";
import { pyRepr as valueRepr, strRepr } from "../py/repr.ts";

/** Jinja2's undefined value: using it for anything but `defined`/`default` raises UndefinedError. */
export class Undefined {
  /** name: the variable (or attribute) that was missing; message: what to say when it is used. */
  constructor(readonly name: string, readonly message: string = `${pyRepr(name)} is undefined`) {}
  fail(): never {
    throw new UndefinedError(this.message, this.name);
  }
}

/** Throws when v is undefined, else returns it: every operation on a value goes through this. */
export function defined<T>(v: T): T {
  if (v instanceof Undefined) v.fail();
  return v;
}

/** Keyword arguments passed to a filter, test or global: always the last argument, and only when given. */
export class Kwargs {
  constructor(readonly values: Record<string, unknown>) {}
}

/** A mapping whose entries are computed on demand (hostvars): never copied, read through get/keys. */
export abstract class LazyMapping {
  abstract get(key: string): unknown;
  abstract keys(): string[];
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  /** The Python class templates name it by in errors ("'<class> object' has no attribute 'x'"). */
  get pyClass(): string {
    return "dict";
  }
  /** What a missing key reads as in a template; undefined for Jinja2's usual "has no attribute". */
  missing(_key: string): Undefined | undefined {
    return undefined;
  }
}

/** A Python object with attributes (datetime, timedelta): repr, str, ordering and attribute access. */
export abstract class PyObject {
  abstract readonly typeName: string;
  /** An attribute or bound method, or undefined when there is none. */
  abstract getattr(name: string): unknown;
  abstract repr(): string;
  str(): string {
    return this.repr();
  }
  /** Ordering key for comparisons with objects of the same type. */
  abstract key(): number;
}

/** A value's class (`x.__class__`): type_debug says `type`, and it prints as Python prints a class. */
export class PyType extends PyObject {
  readonly typeName = "type";
  constructor(readonly name: string) {
    super();
  }
  getattr(attr: string): unknown {
    return attr === "__name__" ? this.name : undefined;
  }
  repr(): string {
    return `<class '${this.name}'>`;
  }
  key(): number {
    return 0;
  }
}

/**
 * A string that Ansible's native concat must not literal_eval (what `| string` returns): text to every
 * dumper and to the wire, as NativeJinjaText is a str.
 */
export class NativeText extends WrappedString {
  constructor(readonly value: string) {
    super();
  }
}

const UNSAFE = new WeakSet<object>();

/**
 * Marks a list or dict (a registered module result, gathered facts) as data that is never templated,
 * like Ansible's wrap_var: text in it that looks like Jinja2 stays as it is. Returns the value.
 */
export function markUnsafe<T>(value: T): T {
  if (value !== null && typeof value === "object") UNSAFE.add(value);
  return value;
}

export function isMarkedUnsafe(v: unknown): boolean {
  return v !== null && typeof v === "object" && UNSAFE.has(v);
}

/**
 * Ansible's wrap_var: a copy in which every string is unsafe (`| string`'s text stays native text, marked),
 * tuples stay tuples, and the lists and dicts are marked so templating never walks them. Shared values are
 * never changed: a template's result may be a variable's own list.
 */
export function wrapVar(v: unknown): unknown {
  if (typeof v === "string") return new UnsafeString(v);
  if (v instanceof YamlText) return new UnsafeString(v.value);
  if (v instanceof NativeText) return isMarkedUnsafe(v) ? v : markUnsafe(new NativeText(v.value));
  if (Array.isArray(v)) {
    const c = v.map(wrapVar);
    return markUnsafe(isTuple(v) ? tuple(c) : c);
  }
  if (isPlainDict(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = wrapVar(v[k]);
    return markUnsafe(out);
  }
  return v;
}

const HOLDS_UNSAFE = new WeakMap<object, boolean>();

/**
 * Whether a value is or holds unsafe text, as Ansible's context asks of every variable a template reads
 * (and then marks the template's whole result unsafe): lists and dicts are searched, since their repr
 * would otherwise carry an unsafe string's `{{` out as plain template text. A container's own mark does
 * not count (a lookup's list of numbers is no unsafe text); hostvars are not searched.
 */
export function holdsUnsafe(v: unknown): boolean {
  if (v instanceof UnsafeString) return true;
  if (v instanceof NativeText) return isMarkedUnsafe(v);
  if (!Array.isArray(v) && !isPlainDict(v)) return false;
  const known = HOLDS_UNSAFE.get(v);
  if (known !== undefined) return known;
  // provisional answer first, so data that contains itself cannot recurse forever
  HOLDS_UNSAFE.set(v, false);
  const r = Array.isArray(v) ? v.some(holdsUnsafe) : Object.values(v).some(holdsUnsafe);
  HOLDS_UNSAFE.set(v, r);
  return r;
}

const TUPLES = new WeakSet<unknown[]>();
export function tuple<T>(items: T[]): T[] {
  TUPLES.add(items);
  return items;
}
export function isTuple(v: unknown): boolean {
  return Array.isArray(v) && TUPLES.has(v);
}

/**
 * Text as it was written in a YAML file, read by a template untemplated: Ansible's AnsibleUnicode, which
 * type_debug names. Only inside templating: a result handed out of it is plain text again.
 */
export class YamlText extends WrappedString {
  constructor(readonly value: string) {
    super();
  }
}

/** Unwraps string wrappers (unsafe, vault, native text) to a JS string; other values pass through. */
export function unwrap(v: unknown): unknown {
  if (v instanceof UnsafeString || v instanceof NativeText || v instanceof YamlText) return v.value;
  if (v instanceof VaultString) return v.value;
  return v;
}

export function isString(v: unknown): v is string | UnsafeString | VaultString | NativeText | YamlText {
  return typeof v === "string" || v instanceof UnsafeString || v instanceof VaultString ||
    v instanceof NativeText || v instanceof YamlText;
}

export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === "number" && !Number.isInteger(v));
}

export function isNumber(v: unknown): boolean {
  return typeof v === "number" || v instanceof PyFloat || typeof v === "bigint";
}

export function isInt(v: unknown): boolean {
  return (typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint";
}

/** A float result: integral values are wrapped so they print as `2.0`. */
export function mkFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

export function num(v: unknown): number {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") return Number(v);
  return v as number;
}

export function isMapping(v: unknown): v is Record<string, unknown> | LazyMapping {
  if (v === null || typeof v !== "object") return false;
  if (v instanceof LazyMapping) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isPlainDict(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function mapKeys(v: Record<string, unknown> | LazyMapping): string[] {
  return v instanceof LazyMapping ? v.keys() : Object.keys(v);
}

export function mapGet(v: Record<string, unknown> | LazyMapping, k: string): unknown {
  if (v instanceof LazyMapping) return v.get(k);
  return Object.prototype.hasOwnProperty.call(v, k) ? v[k] : undefined;
}

export function mapHas(v: Record<string, unknown> | LazyMapping, k: string): boolean {
  if (v instanceof LazyMapping) return v.has(k);
  return Object.prototype.hasOwnProperty.call(v, k);
}

/** Python's type name, as `type_debug` and error messages print it. */
export function pyTypeName(v: unknown): string {
  v = unwrap(v);
  if (v === null) return "NoneType";
  if (v instanceof Undefined) return "AnsibleUndefined";
  if (typeof v === "boolean") return "bool";
  if (isInt(v)) return "int";
  if (isFloat(v)) return "float";
  if (typeof v === "string") return "str";
  if (Array.isArray(v)) return isTuple(v) ? "tuple" : "list";
  if (isMapping(v)) return "dict";
  if (typeof v === "function") return "function";
  if (v instanceof PyObject) return v.typeName;
  return "object";
}

/** The template engine's own values, for the shared repr(). */
function templateRepr(v: unknown): string | undefined {
  if (v instanceof NativeText) return strRepr(v.value);
  if (v instanceof Undefined) return "";
  if (Array.isArray(v)) {
    if (!isTuple(v)) return undefined;
    const inner = v.map(pyRepr).join(", ");
    return v.length === 1 ? `(${inner},)` : `(${inner})`;
  }
  if (v instanceof LazyMapping) {
    return `{${mapKeys(v).map((k) => `${strRepr(k)}: ${pyRepr(mapGet(v, k))}`).join(", ")}}`;
  }
  if (typeof v === "function") return `<function ${v.name || "<lambda>"}>`;
  if (v instanceof PyObject) return v.repr();
  if (typeof v === "object" && v !== null && "fn" in v && "name" in v) {
    // a bound method or template callable (Python prints its address too, which cannot be matched)
    return `<built-in method ${(v as { name: string }).name}>`;
  }
  return undefined;
}

/** Python repr(): True, None, 'a', ['a', 'b'], {'k': 1}, ('t',), 1.0. */
export function pyRepr(v: unknown): string {
  return valueRepr(v, templateRepr);
}

/** Python str(). */
export function pyStr(v: unknown): string {
  v = unwrap(v);
  if (typeof v === "string") return v;
  if (v instanceof Undefined) v.fail();
  if (v instanceof PyObject) return v.str();
  return pyRepr(v);
}

/** Python truthiness. */
export function truthy(v: unknown): boolean {
  v = unwrap(v);
  if (v === null || v === undefined || v === false) return false;
  if (v === true) return true;
  if (v instanceof Undefined) v.fail();
  if (typeof v === "string") return v.length > 0;
  if (typeof v === "number") return v !== 0;
  if (v instanceof PyFloat) return v.value !== 0;
  if (typeof v === "bigint") return v !== 0n;
  if (Array.isArray(v)) return v.length > 0;
  if (isMapping(v)) return mapKeys(v).length > 0;
  return true;
}

/** Ansible's boolean(strict=False): what a result's `failed`/`skipped` flag means. */
export function toBool(v: unknown): boolean {
  return boolean(unwrap(v), { strict: false });
}

/**
 * The truthy/falsy tests' convert_bool: Ansible's strict boolean() where it knows the value, else the value
 * unchanged (for Python's bool() to judge: "maybe" and 2 stay truthy).
 */
export function convertBool(v: unknown): unknown {
  try {
    return boolean(unwrap(v));
  } catch (e) {
    if (e instanceof NotABooleanError) return v;
    throw e;
  }
}

/** Compares two numbers; a bigint against an int exactly (doubles would call 2^53 + 1 equal to 2^53). */
function numCmp(a: unknown, b: unknown): number {
  if ((typeof a === "bigint" || typeof b === "bigint") && isIntOrBool(a) && isIntOrBool(b)) {
    const x = toBigInt(a), y = toBigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = num(a), y = num(b);
  return x < y ? -1 : x > y ? 1 : Number.isNaN(x) || Number.isNaN(y) ? NaN : 0;
}

function isIntOrBool(v: unknown): boolean {
  return isInt(v) || typeof v === "boolean";
}

/** An int (a bool counts as 0 or 1, as in Python) as a bigint. */
export function toBigInt(v: unknown): bigint {
  return typeof v === "bigint" ? v : BigInt(num(v));
}

/** Python ==. */
export function pyEq(a: unknown, b: unknown): boolean {
  a = unwrap(defined(a));
  b = unwrap(defined(b));
  if (a === b) return true;
  const an = isNumber(a) || typeof a === "boolean", bn = isNumber(b) || typeof b === "boolean";
  if (an && bn) return numCmp(a, b) === 0;
  if (an || bn) return false;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (a instanceof Undefined || b instanceof Undefined) return false;
  if (typeof a === "string" || typeof b === "string") return false;
  if (a instanceof PyObject && b instanceof PyObject) return a.typeName === b.typeName && a.key() === b.key();
  if (Array.isArray(a) && Array.isArray(b)) {
    if (isTuple(a) !== isTuple(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!pyEq(a[i], b[i])) return false;
    return true;
  }
  if (isMapping(a) && isMapping(b)) {
    const ka = mapKeys(a), kb = mapKeys(b);
    if (ka.length !== kb.length) return false;
    for (const k of ka) {
      if (!mapHas(b, k) || !pyEq(mapGet(a, k), mapGet(b, k))) return false;
    }
    return true;
  }
  return false;
}

/** Python ordering (<): numbers with numbers, strings with strings, sequences lexicographically. */
export function pyCmp(a: unknown, b: unknown): number {
  a = unwrap(defined(a));
  b = unwrap(defined(b));
  const an = isNumber(a) || typeof a === "boolean", bn = isNumber(b) || typeof b === "boolean";
  if (an && bn) return numCmp(a, b);
  if (typeof a === "string" && typeof b === "string") {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (a instanceof PyObject && b instanceof PyObject && a.typeName === b.typeName) {
    return Math.sign(a.key() - b.key());
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEq(a[i], b[i])) return pyCmp(a[i], b[i]);
    }
    return a.length - b.length;
  }
  throw new TypeError(
    `'<' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`,
  );
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The string as Python indexes it: itself when every code point is one UTF-16 unit (no copy: values may be
 * hundreds of MB), else its code points.
 */
export function codePoints(s: string): string | string[] {
  return SURROGATE.test(s) ? [...s] : s;
}

/** Python len() of a str: code points, counted without building an array of them. */
export function strLen(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Python str.splitlines(): every line boundary Python knows. Lines are slices, which V8 shares with s. */
export function pySplitlines(s: string, keepends: boolean): string[] {
  const out: string[] = [];
  // deno-lint-ignore no-control-regex
  const re = /\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/g;
  let last = 0;
  for (const m of s.matchAll(re)) {
    out.push(s.slice(last, keepends ? m.index! + m[0].length : m.index));
    last = m.index! + m[0].length;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}

/** Length as Python len(). */
export function pyLen(v: unknown): number {
  v = unwrap(defined(v));
  if (typeof v === "string") return strLen(v);
  if (Array.isArray(v)) return v.length;
  if (isMapping(v)) return mapKeys(v).length;
  throw new TypeError(`object of type '${pyTypeName(v)}' has no len()`);
}

/** Iterates as Python iter(): strings by character, dicts by key. */
export function pyIter(v: unknown): unknown[] {
  v = unwrap(v);
  if (Array.isArray(v)) return v;
  if (typeof v === "string") return [...v];
  if (isMapping(v)) return mapKeys(v);
  if (v instanceof Undefined) v.fail();
  throw new TypeError(`'${pyTypeName(v)}' object is not iterable`);
}

/** Python `in`. */
export function pyContains(container: unknown, item: unknown): boolean {
  container = unwrap(defined(container));
  item = unwrap(defined(item));
  if (typeof container === "string") {
    if (typeof item !== "string") {
      throw new TypeError(`'in <string>' requires string as left operand, not ${pyTypeName(item)}`);
    }
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => pyEq(x, item));
  if (isMapping(container)) {
    return typeof item === "string" ? mapHas(container, item) : mapHas(container, pyStr(item)) &&
      typeof item === "number";
  }
  throw new TypeError(`argument of type '${pyTypeName(container)}' is not iterable`);
}

/** Python-style deep copy of plain data (for filters that must not mutate their input). */
export function deepCopy<T>(v: T): T {
  if (Array.isArray(v)) {
    const c = v.map(deepCopy);
    return (isTuple(v) ? tuple(c) : c) as T;
  }
  if (isPlainDict(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = deepCopy(v[k]);
    return out as T;
  }
  return v;
}

/** Converts a value for JSON/YAML output: wrappers to strings, PyFloat to number, lazy maps to dicts. */
/**
 * One value as the shared dumpers (playbook/py: json.dumps, yaml.dump) see it, one level at a time:
 * wrapped text unwrapped, hostvars as a dict, undefined fails.
 */
export function dumpable(v: unknown): unknown {
  v = unwrap(v);
  if (v instanceof Undefined) v.fail();
  if (v instanceof LazyMapping) {
    return Object.fromEntries(mapKeys(v).map((k) => [k, mapGet(v as LazyMapping, k)]));
  }
  return v;
}

export function toPlain(v: unknown): unknown {
  v = unwrap(v);
  if (v instanceof PyFloat) return v.value;
  if (v instanceof Undefined) return null;
  if (Array.isArray(v)) return v.map(toPlain);
  if (isMapping(v)) {
    const out: Record<string, unknown> = {};
    for (const k of mapKeys(v)) out[k] = toPlain(mapGet(v, k));
    return out;
  }
  return v;
}
