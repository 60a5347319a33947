// Template values to and from the plugin host. The codec carries plain data, big ints, floats, tuples,
// bytes and non-string dict keys; what it would flatten to a plain string (unsafe and vault text) or cannot
// say (Jinja2's undefined) travels as a one-key dict the host turns back into Ansible's types
// (bootstrap/plugin_host.py). A user dict that only looks like one of those is wrapped in "$escaped".
// Bytes from the host are text (a filter's bytes are its string), except those it sends as "$bytes": an
// action plugin's file data, which must reach the target unchanged.
import { Tuple } from "../../core/mod.ts";
import { PyFloat, UnsafeString, VaultString } from "../values.ts";
import {
  isMarkedUnsafe,
  isTuple,
  LazyMapping,
  NativeText,
  pyStr,
  pyTypeName,
  TemplateError,
  tuple,
  Undefined,
  YamlText,
} from "../template/mod.ts";

const MARKS = new Set(["$unsafe", "$vault", "$undefined", "$escaped", "$bytes"]);
/**
 * How many lazy mappings deep a value is copied: hostvars, and a host's variables in it; the hostvars
 * inside those (the same mapping again, endlessly) are sent empty.
 */
const MAX_LAZY = 2;

/** A value for the host, and whether it holds marked values (the host then walks it). */
export function toWire(v: unknown): { value: unknown; marked: boolean } {
  const st = { marked: false };
  return { value: out(v, false, st, 0), marked: st.marked };
}

function out(v: unknown, unsafe: boolean, st: { marked: boolean }, lazy: number): unknown {
  switch (typeof v) {
    case "string":
      if (!unsafe) return v;
      st.marked = true;
      return { $unsafe: v };
    case "number":
    case "boolean":
    case "bigint":
      return v;
    case "undefined":
      return null;
  }
  if (v === null) return null;
  if (v instanceof UnsafeString) {
    st.marked = true;
    return { $unsafe: v.value };
  }
  if (v instanceof VaultString) {
    st.marked = true;
    return { $vault: [v.ciphertext, v.value] };
  }
  if (v instanceof NativeText || v instanceof YamlText) return v.value;
  if (v instanceof Undefined) {
    st.marked = true;
    return { $undefined: [v.name, v.message] };
  }
  const inner = unsafe || isMarkedUnsafe(v);
  if (Array.isArray(v)) {
    const items = v.map((x) => out(x, inner, st, lazy));
    return isTuple(v) ? Object.assign(new Tuple(), items) : items;
  }
  if (v instanceof LazyMapping) {
    const d: Record<string, unknown> = {};
    if (lazy >= MAX_LAZY) return d;
    for (const k of v.keys()) d[k] = out(v.get(k), inner, st, lazy + 1);
    return d;
  }
  if (v instanceof Map || v instanceof Uint8Array || v instanceof PyFloat) return v;
  if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
    const d: Record<string, unknown> = {};
    const keys = Object.keys(v as object);
    for (const k of keys) d[k] = out((v as Record<string, unknown>)[k], inner, st, lazy);
    if (keys.length === 1 && keys[0].startsWith("$")) {
      st.marked = true;
      return { $escaped: d };
    }
    return d;
  }
  throw new TemplateError(`a ${pyTypeName(v)} cannot be passed to a Python plugin`);
}

const text = new TextDecoder();

/** A value from the host as a template value. */
export function fromWire(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (v instanceof Tuple) return tuple(Array.from(v, fromWire));
  if (Array.isArray(v)) return v.map(fromWire);
  if (v instanceof Uint8Array) return text.decode(v);
  if (v instanceof Map) {
    const d: Record<string, unknown> = {};
    for (const [k, x] of v) d[pyStr(k)] = fromWire(x);
    return d;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return v; // a PyFloat or RemoteError
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && MARKS.has(keys[0])) {
    const x = obj[keys[0]];
    switch (keys[0]) {
      case "$unsafe":
        return new UnsafeString(String(x));
      case "$vault": {
        const [cipher, plain] = x as [string, string];
        return new VaultString(cipher, "a Python plugin", () => plain);
      }
      case "$undefined": {
        const [name, message] = x as [string, string];
        return new Undefined(name, message);
      }
      case "$escaped":
        return fromObject(x as Record<string, unknown>);
      case "$bytes":
        return x; // bytes an action plugin puts on its target, kept as they are (not decoded as text)
    }
  }
  return fromObject(obj);
}

function fromObject(obj: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(obj)) obj[k] = fromWire(obj[k]);
  return obj;
}
