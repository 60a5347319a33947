// What -vvv shows of a become hop (issue 19, the var_templating target greps `sudo -H -S` in it): Ansible
// shows the sudo command its connection runs; mito shows the one its hop ran, with sudo's default flags
// as Ansible's become plugin has them (-H -S -n).
import { join } from "node:path";
import { assertEquals, assertMatch } from "./_assert.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_become");

Deno.test("-vvv shows the sudo command a become hop ran, with Ansible's default sudo flags", () => {
  const env = { ANSIBLE_BECOME_ALLOW_SAME_USER: "true" };
  const args = ["-i", "hosts.ini", "-vvv", "whoami.yml"];
  const a = runIn(DIR, "/usr/bin/ansible-playbook", args, env);
  const m = mitoIn(DIR, args, env);
  assertEquals([a.code, m.code], [0, 0], a.stdout + m.stdout + m.stderr);
  assertMatch(a.stdout, /EXEC \/bin\/sh -c 'sudo -H -S -n +-u root /);
  const exec = m.stdout.split("\n").filter((l) => l.includes(" EXEC "));
  assertEquals(exec.map((l) => l.replace(/mito-sudo-password-[0-9a-f]+:/, "MARK:")), [
    "<localhost> EXEC sudo -H -S -u root -p MARK: -n -- /usr/bin/python3 -c '<mito bootstrap>'",
  ]);
});
