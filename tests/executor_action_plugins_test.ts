// Python action plugins, side by side with ansible-playbook: plugins beside the playbook, in a role and on
// the configured `action_plugins =` path, and a collection's (ansible.posix.patch, which transfers a file,
// makes and removes a remote temporary directory and runs the collection's module); their module calls,
// commands and templating carried out by mito on the task's host; one named like a library/ module runs
// instead of it, and one named like a mito builtin instead of that; plugin_routing.action redirects and
// tombstones; a plugin that raises fails the task with Ansible's message and exit code.
import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { assertEquals } from "./_assert.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";
import { testEnv } from "./_testenv.ts";
import { pythonWithoutAnsible } from "./_pythons.ts";

const DIR = join(ROOT, "tests/fixtures/action_plugins");
/** Plugins named like mito's builtins, and a collection's plugin_routing.action (a fixture of its own). */
const OVERRIDES = join(ROOT, "tests/fixtures/action_overrides");

function same(
  name: string,
  playbook: string,
  code: number,
  { dir = DIR, inventory = (): { hosts: string; remove(): void } => ({ hosts: "hosts.ini", remove() {} }) } =
    {},
): void {
  Deno.test(`action plugins: ${name}, as ansible-playbook`, () => {
    const { hosts, remove } = inventory();
    try {
      const a = runIn(dir, "/usr/bin/ansible-playbook", ["-i", hosts, playbook]);
      const m = mitoIn(dir, ["-i", hosts, playbook]);
      assertEquals(a.code, code, a.stdout + a.stderr);
      assertEquals(m.stdout, a.stdout);
      assertEquals(m.stderr, a.stderr);
      assertEquals(m.code, code);
    } finally {
      remove();
    }
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
same(
  "a short name routed to a collection (patch → ansible.posix.patch) runs its action plugin",
  "routed.yml",
  0,
);
same("in a loop, under async it does not support, with an undefined argument", "loop.yml", 0);
same("a plugin that raises fails the task and the play", "fails.yml", 2);
same(
  "folder plugins named like builtin actions and modules (debug, command, set_fact, a role's copy) run " +
    "instead of them for short and ansible.legacy names, not for ansible.builtin ones",
  "overrides.yml",
  0,
  { dir: OVERRIDES },
);
same(
  "a collection's plugin_routing.action: redirects, through a deprecated name, run the action named",
  "routing.yml",
  0,
  { dir: OVERRIDES },
);
same(
  "a listed collection's action named like a builtin runs for the short name (collections keyword)",
  "keyword.yml",
  0,
  {
    dir: OVERRIDES,
  },
);
same("a tombstoned action in plugin_routing.action stops the run before its play", "tombstone.yml", 1, {
  dir: OVERRIDES,
});

/**
 * The test sshd as host `one` of group `t`, logging in as the account with password-less sudo; `unprivileged`
 * names an account without it.
 */
function sshInventory(): { hosts: string; remove(): void } {
  const env = testEnv();
  const dir = fs.mkdtempSync(join(os.tmpdir(), "mito-actplug-"));
  const file = join(dir, "hosts.ini");
  fs.writeFileSync(
    file,
    `[t]\none ansible_host=${env.sshd.host} ansible_port=${env.sshd.port} ` +
      `ansible_user=${env.accounts.sudo_nopassword.user} ansible_ssh_private_key_file=${env.clientKey} ` +
      `ansible_ssh_common_args="-o UserKnownHostsFile=${env.sshd.knownHosts}" ` +
      `ansible_python_interpreter=${env.python} unprivileged=${env.accounts.login.user}\n`,
  );
  return { hosts: file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

same(
  "over ssh with become: module calls and sudoable commands as root, the others as the login user",
  "ssh.yml",
  0,
  { inventory: sshInventory },
);
// Without setfacl on the target (this machine's Debian), Ansible's last way fails and the run exits 2;
// with it, both tools succeed: either way the two must agree.
const HAS_SETFACL = ["/usr/bin/setfacl", "/bin/setfacl"].some((p) => fs.existsSync(p));
same(
  `ActionBase's _fixup_perms2 over ssh: no become, become root, an unprivileged become user ${
    HAS_SETFACL ? "with" : "without"
  } setfacl`,
  "perms.yml",
  HAS_SETFACL ? 0 : 2,
  { inventory: sshInventory },
);

Deno.test("action plugins: without ansible-core on the controller, one line says so before any play", () => {
  const { python, remove } = pythonWithoutAnsible();
  try {
    const m = mitoIn(DIR, ["-i", "hosts.ini", "fails.yml"], { MITO_CONTROLLER_PYTHON: python });
    assertEquals(m.stdout, "");
    assertEquals(
      m.stderr,
      `ERROR! the action plugin boom (${DIR}/action_plugins/boom.py) needs ansible-core's Python package, ` +
        `which ${python} cannot import: install ansible-core for it (apt install ansible-core, or pip install ` +
        `ansible-core), or name a Python that has it in MITO_CONTROLLER_PYTHON\n`,
    );
    assertEquals(m.code, 1);
  } finally {
    remove();
  }
});
