// Running ansible-playbook and mito side by side from the tests: a clean environment (no colours, the
// fixture directory's ansible.cfg) so the two are compared on equal terms.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import process from "node:process";

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
export const DENO = path.join(ROOT, "node_modules/deno/deno");

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` in `dir` with a minimal environment and that directory's ansible.cfg. */
export function runIn(dir: string, cmd: string, args: string[], env: Record<string, string> = {}): Ran {
  const r = spawnSync(cmd, args, {
    cwd: dir,
    encoding: "utf8",
    timeout: 180_000,
    env: {
      PATH: "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      LANG: "C.UTF-8",
      ANSIBLE_CONFIG: path.join(dir, "ansible.cfg"),
      ANSIBLE_NOCOLOR: "1",
      ...env,
    },
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `mito run` from source. */
export function mitoIn(dir: string, args: string[], env: Record<string, string> = {}): Ran {
  return runIn(dir, DENO, ["run", "-A", path.join(ROOT, "cli/main.ts"), "run", ...args], env);
}
