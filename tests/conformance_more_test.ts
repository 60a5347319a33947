// More of ansible-core 2.14's semantics checked for issue 19, side by side with ansible-playbook on the
// playbooks of tests/fixtures/conformance: the same stdout, stderr and exit code.
import { join } from "node:path";
import { assertEquals } from "./_assert.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance");

function same(
  name: string,
  args: string[],
  code: number,
  opts: { inventory?: string; env?: Record<string, string> } = {},
): void {
  Deno.test(`${name}, as ansible-playbook`, () => {
    assertSameAsAnsible(DIR, ["-i", opts.inventory ?? "hosts.ini", ...args], code, { env: opts.env });
  });
}

same(
  "at -v the fact gathering shows one line and loop items are labelled by loop_var or label",
  ["-v", "verbose_labels.yml"],
  0,
);

same(
  "a play environment entry that needs the undefined ansible_env is left out, another undefined " +
    "variable fails the task naming the field",
  ["play_env_facts.yml"],
  0,
);

same(
  "the old include inside a file include_tasks loads is itself dynamic (its when: false file is never " +
    "read) and deprecated again for its skipped result",
  ["old_include_dynamic.yml"],
  0,
);

same("a variable named like a template global (lipsum) is warned about once, as the play starts", [
  "reserved_names.yml",
], 0);

same(
  "ansible_dependent_role_names lists dependencies, ansible_play_role_names the roles: first, and " +
    "ansible_parent_role_names exists only in a role loaded from inside another",
  ["role_name_vars.yml"],
  0,
);

same(
  "a variable holding hostvars['h'] is h's variables templated, without hostvars or the play's own",
  ["hostvars_in_var.yml"],
  0,
  { inventory: "hosts_templated.ini" },
);

same(
  "the csvfile lookup: a search key of several words, nothing for a key not found, an unknown option " +
    "and a missing file fail with Ansible's messages",
  ["lookup_csvfile.yml"],
  0,
);

Deno.test(
  "a module run's warnings, deprecations and environment are not in the next run's; an async job id " +
    "is j<digits>.<digits>, as ansible-playbook",
  () => {
    // how many polls the job needs depends on timing: those lines are left out
    const settled = (out: string) => out.replace(/^FAILED - RETRYING: .*\n/gm, "");
    const argv = ["-i", "hosts.ini", "module_run_state.yml"];
    const a = runIn(DIR, "/usr/bin/ansible-playbook", argv);
    const m = mitoIn(DIR, argv);
    assertEquals(a.code, 0, a.stdout + a.stderr);
    assertEquals([m.code, settled(m.stdout), m.stderr], [a.code, settled(a.stdout), a.stderr]);
  },
);

same("--limit @file naming no file stops with Ansible's message and exit 1", [
  "--limit",
  "@no_such_limit_file",
  "old_include_dynamic.yml",
], 1);

same("--limit @file naming a directory stops with Ansible's message and exit 1", [
  "--limit",
  "@tasks",
  "old_include_dynamic.yml",
], 1);

same("a play's run_once leaves the fact gathering to every host", ["-f", "1", "run_once_facts.yml"], 0, {
  inventory: "hosts_same_machine.ini",
});

same("a library module whose file has another extension than .py (an old-style module in shell)", [
  "old_style_shell_module.yml",
], 0);

same("the file and unvault lookups decrypt a vault-encrypted file with the run's password", [
  "--vault-password-file",
  "vault_pass_lookups.txt",
  "lookup_vaulted_file.yml",
], 0);

Deno.test(
  "a module's JSON among other output is its result, text after it is warned about (in an async job's " +
    "result too); a #!/usr/bin/python program runs under the host's interpreter, as ansible-playbook",
  () => {
    // the async job's id is random in Ansible
    const settled = (out: string) => out.replace(/jid=j\d+\.\d+/g, "jid=J");
    const argv = ["-i", "hosts.ini", "module_output_junk.yml"];
    const a = runIn(DIR, "/usr/bin/ansible-playbook", argv);
    const m = mitoIn(DIR, argv);
    assertEquals(a.code, 0, a.stdout + a.stderr);
    assertEquals([m.code, settled(m.stdout), m.stderr], [a.code, settled(a.stdout), a.stderr]);
  },
);
