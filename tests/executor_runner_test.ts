// The seam to the remote side: what the executor asks a HostRunner for each remote module, and how it
// treats the results (changed/failed/unreachable, register, notify, facts).
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import * as path from "node:path";
import { runPlaybooks, type RunRequest } from "../playbook/run.ts";
import { runRequest } from "./_run_request.ts";
import type { HostRunnerFactory, ModuleRequest, ModuleResult } from "../playbook/runner.ts";

const DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), "playbooks");

/** Runs a playbook in-process with no config file; returns the exit code and the screen output. */
async function runWith(req: RunRequest, runner?: HostRunnerFactory): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await runPlaybooks(req, {
    env: { HOME: "/nonexistent", ANSIBLE_CONFIG: "/nonexistent" },
    cwd: DIR,
    home: "/nonexistent",
    stdoutIsTTY: false,
    columns: 80,
    out: (t) => (out += t),
    err: () => {},
    runner,
  });
  return { code, out };
}

/** A HostRunner that answers like a module would: `command` echoes, everything else reports changed. */
function recordingRunner(seen: ModuleRequest[], closed: string[]): HostRunnerFactory {
  return () => ({
    runModule(req: ModuleRequest): Promise<ModuleResult> {
      seen.push(req);
      if (req.targetHost === "other.example") return Promise.resolve({ unreachable: true, msg: "no route" });
      if (req.module === "command") {
        return Promise.resolve({
          changed: true,
          rc: 0,
          stdout: "hi",
          stdout_lines: ["hi"],
          cmd: req.args._raw_params,
        });
      }
      return Promise.resolve({ changed: true, ansible_facts: { seen_by_runner: req.module } });
    },
    resetConnection: () => Promise.resolve(),
    close() {
      closed.push("closed");
      return Promise.resolve();
    },
  });
}

Deno.test("remote modules reach the runner with templated args, become, environment, check mode", async () => {
  const seen: ModuleRequest[] = [];
  const closed: string[] = [];
  const { code, out } = await runWith(
    runRequest(path.join(DIR, "remote.yml")),
    recordingRunner(seen, closed),
  );
  assertEquals(code, 4, out);
  assertEquals(closed, ["closed"]);
  assertEquals(seen.map((r) => [r.module, r.host, r.targetHost]), [
    ["command", "localhost", "localhost"],
    ["copy", "localhost", "localhost"],
    ["command", "localhost", "localhost"],
    ["ping", "localhost", "other.example"],
  ]);
  const [cmd, copy, local] = seen;
  assertEquals(cmd.args, { _raw_params: "echo hi", chdir: "/tmp" });
  assertEquals(cmd.become.become, true);
  assertEquals(cmd.become.user, "app");
  assertEquals(cmd.environment, { PLAY_ENV: "play", TASK_ENV: "hi" });
  assertEquals(cmd.checkMode, false);
  assertEquals(cmd.connectionVars.ansible_python_interpreter, "/usr/bin/python3");
  // module_defaults fill in under the task's args; an option the task sets to omit takes its default away
  // too (Ansible drops omitted options after merging the defaults).
  assertEquals(copy.args, { owner: "app", dest: "/tmp/x", content: "hi" });
  assertEquals(copy.become.become, false);
  assertEquals(copy.checkMode, true);
  assertEquals(local.args, { _raw_params: "hostname" });
  assertStringIncludes(out, "changed: [localhost]");
  assertStringIncludes(
    out,
    'fatal: [localhost -> other.example]: UNREACHABLE! => {"changed": false, "msg": "no route"',
  );
  assertStringIncludes(
    out,
    "localhost                  : ok=3    changed=3    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0",
  );
});

Deno.test("--check reaches every module; an unreachable host stops before its handlers run", async () => {
  const seen: ModuleRequest[] = [];
  const { code } = await runWith(
    runRequest(path.join(DIR, "remote.yml"), { check: true, limit: ["localhost"] }),
    recordingRunner(seen, []),
  );
  assertEquals(code, 4);
  assertEquals(seen.every((r) => r.checkMode), true);
  // The play stops for the unreachable host before its handler flush, as in Ansible.
  assertEquals(seen.some((r) => r.module === "service"), false);
});

Deno.test("without a connection layer a remote module fails with a message saying so", async () => {
  const { code, out } = await runWith(runRequest(path.join(DIR, "errors/remote_module.yml")));
  assertEquals(code, 2);
  assertStringIncludes(out, "no connection layer for module command");
});

Deno.test("ignore_unreachable: shown with ...ignoring, counted as ok and ignored, and the host goes on", async () => {
  const { code, out } = await runWith(
    runRequest(path.join(DIR, "remote_ignore.yml")),
    recordingRunner([], []),
  );
  assertEquals(code, 0, out);
  assertStringIncludes(
    out,
    'fatal: [localhost -> other.example]: UNREACHABLE! => {"changed": false, "msg": "no route", ' +
      '"unreachable": true}\n...ignoring\n',
  );
  assertStringIncludes(
    out,
    "localhost                  : ok=2    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=1",
  );
});

Deno.test("the runner is told the templated delegate_to, also when it names the host itself", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "mito-delegate-" });
  try {
    const play = path.join(dir, "play.yml");
    Deno.writeTextFileSync(
      play,
      `- hosts: all
  gather_facts: false
  tasks:
    - command: echo self
      delegate_to: "{{ inventory_hostname }}"
    - command: echo plain
`,
    );
    const seen: ModuleRequest[] = [];
    const { code, out } = await runWith(runRequest(play), recordingRunner(seen, []));
    assertEquals(code, 0, out);
    assertEquals(
      seen.map((r) => [r.args._raw_params, r.targetHost, r.delegateTo]),
      [["echo self", "localhost", "localhost"], ["echo plain", "localhost", undefined]],
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
