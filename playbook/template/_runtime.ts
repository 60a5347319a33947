// Compiles parsed templates into closures and runs them with Python value semantics.
import { PyFloat, UnsafeString, VaultString } from "../values.ts";
import { literalEval } from "../py/literal.ts";
import { dateBinop } from "./_datetime.ts";
import { positionOf } from "../yaml/mod.ts";
import { TemplateError, UnknownPluginError } from "./_errors.ts";
import type { Expr, Stmt, Target } from "./_parser.ts";
import {
  codePoints,
  defined,
  holdsUnsafe,
  isFloat,
  isInt,
  isMapping,
  isNumber,
  isPlainDict,
  isTuple,
  Kwargs,
  LazyMapping,
  mapGet,
  mapKeys,
  mkFloat,
  NativeText,
  num,
  pyCmp,
  pyContains,
  pyEq,
  pyIter,
  PyObject,
  pyRepr,
  pyStr,
  PyType,
  pyTypeName,
  toBigInt,
  truthy,
  tuple,
  Undefined,
  unwrap,
  wrapVar,
  YamlText,
} from "./_py.ts";
import { getMethod } from "./_methods.ts";
import { PyCallable } from "./_callable.ts";
import { percentFormat } from "./_format.ts";

/** Thrown (as a plain marker, not an Error) once a child template has handed over to its parent. */
const EXTENDED = { extended: true };

/** Jinja2's `namespace()`: attributes assignable with `{% set ns.x = ... %}`. */
export class Namespace {
  constructor(readonly attrs: Record<string, unknown>) {}
}

/** The `loop` variable of a for loop. */
export class LoopInfo {
  index0 = 0;
  previtem: unknown;
  nextitem: unknown;
  #lastChanged: unknown[] | undefined;
  constructor(
    readonly items: unknown[],
    readonly depth0: number,
    readonly recurse: ((items: unknown) => string) | null,
  ) {}
  attr(name: string): unknown {
    const n = this.items.length, i = this.index0;
    switch (name) {
      case "index":
        return i + 1;
      case "index0":
        return i;
      case "revindex":
        return n - i;
      case "revindex0":
        return n - i - 1;
      case "first":
        return i === 0;
      case "last":
        return i === n - 1;
      case "length":
        return n;
      case "depth":
        return this.depth0 + 1;
      case "depth0":
        return this.depth0;
      case "previtem":
        return i > 0 ? this.items[i - 1] : new Undefined("previtem", "there is no previous item");
      case "nextitem":
        return i < n - 1 ? this.items[i + 1] : new Undefined("nextitem", "there is no next item");
      case "cycle":
        return new PyCallable("cycle", (args) => {
          if (!args.length) throw new TypeError("no items for cycling given");
          return args[i % args.length];
        });
      case "changed":
        return new PyCallable("changed", (args) => {
          const prev = this.#lastChanged;
          this.#lastChanged = args;
          return prev === undefined || !pyEq(prev, args);
        });
    }
    return new Undefined(name, `'LoopContext object' has no attribute '${name}'`);
  }
}

export type Concat = "native" | "eval" | "text";

/** What a compiled template needs from its environment while rendering. */
export interface Runtime {
  resolve(name: string, ctx: Ctx): unknown;
  filter(name: string): ((value: unknown, ...args: unknown[]) => unknown) | undefined;
  test(name: string): ((value: unknown, ...args: unknown[]) => boolean) | undefined;
  include(name: string, ctx: Ctx): string;
  /** Renders the parent template `name` into out, with ctx (and its blocks). */
  extend(name: string, ctx: Ctx, out: unknown[]): void;
  /**
   * Runs a template file and returns its top-level names (macros, set) for `import`/`from`; `ctx` when
   * imported with context: it sees the importing template's names.
   */
  importTemplate(name: string, ctx?: Ctx): Map<string, unknown>;
  concatMode: Concat;
}

/** Scope chain for template-local names (loop variables, set, macro arguments). */
export class Frame {
  readonly vars = new Map<string, unknown>();
  constructor(readonly parent: Frame | null) {}
  lookup(name: string): unknown {
    // deno-lint-ignore no-this-alias
    for (let f: Frame | null = this; f; f = f.parent) {
      const v = f.vars.get(name);
      if (v !== undefined || f.vars.has(name)) return v;
    }
    return undefined;
  }
}

