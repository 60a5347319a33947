// What the hops tests need from the test environment (scripts/testenv up, read through tests/_testenv.ts):
// the sshd, its known_hosts, a client key, and accounts for each become case. Missing → a loud error that
// names what is missing.
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
  /** Private key accepted for every account. */
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

export async function hopsEnv(): Promise<HopsEnv> {
  const testenv = fileURLToPath(new URL("./_testenv.ts", import.meta.url));
  if (existsSync(testenv)) {
    const mod = await import(testenv);
    const fn = (typeof mod.testEnv === "function" ? mod.testEnv : undefined) ??
      Object.values(mod).find((v) => typeof v === "function" && /env/i.test((v as Fn).name)) as
        | Fn
        | undefined;
    return fromTestenv(fn ? await fn() : mod.default ?? mod.testenv ?? mod.env);
  }
  // A developer's own sshd and accounts, described in the HopsEnv shape (never used by CI).
  const file = process.env.MITO_HOPS_ENV;
  if (file) return JSON.parse(readFileSync(file, "utf8"));
  throw new Error(
    "hops tests need the test environment (sshd and accounts): run `scripts/testenv up` " +
      "(tests/_testenv.ts reads it); nothing found",
  );
}

type Fn = (...args: unknown[]) => unknown;
// deno-lint-ignore no-explicit-any
type Any = any;

/** Maps the test environment's state onto HopsEnv, accepting the usual spellings of each fact. */
function fromTestenv(env: Any): HopsEnv {
  if (!env) throw new Error("tests/_testenv.ts gave no test environment: run `scripts/testenv up`");
  const sshd = env.sshd ?? env.ssh ?? env;
  const pick = (...vals: unknown[]) => vals.find((v) => v !== undefined && v !== null);
  const accounts: Any = env.accounts ?? env.users ?? {};
  const list: Any[] = Array.isArray(accounts)
    ? accounts
    : Object.entries(accounts).map(([k, v]) => ({ role: k, ...(v as object) }));
  const find = (...patterns: RegExp[]): Account | undefined => {
    for (const re of patterns) {
      const a = list.find((x) => re.test(String(x.role ?? x.kind ?? x.name ?? x.user ?? "")));
      if (a) return { user: a.user ?? a.name ?? a.username, password: a.password };
    }
    return undefined;
  };
  const out = {
    host: pick(sshd.host, sshd.address, "127.0.0.1"),
    port: Number(pick(sshd.port, env.sshPort, env.port)),
    knownHosts: pick(sshd.knownHosts, sshd.known_hosts, sshd.knownHostsFile, env.knownHosts, env.known_hosts),
    clientKey: pick(
      env.clientKey,
      env.client_key,
      env.identityFile,
      env.keys?.client,
      env.keys?.clientKey,
      sshd.clientKey,
      sshd.identityFile,
    ),
    key: find(/^key$/i, /nopass|no_?password|passwordless/i, /plain|login|user/i),
    password: find(/^sudo_?pass|sudo.*with.*pass|sudopw|sudo_password/i, /password/i),
    sudoNoPassword: find(/nopass|no_?password|passwordless/i),
    su: find(/^su$|su_?pass|^su_/i),
    requiretty: find(/tty/i),
  } as HopsEnv;
  const missing = Object.entries(out)
    .filter(([k, v]) => v === undefined || (k === "port" && !Number.isFinite(v)))
    .map(([k]) => k);
  if (out.password && out.password.password === undefined) missing.push("password.password");
  if (out.su && out.su.password === undefined) missing.push("su.password");
  if (missing.length) {
    throw new Error(
      `the test environment lacks what the hops tests need: ${missing.join(", ")} ` +
        `(got ${JSON.stringify(env).slice(0, 600)})`,
    );
  }
  return out;
}
