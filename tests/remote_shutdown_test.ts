// The end of a run: mito tells its targets to stop and exits without waiting a round trip to see them go
// (docs/pipelining.md, "The fixed cost of a run"). Each target's interpreters must still end and remove
// their private temp dirs: the one ssh logged into, and the one sudo started beneath it. A WANT_JSON module
// reports where it ran (its path lies in its interpreter's temp dir, named mito_<pid>_…); once mito has
// exited, each such pid must be gone and its dir removed within a bounded wait.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals } from "./_assert.ts";
import { testEnv } from "./_testenv.ts";
import { mitoIn } from "./_run.ts";

const WHERE = '#!/bin/sh\n# WANT_JSON\nprintf \'{"changed": false, "script": "%s"}\' "$0"\n';

/** Whether `pid` is still a running process (a zombie has ended: only its parent has yet to reap it). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Whether `p` exists; only its absence counts as gone (the test runs as root and may look anywhere). */
function exists(p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return false;
    throw e;
  }
}

/** Polls `done` every 50 ms for up to `ms`; true as soon as it holds. */
async function within(ms: number, done: () => boolean): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (done()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return done();
}

Deno.test("after mito exits, the login's and the become's interpreters end and remove their temp dirs", async () => {
  const env = testEnv();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-shutdown-"));
  fs.chmodSync(dir, 0o755);
  try {
    fs.mkdirSync(path.join(dir, "library"));
    fs.writeFileSync(path.join(dir, "library", "where"), WHERE, { mode: 0o755 });
    fs.writeFileSync(
      path.join(dir, "hosts"),
      `target ansible_host=${env.sshd.host} ansible_port=${env.sshd.port} ` +
        `ansible_user=${env.accounts.sudo_nopassword.user} ansible_ssh_private_key_file=${env.clientKey} ` +
        `ansible_python_interpreter=/usr/bin/python3 ` +
        `ansible_ssh_common_args='-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes'\n`,
    );
    fs.writeFileSync(path.join(dir, "ansible.cfg"), "[defaults]\nretry_files_enabled = False\n");
    fs.writeFileSync(
      path.join(dir, "play.yml"),
      [
        "- hosts: all",
        "  gather_facts: false",
        "  tasks:",
        "    - where:",
        "      register: login",
        "    - where:",
        "      become: true",
        "      register: root",
        "    - debug:",
        '        msg: "WHERE {{ login.script }} {{ root.script }}"',
        "",
      ].join("\n"),
    );
    const r = mitoIn(dir, ["-i", "hosts", "play.yml"]);
    assertEquals(r.code, 0, r.stdout + r.stderr);
    const scripts = /WHERE (\S+) (\S+)"/.exec(r.stdout)!.slice(1);
    // <temp base>/mito_<pid>_<random>/mito-where-<random>/where
    const privateDirs = scripts.map((s) => path.dirname(path.dirname(s)));
    const pids = privateDirs.map((d) => Number(/^mito_(\d+)_/.exec(path.basename(d))?.[1]));
    assertEquals(pids.every((p) => p > 0) && new Set(pids).size === 2, true, scripts.join(" "));
    const gone = await within(30_000, () => pids.every((p) => !running(p)));
    assertEquals(gone, true, `interpreters still running: ${pids.filter(running).join(" ")}`);
    assertEquals(privateDirs.filter(exists), [], "their temp dirs are removed");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
