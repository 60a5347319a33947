// Side by side on Debian roots: ansible-playbook on one fresh copy of a debootstrap root, `mito run` on
// another, each through the chroot connection, so what a playbook changes (and reports) on a real system
// is compared on equal ground. The copies are removed afterwards.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { debianRoots, type Roots } from "./connections_env.ts";
import { mitoIn, type Ran, runIn } from "./_run.ts";
import { assertEquals } from "./_assert.ts";

const ANSIBLE = "/usr/bin/ansible-playbook";

export interface RootPair {
  /** The copy ansible-playbook works on. */
  ansibleRoot: string;
  /** The copy mito works on. */
  mitoRoot: string;
  /** Runs ansible-playbook in `dir` against the host `target` (its copy), extra args after. */
  ansible(dir: string, args: string[], env?: Record<string, string>): Ran;
  /** Runs `mito run` in `dir` against the host `target` (its copy). */
  mito(dir: string, args: string[], env?: Record<string, string>): Ran;
  /**
   * Runs both in `dir` (mito with `mitoEnv`) and asserts ansible-playbook succeeded and mito printed
   * exactly what it printed, with nothing on stderr and the same exit code; returns ansible-playbook's run.
   */
  same(dir: string, args: string[], mitoEnv?: Record<string, string>): Ran;
  remove(): void;
}

/**
 * Two fresh copies of the suite's root and an inventory for each naming the one host `target`;
 * `prepare` runs on the first copy before the second is taken from it.
 */
export function rootPair(suite: keyof Roots, prepare?: (root: string) => void): RootPair {
  if (!existsSync(ANSIBLE)) throw new Error(`${ANSIBLE} is needed (Debian package ansible-core)`);
  const src = debianRoots()[suite];
  const tmp = mkdtempSync(join(tmpdir(), `mito-root-pair-${suite}-`));
  const copy = (name: string, from: string) => {
    const dst = join(tmp, name);
    const r = spawnSync("cp", ["-a", from, dst], { encoding: "utf8", timeout: 120_000 });
    if (r.status !== 0) throw new Error(`cp -a ${from} ${dst} failed: ${r.stderr || r.error}`);
    const inv = join(tmp, `${name}.ini`);
    writeFileSync(
      inv,
      `target ansible_connection=chroot ansible_host=${dst} ansible_python_interpreter=/usr/bin/python3\n`,
    );
    return { dst, inv };
  };
  const a = copy("ansible", src);
  try {
    prepare?.(a.dst);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const m = copy("mito", a.dst);
  return {
    ansibleRoot: a.dst,
    mitoRoot: m.dst,
    ansible: (dir, args, env = {}) => runIn(dir, ANSIBLE, ["-i", a.inv, ...args], env),
    mito: (dir, args, env = {}) => mitoIn(dir, ["-i", m.inv, ...args], env),
    same(dir, args, mitoEnv = {}) {
      const ran = this.ansible(dir, args);
      const mine = this.mito(dir, args, mitoEnv);
      assertEquals(ran.code, 0, ran.stdout + ran.stderr);
      assertEquals(mine.stdout, ran.stdout);
      assertEquals(mine.stderr, "");
      assertEquals(mine.code, 0);
      return ran;
    },
    remove: () => rmSync(tmp, { recursive: true, force: true }),
  };
}

/** Runs `argv` inside `root` with chroot; a failure throws with its output. */
export function inRoot(root: string, argv: string[]): string {
  const r = spawnSync("/usr/sbin/chroot", [root, ...argv], {
    encoding: "utf8",
    timeout: 300_000,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", DEBIAN_FRONTEND: "noninteractive" },
  });
  if (r.status !== 0) throw new Error(`chroot ${root} ${argv.join(" ")} failed: ${r.stderr || r.error}`);
  return r.stdout;
}
