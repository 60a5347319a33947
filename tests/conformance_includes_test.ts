// Includes, imports, roles and their variables as ansible-core 2.14 has them (issue 19), side by side with
// ansible-playbook on the playbooks of tests/fixtures/conformance_inc: the same stdout, stderr and exit code.
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_inc");

/** Runs `args` under both tools; `expect` is a line ansible-playbook's stdout must hold. */
function same(
  name: string,
  args: string[],
  code: number,
  expect: string,
  env: Record<string, string> = {},
): void {
  Deno.test(`${name}, as ansible-playbook`, () => {
    assertSameAsAnsible(DIR, args, code, { env, expect });
  });
}

same(
  "import_playbook's vars reach the imported plays while they load (import_role's name) and run, over " +
    "a play's own vars, an outer import's over an inner one's",
  ["import_playbook_vars.yml"],
  0,
  '"msg": "from the inner import / the play\'s own / the outer import"',
);

same(
  "the old include's k=v parameters are variables of the included tasks, static or looped, below the " +
    "task's vars, with 2.14's deprecation warnings",
  ["include_params.yml"],
  0,
  '"msg": "a=101 (True) b=102 (False) c=x101 (False)"',
);

same(
  "the old include's k=v parameters with deprecation warnings turned off",
  ["include_params.yml"],
  0,
  '"msg": "a=2 (True) b=2 (False) c=3 (False)"',
  { ANSIBLE_DEPRECATION_WARNINGS: "false" },
);

same(
  "loop_control's loop_var and index_var are templated before the first item, for a task and for " +
    "include_tasks",
  ["loop_var_templated.yml"],
  0,
  '"msg": "fruit=pear at 1"',
);

same(
  "include_role's tasks_from naming a file outside the role's tasks/ folder stops the run with Ansible's " +
    "message",
  ["role_file_outside.yml"],
  4,
  "as it is not inside the expected role path: ",
);

same(
  "a tasks_from climbing out of tasks/ is refused, one climbing back in is not; import_role keeps only " +
    "its tasks_from's file name",
  ["role_file_outside_relative.yml"],
  4,
  "roles/greeter/tasks/../../../tasks/show_loop_var.yml' for role (greeter) as it is not inside",
);

same(
  "a role dependency sees the parameters of the roles it is a dependency of, the nearest one's over the " +
    "outer ones; the play's other roles do not",
  ["role_dep_params.yml"],
  0,
  '"msg": "leaf: p=from mid s=from mid r=from top"',
);

same(
  "include: at a playbook's top level is no longer a playbook import in 2.14 but an error",
  ["include_playbook.yml"],
  4,
  "ERROR! 'include' is not a valid attribute for a Play",
);

same(
  "a vars_files file holding a list of dicts is merged in order",
  ["vars_files_list.yml"],
  0,
  '"msg": "one two from the second"',
);

same(
  "include_vars with dir: files without an extension when '' is listed, unknown extensions skipped or " +
    "refused, ignore_files, depth, files_matching, the folder beside the task or in the role's vars/",
  ["include_vars_dir.yml"],
  0,
  "vars/dir/noext does not have a valid extension: yaml, yml, json",
);

same(
  "a missing role in include_role or a missing file in include_tasks fails the host, not the run: the " +
    "error pointing at the name or its loop item, the other loads' tasks then the rescue and always",
  ["include_role_missing.yml"],
  2,
  "localhost                  : ok=6    changed=0    unreachable=0    failed=1",
);

same(
  "a missing role named by a template is reported without a place; without a rescue the other loads' " +
    "tasks do not run and a host with nothing counted has no recap line",
  ["include_role_missing_templated.yml"],
  2,
  "TASK [include_role : {{ item }}] ***",
);

same(
  "an imported role's handlers inherit the import's keywords: delegate_to on import_role delegates them",
  ["import_role_handlers.yml"],
  0,
  "ok: [localhost -> other] => {",
);

same(
  "include_vars' and set_fact's registered results are not marked unsafe, a module's are",
  ["registered_types.yml"],
  0,
  '"command: True"',
);

same(
  "include_vars with a file: free-form text without its trailing newlines, a missing file and an empty " +
    "name fail with Ansible's messages and the places searched",
  ["include_vars_file.yml"],
  0,
  '"message": "Could not find file on the Ansible Controller.',
);

same(
  "a delegated task or handler sees ansible_delegated_vars, the delegate's variables under its name",
  ["delegated_vars.yml"],
  0,
  '"msg": "True local"',
);

same(
  "include_vars' hash_behaviour: merge merges a dict into the one the task sees, lists replaced",
  ["include_vars_merge.yml"],
  0,
  '"key3": 3',
);

same(
  "under any_errors_fatal, a missing role in include_role on one host ends the play for every host",
  ["-f", "1", "include_missing_fatal.yml"],
  2,
  "NO MORE HOSTS LEFT",
);

same(
  "under any_errors_fatal, a missing file in include_tasks on one host ends the play for every host",
  ["-f", "1", "include_missing_fatal_tasks.yml"],
  2,
  'fatal: [other]: FAILED! => {"reason": "Could not find or access ',
);

same(
  "include_role's vars_from given as a list stops the run as the playbook loads",
  ["role_from_not_string.yml"],
  4,
  "ERROR! Expected a string for vars_from but got <class 'ansible.parsing.yaml.objects.AnsibleSequence'>",
);

same(
  "apply on import_tasks stops the run as the playbook loads",
  ["import_tasks_apply.yml"],
  4,
  "ERROR! Invalid options for import_tasks: apply",
);

same(
  "an option include_tasks does not take stops the run as the playbook loads",
  ["include_tasks_bad_option.yml"],
  4,
  "ERROR! Invalid options for include_tasks: vars_from",
);

same(
  "import_role's templated allow_duplicates: false overrides the role's meta and skips a second import",
  ["import_role_no_dups.yml"],
  0,
  "localhost                  : ok=3    changed=0",
);

same(
  "import_playbook's file name templated from extra vars or the import's vars",
  ["-e", "pb=imported_needs_vars.yml", "import_playbook_templated.yml"],
  0,
  '"msg": "greeter with the import\'s vars"',
);

same(
  "import_role's tasks_from is templated with the play's and the task's own vars",
  ["import_role_from_vars.yml"],
  0,
  "localhost                  : ok=2    changed=0",
);
