// Python's text forms of inventory values, for output that must match ansible-inventory byte for byte:
// str() (the --graph --vars lines, on playbook/py/repr.ts) and json.dumps(sort_keys=True, indent=4);
// yaml.dump is in _yaml_emit.ts.
import { PyFloat, UnsafeString, VaultString } from "../values.ts";
import { floatRepr, pyRepr } from "../py/repr.ts";

function unwrap(v: unknown): unknown {
  if (v instanceof UnsafeString) return v.value;
  if (v instanceof VaultString) return v.value;
  return v;
}

/** Python's str(): strings as they are, everything else as repr(). */
export function pyStr(v: unknown): string {
  v = unwrap(v);
  return typeof v === "string" ? v : pyRepr(v);
}

/** json.dumps(v, sort_keys=True, indent=4, ensure_ascii=False). */
export function pyJsonDump(v: unknown, indent = 0): string {
  // Ansible's JSON encoder never decrypts: vaulted values print as their ciphertext.
  if (v instanceof VaultString) return pyJsonDump({ __ansible_vault: v.ciphertext }, indent);
  v = unwrap(v);
  const pad = " ".repeat(indent + 4);
  const end = " ".repeat(indent);
  if (v === null || v === undefined) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    return Number.isInteger(v) ? String(v) : floatRepr(v);
  }
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) {
    if (!v.length) return "[]";
    return `[\n${v.map((x) => pad + pyJsonDump(x, indent + 4)).join(",\n")}\n${end}]`;
  }
  if (typeof v === "object") {
    const keys = Object.keys(v as object).sort(pySortCompare);
    if (!keys.length) return "{}";
    return `{\n${
      keys.map((k) =>
        `${pad}${JSON.stringify(k)}: ${pyJsonDump((v as Record<string, unknown>)[k], indent + 4)}`
      ).join(
        ",\n",
      )
    }\n${end}}`;
  }
  return JSON.stringify(String(v));
}

/** Python sorts str by code point; JS's default sort compares UTF-16 units (same for the BMP). */
export function pySortCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
