// Callbacks chosen by stdout_callback / ANSIBLE_STDOUT_CALLBACK and ANSIBLE_CALLBACKS_ENABLED, by short
// and collection names, side by side with ansible-playbook on the same playbooks: yaml, minimal, oneline,
// profile_tasks and timer print what Ansible's print, times aside.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { assert, assertEquals } from "./_assert.ts";
import { DENO, type Ran, ROOT, runIn } from "./_run.ts";
import { yamlResults } from "../playbook/callbacks/yaml.ts";
import { pyStr } from "../playbook/template/mod.ts";
import { filled, secondsToStr } from "../playbook/callbacks/profile_tasks.ts";
import { runTook } from "../playbook/callbacks/timer.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-callbacks-"));
globalThis.addEventListener("unload", () => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, "ansible.cfg"), "");
fs.writeFileSync(
  path.join(dir, "hosts"),
  "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
);
fs.writeFileSync(
  path.join(dir, "results.yml"),
  `- hosts: localhost
  gather_facts: false
  vars:
    multi: "line one\\nline two  \\n\\tindented\\n"
  tasks:
    - debug: msg="hello"
    - debug: var=multi
    - debug:
        msg: "{{ multi }}"
    - command: printf 'a\\nb\\n'
      register: out
    - debug: var=out
    - debug:
        msg: ["x", {"k": "v", "n": 1, "t": true, "e": "", "q": "yes"}]
    - command: "false"
      ignore_errors: true
    - debug: msg=skip
      when: false
    - debug: msg="{{ item }}"
      loop: [1, 2]
    - file: path=${dir}/made state=directory
      diff: true
    - set_fact: secret=1
      no_log: true
    - debug:
        msg: "trail \\nx"
    - debug:
        msg: "tab\\there  \\nand more\\n"
`,
);
fs.writeFileSync(
  path.join(dir, "timed.yml"),
  `- hosts: localhost
  gather_facts: false
  tasks:
    - name: slow
      command: sleep 1
    - debug: msg=two
    - name: a long task name that goes on and on and on and on and on to fill the line past its width
      debug: msg=three
      changed_when: true
      notify: h
  handlers:
    - name: h
      debug: msg=handler
`,
);

fs.mkdirSync(path.join(dir, "roles/slow/tasks"), { recursive: true });
fs.mkdirSync(path.join(dir, "roles/quick/tasks"), { recursive: true });
fs.writeFileSync(path.join(dir, "roles/slow/tasks/main.yml"), "- command: sleep 1\n- debug: msg=slow\n");
fs.writeFileSync(path.join(dir, "roles/quick/tasks/main.yml"), "- debug: msg=quick\n");
fs.writeFileSync(
  path.join(dir, "roles.yml"),
  "- hosts: localhost\n  gather_facts: false\n  roles: [slow, quick]\n  tasks:\n    - debug: msg=plain\n" +
    "    - include_role: name=quick\n",
);

/** Durations, dates and run times differ from run to run. */
function normal(text: string): string {
  return text
    .replace(/"?(delta|start|end)"?: '?"?[0-9][^",'\n]*'?"?/g, "$1: T")
    .replace(
      /^\w+day \d\d \w+ \d{4} {2}\d\d:\d\d:\d\d [+-]\d{4} \(\d:\d\d:\d\d\.\d{3}\) {7}\d:\d\d:\d\d\.\d{3} \*+ $/gm,
      "DATE",
    )
    .replace(/-* \d+\.\d\ds$/gm, " Ns")
    .replace(/^Playbook run took \d+ days, \d+ hours, \d+ minutes, \d+ seconds$/m, "TOOK");
}

/** `mito run` alone on a playbook of this directory. */
function mito(playbook: string, env: Record<string, string>): Ran {
  return runIn(
    dir,
    DENO,
    ["run", "-q", "-A", path.join(ROOT, "cli/main.ts"), "run", "-i", "hosts", playbook],
    env,
  );
}

function both(args: string[], env: Record<string, string>): { ours: Ran; theirs: Ran } {
  fs.rmSync(path.join(dir, "made"), { recursive: true, force: true });
  const theirs = runIn(dir, "/usr/bin/ansible-playbook", args, env);
  fs.rmSync(path.join(dir, "made"), { recursive: true, force: true });
  const ours = runIn(dir, DENO, ["run", "-q", "-A", path.join(ROOT, "cli/main.ts"), "run", ...args], env);
  return { ours, theirs };
}

function assertSame(args: string[], env: Record<string, string>): Ran {
  const { ours, theirs } = both(args, env);
  const shown = (x: Ran) => ({ code: x.code, stdout: normal(x.stdout), stderr: normal(x.stderr) });
  assertEquals(shown(ours), shown(theirs), JSON.stringify(env));
  return ours;
}

Deno.test("yaml (community.general.yaml): results as YAML with literal blocks, as Ansible's, with and without -v", () => {
  for (const name of ["community.general.yaml", "yaml"]) {
    assertSame(["-i", "hosts", "results.yml"], { ANSIBLE_STDOUT_CALLBACK: name });
  }
  assertSame(["-i", "hosts", "results.yml", "-v"], { ANSIBLE_STDOUT_CALLBACK: "community.general.yaml" });
});

