// The header ansible-playbook prints for --version and first at -vv: the program and its version, then
// what it runs with. mito gives the lines that mean something for it in Ansible's order and format (the
// module search path as a Python list, the collection paths joined with ":"); where Ansible names its
// Python, Jinja and libyaml, mito names its runtime and the ansible-core release it follows.
import process from "node:process";
import { pyRepr } from "./py/repr.ts";

/** ansible-core's version mito follows (the `ansible_version` playbooks see). */
export const ANSIBLE_CORE_COMPAT = "2.14.18";

export interface HeaderSettings {
  configFile?: string;
  libraryPath: string[];
  collectionsPath: string[];
}

/** The header's lines; `first` is the program and its version ("mito run [mito 0.1.0]"). */
export function versionHeader(first: string, s: HeaderSettings): string[] {
  const runtime = typeof Deno !== "undefined" ? `Deno ${Deno.version.deno}` : `Node ${process.versions.node}`;
  return [
    first,
    `  config file = ${s.configFile ?? "None"}`,
    `  configured module search path = ${pyRepr(s.libraryPath)}`,
    `  ansible collection location = ${s.collectionsPath.join(":")}`,
    `  executable location = ${process.execPath}`,
    `  runtime = ${runtime} (V8 ${process.versions.v8})`,
    `  ansible-core compatibility = ${ANSIBLE_CORE_COMPAT}`,
  ];
}
