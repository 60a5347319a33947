// The junit callback beside ansible-core's: the same playbook run by ansible-playbook and by mito with
// ANSIBLE_CALLBACKS_ENABLED=junit writes the same XML file (name, cases, attributes, escaping), times
// aside; its JUNIT_* options change the report as the plugin's do; the XML writer spells awkward text
// and times as ansible-core's writer does.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { assert, assertEquals } from "./_assert.ts";
import { DENO, mitoIn, ROOT, runIn } from "./_run.ts";
import {
  decimalOfFloat,
  type JunitCase,
  junitReport,
  roundDecimal,
} from "../playbook/callbacks/_junit_xml.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-junit-"));
globalThis.addEventListener("unload", () => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  fs.writeFileSync(path.join(dir, name), text);
};
write("ansible.cfg", "");
write(
  "hosts",
  "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n" +
    // Unreachable results are not cases: the plugin has no unreachable handler.
    "dead ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh\n",
);
write("inc.yml", "- debug: msg=\"inc {{ item | default('none') }}\"\n");
write("sub/inc2.yml", '- debug: msg="{{ it }} {{ idx }}"\n');
write(
  "roles/r1/tasks/main.yml",
  '- name: role task\n  debug: msg="in role"\n- command: "true"\n  changed_when: false\n',
);
write(
  "all.yml",
  `- name: "first {{ 'play' }}"
  hosts: all
  gather_facts: false
  vars:
    x: "a<b>&\\"c'"
  roles: [r1]
  tasks:
    - debug: msg="hello {{ x }}"
      when: inventory_hostname == 'localhost'
    - name: changed one
      command: echo 'hi <there> & "you"'
    - command: "false"
      ignore_errors: true
    - name: fails EXPECTED FAILURE
      command: "false"
      ignore_errors: true
      # the plugin counts a failure by its name, ignored or not
    - name: TOGGLE RESULT ok becomes failure
      command: "true"
    - debug: msg=skip
      when: false
    - debug: msg="{{ item }}"
      loop: [1, 2]
    - include_tasks: inc.yml
      loop: [a, b]
    - include_tasks: inc.yml
    - include_tasks: sub/inc2.yml
      loop: [x, y]
      loop_control: {loop_var: it, index_var: idx, label: "L{{ it }}"}
    - set_fact: secret=1
      no_log: true
    - name: "task {{ x }} templated"
      shell: printf 'multi\\nline\\t\\r\\n'
    - block:
        - fail: msg="boom"
      rescue:
        - debug: msg=rescued
          changed_when: true
          notify: hh
    - command: /nonexistent
      ignore_errors: true
  handlers:
    - name: hh
      debug: msg=handler
- hosts: localhost
  gather_facts: false
  tasks:
    - ping:
    - fail: msg="real fail"
`,
);
write(
  "options.yml",
  `- hosts: localhost
  gather_facts: false
  tasks:
    - setup:
        gather_subset: [min]
        filter: ansible_hostname
    - name: test_changed
      command: "true"
    - name: test_ignored
      command: "false"
      ignore_errors: true
    - name: not a test
      debug: msg=x
    - name: failing not a test
      fail: msg="{{ ['a', 'b'] }}"
      ignore_errors: true
    - name: no msg failure
      command: "false"
      failed_when: true
      ignore_errors: true
    - include_tasks: sub/inc2.yml
      vars: {it: 1, idx: 2}
`,
);

/**
 * Times and the command module's clock readings differ from run to run, and so does the order in which
 * the hosts of one task report (each tool lists them as they finish): a task's cases are sorted.
 */
