// `--version` of the Ansible-named commands: the layout of ansible-playbook's, with mito's facts.
import * as os from "node:os";
import process from "node:process";
import { readSettings } from "../playbook/_settings.ts";
import { VERSION } from "./version.ts";

/** ansible-core's version mito follows (the `ansible_version` playbooks see). */
export const ANSIBLE_CORE_COMPAT = "2.14.18";

export function versionText(prog: string): string {
  const settings = readSettings({ env: process.env, cwd: process.cwd(), home: os.homedir() });
  const runtime = typeof Deno !== "undefined" ? `Deno ${Deno.version.deno}` : `Node ${process.versions.node}`;
  return [
    `${prog} [mito ${VERSION}]`,
    `  config file = ${settings.configFile ?? "None"}`,
    `  configured module search path = ${settings.libraryPath.join(":")}`,
    `  ansible collection location = ${settings.collectionsPath.join(":")}`,
    `  executable location = ${process.execPath}`,
    `  runtime = ${runtime} (V8 ${process.versions.v8})`,
    `  ansible-core compatibility = ${ANSIBLE_CORE_COMPAT}`,
  ].join("\n") + "\n";
}
