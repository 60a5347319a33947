// Running ansible-playbook and mito side by side from the tests: a clean environment (no colours, the
// fixture directory's ansible.cfg) so the two are compared on equal terms.
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import process from "node:process";

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
export const DENO = path.join(ROOT, "node_modules/deno/deno");

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment both tools run in: minimal, no colours, `dir`'s own ansible.cfg. */
function cleanEnv(dir: string, env: Record<string, string>): Record<string, string> {
  return {
    PATH: "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    LANG: "C.UTF-8",
    ANSIBLE_CONFIG: path.join(dir, "ansible.cfg"),
    ANSIBLE_NOCOLOR: "1",
    ...env,
  };
}

/**
 * `cmd args` run with exactly `env` and nothing else: through env(1) -i, because Deno's node:child_process
 * adds the parent's environment to an `env` option (Node replaces it), so a CI service's CI=true or a
 * developer's ANSIBLE_* settings would reach the tools under test. env(1) execs `cmd`: same pid, so a
 * timeout's kill still reaches it.
 */
export function inCleanEnv(env: Record<string, string>, cmd: string, args: string[]): [string, string[]] {
  return ["/usr/bin/env", ["-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args]];
}

/** Runs `cmd` in `dir` with a minimal environment and that directory's ansible.cfg. */
export function runIn(dir: string, cmd: string, args: string[], env: Record<string, string> = {}): Ran {
  const [exe, argv] = inCleanEnv(cleanEnv(dir, env), cmd, args);
  const r = spawnSync(exe, argv, { cwd: dir, encoding: "utf8", timeout: 180_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `mito run` from source. */
export function mitoIn(dir: string, args: string[], env: Record<string, string> = {}): Ran {
  return runIn(dir, DENO, ["run", "-A", path.join(ROOT, "cli/main.ts"), "run", ...args], env);
}

/** Like runIn, but asynchronous, so the runners of one round can go side by side. */
export function runInAsync(
  dir: string,
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  // Generous: on a loaded machine ansible-playbook alone can take minutes for one playbook.
  opts: { timeoutMs?: number } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const [exe, argv] = inCleanEnv(cleanEnv(dir, env), cmd, args);
    const child = spawn(exe, argv, { cwd: dir, timeout: opts.timeoutMs ?? 480_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => stdout += d);
    child.stderr.setEncoding("utf8").on("data", (d: string) => stderr += d);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Python's http.server on 127.0.0.1 (a free port, as `http_port`) serving `dir`; stopped by its pid. */
export function httpServer(
  dir: string,
): Promise<{ vars: Record<string, string>; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/python3", ["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "ignore"],
    });
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.on("exit", () => done());
        process.kill(child.pid!, "SIGTERM");
      });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const port = out.match(/port (\d+)/)?.[1];
      if (port) resolve({ vars: { http_port: port }, stop });
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`http.server exited (${code}): ${out}`)));
  });
}