export class Ctx {
  /** Blocks of the most derived template, when rendering a template it extends. */
  blocks: Map<string, (c: Ctx, out: unknown[]) => void> | undefined;
  constructor(readonly rt: Runtime, public frame: Frame, readonly exported: Map<string, unknown>) {}
  lookup(name: string): unknown {
    const v = this.frame.lookup(name);
    if (v !== undefined) return v;
    return this.rt.resolve(name, this);
  }
}

type E = (c: Ctx) => unknown;
type S = (c: Ctx, out: unknown[]) => void;

function undefinedAttr(obj: unknown, name: unknown): Undefined {
  if (obj instanceof LazyMapping) {
    const u = obj.missing(pyStr(name));
    if (u) return u;
  }
  const what = obj === null ? "None" : `${obj instanceof LazyMapping ? obj.pyClass : pyTypeName(obj)} object`;
  // Jinja2 quotes the object's type for a missing attribute, not for a missing element
  const msg = typeof name === "string"
    ? `${pyRepr(what)} has no attribute ${pyRepr(name)}`
    : `${what} has no element ${pyRepr(name)}`;
  return new Undefined(pyStr(name), msg);
}

/** An item of a list or dict: text in one a YAML file made reads as Ansible's AnsibleUnicode. */
function written(container: object, v: unknown): unknown {
  return typeof v === "string" && positionOf(container) !== undefined ? new YamlText(v) : v;
}

/** Jinja2's `obj.attr`: attribute (method) first, then item. */
export function getAttr(obj: unknown, attr: string): unknown {
  if (obj instanceof Undefined) return obj;
  obj = unwrap(obj);
  // Ansible's Jinja2 environment is not sandboxed: a value's class is reachable
  if (attr === "__class__") return new PyType(pyTypeName(obj));
  if (obj instanceof LoopInfo) return obj.attr(attr);
  if (obj instanceof LoopProxy) return obj.info.attr(attr);
  if (obj instanceof PyObject) {
    const r = obj.getattr(attr);
    return r !== undefined ? r : undefinedAttr(obj, attr);
  }
  if (obj instanceof Namespace) {
    return Object.prototype.hasOwnProperty.call(obj.attrs, attr) ? obj.attrs[attr] : undefinedAttr(obj, attr);
  }
  const m = getMethod(obj, attr);
  if (m) return m;
  if (isMapping(obj)) {
    const v = mapGet(obj, attr);
    if (v !== undefined) return written(obj, v);
  }
  return undefinedAttr(obj, attr);
}

/** Jinja2's `obj[key]`: item first, then attribute. */
export function getItem(obj: unknown, key: unknown): unknown {
  if (obj instanceof Undefined) return obj;
  obj = unwrap(obj);
  key = unwrap(key);
  if (isMapping(obj)) {
    const k = typeof key === "string" ? key : pyStr(key);
    const v = mapGet(obj, k);
    if (v !== undefined) return written(obj, v);
    if (typeof key === "string") {
      const m = getMethod(obj, key);
      if (m) return m;
    }
    return undefinedAttr(obj, key);
  }
  if (Array.isArray(obj) || typeof obj === "string") {
    if ((typeof key === "number" && Number.isInteger(key)) || typeof key === "boolean") {
      const n = obj.length;
      let i = num(key);
      if (i < 0) i += n;
      if (i >= 0 && i < n) return typeof obj === "string" ? obj[i] : written(obj, obj[i]);
      return undefinedAttr(obj, key);
    }
    if (typeof key === "string") return getAttr(obj, key);
  }
  if (obj instanceof LoopInfo || obj instanceof Namespace) {
    return typeof key === "string" ? getAttr(obj, key) : undefinedAttr(obj, key);
  }
  return undefinedAttr(obj, key);
}

function sliceIndex(v: unknown): number | null {
  v = unwrap(v);
  if (v === null || v === undefined) return null;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new TypeError("slice indices must be integers or None or have an __index__ method");
  }
  return v;
}

