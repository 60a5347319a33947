// Python's text forms of inventory values, for output that must match ansible-inventory byte for byte:
// str() (the --graph --vars lines), json.dumps(sort_keys=True, indent=4) and yaml.dump (--yaml).
import { PyFloat, UnsafeString, VaultString } from "../values.ts";
import { floatRepr } from "../py/repr.ts";
import { yamlDump } from "../py/yaml_dump.ts";
import { pyStrCompare } from "../py/str_order.ts";

function unwrap(v: unknown): unknown {
  if (v instanceof UnsafeString) return v.value;
  if (v instanceof VaultString) return v.value;
  return v;
}

export { pyStr } from "../py/repr.ts";

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
    const keys = Object.keys(v as object).sort(pyStrCompare);
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

/**
 * yaml.dump(v, Dumper=AnsibleDumper, default_flow_style=False, allow_unicode=True), as ansible-inventory
 * --yaml writes it: inventory values keep Python's object identity, so a list or dict met twice is an alias.
 */
export function pyYamlDump(v: unknown): string {
  return yamlDump(v, { anchors: true });
}
