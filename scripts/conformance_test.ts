// scripts/conformance's pure parts: which integration targets run and how, and what two runs are
// compared on.
import { assertEquals } from "../tests/_assert.ts";
import {
  classify,
  differences,
  gathersFacts,
  offMachineAddresses,
  parseAliases,
  recaps,
  taskLines,
} from "./_conformance.ts";

const target = (over: Partial<Parameters<typeof classify>[0]>) =>
  classify({ name: "t", hasRunme: false, hasTasksMain: false, aliases: "", ...over });

Deno.test("aliases are read one a line, comments and blank lines dropped", () => {
  assertEquals(
    parseAliases("shippable/posix/group4\n\nneeds/root  # as root\ncontext/controller # only\n"),
    ["shippable/posix/group4", "needs/root", "context/controller"],
  );
});

Deno.test("a target with runme.sh is a script target, even when it also has tasks/main.yml", () => {
  assertEquals(target({ hasRunme: true, hasTasksMain: true, aliases: "shippable/posix/group5\n" }), {
    kind: "script",
  });
});

Deno.test("a target with only tasks/main.yml is a role target; needs/root and needs/target/* do not skip", () => {
  assertEquals(
    target({
      hasTasksMain: true,
      aliases: "needs/root\nneeds/target/setup_remote_tmp_dir\nshippable/posix/group3\ncontext/controller\n",
    }),
    { kind: "role" },
  );
});

Deno.test("the first alias this machine cannot honour skips the target with its reason", () => {
  assertEquals(target({ hasRunme: true, aliases: "shippable/posix/group5\nneeds/ssh\nneeds/root\n" }), {
    kind: "skip",
    reason: "needs/ssh: needs ansible-test's ssh set-up to the test host",
  });
  assertEquals(target({ hasTasksMain: true, aliases: "destructive\nshippable/posix/group1\n" }), {
    kind: "skip",
    reason: "destructive: destructive (changes the machine: packages, users, services)",
  });
  assertEquals(target({ hasTasksMain: true, aliases: "shippable/windows/group2\n" }), {
    kind: "skip",
    reason: "shippable/windows/group2: needs a Windows host",
  });
  assertEquals(target({ hasTasksMain: true, aliases: "hidden\n" }), {
    kind: "skip",
    reason: "hidden: a helper target (hidden), run only as another target's dependency",
  });
});

Deno.test("a commented-out alias does not skip; a target of neither kind is skipped", () => {
  assertEquals(target({ hasTasksMain: true, aliases: "# destructive\nshippable/posix/group1\n" }), {
    kind: "role",
  });
  assertEquals(target({ aliases: "shippable/posix/group1\n" }), {
    kind: "skip",
    reason: "neither runme.sh nor tasks/main.yml",
  });
  assertEquals(classify({ name: "ansible-test-sanity", hasRunme: true, hasTasksMain: false, aliases: "" }), {
    kind: "skip",
    reason: "tests ansible-test itself",
  });
});

Deno.test("the role wrapper gathers facts unless the target's aliases say gather_facts/no/", () => {
  assertEquals(gathersFacts("shippable/posix/group1\n"), true);
  assertEquals(gathersFacts("gather_facts/no/\nshippable/posix/group1\n"), false);
});

const OUT_A = `PLAY [one] *****

TASK [debug] *****
ok: [testhost] => {
    "msg": "x"
}

PLAY RECAP *****
testhost                   : ok=2    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   

PLAY [two] *****

TASK [fail] *****
fatal: [testhost]: FAILED! => {"changed": false, "msg": "no"}

PLAY RECAP *****
zed                        : ok=1    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   
testhost                   : ok=0    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0   
`;

Deno.test("every PLAY RECAP of a run counts, in order, each recap's hosts sorted and spacing collapsed", () => {
  assertEquals(recaps(OUT_A), [
    "testhost : ok=2 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    "testhost : ok=0 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0",
    "zed : ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
  ]);
});

Deno.test("task lines keep headers and outcomes, not results", () => {
  assertEquals(taskLines(OUT_A), [
    "PLAY [one]",
    "TASK [debug]",
    "ok: [testhost]",
    "PLAY [two]",
    "TASK [fail]",
    "fatal: [testhost]: FAILED!",
  ]);
});

Deno.test("two runs agree when exit codes and recaps match, whatever else they print", () => {
  const a = { code: 2, stdout: OUT_A, timedOut: false };
  const m = { code: 2, stdout: OUT_A.replace('"msg": "x"', '"msg": "y"'), timedOut: false };
  assertEquals(differences(a, m), []);
});

Deno.test("a difference names the exit codes and the first recap line that parts", () => {
  const a = { code: 2, stdout: OUT_A, timedOut: false };
  const m = { code: 0, stdout: OUT_A.replace("failed=1", "failed=0"), timedOut: false };
  assertEquals(differences(a, m), [
    "exit 2 vs 0",
    'recap 2 of 3 vs 3: "testhost : ok=0 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0" vs ' +
    '"testhost : ok=0 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"',
  ]);
});

Deno.test("a missing recap, a timeout and (with diff) a task line that parts are each named", () => {
  const a = { code: 0, stdout: OUT_A, timedOut: false };
  const m = {
    code: 137,
    stdout: "PLAY [one] *****\n\nTASK [debug] *****\nskipping: [testhost]\n",
    timedOut: true,
  };
  assertEquals(differences(a, m, { diff: true }), [
    "timed out: mito",
    "exit 0 vs 137",
    'recap 1 of 3 vs 0: "testhost : ok=2 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0" vs "(none)"',
    'task line 3: "ok: [testhost]" vs "skipping: [testhost]"',
  ]);
});

Deno.test("a target whose files give hosts an address off this machine is skipped, naming them", () => {
  assertEquals(
    target({
      hasRunme: true,
      texts: [
        "[hosts]\nok ansible_host=127.0.0.42\nbad ansible_host=169.254.199.200\nlocal ansible_host=localhost\n",
        "- add_host: name=f31 ansible_connection=ssh ansible_host=4.2.2.2\n",
        "all:\n  hosts:\n    t:\n      ansible_ssh_host: \"127.0.0.3\"\n      ansible_host: '{{ x }}'\n",
      ],
    }),
    { kind: "skip", reason: "connects to hosts off this machine (169.254.199.200, 4.2.2.2)" },
  );
  assertEquals(offMachineAddresses(["ansible_host: 127.0.0.1\nansible_ssh_host=::1\n"]), []);
  // a comparison in a condition sets no address
  assertEquals(offMachineAddresses(['      when: ansible_host == "host1"\n']), []);
});
