// Task pipelining (docs/pipelining.md): a host's next tasks are sent before the earlier ones answered when
// nothing they read can change meanwhile; the target runs them in order and cancels what follows a reply
// that stops the chain. Semantics against ansible-playbook side by side (connection local, real target
// runtime), and what was sent ahead, through a counting wrapper around the real runner.
import { assert, assertEquals } from "./_assert.ts";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runPlaybooks } from "../playbook/run.ts";
import { protocolRunnerFactory } from "../playbook/remote/host_runner.ts";
import { isCancelled, type ModuleRequest } from "../playbook/runner.ts";
import { runRequest } from "./_run_request.ts";
import { mitoIn, runIn } from "./_run.ts";
import { normalise } from "./_compare.ts";
import { testEnv } from "./_testenv.ts";

const PY = "/usr/bin/python3";
const PIPELINE = { MITO_TASK_PIPELINE: "16" };

/** h1 over ssh to the test sshd as its plain account (a target that is not the controller's process). */
function sshHost(): string {
  const env = testEnv();
  return `h1 ansible_host=${env.sshd.host} ansible_port=${env.sshd.port} ansible_user=${env.accounts.login.user} ` +
    `ansible_ssh_private_key_file=${env.clientKey} ansible_python_interpreter=${PY} ` +
    `ansible_ssh_common_args='-o UserKnownHostsFile=${env.sshd.knownHosts} -o StrictHostKeyChecking=yes'\n`;
}

/**
 * A fresh directory (writable by the test sshd's account) with the play, files beside it, a one-host
 * inventory (local, else `host`) and an ansible.cfg naming it.
 */
