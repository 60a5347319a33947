// Python's text forms of inventory values, for output that must match ansible-inventory byte for byte:
// str() (the --graph --vars lines), json.dumps(sort_keys=True, indent=4) and yaml.dump (--yaml).
import { jsonDumps } from "../py/json_dump.ts";
import { yamlDump } from "../py/yaml_dump.ts";

export { pyStr } from "../py/repr.ts";

/** json.dumps(v, sort_keys=True, indent=4, ensure_ascii=False), vaulted values as {"__ansible_vault": …}. */
export function pyJsonDump(v: unknown): string {
  return jsonDumps(v, { sortKeys: true, indent: 4, ensureAscii: false });
}

/**
 * yaml.dump(v, Dumper=AnsibleDumper, default_flow_style=False, allow_unicode=True), as ansible-inventory
 * --yaml writes it: inventory values keep Python's object identity, so a list or dict met twice is an alias.
 */
export function pyYamlDump(v: unknown): string {
  return yamlDump(v, { anchors: true });
}
