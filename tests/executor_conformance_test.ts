// ansible-core 2.14's semantics that mito once missed (issue 19), side by side with ansible-playbook on
// the playbooks of tests/fixtures/conformance: the same stdout, stderr and exit code.
import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";
import { testEnv } from "./_testenv.ts";

const DIR = join(ROOT, "tests/fixtures/conformance");

interface Inventory {
  hosts: string;
  remove(): void;
}

/** An inventory file of the fixture directory. */
const fixed = (hosts: string) => (): Inventory => ({ hosts, remove() {} });

/**
 * localhost (local, as root) and sshhost: the test sshd, logging in as the account with password-less
 * sudo; `login_user` is that account, `other_user` a user each host becomes through sudo.
 */
function sshInventory(): Inventory {
  const env = testEnv();
  const dir = fs.mkdtempSync(join(os.tmpdir(), "mito-conform-"));
  const file = join(dir, "hosts.ini");
  const login = env.accounts.sudo_nopassword.user;
  fs.writeFileSync(
    file,
    `localhost ansible_connection=local other_user=${login}\n` +
      `sshhost ansible_host=${env.sshd.host} ansible_port=${env.sshd.port} ansible_user=${login} ` +
      `ansible_ssh_private_key_file=${env.clientKey} ` +
      `ansible_ssh_common_args="-o UserKnownHostsFile=${env.sshd.knownHosts}" ` +
      `ansible_python_interpreter=${env.python} login_user=${login} other_user=root ` +
      `known_hosts=${env.sshd.knownHosts}\n`,
  );
  return { hosts: file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function same(
  name: string,
  args: string[],
  code: number,
  opts: { inventory?: () => Inventory; env?: Record<string, string> } = {},
): void {
  Deno.test(`${name}, as ansible-playbook`, () => {
    const { hosts, remove } = (opts.inventory ?? fixed("hosts.ini"))();
    try {
      // one host at a time: the results' order is then the same in both
      const argv = ["-i", hosts, "-f", "1", ...args];
      const a = runIn(DIR, "/usr/bin/ansible-playbook", argv, opts.env);
      const m = mitoIn(DIR, argv, opts.env);
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
  "connection variables templated from task and host vars: ansible_shell_executable for shell and raw " +
    "under become, become to the login user skipped, become_exe/flags, ssh args, interpreter, timeout, pipelining",
  ["connection_vars.yml"],
  0,
  { inventory: sshInventory },
);

same(
  "roles run once per host: a placement with the same name, params, when, tags and vars is skipped silently " +
    "where the role completed, run again where its tasks were skipped; include/import_role always run",
  ["role_dedup_hosts.yml"],
  0,
  { inventory: fixed("hosts_two.ini") },
);

Deno.test(
  "template_host, _uid, _path, _fullpath, _destpath, _mtime, _run_date and ansible_managed (configured) " +
    "in the template action and lookup, as ansible-playbook",
  () => {
    // each tool renders into a directory of its own: both find the files new
    const outA = fs.mkdtempSync(join(os.tmpdir(), "mito-conform-tpl-"));
    const outM = fs.mkdtempSync(join(os.tmpdir(), "mito-conform-tpl-"));
    try {
      const run = (out: string) => ["-i", "hosts.ini", "-e", `out=${out}`, "template_vars.yml"];
      const a = runIn(DIR, "/usr/bin/ansible-playbook", run(outA));
      const m = mitoIn(DIR, run(outM));
      assertEquals(a.code, 0, a.stdout + a.stderr);
      assertEquals([m.code, m.stdout, m.stderr], [a.code, a.stdout, a.stderr]);
      assertStringIncludes(m.stdout, "managed=Ansible managed: vars.j2 modified on DATE by root on HOST");
    } finally {
      for (const d of [outA, outM]) fs.rmSync(d, { recursive: true, force: true });
    }
  },
);

Deno.test(
  "templating: path tests, version types and their errors, combine with None, a non-breaking " +
    "space in an expression, as ansible-playbook",
  () => {
    const outA = fs.mkdtempSync(join(os.tmpdir(), "mito-conform-tpl-"));
    const outM = fs.mkdtempSync(join(os.tmpdir(), "mito-conform-tpl-"));
    try {
      const run = (out: string) => ["-i", "hosts.ini", "-e", `out=${out}`, "templating.yml"];
      const a = runIn(DIR, "/usr/bin/ansible-playbook", run(outA));
      const m = mitoIn(DIR, run(outM));
      assertEquals(a.code, 0, a.stdout + a.stderr);
      assertEquals([m.code, m.stdout, m.stderr], [a.code, a.stdout, a.stderr]);
      assertStringIncludes(
        m.stdout,
        "The error was: FileNotFoundError: [Errno 2] No such file or directory: '/nope'",
      );
    } finally {
      for (const d of [outA, outM]) fs.rmSync(d, { recursive: true, force: true });
    }
  },
);

same("jinja2_native: values keep their types, strings read as literals", ["native.yml"], 0, {
  env: { ANSIBLE_JINJA2_NATIVE: "True" },
});

Deno.test("async_status: unknown job ids, cleanup, refused arguments, as ansible-playbook", () => {
  // how many polls the job needs depends on timing: those lines are left out
  const settled = (out: string) => out.replace(/^FAILED - RETRYING: .*\n/gm, "");
  const args = ["-i", "hosts.ini", "async_status.yml"];
  const a = runIn(DIR, "/usr/bin/ansible-playbook", args);
  const m = mitoIn(DIR, args);
  assertEquals(a.code, 0, a.stdout + a.stderr);
  assertEquals([m.code, settled(m.stdout), m.stderr], [a.code, settled(a.stdout), a.stderr]);
  assertStringIncludes(m.stdout, '"msg": "could not find job", "results_file": ');
});

same(
  "handlers of a role included again with the same name, arguments and vars run once (Ansible's cached " +
    "role); other vars make a role whose handlers run too",
  ["include_role_handlers.yml"],
  0,
);

same(
  "add_host reports changed only for a new host, group, membership or variable value",
  ["add_host_changed.yml"],
  0,
);

same(
  "with_list and with_indexed_items refuse a mapping, with_indexed_items flattens once, and " +
    "ansible_failed_task.name is the task's own name inside a role",
  ["loop_errors.yml"],
  0,
);

same(
  "a play's force_handlers: false overrides --force-handlers",
  ["--force-handlers", "force_handlers_play.yml"],
  2,
);

same("debug of ansible_facts sets no facts from its result", ["debug_no_facts.yml"], 0);

same("a notify naming no handler stops the run by default", ["missing_handler.yml"], 1);
same(
  "a notify naming no handler is a warning with ANSIBLE_ERROR_ON_MISSING_HANDLER=false, and the play goes on",
  ["missing_handler.yml"],
  0,
  { env: { ANSIBLE_ERROR_ON_MISSING_HANDLER: "false" } },
);
