// What `scripts/testenv up` set up (sshd on 127.0.0.1, keys, accounts), read from its state file. A test
// that needs it and finds nothing fails loudly with what to run; it never skips.
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
