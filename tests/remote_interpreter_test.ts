// A target without Python at the configured ansible_python_interpreter: as in ansible-playbook, every
// module task fails there (a module failure with rc 127 and the shell's words), ignore_errors and rescue
// apply, the host stays in the play and the run ends with exit 2, never 4 (unreachable).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { testEnv } from "./_testenv.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = path.join(ROOT, "tests/remote");
const MSG = "The module failed to execute correctly, you probably need to set the interpreter.\n" +
  "See stdout/stderr for the exact error";

/** The failure results printed, in order, as parsed JSON. */
function failures(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter((l) => l.includes(": FAILED! => ")).map((l) =>
    JSON.parse(l.slice(l.indexOf("=> ") + 3))
  );
}

function recap(stdout: string): string {
  return stdout.slice(stdout.lastIndexOf("PLAY RECAP"));
}

function withInventory(line: string, fn: (file: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-nopy-"));
  try {
    fs.writeFileSync(path.join(dir, "hosts"), line + "\n");
    fn(path.join(dir, "hosts"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function sideBySide(inventoryLine: string, host: string, shellSays: string): void {
  withInventory(inventoryLine, (hosts) => {
    const a = runIn(DIR, "/usr/bin/ansible-playbook", ["-i", hosts, "no_interpreter.yml"]);
    const m = mitoIn(DIR, ["-i", hosts, "no_interpreter.yml"], { MITO_MODULES: "builtin" });
    assertEquals([m.code, a.code], [2, 2]);
    assertEquals(recap(m.stdout), recap(a.stdout));
    assertStringIncludes(
      recap(m.stdout),
      `${
        host.padEnd(26)
      } : ok=3    changed=1    unreachable=0    failed=1    skipped=0    rescued=1    ignored=1`,
    );
    const got = failures(m.stdout);
    assertEquals(got.length, 3);
    // Ansible's shape; where its shell's words land (stdout under ssh's PTY) is Ansible's own detail.
    for (const [r, ar] of got.map((r, i) => [r, failures(a.stdout)[i]])) {
      assertEquals(Object.keys(r).sort(), Object.keys(ar).sort());
      assertEquals([r.changed, r.msg, r.rc, r.module_stdout], [false, MSG, 127, ""]);
      assertStringIncludes(String(r.module_stderr), shellSays);
    }
  });
}

Deno.test("no interpreter on localhost: module failures with rc 127, the host stays in the play, exit 2", () => {
  sideBySide(
    "nopy ansible_connection=local",
    "nopy",
    "cannot start /nonexistent/python3: spawn /nonexistent/python3 ENOENT",
  );
});

Deno.test("no interpreter over ssh: module failures with the remote shell's words, exit 2, as ansible-playbook", () => {
  const env = testEnv();
  sideBySide(
    `nopy ansible_host=${env.sshd.host} ansible_port=${env.sshd.port} ansible_user=${env.accounts.login.user} ` +
      `ansible_ssh_private_key_file=${env.clientKey} ` +
      `ansible_ssh_common_args='-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes'`,
    "nopy",
    "/nonexistent/python3: No such file or directory\n",
  );
});

Deno.test("no interpreter over the in-process ssh transport: the same module failure, not unreachable", () => {
  const env = testEnv();
  withInventory(
    `nopy ansible_connection=paramiko ansible_host=${env.sshd.host} ansible_port=${env.sshd.port} ` +
      `ansible_user=${env.accounts.login.user} ansible_ssh_private_key_file=${env.clientKey} ` +
      `ansible_python_interpreter=/nonexistent/python3 ansible_host_key_checking=false`,
    (hosts) => {
      const play = path.join(path.dirname(hosts), "play.yml");
      fs.writeFileSync(play, "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo one\n");
      const m = mitoIn(DIR, ["-i", hosts, play], { MITO_MODULES: "builtin" });
      assertEquals(m.code, 2);
      assertEquals(failures(m.stdout).map((r) => [r.msg, r.rc, r.module_stdout]), [[MSG, 127, ""]]);
      assertStringIncludes(String(failures(m.stdout)[0].module_stderr), "/nonexistent/python3: No such file");
    },
  );
});