Deno.test("yaml: the callback's dump of awkward strings matches the Python callback's", () => {
  const results = [
    {
      changed: true,
      msg: "a\nb  \n\tc\r\n",
      x: ["l1\nl2", { k: " lead\nx" }],
      y: "trail \nz",
      e: "",
      s: "yes",
      n: null,
      u: "ünï\ncode",
      stdout: "o",
      stdout_lines: ["o"],
    },
    { _ansible_no_log: true, msg: "x" },
    { skipped: true, changed: false },
    { msg: "\x1c only" },
    { msg: "tab\there\nand\x0bvt" },
    { msg: "\n", list: [["x\ny"]] },
  ];
  const script = [
    "import json, sys",
    "from ansible_collections.community.general.plugins.callback.yaml import CallbackModule",
    "cb = CallbackModule()",
    "print(json.dumps([cb._dump_results(r) for r in json.load(sys.stdin)]))",
  ].join("\n");
  const py = spawnSync("/usr/bin/python3", ["-c", script], {
    input: JSON.stringify(results),
    encoding: "utf8",
  });
  assertEquals(py.status, 0, py.stderr);
  assertEquals(results.map((r) => yamlResults(pyStr)(r, 0)), JSON.parse(py.stdout));
});

Deno.test("result_format=yaml and pretty_results: the default and minimal callbacks' YAML, as ansible-core's", () => {
  assertSame(["-i", "hosts", "results.yml"], { ANSIBLE_CALLBACK_RESULT_FORMAT: "yaml" });
  assertSame(["-i", "hosts", "results.yml", "-v"], { ANSIBLE_CALLBACK_RESULT_FORMAT: "yaml" });
  assertSame(["-i", "hosts", "results.yml", "-v"], {
    ANSIBLE_CALLBACK_RESULT_FORMAT: "yaml",
    ANSIBLE_CALLBACK_FORMAT_PRETTY: "false",
  });
  assertSame(["-i", "hosts", "results.yml"], { ANSIBLE_CALLBACK_FORMAT_PRETTY: "true" });
  assertSame(["-i", "hosts", "results.yml"], {
    ANSIBLE_STDOUT_CALLBACK: "minimal",
    ANSIBLE_CALLBACK_RESULT_FORMAT: "yaml",
  });
});

Deno.test("minimal and oneline in a playbook: one block or one line per result, as Ansible's", () => {
  assertSame(["-i", "hosts", "results.yml"], { ANSIBLE_STDOUT_CALLBACK: "minimal" });
  assertSame(["-i", "hosts", "results.yml", "--diff"], {
    ANSIBLE_STDOUT_CALLBACK: "ansible.builtin.minimal",
  });
  assertSame(["-i", "hosts", "results.yml"], { ANSIBLE_STDOUT_CALLBACK: "oneline" });
});

Deno.test("profile_tasks and timer: a timestamp line per task, the summary and the run's length after the recap", () => {
  const ours = assertSame(["-i", "hosts", "timed.yml"], {
    ANSIBLE_CALLBACKS_ENABLED: "ansible.posix.profile_tasks,ansible.posix.timer",
    PROFILE_TASKS_SORT_ORDER: "none",
  });
  assert(/\nslow -+ 1\.\d\ds\n/.test(ours.stdout), ours.stdout);
  // The default order is slowest first; the short names work too.
  const sorted = both(["-i", "hosts", "timed.yml"], { ANSIBLE_CALLBACKS_ENABLED: "profile_tasks,timer" });
  const summary = (t: string) => t.split("=".repeat(79) + " \n")[1].split("\n");
  assertEquals(summary(sorted.ours.stdout)[0].startsWith("slow ----"), true, sorted.ours.stdout);
  assertEquals(
    summary(sorted.ours.stdout).map(normal).sort(),
    summary(sorted.theirs.stdout).map(normal).sort(),
  );
  const limited = mito("timed.yml", {
    ANSIBLE_CALLBACKS_ENABLED: "profile_tasks",
    PROFILE_TASKS_TASK_OUTPUT_LIMIT: "1",
  });
  assertEquals(summary(limited.stdout).filter((l) => l.includes("---")).length, 1);
});

Deno.test("profile_roles: the time per role (or action outside roles), most first, and the total", () => {
  const { ours, theirs } = both(["-i", "hosts", "roles.yml"], {
    ANSIBLE_CALLBACKS_ENABLED: "ansible.posix.profile_roles",
  });
  const [head, summary] = ours.stdout.split("=".repeat(79) + " \n");
  const [theirHead, theirSummary] = theirs.stdout.split("=".repeat(79) + " \n");
  assertEquals(normal(head), normal(theirHead));
  assertEquals(summary.split("\n")[0].startsWith("slow ----"), true, summary);
  // The roles that take no time may come in either order.
  assertEquals(normal(summary).split("\n").sort(), normal(theirSummary).split("\n").sort());
  assertEquals(summary.split("\n").at(-3), "~".repeat(79) + " ");
});