/** Python slicing for lists and strings. */
export function pySlice(obj: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  obj = unwrap(defined(obj));
  const st = sliceIndex(step) ?? 1;
  if (st === 0) throw new Error("ValueError: slice step cannot be zero");
  const seq: ArrayLike<unknown> = typeof obj === "string"
    ? codePoints(obj)
    : Array.isArray(obj)
    ? obj
    : (() => {
      throw new TypeError(`'${pyTypeName(obj)}' object is not subscriptable`);
    })();
  const n = seq.length;
  const norm = (v: number | null, dflt: number, lo: number, hi: number) => {
    if (v === null) return dflt;
    if (v < 0) v += n;
    return Math.min(Math.max(v, lo), hi);
  };
  const out: unknown[] = [];
  if (st > 0) {
    const a = norm(sliceIndex(start), 0, 0, n), b = norm(sliceIndex(stop), n, 0, n);
    if (st === 1 && typeof seq === "string") return seq.slice(a, Math.max(a, b));
    for (let i = a; i < b; i += st) out.push(seq[i]);
  } else {
    const a = norm(sliceIndex(start), n - 1, -1, n - 1), b = norm(sliceIndex(stop), -1, -1, n - 1);
    for (let i = a; i > b; i += st) out.push(seq[i]);
  }
  if (typeof obj === "string") return out.join("");
  return isTuple(obj) ? tuple(out) : out;
}

function typeErr(op: string, a: unknown, b: unknown): TypeError {
  return new TypeError(
    `unsupported operand type(s) for ${op}: '${pyTypeName(a)}' and '${pyTypeName(b)}'`,
  );
}

function isNum(v: unknown): boolean {
  return isNumber(v) || typeof v === "boolean";
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A bigint result as a plain number when that is exact. */
function narrow(r: bigint): number | bigint {
  return r >= -MAX_SAFE && r <= MAX_SAFE ? Number(r) : r;
}

/** Integer arithmetic as Python does it, exact at any size; undefined where the result is not an int
 * (division by zero, negative powers). */
function exactInt(op: string, a: unknown, b: unknown): number | bigint | undefined {
  const x = toBigInt(a), y = toBigInt(b);
  switch (op) {
    case "+":
      return narrow(x + y);
    case "-":
      return narrow(x - y);
    case "*":
      return narrow(x * y);
    case "//": {
      if (y === 0n) return undefined;
      const q = x / y;
      return narrow(x % y !== 0n && (x < 0n) !== (y < 0n) ? q - 1n : q);
    }
    case "%": {
      if (y === 0n) return undefined;
      const r = x % y;
      return narrow(r !== 0n && (r < 0n) !== (y < 0n) ? r + y : r);
    }
    case "**":
      return y < 0n ? undefined : narrow(x ** y);
  }
  return undefined;
}

function arith(op: string, a: unknown, b: unknown): number | bigint | PyFloat {
  const float = isFloat(a) || isFloat(b);
  // Ints go exact where doubles would not be: with a bigint operand, and always for `//`, `%` and `**`,
  // whose double forms round before 2^53. `+ - *` of smaller ints are redone exactly (by `wrap`) only
  // when their double result leaves ±2^53.
  const exactWhileSafe = op === "+" || op === "-" || op === "*";
  if (!float && op !== "/" && (!exactWhileSafe || typeof a === "bigint" || typeof b === "bigint")) {
    const exact = exactInt(op, a, b);
    if (exact !== undefined) return exact;
  }
  const x = num(a), y = num(b);
  const wrap = (r: number) => float ? mkFloat(r) : Number.isSafeInteger(r) ? r : exactInt(op, a, b) ?? r;
  switch (op) {
    case "+":
      return wrap(x + y);
    case "-":
      return wrap(x - y);
    case "*":
      return wrap(x * y);
    case "/":
      if (y === 0) throw new Error("ZeroDivisionError: division by zero");
      return mkFloat(x / y);
    case "//":
      if (y === 0) throw new Error("ZeroDivisionError: integer division or modulo by zero");
      return wrap(Math.floor(x / y));
    case "%": {
      if (y === 0) throw new Error("ZeroDivisionError: integer division or modulo by zero");
      const r = x % y;
      return wrap(r !== 0 && (r < 0) !== (y < 0) ? r + y : r);
    }
    case "**":
      if (!float && y < 0) return mkFloat(x ** y);
      return wrap(x ** y);
  }
  throw new Error(`unknown operator ${op}`);
}

export function binop(op: string, a: unknown, b: unknown): unknown {
  a = unwrap(defined(a));
  b = unwrap(defined(b));
  if (a instanceof PyObject || b instanceof PyObject) return dateBinop(op, a, b);
  if (isNum(a) && isNum(b)) return arith(op, a, b);
  if (op === "+") {
    if (typeof a === "string" && typeof b === "string") return a + b;
    if (Array.isArray(a) && Array.isArray(b)) {
      if (isTuple(a) !== isTuple(b)) {
        throw new TypeError(
          `can only concatenate ${pyTypeName(a)} (not "${pyTypeName(b)}") to ${pyTypeName(a)}`,
        );
      }
      const r = [...a, ...b];
      return isTuple(a) ? tuple(r) : r;
    }
    if (typeof a === "string" || Array.isArray(a)) {
      throw new TypeError(
        `can only concatenate ${pyTypeName(a)} (not "${pyTypeName(b)}") to ${pyTypeName(a)}`,
      );
    }
  }
  if (op === "*") {
    const [seq, n] = isInt(b) || typeof b === "boolean" ? [a, num(b)] : [b, num(a)];
    if ((isInt(a) || typeof a === "boolean" || isInt(b) || typeof b === "boolean")) {
      if (typeof seq === "string") return n > 0 ? seq.repeat(n) : "";
      if (Array.isArray(seq)) {
        const r: unknown[] = [];
        for (let i = 0; i < n; i++) r.push(...seq);
        return isTuple(seq) ? tuple(r) : r;
      }
    }
  }
  if (op === "%" && typeof a === "string") return percentFormat(a, b);
  throw typeErr(op, a, b);
}

function compare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case "==":
      return pyEq(a, b);
    case "!=":
      return !pyEq(a, b);
    case "<":
      return pyCmp(a, b) < 0;
    case ">":
      return pyCmp(a, b) > 0;
    case "<=":
      return pyCmp(a, b) <= 0;
    case ">=":
      return pyCmp(a, b) >= 0;
    case "in":
      return pyContains(b, a);
    case "notin":
      return !pyContains(b, a);
  }
  throw new Error(`unknown comparison ${op}`);
}

