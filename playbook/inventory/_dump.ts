// Python's text forms of inventory values, for output that must match ansible-inventory byte for byte:
// str()/repr() (the --graph --vars lines) and json.dumps(sort_keys=True, indent=4); yaml.dump is in
// _yaml_emit.ts.
import { PyFloat, UnsafeString, VaultString } from "../values.ts";

/** Python's repr() of a float. */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0";
  const [mant, expS] = n.toExponential().split("e");
  const exp = parseInt(expS, 10);
  if (exp >= -4 && exp < 16) {
    const s = String(n);
    return s.includes(".") ? s : `${s}.0`;
  }
  return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

function unwrap(v: unknown): unknown {
  if (v instanceof UnsafeString) return v.value;
  if (v instanceof VaultString) return v.value;
  return v;
}

/** Python's repr() of a str. */
export function pyStrRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === q) out += "\\" + q;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + q;
}

export function pyRepr(v: unknown): string {
  v = unwrap(v);
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === "string") return pyStrRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object") {
    return `{${
      Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`).join(", ")
    }}`;
  }
  return String(v);
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
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
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
