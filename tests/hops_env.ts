// What the hops tests need from the test environment (scripts/testenv up, read through tests/_testenv.ts):
// the sshd, its known_hosts line, a client key, and accounts for each become case. Missing → a loud error.
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

export interface Account {
  user: string;
  password?: string;
}

export interface HopsEnv {
  host: string;
  port: number;
  /** known_hosts holding the sshd's host key. */
  knownHosts: string;
  /** Private key accepted for `key` (and the other accounts, where authorized). */
  clientKey: string;
  /** Key login; no sudo rights needed. */
  key: Account;
  /** Password login (sshd PasswordAuthentication) and sudo *with* that password. */
  password: Account & { password: string };
  /** sudo without a password (NOPASSWD). */
  sudoNoPassword: Account;
  /** Target of su, with its password. */
  su: Account & { password: string };
  /** sudoers `Defaults:<user> requiretty`, NOPASSWD. */
  requiretty: Account;
}

const envFile = process.env.MITO_HOPS_ENV;

export async function hopsEnv(): Promise<HopsEnv> {
  const testenv = fileURLToPath(new URL("./_testenv.ts", import.meta.url));
  if (existsSync(testenv)) {
    const mod = await import(testenv);
    return fromTestenv(typeof mod.testenv === "function" ? await mod.testenv() : mod.default);
  }
  if (envFile) return JSON.parse(readFileSync(envFile, "utf8"));
  throw new Error(
    "hops tests need the test environment (sshd and accounts): run `scripts/testenv up` " +
      "(tests/_testenv.ts reads it); nothing found",
  );
}

// deno-lint-ignore no-explicit-any
function fromTestenv(env: any): HopsEnv {
  if (!env) throw new Error("tests/_testenv.ts returned no test environment: run `scripts/testenv up`");
  return env as HopsEnv;
}
