// Python action plugins, side by side with ansible-playbook: plugins beside the playbook, in a role and on
// the configured `action_plugins =` path, and a collection's (ansible.posix.patch, which transfers a file,
// makes and removes a remote temporary directory and runs the collection's module); their module calls,
// commands and templating carried out by mito on the task's host; one named like a library/ module runs
// instead of it; a plugin that raises fails the task with Ansible's message and exit code.
import { join } from "node:path";
import { assertEquals } from "./_assert.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = join(ROOT, "tests/fixtures/action_plugins");

function same(name: string, playbook: string, code: number): void {
  Deno.test(`action plugins: ${name}, as ansible-playbook`, () => {
    const a = runIn(DIR, "/usr/bin/ansible-playbook", ["-i", "hosts.ini", playbook]);
    const m = mitoIn(DIR, ["-i", "hosts.ini", playbook]);
    assertEquals(a.code, code, a.stdout + a.stderr);
    assertEquals(m.stdout, a.stdout);
    assertEquals(m.stderr, a.stderr);
    assertEquals(m.code, code);
  });
}

same(
  "folder plugins calling modules twice (stat, then file), commands, templates, check mode; a role's; " +
    "one wrapping the library/ module of its name",
  "folder.yml",
  0,
);
same(
  "a collection's action plugin (ansible.posix.patch: a file transferred, then its module)",
  "collection.yml",
  0,
);
same("a plugin that raises fails the task and the play", "fails.yml", 2);
