// What the data tests compare against: Debian's ansible-core and python3-yaml. Missing tools fail the
// tests loudly with the package to install, never skip them.
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const DENO = `${ROOT}node_modules/deno/deno`;
export const MAIN = `${ROOT}cli/main.ts`;

const PACKAGE: Record<string, string> = {
  "/usr/bin/python3": "python3 (with python3-yaml)",
  "/usr/bin/ansible": "ansible-core",
  "/usr/bin/ansible-inventory": "ansible-core",
  "/usr/bin/ansible-vault": "ansible-core",
  "/usr/bin/ansible-config": "ansible-core",
};

/** Returns `path`, or throws naming the Debian package that provides it. */
export function tool(path: string): string {
  if (!fs.existsSync(path)) {
    throw new Error(`this test compares with ${path}; install the Debian package ${PACKAGE[path] ?? path}`);
  }
  return path;
}