/** Ansible's finalize: an undefined value anywhere inside an output list or dict fails the template. */
function deepDefined<T>(v: T): T {
  if (v instanceof Undefined) v.fail();
  if (Array.isArray(v)) { for (const x of v) deepDefined(x); }
  else if (isPlainDict(v)) { for (const k in v) deepDefined(v[k]); }
  return v;
}

/** Calls a template-callable value with positional and keyword arguments. */
export function callValue(fn: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown {
  if (fn instanceof PyCallable) return fn.fn(args, kwargs) ?? null;
  if (fn instanceof Undefined) fn.fail();
  if (typeof fn === "function") {
    return fn(...args, ...(Object.keys(kwargs).length ? [new Kwargs(kwargs)] : []));
  }
  throw new TypeError(`'${pyTypeName(fn)}' object is not callable`);
}

/** Splits a trailing Kwargs off an argument list. */
export function splitKwargs(args: unknown[]): [unknown[], Record<string, unknown>] {
  const last = args[args.length - 1];
  if (last instanceof Kwargs) return [args.slice(0, -1), last.values];
  return [args, {}];
}

const MUTATORS = new Set([
  "append",
  "extend",
  "insert",
  "pop",
  "remove",
  "reverse",
  "sort",
  "clear",
  "update",
  "setdefault",
]);

export class Compiler {
  /** Set when the template calls a mutating method: its variables must then be copies, as in Ansible. */
  mutates = false;
  /** The template's blocks by name, for templates that extend it. */
  readonly blocks = new Map<string, S>();

  /** A whole template: one with `{% extends %}` stops rendering its own output where the parent takes over. */
  template(stmts: Stmt[]): S {
    const body = this.body(stmts);
    if (!stmts.some((s) => s.k === "extends")) return body;
    return (c, out) => {
      try {
        body(c, out);
      } catch (e) {
        if (e !== EXTENDED) throw e;
      }
    };
  }

  expr(e: Expr): E {
    switch (e.k) {
      case "const": {
        const v = e.v;
        return () => v;
      }
      case "name": {
        const n = e.n;
        return (c) => c.lookup(n);
      }
      case "list": {
        const items = e.items.map((i) => this.expr(i));
        return (c) => items.map((f) => f(c));
      }
      case "tuple": {
        const items = e.items.map((i) => this.expr(i));
        return (c) => tuple(items.map((f) => f(c)));
      }
      case "dict": {
        const pairs = e.pairs.map(([k, v]) => [this.expr(k), this.expr(v)] as const);
        return (c) => {
          const o: Record<string, unknown> = {};
          for (const [k, v] of pairs) o[pyStr(defined(k(c)))] = v(c);
          return o;
        };
      }
      case "getattr": {
        const obj = this.expr(e.obj), attr = e.attr;
        return (c) => getAttr(obj(c), attr);
      }
      case "getitem": {
        const obj = this.expr(e.obj), key = this.expr(e.key);
        return (c) => getItem(obj(c), key(c));
      }
      case "slice": {
        const obj = this.expr(e.obj);
        const a = e.start ? this.expr(e.start) : () => null;
        const b = e.stop ? this.expr(e.stop) : () => null;
        const s = e.step ? this.expr(e.step) : () => null;
        return (c) => pySlice(obj(c), a(c), b(c), s(c));
      }
      case "call": {
        if (e.fn.k === "getattr" && MUTATORS.has(e.fn.attr)) this.mutates = true;
        const fn = this.expr(e.fn);
        const args = this.args(e.args, e.kwargs);
        const star = e.star ? this.expr(e.star) : null, dstar = e.dstar ? this.expr(e.dstar) : null;
        return (c) => {
          const f = fn(c);
          const [a, kw] = args(c);
          if (star) a.push(...pyIter(star(c)));
          if (dstar) {
            const d = dstar(c);
            if (isMapping(d)) { for (const k of mapKeys(d)) kw[k] = mapGet(d, k); }
          }
          return callValue(f, a, kw);
        };
      }
      case "filter": {
        const node = e.node ? this.expr(e.node) : null;
        const args = this.args(e.args, e.kwargs);
        const name = e.name;
        return (c) => {
          const f = c.rt.filter(name);
          if (!f) throw new UnknownPluginError(`Could not load "${name}": '${name}'`);
          const v = node ? node(c) : c.lookup("\0filterblock");
          const [a, kw] = args(c);
          // a plugin returning nothing returns None, as a Python function does
          return f(v, ...a, ...(Object.keys(kw).length ? [new Kwargs(kw)] : [])) ?? null;
        };
      }
      case "test": {
        const node = this.expr(e.node);
        const args = this.args(e.args, e.kwargs);
        const name = e.name;
        return (c) => {
          const t = c.rt.test(name);
          if (!t) throw new UnknownPluginError(`Could not load "${name}": '${name}'`);
          const [a, kw] = args(c);
          return t(node(c), ...a, ...(Object.keys(kw).length ? [new Kwargs(kw)] : []));
        };
      }
      case "bin": {
        const l = this.expr(e.l), r = this.expr(e.r), op = e.op;
        return (c) => binop(op, l(c), r(c));
      }
      case "unary": {
        const x = this.expr(e.e);
        if (e.op === "not") return (c) => !truthy(x(c));
        const neg = e.op === "-";
        return (c) => {
          const v = unwrap(defined(x(c)));
          if (!isNum(v)) throw new TypeError(`bad operand type for unary ${e.op}: '${pyTypeName(v)}'`);
          if (!neg) return typeof v === "boolean" ? num(v) : v;
          if (typeof v === "bigint") return narrow(-v);
          return v instanceof PyFloat ? new PyFloat(-v.value) : -num(v);
        };
      }
      case "and": {
        const l = this.expr(e.l), r = this.expr(e.r);
        return (c) => {
          const a = l(c);
          return truthy(a) ? r(c) : a;
        };
      }
      case "or": {
        const l = this.expr(e.l), r = this.expr(e.r);
        return (c) => {
          const a = l(c);
          return truthy(a) ? a : r(c);
        };
      }
      case "cmp": {
        const first = this.expr(e.first);
        const ops = e.ops.map(([op, x]) => [op, this.expr(x)] as const);
        return (c) => {
          let a = first(c);
          for (const [op, f] of ops) {
            const b = f(c);
            if (!compare(op, a, b)) return false;
            a = b;
          }
          return true;
        };
      }
      case "cond": {
        const t = this.expr(e.test), a = this.expr(e.then);
        const b = e.else ? this.expr(e.else) : null;
        return (c) =>
          truthy(t(c)) ? a(c) : b ? b(c) : new Undefined(
            "",
            "the inline if-expression evaluated to false and no else section was defined.",
          );
      }
      case "concat": {
        const items = e.items.map((i) => this.expr(i));
        return (c) => items.map((f) => pyStr(f(c))).join("");
      }
    }
  }

  args(args: Expr[], kwargs: [string, Expr][]): (c: Ctx) => [unknown[], Record<string, unknown>] {
    const a = args.map((x) => this.expr(x));
    const kw = kwargs.map(([k, x]) => [k, this.expr(x)] as const);
    return (c) => {
      const o: Record<string, unknown> = {};
      for (const [k, f] of kw) o[k] = f(c);
      return [a.map((f) => f(c)), o];
    };
  }

  body(stmts: Stmt[]): S {
    const fs = stmts.map((s) => this.stmt(s));
    if (fs.length === 1) return fs[0];
    return (c, out) => {
      for (const f of fs) f(c, out);
    };
  }

  /** Renders a body to one value with the environment's concat (macros, block set, filter blocks). */
  captured(stmts: Stmt[]): (c: Ctx) => unknown {
    const b = this.body(stmts);
    return (c) => {
      const out: unknown[] = [];
      b(c, out);
      // macros, block set and filter blocks join their output with the environment's concat, as Jinja2 does
      return concat(out, c.rt.concatMode);
    };
  }

  assign(t: Target): (c: Ctx, v: unknown) => void {
    if (t.k === "name") {
      const n = t.n;
      return (c, v) => {
        c.frame.vars.set(n, v);
        if (!c.frame.parent) c.exported.set(n, v);
      };
    }
    if (t.k === "attr") {
      return (c, v) => {
        const ns = c.lookup(t.obj);
        if (!(ns instanceof Namespace)) {
          throw new TemplateError("cannot assign attribute on non-namespace object");
        }
        ns.attrs[t.attr] = v;
      };
    }
    const subs = t.items.map((i) => this.assign(i));
    return (c, v) => {
      const items = pyIter(v);
      if (items.length !== subs.length) {
        throw new Error(
          `ValueError: ${
            items.length > subs.length ? "too many values to unpack" : "not enough values to unpack"
          } (expected ${subs.length}, got ${items.length})`,
        );
      }
      subs.forEach((f, i) => f(c, items[i]));
    };
  }

  stmt(s: Stmt): S {
    switch (s.k) {
      case "data": {
        const t = s.text;
        return (_c, out) => out.push(t);
      }
      case "emit": {
        const e = this.expr(s.e);
        return (c, out) => {
          const v = deepDefined(e(c));
          // Ansible's finalize prints None as "" except in native mode.
          out.push(v === null && c.rt.concatMode !== "native" ? "" : v);
        };
      }
      case "if": {
        const branches = s.branches.map(([cond, body]) => [this.expr(cond), this.body(body)] as const);
        const els = s.else ? this.body(s.else) : null;
        return (c, out) => {
          for (const [cond, body] of branches) {
            if (truthy(cond(c))) return body(c, out);
          }
          if (els) els(c, out);
        };
      }
      case "for":
        return this.forLoop(s);
      case "set": {
        const e = this.expr(s.e), a = this.assign(s.target);
        return (c) => a(c, e(c));
      }
      case "setblock": {
        const body = this.captured(s.body), a = this.assign(s.target);
        const filter = s.filter ? this.expr(s.filter) : null;
        return (c) => {
          let v = body(c);
          if (filter) v = this.withFilterInput(c, v, filter);
          a(c, v);
        };
      }
      case "macro": {
        const m = this.macro(s.name, s.params, s.body);
        const a = this.assign({ k: "name", n: s.name });
        return (c) => a(c, m(c, null));
      }
      case "callblock": {
        const caller = this.macro("caller", s.params, s.body);
        const call = this.expr(s.call);
        return (c, out) => {
          const f = new Frame(c.frame);
          f.vars.set("caller", caller(c, null));
          const saved = c.frame;
          c.frame = f;
          try {
            out.push(defined(call(c)));
          } finally {
            c.frame = saved;
          }
        };
      }
      case "filterblock": {
        const body = this.captured(s.body), filter = this.expr(s.filter);
        return (c, out) => out.push(this.withFilterInput(c, pyStr(body(c)), filter));
      }
      case "with": {
        const assigns = s.assigns.map(([t, e]) => [this.assign(t), this.expr(e)] as const);
        const body = this.body(s.body);
        return (c, out) => {
          const saved = c.frame;
          const vals = assigns.map(([, e]) => e(c));
          c.frame = new Frame(saved);
          try {
            assigns.forEach(([a], i) => a(c, vals[i]));
            body(c, out);
          } finally {
            c.frame = saved;
          }
        };
      }
      case "do": {
        const e = this.expr(s.e);
        return (c) => void e(c);
      }
      case "include": {
        const e = this.expr(s.e);
        return (c, out) => {
          const names = unwrap(e(c));
          const list = Array.isArray(names) ? names : [names];
          let lastErr: unknown;
          for (const n of list) {
            try {
              out.push(c.rt.include(pyStr(n), c));
              return;
            } catch (err) {
              lastErr = err;
            }
          }
          if (!s.ignoreMissing) throw lastErr;
        };
      }
      case "block": {
        const body = this.body(s.body), name = s.name;
        this.blocks.set(name, body);
        return (c, out) => (c.blocks?.get(name) ?? body)(c, out);
      }
      case "import": {
        const e = this.expr(s.e);
        const target = s.target ? this.assign({ k: "name", n: s.target }) : null;
        const names = s.names.map(([n, as]) => [n, this.assign({ k: "name", n: as })] as const);
        const withContext = s.withContext;
        return (c) => {
          const name = pyStr(e(c));
          const exported = c.rt.importTemplate(name, withContext ? c : undefined);
          if (target) target(c, new Namespace(Object.fromEntries(exported)));
          for (const [n, a] of names) {
            const v = exported.get(n);
            a(
              c,
              v !== undefined
                ? v
                : new Undefined(n, `the template '${name}' does not export the requested name '${n}'`),
            );
          }
        };
      }
      case "extends": {
        const e = this.expr(s.e);
        const own = this.blocks;
        return (c, out) => {
          // the most derived template's blocks win; its own output after extends is not rendered
          const blocks = new Map(own);
          for (const [k, v] of c.blocks ?? []) blocks.set(k, v);
          c.blocks = blocks;
          c.rt.extend(pyStr(e(c)), c, out);
          throw EXTENDED;
        };
      }
    }
  }

  withFilterInput(c: Ctx, v: unknown, filter: E): unknown {
    const saved = c.frame;
    c.frame = new Frame(saved);
    c.frame.vars.set("\0filterblock", v);
    try {
      return filter(c);
    } finally {
      c.frame = saved;
    }
  }

  macro(name: string, params: [string, Expr | null][], stmts: Stmt[]): (c: Ctx, _: null) => PyCallable {
    const defaults = params.map(([, d]) => (d ? this.expr(d) : null));
    const body = this.captured(stmts);
    const names = params.map(([n]) => n);
    return (defCtx) => {
      const defFrame = defCtx.frame;
      return new PyCallable(name, (args, kwargs) => {
        const f = new Frame(defFrame);
        const c = new Ctx(defCtx.rt, f, new Map());
        const extra: unknown[] = [];
        args.forEach((a, i) => (i < names.length ? f.vars.set(names[i], a) : extra.push(a)));
        const kw: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(kwargs)) {
          if (names.includes(k)) f.vars.set(k, v);
          else if (k === "caller") f.vars.set("caller", v);
          else kw[k] = v;
        }
        names.forEach((n, i) => {
          if (!f.vars.has(n)) {
            f.vars.set(
              n,
              defaults[i] ? defaults[i]!(c) : new Undefined(n, `parameter '${n}' was not provided`),
            );
          }
        });
        f.vars.set("varargs", tuple(extra));
        f.vars.set("kwargs", kw);
        if (!f.vars.has("caller")) {
          const outer = defCtx.frame.lookup("caller");
          if (outer !== undefined) f.vars.set("caller", outer);
        }
        return body(c);
      });
    };
  }

  forLoop(s: Extract<Stmt, { k: "for" }>): S {
    const iter = this.expr(s.iter);
    const filter = s.filter ? this.expr(s.filter) : null;
    const assign = this.assign(s.target);
    const body = this.body(s.body);
    const els = s.else ? this.body(s.else) : null;
    const run = (c: Ctx, out: unknown[], seq: unknown, depth: number) => {
      let items = pyIter(defined(seq));
      const saved = c.frame;
      if (filter) {
        const kept: unknown[] = [];
        for (const it of items) {
          c.frame = new Frame(saved);
          assign(c, it);
          if (truthy(filter(c))) kept.push(it);
        }
        c.frame = saved;
        items = kept;
      }
      if (items.length === 0) {
        if (els) els(c, out);
        return;
      }
      const recurse = s.recursive
        ? (sub: unknown) => {
          const o: unknown[] = [];
          run(c, o, sub, depth + 1);
          return concat(o, "text") as string;
        }
        : null;
      const loop = new LoopInfo(items, depth, recurse);
      const loopVal = s.recursive ? new PyCallable("loop", (args) => recurse!(args[0])) : loop;
      try {
        for (let i = 0; i < items.length; i++) {
          loop.index0 = i;
          c.frame = new Frame(saved);
          c.frame.vars.set("loop", s.recursive ? new LoopProxy(loop, loopVal as PyCallable) : loopVal);
          assign(c, items[i]);
          body(c, out);
        }
      } finally {
        c.frame = saved;
      }
    };
    return (c, out) => run(c, out, iter(c), 0);
  }
}

