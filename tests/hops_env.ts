// What the hops tests need from the test environment (scripts/testenv up, read by tests/_testenv.ts), by the
// role each account plays in them. Missing environment → TestEnvMissingError saying what to run.
import { testEnv } from "./_testenv.ts";

export interface Account {
  user: string;
  password: string;
}

export interface HopsEnv {
  host: string;
  port: number;
  /** known_hosts holding the sshd's host key. */
  knownHosts: string;
  /** Private key authorized for every account. */
  clientKey: string;
  /** Key login; no sudo rights. */
  key: Account;
  /** Password login, and sudo/doas *with* that password. */
  password: Account;
  /** sudo and doas without a password (NOPASSWD / permit nopass). */
  sudoNoPassword: Account;
  /** Target of su, with its password. */
  su: Account;
  /** sudoers `Defaults:<user> requiretty`, NOPASSWD. */
  requiretty: Account;
}

export function hopsEnv(): HopsEnv {
  const env = testEnv();
  return {
    host: env.sshd.host,
    port: env.sshd.port,
    knownHosts: env.sshd.knownHosts,
    clientKey: env.clientKey,
    key: env.accounts.login,
    password: env.accounts.sudo_password,
    sudoNoPassword: env.accounts.sudo_nopassword,
    su: env.accounts.su,
    requiretty: env.accounts.requiretty,
  };
}
