// `--version` of the Ansible-named commands: the layout of ansible-playbook's, with mito's facts.
import * as os from "node:os";
import process from "node:process";
import { readSettings } from "../playbook/_settings.ts";
import { versionHeader } from "../playbook/_version_header.ts";
import { VERSION } from "./version.ts";

export { ANSIBLE_CORE_COMPAT } from "../playbook/_version_header.ts";

export function versionText(prog: string): string {
  const settings = readSettings({ env: process.env, cwd: process.cwd(), home: os.homedir() });
  return versionHeader(`${prog} [mito ${VERSION}]`, settings).join("\n") + "\n";
}