/** A recursive loop's `loop`: callable (`loop(children)`) and carrying the usual attributes. */
export class LoopProxy extends PyCallable {
  constructor(readonly info: LoopInfo, call: PyCallable) {
    super("loop", call.fn);
  }
}

/** Joins rendered nodes as Ansible's concat functions do; see ansible/template/native_helpers.py. */
export function concat(out: unknown[], mode: Concat, unsafe = false): unknown {
  const res = joined(out, mode);
  // unsafe: the render read unsafe data (Ansible's context flag); a node may also hold unsafe text the
  // render got elsewhere (an included template's output)
  return unsafe || out.some(holdsUnsafe) ? wrapVar(res) : res;
}

function joined(out: unknown[], mode: Concat): unknown {
  if (mode === "native") {
    if (out.length === 0) return null;
    let text: string;
    if (out.length === 1) {
      const v = out[0];
      // | string (NativeText) and vaulted values stay text; other non-strings keep their type
      if (v instanceof NativeText) return v;
      if (v instanceof VaultString) return v.value;
      if (v instanceof UnsafeString || v instanceof YamlText) text = v.value;
      else if (typeof v !== "string") return v;
      else text = v;
    } else text = out.map(pyStr).join("");
    return nativeLiteral(text);
  }
  if (mode === "eval") {
    if (out.length === 0) return "";
    if (out.length === 1 && out[0] instanceof NativeText) return out[0];
    const text = out.length === 1 ? pyStr(out[0]) : out.map(pyStr).join("");
    if (text.startsWith("{") || text.startsWith("[") || text === "True" || text === "False") {
      const r = literalEval(text, { json: true, tuple });
      if (r.ok) return r.value;
    }
    // Python's to_text gives text back as the very object, AnsibleUnicode included
    return out.length === 1 && out[0] instanceof YamlText ? out[0] : text;
  }
  return out.map(pyStr).join("");
}

function nativeLiteral(text: string): unknown {
  const r = literalEval(text, { tuple });
  if (!r.ok) return text;
  if (typeof r.value === "string") return text[0] + r.value + text[0];
  return r.value;
}
