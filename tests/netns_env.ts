// What the `mito run` tests on the namespace hosts share: their inventory, a scratch directory, the play
// runner and the recap lines.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { netnsEnv, testEnv } from "./_testenv.ts";
import { mitoIn, type Ran, ROOT } from "./_run.ts";
import type { Context } from "../transports/broker.ts";
import type { SshSpec } from "../transports/ssh.ts";

export const FIXTURES = path.join(ROOT, "tests/netns_fixtures");

/**
 * The namespace hosts as an inventory: `bastion` (mito-user, the controller's key) and the inner host as
 * two accounts behind it, `inner_nopw` (sudo without a password) and `inner_pw` (sudo with one), in the
 * group inner_hosts. `extra` lines go before [all:vars].
 */
export function inventory(extra: string[] = []): string {
  const env = testEnv();
  const ns = netnsEnv();
  const a = env.accounts;
  return [
    "[bastions]",
    `bastion ansible_host=${ns.bastion.address} ansible_user=${a.login.user} ` +
    `ansible_ssh_private_key_file=${env.clientKey}`,
    "[inner_hosts]",
    `inner_nopw ansible_host=${ns.inner.address} ansible_user=${a.sudo_nopassword.user} mitogen_via=bastion`,
    `inner_pw ansible_host=${ns.inner.address} ansible_user=${a.sudo_password.user} mitogen_via=bastion ` +
    `ansible_become_password=${a.sudo_password.password}`,
    "[inner_hosts:vars]",
    // Their ssh clients run as the bastion's account, which cannot read root's key: its own copy.
    `ansible_ssh_private_key_file=${ns.keys[a.login.user]}`,
    ...extra,
    "[all:vars]",
    `ansible_ssh_common_args='-o UserKnownHostsFile=${ns.knownHosts} -o StrictHostKeyChecking=yes'`,
    "ansible_python_interpreter=/usr/bin/python3",
    "",
  ].join("\n");
}

/** Runs `fn` with a scratch directory, removed afterwards. */
export function withOut(fn: (out: string) => void): void {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "mito-netns-"));
  try {
    fn(out);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** `mito run` of a fixture playbook with this inventory (written to out/hosts) and `-e out=…`. */
export function runPlay(out: string, hosts: string, playbook: string, args: string[] = []): Ran {
  fs.writeFileSync(path.join(out, "hosts"), hosts);
  return mitoIn(FIXTURES, ["-i", path.join(out, "hosts"), playbook, "-e", `out=${out}`, ...args], {
    MITO_MODULES: "builtin",
  });
}

/** The PLAY RECAP's host lines, sorted, with runs of spaces made one. */
export function recap(stdout: string): string[] {
  return stdout.slice(stdout.lastIndexOf("PLAY RECAP")).split("\n").filter((l) => / : ok=/.test(l))
    .map((l) => l.replace(/\s+/g, " ").trim()).sort();
}

/**
 * broker.connect options for ssh to a namespace host (its address, port 22, the namespace hosts'
 * known_hosts) as `username`, offering only `identityFile`, with Debian's python; `via` for a hop.
 */
export function nsSsh(
  host: "bastion" | "inner",
  username: string,
  identityFile: string,
  via?: Context,
): SshSpec {
  const ns = netnsEnv();
  return {
    method: "ssh",
    hostname: ns[host].address,
    username,
    identityFile,
    identitiesOnly: true,
    knownHostsFile: ns.knownHosts,
    python: "/usr/bin/python3",
    ...(via ? { via } : {}),
  };
}

/** A test account's uid, from /etc/passwd. */
export function uidOf(user: string): number {
  const line = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`test account ${user} does not exist`);
  return Number(line.split(":")[2]);
}
