// Loop pipelining: items of a remote module are sent before earlier items answered (so a loop costs about
// one round trip), their results still show and register in item order; loops whose items can change the
// next one run one item at a time.
import { assertEquals } from "./_assert.ts";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runPlaybooks } from "../playbook/run.ts";
import { runRequest } from "./_run_request.ts";
import type { HostRunnerFactory, ModuleRequest, ModuleResult } from "../playbook/runner.ts";

/**
 * A runner that answers nothing until the test releases it, and records how many calls were in flight
 * when each one arrived. Replies are released in reverse order to show the executor reorders them.
 */
class GatedRunner {
  inFlightAtCall: number[] = [];
  calls: string[] = [];
  #pending: { req: ModuleRequest; resolve: (r: ModuleResult) => void }[] = [];
  #timer?: ReturnType<typeof setTimeout>;

  factory(pipelines?: boolean): HostRunnerFactory {
    return () => ({
      pipelines,
      runModule: (req) =>
        new Promise<ModuleResult>((resolve) => {
          this.inFlightAtCall.push(this.#pending.length);
          this.calls.push(String(req.args._raw_params));
          this.#pending.push({ req, resolve });
          // Answer once the executor has stopped sending (next macrotask), newest first.
          clearTimeout(this.#timer);
          this.#timer = setTimeout(() => this.#release(), 5);
        }),
      resetConnection: () => Promise.resolve(),
      close: () => Promise.resolve(),
    });
  }

  #release(): void {
    const batch = this.#pending.reverse();
    this.#pending = [];
    for (const { req, resolve } of batch) {
      const cmd = String(req.args._raw_params);
      resolve({ changed: true, rc: cmd.endsWith("fail") ? 1 : 0, stdout: cmd, cmd });
    }
  }
}

async function run(playbook: string, runner: HostRunnerFactory): Promise<{ code: number; out: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-pipeline-"));
  try {
    fs.writeFileSync(path.join(dir, "play.yml"), playbook);
    let out = "";
    const code = await runPlaybooks(runRequest(path.join(dir, "play.yml")), {
      env: { HOME: "/nonexistent", ANSIBLE_CONFIG: "/nonexistent" },
      cwd: dir,
      home: "/nonexistent",
      stdoutIsTTY: false,
      columns: 80,
      out: (t) => (out += t),
      err: () => {},
      runner,
    });
    return { code, out };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const itemLines = (out: string) => out.split("\n").filter((l) => l.includes("(item="));

Deno.test("a loop of a remote module sends every item before the first reply, shows and registers in order", async () => {
  const g = new GatedRunner();
  const { code, out } = await run(
    `- hosts: all
  gather_facts: false
  connection: local
  tasks:
    - command: "echo {{ item }}"
      loop: [a, b, c, d]
      register: r
    - assert:
        that: "r.results | map(attribute='stdout') | list == ['echo a', 'echo b', 'echo c', 'echo d']"
`,
    g.factory(),
  );
  assertEquals(code, 0, out);
  assertEquals(g.calls, ["echo a", "echo b", "echo c", "echo d"]);
  assertEquals(g.inFlightAtCall, [0, 1, 2, 3]);
  assertEquals(itemLines(out), [
    "changed: [localhost] => (item=a)",
    "changed: [localhost] => (item=b)",
    "changed: [localhost] => (item=c)",
    "changed: [localhost] => (item=d)",
  ]);
});

Deno.test("a failing item does not stop the items sent after it; when is still evaluated per item", async () => {
  const g = new GatedRunner();
  const { code, out } = await run(
    `- hosts: all
  gather_facts: false
  connection: local
  tasks:
    - command: "{{ item }}"
      loop: [ok1, fail, ok2, skip]
      when: item != 'skip'
      ignore_errors: true
`,
    g.factory(),
  );
  assertEquals(code, 0, out);
  assertEquals(g.calls, ["ok1", "fail", "ok2"]);
  assertEquals(g.inFlightAtCall, [0, 1, 2]);
  assertEquals(itemLines(out).map((l) => l.replace(/ =>.*?\(item=/, " (item=").replace(/\).*/, ")")), [
    "changed: [localhost] (item=ok1)",
    "failed: [localhost] (item=fail)",
    "changed: [localhost] (item=ok2)",
    "skipping: [localhost] (item=skip)",
  ]);
});

Deno.test("a templating error in a later item fails the task after the items before it ran", async () => {
  const g = new GatedRunner();
  const { code, out } = await run(
    `- hosts: all
  gather_facts: false
  connection: local
  tasks:
    - command: "echo {{ item.x }}"
      loop: [{x: 1}, {x: 2}, {}, {x: 4}]
`,
    g.factory(),
  );
  assertEquals(code, 2, out);
  assertEquals(g.calls, ["echo 1", "echo 2"]);
  assertEquals(itemLines(out), [
    "changed: [localhost] => (item={'x': 1})",
    "changed: [localhost] => (item={'x': 2})",
  ]);
});

Deno.test("loops whose items can change the next one run one item at a time", async () => {
  for (
    const task of [
      `command: "echo {{ item }}"\n      until: true\n      retries: 1`,
      `command: "echo {{ item }}"\n      loop_control: {pause: 0.001}`,
      `command: "echo {{ item }}"\n      async: 10\n      poll: 0`,
    ]
  ) {
    const g = new GatedRunner();
    const { out } = await run(
      `- hosts: all
  gather_facts: false
  connection: local
  tasks:
    - ${task}
      loop: [a, b, c]
`,
      g.factory(),
    );
    assertEquals(g.inFlightAtCall, [0, 0, 0], `${task}\n${out}`);
  }
});

Deno.test("a runner that says it cannot overlap calls gets one item at a time", async () => {
  const g = new GatedRunner();
  await run(
    `- hosts: all
  gather_facts: false
  connection: local
  tasks:
    - command: "echo {{ item }}"
      loop: [a, b, c]
`,
    g.factory(false),
  );
  assertEquals(g.inFlightAtCall, [0, 0, 0]);
});