Deno.test("tree enabled in a playbook: each host's last result in ANSIBLE_CALLBACK_TREE_DIR", () => {
  const tree = path.join(dir, "tree");
  const r = mito("roles.yml", {
    ANSIBLE_CALLBACKS_ENABLED: "tree",
    ANSIBLE_CALLBACK_TREE_DIR: tree,
  });
  assertEquals(r.code, 0, r.stderr);
  assertEquals(fs.readdirSync(tree), ["localhost"]);
  assertEquals(JSON.parse(fs.readFileSync(path.join(tree, "localhost"), "utf8")).changed, false);
});

Deno.test("profile_tasks' and timer's formats", () => {
  assertEquals(secondsToStr(3723.4567), "1:02:03.456");
  assertEquals(filled("", "="), "=".repeat(79) + " ");
  assertEquals(filled("x".repeat(80)), "x".repeat(80) + " *** ");
  assertEquals(
    runTook(((2 * 24 + 3) * 3600 + 4 * 60 + 5) * 1000 + 999),
    "Playbook run took 2 days, 3 hours, 4 minutes, 5 seconds",
  );
});

Deno.test("a callback mito does not provide: one warning naming it, and the run goes on", () => {
  const run = (env: Record<string, string>) => mito("timed.yml", env);
  const stdout = run({ ANSIBLE_STDOUT_CALLBACK: "community.general.dense" });
  assertEquals(
    [stdout.code, stdout.stderr],
    [
      0,
      "[WARNING]: stdout callback 'community.general.dense' is not available in mito;\nusing the default callback\n",
    ],
  );
  const aggregate = run({ ANSIBLE_CALLBACKS_ENABLED: "community.general.say,timer" });
  assertEquals(
    [aggregate.code, aggregate.stderr],
    [0, "[WARNING]: callback 'community.general.say' is not available in mito; it is not\nrun\n"],
  );
  assert(
    /\nPlaybook run took 0 days, 0 hours, 0 minutes, \d seconds\n$/.test(aggregate.stdout),
    aggregate.stdout,
  );
});

Deno.test("display_args_to_stdout: each task banner shows its args as written, a no_log task's none", () => {
  assertSame(["-i", "hosts", "results.yml"], { ANSIBLE_DISPLAY_ARGS_TO_STDOUT: "1" });
  fs.writeFileSync(path.join(dir, "args.cfg"), "[defaults]\ndisplay_args_to_stdout = true\n");
  assertSame(["-i", "hosts", "timed.yml", "-v"], { ANSIBLE_CONFIG: "args.cfg" });
});

Deno.test("-vv: the header's configuration lines, then each stdout callback skipped, in ansible-playbook's order", () => {
  // callback plugins beside the playbook and on the configured path: stdout ones are listed (sorted per
  // folder, the playbook's first, then ansible-core's own), a name seen before is not, aggregate ones never
  const plugin = (type: string) =>
    "from ansible.plugins.callback import CallbackBase\n\nclass CallbackModule(CallbackBase):\n" +
    `    CALLBACK_VERSION = 2.0\n    CALLBACK_TYPE = '${type}'\n    CALLBACK_NEEDS_ENABLED = True\n`;
  const beside = path.join(dir, "callback_plugins");
  const configured = path.join(dir, "more_callbacks");
  for (
    const [folder, name, type] of [
      [beside, "zeta", "stdout"],
      [beside, "alpha", "aggregate"],
      [configured, "minimal", "aggregate"],
      [configured, "beta", "stdout"],
      [configured, "zeta", "stdout"],
    ]
  ) {
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, `${name}.py`), plugin(type));
  }
  try {
    const { ours, theirs } = both(["-vv", "-i", "hosts", "timed.yml"], {
      ANSIBLE_CALLBACK_PLUGINS: configured,
    });
    // Ansible names its Python, Jinja and libyaml where mito names its runtime: the lines both have agree
    const header = (out: string) =>
      out.split("\n").filter((l) =>
        /^ {2}(config file|configured module search path|ansible collection location) = /.test(l)
      );
    assertEquals(header(ours.stdout), header(theirs.stdout));
    assertEquals(header(ours.stdout).length, 3);
    const body = (out: string) => normal(out.slice(out.search(/^Using |^No config file/m)));
    assertEquals(body(ours.stdout), body(theirs.stdout));
    assertEquals(ours.code, theirs.code);
    assert(
      theirs.stdout.includes(
        "Skipping callback 'zeta', as we already have a stdout callback.\n" +
          "Skipping callback 'beta', as we already have a stdout callback.\n" +
          "Skipping callback 'default', as we already have a stdout callback.\n" +
          "Skipping callback 'oneline', as we already have a stdout callback.\n",
      ),
      theirs.stdout,
    );
  } finally {
    fs.rmSync(beside, { recursive: true, force: true });
    fs.rmSync(configured, { recursive: true, force: true });
  }
});
