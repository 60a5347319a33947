// Python filter, test and lookup plugins, side by side with ansible-playbook: the collections Debian's
// ansible package installs (by fully qualified name, with routing), plugin folders beside the playbook and
// a role and on the configured paths, unsafe and vault values, and Ansible's errors when a name resolves to
// nothing or a plugin raises. Then what only mito has: the one-line error for a controller Python without
// ansible-core, no plugin host for a run that needs none, and the host ended (by pid) when the run ends.
import * as fs from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import process from "node:process";
import { assert, assertEquals } from "./_assert.ts";
import { DENO, inCleanEnv, mitoIn, ROOT, runIn } from "./_run.ts";
import { pythonWithoutAnsible } from "./_pythons.ts";

const DIR = join(ROOT, "tests/fixtures/python_plugins");
const VAULT = ["--vault-password-file", "vault_pass.txt"];

function same(name: string, args: string[], code: number): void {
  Deno.test(`python plugins: ${name}, as ansible-playbook`, () => {
    const a = runIn(DIR, "/usr/bin/ansible-playbook", ["-i", "hosts.ini", ...args]);
    const m = mitoIn(DIR, ["-i", "hosts.ini", ...args]);
    assertEquals(a.code, code, a.stdout + a.stderr);
    assertEquals(m.stdout, a.stdout);
    assertEquals(m.stderr, a.stderr);
    assertEquals(m.code, code);
  });
}

same("collection filters, tests and lookups, routed and deprecated ones included", ["collections.yml"], 0);
same(
  "more collection plugins: ansible.utils lookups using Ansible's environment, path, CSV and unit filters",
  [
    "more_collections.yml",
  ],
  0,
);
same("plugin folders of the playbook, a role and the configuration; unsafe and vault values", [
  ...VAULT,
  "folders.yml",
], 0);
same("a role included while the play runs brings its filter_plugins/ from then on", ["included.yml"], 0);
same("names nothing defines and plugins that raise: Ansible's messages", ["errors.yml"], 0);
same("a plugin that raises fails the play", ["fails.yml"], 2);

Deno.test("python plugins: without ansible-core on the controller, one line says so before any play", () => {
  const { python, remove } = pythonWithoutAnsible();
  try {
    const m = mitoIn(DIR, ["-i", "hosts.ini", "collections.yml"], { MITO_CONTROLLER_PYTHON: python });
    const file = "/usr/lib/python3/dist-packages/ansible_collections/community/general/plugins/filter/" +
      "groupby_as_dict.py";
    assertEquals(m.stdout, "");
    assertEquals(
      m.stderr,
      `ERROR! the filter plugin community.general.groupby_as_dict (${file}) (and 4 more plugins) needs ` +
        `ansible-core's Python package, which ${python} cannot import: install ansible-core for it (apt ` +
        `install ansible-core, or pip install ansible-core), or name a Python that has it in ` +
        `MITO_CONTROLLER_PYTHON\n`,
    );
    assertEquals(m.code, 1);
  } finally {
    remove();
  }
});

Deno.test("python plugins: a run that needs no Python plugin starts no plugin host", () => {
  const plain = join(DIR, "plain");
  const a = runIn(plain, "/usr/bin/ansible-playbook", ["-i", "hosts.ini", "plain.yml"]);
  // an interpreter that cannot start: any attempt to start the host would fail the run
  const m = mitoIn(plain, ["-i", "hosts.ini", "plain.yml"], {
    MITO_CONTROLLER_PYTHON: "/nonexistent/python3",
  });
  assertEquals(m.stdout, a.stdout);
  assertEquals(m.code, 0);
  const needs = mitoIn(DIR, ["-i", "hosts.ini", "collections.yml"], {
    MITO_CONTROLLER_PYTHON: "/nonexistent/python3",
  });
  assertEquals(
    needs.stderr,
    "ERROR! the plugin host (/nonexistent/python3) could not be started: /nonexistent/python3 did not start\n",
  );
  assertEquals(needs.code, 1);
});

/** Whether process `pid` is gone (or a zombie), waiting up to 10 s for it to go. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const hostPid = (out: string) => Number(/"host pid (\d+)"/.exec(out)?.[1]);

Deno.test("python plugins: the plugin host is ended when the run ends, also when it fails", async () => {
  const ok = mitoIn(DIR, ["-i", "hosts.ini", "pid.yml"]);
  assertEquals(ok.code, 0, ok.stdout + ok.stderr);
  assert(await gone(hostPid(ok.stdout)), `plugin host ${hostPid(ok.stdout)} still runs after the run`);
  const failed = mitoIn(DIR, ["-i", "hosts.ini", "pid.yml", "-e", "fail_now=true"]);
  assertEquals(failed.code, 2, failed.stdout + failed.stderr);
  assert(
    await gone(hostPid(failed.stdout)),
    `plugin host ${hostPid(failed.stdout)} still runs after a failed run`,
  );
});

Deno.test("python plugins: the plugin host is ended when the run is interrupted (SIGINT)", async () => {
  const env = {
    PATH: "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    LANG: "C.UTF-8",
    ANSIBLE_NOCOLOR: "1",
  };
  const mito = [join(ROOT, "cli/main.ts"), "run", "-i", "hosts.ini", "pid.yml", "-e", "wait_now=true"];
  const [exe, argv] = inCleanEnv(env, DENO, ["run", "-A", ...mito]);
  const child = spawn(exe, argv, { cwd: DIR });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  let out = "";
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => err += d);
  const pid = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no host pid in time: ${out}\nstderr: ${err}`)), 120_000);
    // A run that ends before it reaches the pause is a failure to report now, with what it said.
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`mito exited (${code ?? signal}) before the pause: ${out}\nstderr: ${err}`));
    });
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (hostPid(out) && out.includes("TASK [wait here")) {
        clearTimeout(timer);
        resolve(hostPid(out));
      }
    });
  });
  try {
    process.kill(child.pid!, "SIGINT");
    await exited;
    assert(await gone(pid), `plugin host ${pid} still runs after SIGINT`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL");
  }
});
