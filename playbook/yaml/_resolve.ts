// PyYAML's YAML 1.1 implicit resolvers and scalar constructors (the ones Ansible's loader inherits):
// these differ from YAML 1.2 (`yes`/`on` are booleans, `0644` is octal, `1:20` is sexagesimal, …).
import { PyFloat } from "../values.ts";

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const TRUE = new Set(["yes", "true", "on"]);
const NULL = /^(?:~|null|Null|NULL|)$/;
const INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;

export type ScalarKind = "null" | "bool" | "int" | "float" | "timestamp" | "str";

/** Which YAML 1.1 type a plain (unquoted, untagged) scalar resolves to, as PyYAML decides it. */
export function resolvePlain(text: string): ScalarKind {
  if (NULL.test(text)) return "null";
  if (BOOL.test(text)) return "bool";
  if (INT.test(text)) return "int";
  if (FLOAT.test(text)) return "float";
  if (TIMESTAMP.test(text)) return "timestamp";
  return "str";
}

function sexagesimal(digits: string): number {
  let value = 0;
  for (const part of digits.split(":")) value = value * 60 + Number(part);
  return value;
}

/**
 * The integer a `!!int` text means (undefined when it is not one). Beyond ±2^53 it is a bigint, exact like
 * Python's int, so an id of 19 digits is not rounded to a neighbour.
 */
export function constructInt(text: string): number | bigint | undefined {
  let v = text.replaceAll("_", "");
  let sign = 1;
  if (v[0] === "-") sign = -1;
  if (v[0] === "-" || v[0] === "+") v = v.slice(1);
  let n: number;
  let big: string | undefined; // the same digits in a form BigInt() reads
  if (v === "0") n = 0;
  else if (v.startsWith("0b")) [n, big] = [parseInt(v.slice(2), 2), v];
  else if (v.startsWith("0x")) [n, big] = [parseInt(v.slice(2), 16), v];
  else if (v.startsWith("0") && /^[0-7]+$/.test(v)) [n, big] = [parseInt(v, 8), `0o${v.slice(1)}`];
  else if (v.includes(":")) n = sexagesimal(v);
  else if (/^[0-9]+$/.test(v)) [n, big] = [parseInt(v, 10), v];
  else return undefined;
  if (Number.isNaN(n)) return undefined;
  if (!Number.isSafeInteger(n) && big !== undefined) return BigInt(sign) * BigInt(big);
  return sign * n;
}

/** A float; integral values become PyFloat so that `1.0` stays a float. Undefined when invalid. */
export function constructFloat(text: string): number | PyFloat | undefined {
  let v = text.replaceAll("_", "").toLowerCase();
  let sign = 1;
  if (v[0] === "-") sign = -1;
  if (v[0] === "-" || v[0] === "+") v = v.slice(1);
  let n: number;
  if (v === ".inf") n = Infinity;
  else if (v === ".nan") return NaN;
  else if (v.includes(":")) n = sexagesimal(v);
  else if (/^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?$/.test(v)) n = Number(v);
  else if (/^[0-9]+$/.test(v)) n = Number(v);
  else return undefined;
  n *= sign;
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

export function constructBool(text: string): boolean | undefined {
  const l = text.toLowerCase();
  if (TRUE.has(l)) return true;
  if (l === "no" || l === "false" || l === "off") return false;
  return undefined;
}
