// What `scripts/testenv up` set up (sshd on 127.0.0.1, keys, accounts), read from its state file. A test
// that needs it and finds nothing fails loudly with what to run; it never skips.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";

export type SudoRule = "none" | "nopasswd" | "password" | "requiretty";

export interface TestAccount {
  user: string;
  password: string;
  sudo: SudoRule;
}

export interface TestEnv {
  dir: string;
  python: string;
  /** Private key authorized for root and every account. */
  clientKey: string;
  sshd: { host: string; port: number; pid: number; knownHosts: string; log: string };
  /** By role: login (plain key/password login), sudo_nopassword, sudo_password, su, requiretty. */
  accounts: Record<"login" | "sudo_nopassword" | "sudo_password" | "su" | "requiretty", TestAccount>;
}

export const DEFAULT_STATE = "/var/tmp/mito-testenv/state.json";

export class TestEnvMissingError extends Error {
  override name = "TestEnvMissingError";
}

/** Fails the test unless it runs as root, saying why it must. */
export function requireRoot(why: string): void {
  if (process.getuid?.() !== 0) throw new TestEnvMissingError(`this test must run as root: ${why}`);
}

let cached: TestEnv | undefined;

export function testEnv(): TestEnv {
  if (cached) return cached;
  const file = process.env.MITO_TESTENV ?? DEFAULT_STATE;
  if (!existsSync(file)) {
    throw new TestEnvMissingError(
      `this test needs the test environment, and ${file} does not exist: run \`scripts/testenv up\` ` +
        "(./scripts/test does it for you)",
    );
  }
  const env = JSON.parse(readFileSync(file, "utf8")) as TestEnv;
  for (const role of ["login", "sudo_nopassword", "sudo_password", "su", "requiretty"] as const) {
    if (!env.accounts?.[role]?.user) throw new TestEnvMissingError(`${file} has no '${role}' account`);
  }
  if (!Number.isInteger(env.sshd?.port)) throw new TestEnvMissingError(`${file} has no sshd port`);
  try {
    process.kill(env.sshd.pid, 0);
  } catch {
    throw new TestEnvMissingError(
      `the test sshd (pid ${env.sshd.pid}) is not running: run \`scripts/testenv up\``,
    );
  }
  cached = env;
  return env;
}

/** ssh options that reach the test sshd with the client key and its known_hosts. */
export function sshOptions(env: TestEnv = testEnv()): string[] {
  return [
    "-o",
    "BatchMode=yes",
    "-o",
    `UserKnownHostsFile=${env.sshd.knownHosts}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-i",
    env.clientKey,
    "-p",
    String(env.sshd.port),
  ];
}

/** One namespace host of `scripts/testenv-netns`: its own network namespace and sshd (port 22). */
export interface NetnsHost {
  netns: string;
  address: string;
  /** The other end of its link: the controller's address for the bastion, the bastion's for the inner. */
  peer: string;
  port: number;
  pid: number;
  log: string;
}

export interface NetnsEnv {
  dir: string;
  /** Reachable from the controller (10.199.1.2). */
  bastion: NetnsHost;
  /** Reachable only from the bastion (10.199.2.2). */
  inner: NetnsHost;
  /** The inner host's network, unreachable from the root namespace. */
  unreachable: string;
  /** Known hosts for both addresses (port 22), readable by every account. */
  knownHosts: string;
  /** By user: a copy of the client key owned by that user (0600), for ssh clients running as it. */
  keys: Record<string, string>;
}

let netnsCached: NetnsEnv | undefined;

/**
 * The two namespace hosts (controller → bastion → inner), brought up on first use by
 * `scripts/testenv-netns up` (idempotent); throws TestEnvMissingError with its output when that fails.
 */
export function netnsEnv(): NetnsEnv {
  if (netnsCached) return netnsCached;
  const env = testEnv();
  const script = new URL("../scripts/testenv-netns", import.meta.url).pathname;
  const r = spawnSync(script, ["up", "--quiet"], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, MITO_TESTENV_DIR: env.dir },
  });
  if (r.status !== 0) {
    throw new TestEnvMissingError(
      `this test needs the namespace hosts and \`scripts/testenv-netns up\` failed (status ${r.status}` +
        `${r.error ? `, ${r.error}` : ""}):\n${r.stderr}${r.stdout}`,
    );
  }
  const file = `${env.dir}/netns/state.json`;
  const ns = JSON.parse(readFileSync(file, "utf8")) as NetnsEnv;
  for (const name of ["bastion", "inner"] as const) {
    if (!ns[name]?.address || !Number.isInteger(ns[name]?.pid)) {
      throw new TestEnvMissingError(`${file} has no ${name} host`);
    }
  }
  netnsCached = ns;
  return ns;
}
