// group_vars/ and host_vars/ files as Ansible's host_group_vars plugin finds and reads them.
import * as fs from "node:fs";
import * as path from "node:path";
import { loadYamlFile } from "../yaml/mod.ts";
import type { VaultSecrets } from "../vault/mod.ts";
import { InventoryError } from "./_data.ts";

const EXTS = [".yml", ".yaml", ".json"];

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  return fs.existsSync(p);
}

function dirFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.startsWith(".") || name.endsWith("~")) continue;
    const full = path.join(dir, name);
    const ext = path.extname(name);
    const st = fs.statSync(full);
    if (st.isDirectory() && !ext) out.push(...dirFiles(full));
    else if (st.isFile() && (!ext || EXTS.includes(ext))) out.push(full);
  }
  return out;
}

/** The files that hold variables for `name` in `dir`: `name`, `name.yml`… (first found) or all of `name/`. */
export function varsFilesFor(dir: string, name: string): string[] {
  const base = path.join(dir, name);
  for (const ext of ["", ...EXTS]) {
    const full = base + ext;
    if (!exists(full)) continue;
    if (isDir(full)) return dirFiles(full);
    return [full];
  }
  return [];
}

/**
 * Reads group_vars/<name> or host_vars/<name> variables from `dir` (the group_vars or host_vars folder),
 * later files overriding earlier ones key by key; undefined when nothing is there.
 */
export function loadVarsDir(
  dir: string,
  name: string,
  opts: { vault?: VaultSecrets } = {},
): Record<string, unknown> | undefined {
  const files = varsFilesFor(dir, name);
  if (!files.length) return undefined;
  const out: Record<string, unknown> = {};
  for (const f of files) {
    const data = loadYamlFile(f, { vault: opts.vault });
    if (data === null || data === undefined) continue;
    if (typeof data !== "object" || Array.isArray(data)) {
      throw new InventoryError(
        `Invalid vars file ${f}: expected a mapping of variables, got a ${
          Array.isArray(data) ? "list" : typeof data
        }`,
      );
    }
    Object.assign(out, data);
  }
  return out;
}
