// The runners compared by the playbook benchmark: how each is invoked, with which environment, and how to
// tell that a run did its work.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import process from "node:process";
import { join } from "../_paths.ts";
import type { RunnerFlavour } from "./_scenarios.ts";

export type RunnerName = "ansible" | "mitogen" | "mito" | "mito-bin" | "mito-auto" | "mito-bin-auto";
export const RUNNERS: readonly RunnerName[] = [
  "ansible",
  "mitogen",
  "mito",
  "mito-bin",
  "mito-auto",
  "mito-bin-auto",
];
/**
 * `mito-auto` (`mito run` from source) and `mito-bin-auto` (the built dist/mito, what users copy to their
 * machines) run with MITO_MODULES=auto, the default where ansible-core is installed: tasks run Ansible's
 * own modules (the other mito runners use --mito-modules, builtin unless told). They run only the
 * scenarios that ask for it (Scenario.ansibleModules), beside the built-in runs of the same play.
 */
export const ANSIBLE_MODULES_RUNNERS: readonly RunnerName[] = ["mito-auto", "mito-bin-auto"];
/** The file-transfer baseline: `cat file | ssh host 'cat > f'`; a column of its own, not a runner. */
export const BASELINE = "ssh-cat";

export const MITOGEN_STRATEGY_DIR = "/usr/lib/python3/dist-packages/ansible_mitogen/plugins/strategy";

export interface Runner {
  name: RunnerName;
  flavour: RunnerFlavour;
  /** argv before `-i hosts playbook.yml`. */
  command: string[];
  env: Record<string, string>;
}

export interface RunnerSetup {
  root: string;
  /** MITO_MODULES for the mito runners (builtin: mito's own modules, no Ansible modules). */
  mitoModules: string;
}

export class RunnerUnavailableError extends Error {
  override name = "RunnerUnavailableError";
}

/** Parses `--runners a,b`: known names, in the harness's order. */
export function parseRunners(text: string | undefined): RunnerName[] {
  if (!text) return [...RUNNERS];
  const wanted = text.split(",").map((s) => s.trim()).filter(Boolean);
  for (const w of wanted) {
    if (!(RUNNERS as readonly string[]).includes(w)) {
      throw new Error(`unknown runner '${w}' (known: ${RUNNERS.join(", ")})`);
    }
  }
  return RUNNERS.filter((r) => wanted.includes(r));
}

// ANSIBLE_CONFIG is each run's own (its scenario's ansible.cfg), set where the run is prepared.
function baseEnv(): Record<string, string> {
  return {
    PATH: "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    LANG: "C.UTF-8",
    ANSIBLE_NOCOLOR: "1",
    // task pipelining's depth (docs/pipelining.md), when the bench is run with it
    ...(process.env.MITO_TASK_PIPELINE ? { MITO_TASK_PIPELINE: process.env.MITO_TASK_PIPELINE } : {}),
  };
}

/** Folders whose files go into dist/mito. */
const SOURCE_DIRS = ["cli", "playbook", "core", "transports", "bootstrap", "modules"];

/** mtime (ms) of the newest source file dist/mito is built from. */
function newestSource(root: string): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|py)$/.test(e.name) && !/(_test\.ts|^_embedded\.ts)$/.test(e.name)) {
        newest = Math.max(newest, statSync(p).mtimeMs);
      }
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(join(root, d))) walk(join(root, d));
  return newest;
}

/**
 * The runner's command and environment. dist/mito is built (`deno task sea`) when missing, older than
 * its sources, or when `rebuild` asks; if that fails the runner is unavailable.
 */
export function makeRunner(name: RunnerName, setup: RunnerSetup, rebuild = false): Runner {
  const deno = join(setup.root, "node_modules/deno/deno");
  const env = baseEnv();
  switch (name) {
    case "ansible":
      return { name, flavour: "ansible", command: ["/usr/bin/ansible-playbook"], env };
    case "mitogen":
      if (!existsSync(join(MITOGEN_STRATEGY_DIR, "mitogen_linear.py"))) {
        throw new RunnerUnavailableError(`no mitogen_linear strategy in ${MITOGEN_STRATEGY_DIR}`);
      }
      return { name, flavour: "mitogen", command: ["/usr/bin/ansible-playbook"], env };
    case "mito":
      return {
        name,
        flavour: "mito",
        command: [deno, "run", "-A", join(setup.root, "cli/main.ts"), "run"],
        env: { ...env, MITO_MODULES: setup.mitoModules },
      };
    case "mito-auto":
      return {
        name,
        flavour: "mito",
        command: [deno, "run", "-A", join(setup.root, "cli/main.ts"), "run"],
        env: { ...env, MITO_MODULES: "auto" },
      };
    case "mito-bin":
    case "mito-bin-auto": {
      const bin = join(setup.root, "dist/mito");
      if (rebuild || !existsSync(bin) || newestSource(setup.root) > statSync(bin).mtimeMs) {
        const r = spawnSync(deno, ["task", "sea"], { cwd: setup.root, encoding: "utf8" });
        if (r.status !== 0 || !existsSync(bin)) {
          throw new RunnerUnavailableError(
            `dist/mito could not be built (deno task sea): ${(r.stderr ?? "").trim().split("\n").pop()}`,
          );
        }
      }
      return {
        name,
        flavour: "mito",
        command: [bin, "run"],
        env: { ...env, MITO_MODULES: name === "mito-bin" ? setup.mitoModules : "auto" },
      };
    }
  }
}

/**
 * A run did its work when it exited 0 and its recap lists every host with nothing failed or unreachable
 * (each playbook ends with checks on the target, which fail the host otherwise).
 */
export function recapOk(code: number, stdout: string, hosts: number): boolean {
  if (code !== 0) return false;
  const recap = stdout.slice(stdout.lastIndexOf("PLAY RECAP"));
  const good = recap.split("\n").filter((l) => /: ok=[1-9]\d* .*unreachable=0 +failed=0/.test(l));
  return good.length === hosts;
}

/**
 * Ends the ControlPersist masters a run left behind (one socket per host in `controlDir`), so the next
 * round connects afresh and no ssh outlives the benchmark.
 */
export function closeMasters(controlDir: string): void {
  if (!existsSync(controlDir)) return;
  for (const sock of readdirSync(controlDir)) {
    spawnSync("ssh", ["-o", `ControlPath=${join(controlDir, sock)}`, "-O", "exit", "bench-master"], {
      stdio: "ignore",
      timeout: 5000,
    });
  }
}