function normal(xml: string): string {
  const [head, ...cases] = xml.replace(/ time="[0-9.eE+-]+"/g, ' time="T"')
    .replace(/(delta|start|end)&quot;: &quot;[^&]*&quot;/g, "$1: T")
    .split(/(?=\t\t<testcase )/);
  const last = cases.length
    ? cases[cases.length - 1].split(/(?<=<\/testcase>\n|\/>\n)(?=\t<\/testsuite>)/)
    : [];
  if (last.length === 2) cases.splice(-1, 1, last[0]);
  const task = (c: string) => c.replace(/ name="\[[^\]]*\] /, ' name="').split("\n")[0];
  const out: string[] = [];
  for (let i = 0; i < cases.length;) {
    let j = i + 1;
    while (j < cases.length && task(cases[j]) === task(cases[i])) j++;
    out.push(...cases.slice(i, j).sort());
    i = j;
  }
  return head + out.join("") + (last[1] ?? "");
}

/** The one report a run wrote into `out`, and its file name. */
function report(out: string): { file: string; xml: string } {
  const files = fs.readdirSync(out);
  assertEquals(files.length, 1, files.join());
  return { file: files[0], xml: fs.readFileSync(path.join(out, files[0]), "utf8") };
}

/** The playbook run by both tools with `env`: each one's report. */
function both(playbook: string, env: Record<string, string>) {
  const runs = {
    theirs: ["/usr/bin/ansible-playbook", ["-i", "hosts", playbook]],
    ours: [DENO, ["run", "-q", "-A", path.join(ROOT, "cli/main.ts"), "run", "-i", "hosts", playbook]],
  } as const;
  const out: Record<string, { file: string; xml: string; code: number }> = {};
  for (const [who, [cmd, args]] of Object.entries(runs)) {
    const junitDir = path.join(dir, `out-${who}-${playbook}`);
    fs.rmSync(junitDir, { recursive: true, force: true });
    const r = runIn(dir, cmd, [...args], {
      ANSIBLE_CALLBACKS_ENABLED: "junit",
      JUNIT_OUTPUT_DIR: junitDir,
      ...env,
    });
    out[who] = { ...report(junitDir), code: r.code };
  }
  return out;
}

Deno.test("junit: ok, changed, failed, ignored, skipped, loops, includes, roles, rescue, handlers, no_log: the XML ansible-core's junit writes", () => {
  const { ours, theirs } = both("all.yml", {});
  assertEquals([ours.code, theirs.code], [4, 4]);
  assertEquals(normal(ours.xml), normal(theirs.xml));
  // <playbook>-<time.time()>.xml
  assert(/^all-\d+\.\d+\.xml$/.test(ours.file), ours.file);
  // An included file is a case of the include task's, under the host name "include".
  assert(ours.xml.includes(`name="[include] first play: include_tasks _raw_params=inc.yml"`), ours.xml);
  assert(
    ours.xml.includes("vars={'it': 'y', 'idx': 1, '_ansible_item_label': 'Ly'}): [localhost]"),
    ours.xml,
  );
});

Deno.test("junit options: JUNIT_FAIL_ON_CHANGE, _FAIL_ON_IGNORE, _HIDE_TASK_ARGUMENTS, _TASK_CLASS, _TEST_CASE_PREFIX, _TASK_RELATIVE_PATH, _REPLACE_OUT_OF_TREE_PATH, _INCLUDE_SETUP_TASKS_IN_REPORT as the plugin reads them", () => {
  const { ours, theirs } = both("options.yml", {
    JUNIT_FAIL_ON_CHANGE: "True",
    JUNIT_FAIL_ON_IGNORE: "TRUE",
    // anything but "false" hides them
    JUNIT_HIDE_TASK_ARGUMENTS: "yes",
    JUNIT_TASK_CLASS: "true",
    JUNIT_TEST_CASE_PREFIX: "test_",
    JUNIT_TASK_RELATIVE_PATH: path.join(dir, "sub"),
    JUNIT_REPLACE_OUT_OF_TREE_PATH: "OUT/",
    JUNIT_INCLUDE_SETUP_TASKS_IN_REPORT: "false",
  });
  assertEquals(normal(ours.xml), normal(theirs.xml));
  assert(ours.xml.includes('<testcase classname="OUT/options" name="[localhost] localhost: test_changed"'));
  // With the defaults, the explicit setup task is a case, and the other tasks show their arguments.
  const plain = both("options.yml", { JUNIT_TEST_CASE_PREFIX: "test_" });
  const names = (xml: string) => [...xml.matchAll(/ name="(\[[^"]*)"/g)].map((m) => m[1]);
  assertEquals(names(plain.ours.xml), names(plain.theirs.xml));
  assertEquals(names(plain.ours.xml)[0], "[localhost] localhost: test_changed _raw_params=true");
});

Deno.test("junit: named community.general.junit too; the report is written under ~/.ansible.log without JUNIT_OUTPUT_DIR", () => {
  const home = path.join(dir, "home");
  fs.mkdirSync(home, { recursive: true });
  const r = mitoIn(
    dir,
    ["-i", "hosts", "-l", "localhost", "options.yml"],
    { ANSIBLE_CALLBACKS_ENABLED: "community.general.junit", HOME: home },
  );
  assertEquals([r.code, r.stderr], [0, ""]);
  const { file, xml } = report(path.join(home, ".ansible.log"));
  assert(/^options-\d+\.\d+\.xml$/.test(file), file);
  assert(
    xml.startsWith('<?xml version="1.0" ?>\n<testsuites disabled="0" errors="0" failures="0" tests="9"'),
    xml,
  );
});

Deno.test("junit: a directory it cannot make is a warning each time it would write, and the run goes on", () => {
  const r = mitoIn(
    dir,
    ["-i", "hosts", "-l", "localhost", "options.yml"],
    { ANSIBLE_CALLBACKS_ENABLED: "junit", JUNIT_OUTPUT_DIR: "/proc/no-such-dir" },
  );
  assertEquals(r.code, 0, r.stderr);
  // the warnings wrap at the display's width
  const said = r.stderr.replace(/\n(?!\[WARNING\])/g, " ");
  assert(said.startsWith("[WARNING]: junit: cannot create /proc/no-such-dir: ENOENT"), r.stderr);
  assert(
    /\[WARNING\]: junit: cannot write \/proc\/no-such- ?dir\/options-\d+\.\d+\.xml: ENOENT/.test(said),
    said,
  );
});

Deno.test("junit XML: escaping, line ends, empty texts and times, as ansible-core's _junit_xml writes them", () => {
  const cases: JunitCase[] = [
    {
      name: "a\tb\nc\rd\"e'f<>&\u0085\u2028 ünï",
      classname: "x.yml:1",
      time: 1e-5,
      problem: { tag: "failure", message: 'm\r\n"<&>', output: "" },
      systemOut: "x\r\ny\rz\t\"'<&>",
    },
    { name: "skip", classname: "", time: 0.1, skipped: "Conditional result was False" },
    { name: "err", classname: "c", time: 2.5, problem: { tag: "error", output: "Traceback\n  boom\n" } },
    { name: "none", classname: "c", time: 0.25 },
    { name: "big", classname: "c", time: 123456.78901234 },
  ];
  const script = [
    "import json, sys",
    "from ansible.utils._junit_xml import TestCase, TestError, TestFailure, TestSuite, TestSuites",
    "out = []",
    "for c in json.load(sys.stdin):",
    "    t = TestCase(name=c['name'], classname=c['classname'], time=c['time'], skipped=c.get('skipped'),",
    "                 system_out=c.get('systemOut'))",
    "    p = c.get('problem')",
    "    if p: (t.errors if p['tag'] == 'error' else t.failures).append(",
    "        (TestError if p['tag'] == 'error' else TestFailure)(message=p.get('message'), output=p['output']))",
    "    out.append(t)",
    "sys.stdout.write(TestSuites(suites=[TestSuite(name='pb', cases=out)]).to_pretty_xml())",
  ].join("\n");
  const py = spawnSync("/usr/bin/python3", ["-c", script], {
    input: JSON.stringify(cases),
    encoding: "utf8",
  });
  assertEquals(py.status, 0, py.stderr);
  assertEquals(junitReport("pb", cases), py.stdout);
  assertEquals(junitReport("pb", []), junitReportOfNothing);
  assertEquals(decimalOfFloat(0.1), "0.1000000000000000055511151231257827021181583404541015625");
  assertEquals(roundDecimal(decimalOfFloat(0.1), 28), "0.1000000000000000055511151231");
  assertEquals(
    decimalOfFloat(1e-7),
    "9.99999999999999954748111825886258685613938723690807819366455078125E-8",
  );
  assertEquals(decimalOfFloat(3.0), "3");
});

const junitReportOfNothing = '<?xml version="1.0" ?>\n' +
  '<testsuites disabled="0" errors="0" failures="0" tests="0" time="0">\n' +
  '\t<testsuite disabled="0" errors="0" failures="0" name="pb" skipped="0" tests="0" time="0"/>\n' +
  "</testsuites>\n";
