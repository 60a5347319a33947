// The YAML inventory format (all/children/hosts/vars) as Ansible's yaml plugin reads it.
import { type InventoryData, InventoryError } from "./_data.ts";
import { expandHostEntry, HostPatternError } from "./_hostpattern.ts";
import { keyAsWritten, positionOf, yamlClass } from "../yaml/mod.ts";
import { UnsafeString } from "../values.ts";

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

export function parseYamlInventory(
  data: unknown,
  file: string,
  inv: InventoryData,
  warn: (m: string) => void,
): void {
  if (!isMap(data)) {
    throw new InventoryError(
      `YAML inventory has invalid structure, it should be a dictionary, got: ${yamlClass(data)}`,
    );
  }
  const where = (node: unknown) => {
    const p = typeof node === "object" && node ? positionOf(node) : undefined;
    return p ? `${p.file}:${p.line}` : file;
  };
  const parseGroup = (name: string, gdata: unknown): string => {
    if (!(gdata === null || isMap(gdata))) {
      warn(`Skipping '${name}' as this is not a valid group definition`);
      return name;
    }
    // the name the group got (made safe under transform_invalid_group_chars) is the one used from here
    name = inv.addGroup(name).name;
    if (gdata === null) return name;
    for (const section of ["vars", "children", "hosts"]) {
      if (!(section in gdata)) continue;
      if (typeof gdata[section] === "string") gdata[section] = { [gdata[section] as string]: null };
      const v = gdata[section];
      if (!(v === null || isMap(v))) {
        throw new InventoryError(
          `${where(gdata)}: Invalid "${section}" entry for "${name}" group, requires a dictionary, found "${
            yamlClass(v)
          }" instead.`,
        );
      }
    }
    for (const [key, v] of Object.entries(gdata)) {
      if (!(v === null || isMap(v))) {
        warn(`Skipping key (${key}) in group (${name}) as it is not a mapping, it is a ${yamlClass(v)}`);
        continue;
      }
      if (v === null) continue;
      if (key === "vars") {
        for (const [k, val] of Object.entries(v)) inv.setGroupVar(name, k, val);
      } else if (key === "children") {
        for (const [sub, sd] of Object.entries(v)) inv.addChild(name, parseGroup(sub, sd));
      } else if (key === "hosts") {
        for (const [pattern, hv] of Object.entries(v)) {
          const written = keyAsWritten(v, pattern);
          if (typeof written !== "string" && !(written instanceof UnsafeString)) {
            // Ansible expands only text: `1234:` is a number, not a host name.
            throw new InventoryError(
              `Host pattern ${pattern} must be a string. Enclose integers/floats in quotation marks.`,
            );
          }
          let e: { hosts: string[]; port?: number };
          try {
            e = expandHostEntry(pattern);
          } catch (err) {
            if (err instanceof HostPatternError) throw new InventoryError(`${where(v)}: ${err.message}`);
            throw err;
          }
          for (const h of e.hosts) {
            const host = inv.addHost(h, name, e.port);
            if (hv !== null && hv !== undefined) {
              if (!isMap(hv)) {
                throw new InventoryError(
                  `${where(v)}: Invalid data for host '${h}': expected a mapping of variables`,
                );
              }
              Object.assign(host.vars, hv);
            }
          }
        }
      } else {
        warn(
          `Skipping unexpected key (${key}) in group (${name}), only "vars", "children" and "hosts" are valid`,
        );
      }
    }
    return name;
  };
  for (const [name, gdata] of Object.entries(data)) parseGroup(name, gdata);
}