function fixture(play: string, o: { host?: string; files?: Record<string, string> } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mito-task-pipeline-"));
  fs.chmodSync(dir, 0o777);
  for (const [f, text] of Object.entries(o.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  fs.writeFileSync(
    path.join(dir, "hosts"),
    o.host ?? `h1 ansible_connection=local ansible_python_interpreter=${PY}\n`,
  );
  fs.writeFileSync(
    path.join(dir, "ansible.cfg"),
    "[defaults]\ninventory = hosts\nretry_files_enabled = false\n",
  );
  fs.writeFileSync(path.join(dir, "play.yml"), play.replaceAll("DIR", dir));
  return dir;
}

/** The play run by ansible-playbook and by mito (pipelining on), each in a fresh copy of its files. */
function sideBySide(
  play: string,
  args: string[] = [],
  o: { host?: string; files?: Record<string, string> } = {},
) {
  const a = fixture(play, o);
  const m = fixture(play, o);
  try {
    const ansible = runIn(a, "/usr/bin/ansible-playbook", ["play.yml", ...args]);
    const mito = mitoIn(m, ["play.yml", ...args], PIPELINE);
    const files = (d: string) => fs.readdirSync(d).filter((f) => f.startsWith("f-")).sort();
    return {
      ansible: { ...ansible, out: normalise(ansible.stdout.replaceAll(a, "DIR")), files: files(a) },
      mito: { ...mito, out: normalise(mito.stdout.replaceAll(m, "DIR")), files: files(m) },
    };
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(m, { recursive: true, force: true });
  }
}

function assertSame(r: ReturnType<typeof sideBySide>): void {
  const both = `ansible-playbook:\n${r.ansible.stdout}\nmito:\n${r.mito.stdout}\n${r.mito.stderr}`;
  assertEquals(r.mito.code, r.ansible.code, both);
  assertEquals(r.mito.out, r.ansible.out, both);
  assertEquals(r.mito.files, r.ansible.files, both);
}

/** The real runner, counting what the executor sends ahead and how the target answers it. */
async function counted(play: string, o: { host?: string; files?: Record<string, string> } = {}) {
  const dir = fixture(play, o);
  const sent: { cmd: string; inFlight: number; after: boolean }[] = [];
  let inFlight = 0;
  let cancelled = 0;
  // mito ends a run without waiting for calls a failure made moot (their answers may come after it)
  const calls: Promise<unknown>[] = [];
  const real = protocolRunnerFactory({ env: { ...PIPELINE, MITO_MODULES: "builtin" } });
  try {
    let out = "";
    const code = await runPlaybooks(
      runRequest(path.join(dir, "play.yml"), { inventory: [path.join(dir, "hosts")] }),
      {
        env: { HOME: "/nonexistent", ANSIBLE_CONFIG: "/nonexistent" },
        cwd: dir,
        home: "/nonexistent",
        stdoutIsTTY: false,
        columns: 80,
        out: (t) => (out += t),
        err: () => {},
        runner: (opts) => {
          const r = real(opts);
          return {
            taskPipeline: r.taskPipeline,
            pipelines: r.pipelines,
            chainable: (m: string) => r.chainable!(m),
            prepare: (req: ModuleRequest) => r.prepare!(req),
            runModule: async (req: ModuleRequest) => {
              sent.push({
                cmd: String(req.args._raw_params ?? req.module),
                inFlight,
                after: !!req.chain?.after,
              });
              inFlight++;
              const call = r.runModule(req).then((res) => {
                if (isCancelled(res)) cancelled++;
                return res;
              }).finally(() => inFlight--);
              calls.push(call.catch(() => {}));
              return await call;
            },
            resetConnection: (h, v) => r.resetConnection(h, v),
            close: () => r.close(),
          };
        },
      },
    );
    // every call sent is answered in the end: the target's cancellation, or the lost connection's
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(calls), new Promise((ok) => timer = setTimeout(ok, 10_000))]);
    clearTimeout(timer);
    return { code, out, sent, cancelled, dir };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

Deno.test("independent tasks are sent before the first one answers, and each runs once", async () => {
  const r = await counted(`- hosts: all
  gather_facts: false
  tasks:
    - command: echo one
      register: one
    - command: echo two
    - command: touch DIR/f-three
    - command: echo four
      register: four
    - assert:
        that: ["one.stdout == 'one'", "four.stdout == 'four'"]
`);
  try {
    assertEquals(r.code, 0, r.out);
    const cmds = (xs: typeof r.sent) => xs.map((s) => s.cmd.replace(r.dir, "DIR"));
    assertEquals(cmds(r.sent), ["echo one", "echo two", "touch DIR/f-three", "echo four"]);
    // the three after the first went out while it was still in flight, each after the one before it
    assertEquals(r.sent.map((s) => [s.inFlight, s.after]), [[0, false], [1, true], [2, true], [3, true]]);
    assertEquals(r.cancelled, 0);
  } finally {
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

Deno.test("a task that reads what a task in flight registers waits for its reply", async () => {
  const r = await counted(`- hosts: all
  gather_facts: false
  tasks:
    - command: echo one
      register: one
    - command: "echo {{ one.stdout }}-again"
      register: again
    - command: echo three
    - command: "echo {{ again.stdout }}-and-again"
`);
  try {
    assertEquals(r.code, 0, r.out);
    assertEquals(r.sent.map((s) => [s.cmd, s.after]), [
      ["echo one", false],
      // sent once `one` answered, as a task of its own; the task after it went with it
      ["echo one-again", false],
      ["echo three", true],
      // `again` had answered by the time `three`'s turn came: sent after `three`, as its successor
      ["echo one-again-and-again", true],
    ]);
    assertEquals(r.sent.slice(0, 3).map((s) => s.inFlight), [0, 0, 1]);
  } finally {
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

Deno.test("a failing task cancels what was sent after it on the target: nothing of it runs", async () => {
  const r = await counted(`- hosts: all
  gather_facts: false
  tasks:
    - command: touch DIR/f-before
    - command: "false"
    - command: touch DIR/f-never
    - command: touch DIR/f-never-either
`);
  try {
    assertEquals(r.code, 2, r.out);
    // both later tasks were sent while `false` ran, and the target answered them cancelled
    assertEquals(r.sent.filter((s) => s.after).length, 3);
    assertEquals(r.cancelled, 2);
    assertEquals(fs.readdirSync(r.dir).filter((f) => f.startsWith("f-")), ["f-before"]);
  } finally {
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

Deno.test("failure, ignore_errors and rescue: output, exit code and files as ansible-playbook's", () => {
  assertSame(sideBySide(`- hosts: all
  gather_facts: false
  tasks:
    - command: touch DIR/f-1
      register: first
    - command: "false"
      ignore_errors: true
    - command: touch DIR/f-2
    - block:
        - command: touch DIR/f-3
        - command: "false"
        - command: touch DIR/f-not-in-block
      rescue:
        - command: touch DIR/f-rescued
        - command: "echo {{ first.rc }}"
    - command: touch DIR/f-4
    - command: "false"
    - command: touch DIR/f-never
`));
});

Deno.test("handlers run once, in Ansible's order, after pipelined tasks notified them", () => {
  assertSame(sideBySide(`- hosts: all
  gather_facts: false
  tasks:
    - command: touch DIR/f-a
      notify: [second, first]
    - command: touch DIR/f-b
      notify: first
    - command: echo plain
      changed_when: false
      notify: second
    - command: touch DIR/f-c
      notify: second
  handlers:
    - name: first
      command: touch DIR/f-h1
    - name: second
      command: touch DIR/f-h2
      notify: third
    - name: third
      command: touch DIR/f-h3
`));
});

Deno.test("check mode: skipped module calls stop the chain, the output is ansible-playbook's", () => {
  assertSame(
    sideBySide(
      `- hosts: all
  gather_facts: false
  tasks:
    - file: path=DIR/f-file state=touch
    - command: touch DIR/f-cmd
    - file: path=DIR/f-file2 state=touch
    - command: echo runs
      check_mode: false
      register: out
    - command: "echo {{ out.stdout }}"
      check_mode: false
`,
      ["--check"],
    ),
  );
});

Deno.test("conditions, registered values and file modules: output as ansible-playbook's", () => {
  const r = sideBySide(`- hosts: all
  gather_facts: false
  vars:
    base: DIR
  tasks:
    - file: path={{ base }}/f-dir state=directory
    - copy: content="x" dest={{ base }}/f-copied
    - lineinfile: path={{ base }}/f-lines line=one create=true
    - command: cat {{ base }}/f-lines
      register: lines
    - command: echo skipped
      when: lines.stdout == 'nothing'
    - command: echo {{ lines.stdout }}
    - stat: path={{ base }}/f-dir
      register: st
    - assert:
        that: st.stat.isdir
`);
  assertSame(r);
  assert(r.mito.files.includes("f-lines"));
});

Deno.test("over ssh, a small template is sent ahead rendered, and what follows it goes with it", async () => {
  const files = { "templates/app.conf.j2": "port={{ port }}\nname={{ inventory_hostname }}\n" };
  const r = await counted(
    `- hosts: all
  gather_facts: false
  vars:
    port: 8080
  tasks:
    - file: path=DIR/f-site state=directory mode="0755"
    - template: src=app.conf.j2 dest=DIR/f-site/app.conf mode="0644"
    - lineinfile: path=DIR/f-site/app.conf regexp='^port=' line="port={{ port + 1 }}"
    - command: cat DIR/f-site/app.conf
      register: conf
      changed_when: false
    - template: src=app.conf.j2 dest=DIR/f-site/again.conf
      vars:
        port: "{{ conf.stdout_lines[0] }}"
    - command: cat DIR/f-site/again.conf
      register: again
    - assert:
        that: "again.stdout == 'port=port=8081\\nname=h1'"
`,
    { host: sshHost(), files },
  );
  try {
    assertEquals(r.code, 0, r.out);
    assertEquals(r.sent.map((s) => [s.cmd.replace(r.dir, "DIR"), s.inFlight, s.after]), [
      ["file", 0, false],
      ["template", 1, true],
      ["lineinfile", 2, true],
      ["cat DIR/f-site/app.conf", 3, true],
      // its template reads `conf`, registered by the task before it: it waits, then leads the last one
      ["template", 0, false],
      ["cat DIR/f-site/again.conf", 1, true],
    ]);
    assertEquals(r.cancelled, 0);
    assertEquals(fs.readFileSync(path.join(r.dir, "f-site/app.conf"), "utf8"), "port=8081\nname=h1\n");
  } finally {
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

Deno.test("over ssh, templates and a failure among pipelined tasks: output and files as ansible-playbook's", () => {
  const files = { "templates/t.j2": "v={{ v }}\n" };
  assertSame(sideBySide(
    `- hosts: all
  gather_facts: false
  vars:
    v: 1
  tasks:
    - template: src=t.j2 dest=DIR/f-t1
    - lineinfile: path=DIR/f-t1 line=more
    - template: src=t.j2 dest=DIR/f-t2
      notify: h
    - command: "false"
    - template: src=t.j2 dest=DIR/f-never
  handlers:
    - name: h
      command: touch DIR/f-handler
`,
    [],
    { host: sshHost(), files },
  ));
});

Deno.test("a task reading other hosts' state, a lookup or a random value is never sent ahead", async () => {
  const r = await counted(`- hosts: all
  gather_facts: false
  vars:
    picked: "{{ [1, 2, 3] | random }}"
  tasks:
    - command: echo a
    - command: "echo {{ hostvars[inventory_hostname].inventory_hostname }}"
    - command: echo b
    - command: "echo {{ ansible_play_hosts | join(',') }}"
    - command: echo c
    - command: "echo {{ lookup('env', 'HOME') }}"
    - command: echo d
    - command: "echo {{ picked }}"
    - command: echo e
`);
  try {
    assertEquals(r.code, 0, r.out);
    // each reading task waits for the one before it, then leads the plain one after it
    assertEquals(r.sent.map((s) => s.after), [false, false, true, false, true, false, true, false, true]);
    assertEquals(r.cancelled, 0);
  } finally {
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

Deno.test("two hosts, one failing: the hosts left in the play are read after the failure, as ansible-playbook", () => {
  const two = ["h1", "h2"].map((h) => `${h} ansible_connection=local ansible_python_interpreter=${PY}`).join(
    "\n",
  );
  assertSame(sideBySide(
    `- hosts: all
  gather_facts: false
  tasks:
    - command: touch DIR/f-{{ inventory_hostname }}-1
    - command: "{{ 'false' if inventory_hostname == 'h2' else 'true' }}"
    - command: "echo {{ ansible_play_hosts | join(',') }}"
    - command: touch DIR/f-{{ inventory_hostname }}-2
`,
    [],
    { host: two + "\n" },
  ));
});

Deno.test("a lookup in a task that is not sent ahead runs once, in the task's turn", async () => {
  const r = await counted(`- hosts: all
  gather_facts: false
  vars:
    stamp: "{{ lookup('pipe', 'echo x >> DIR/f-lookups; wc -l < DIR/f-lookups') }}"
  tasks:
    - command: echo a
    - command: "echo {{ stamp }}"
      register: out
    - assert:
        that: out.stdout == '1'
`);
  try {
    assertEquals(r.code, 0, r.out);
    assertEquals(r.sent.map((s) => s.after), [false, false]);
    assertEquals(fs.readFileSync(path.join(r.dir, "f-lookups"), "utf8"), "x\n");
  } finally {
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

Deno.test("facts returned by a task stop the chain: the task sent after it is templated again with them", async () => {
  const two = `h1 ansible_connection=local ansible_python_interpreter=${PY} getent_group={}\n`;
  const play = `- hosts: all
  gather_facts: false
  tasks:
    - command: echo before
    - getent: database=group key=root
    - command: "echo {{ getent_group.keys() | list }}"
      register: out
    - assert:
        that: "out.stdout == '[root]'"
`;
  assertSame(sideBySide(play, [], { host: two }));
  const r = await counted(play, { host: two });
  try {
    assertEquals(r.code, 0, r.out);
    // sent ahead with the inventory's empty value, cancelled on the target, sent again in its turn
    assertEquals(r.sent.map((s) => [s.cmd, s.after]), [
      ["echo before", false],
      ["getent", true],
      ["echo []", true],
      ["echo ['root']", false],
    ]);
    assertEquals(r.cancelled, 1);
  } finally {
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});
