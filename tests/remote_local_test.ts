// `mito run` with real modules on this machine (connection local), against ansible-playbook: the same
// screen output (timestamps aside), the same resulting files, and the same on a second run (idempotence),
// with mito's built-in modules and with ansible-core's.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { mitoIn, ROOT, runIn } from "./_run.ts";

const DIR = path.join(ROOT, "tests/remote");

const ansible = (args: string[]) => runIn(DIR, "/usr/bin/ansible-playbook", args);
const mito = (args: string[], modules: string) => mitoIn(DIR, args, { MITO_MODULES: modules });

/** Timestamps and durations differ between any two runs. */
function normalise(out: string): string {
  return out.replace(/"(start|end|delta)": "[^"]*"/g, '"$1": "…"');
}

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = path.join(rel, name);
      const st = fs.statSync(path.join(dir, r));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out[r + "/"] = mode;
        walk(r);
      } else out[r] = `${mode} ${fs.readFileSync(path.join(dir, r), "utf8")}`;
    }
  };
  walk("");
  return out;
}

for (const modules of ["builtin", "ansible"]) {
  Deno.test(`modules playbook with ${modules} modules: output and files equal ansible-playbook's, twice`, () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "mito-remote-"));
    try {
      const wa = path.join(base, "ansible");
      const wm = path.join(base, "mito");
      fs.mkdirSync(wa);
      fs.mkdirSync(wm);
      for (const round of ["first", "second"]) {
        const a = ansible(["-i", "hosts.ini", "modules.yml", "-e", `workdir=${wa}`]);
        const m = mito(["-i", "hosts.ini", "modules.yml", "-e", `workdir=${wm}`], modules);
        assertEquals(m.stderr, "", `${round} run: mito wrote errors`);
        assertEquals(m.code, a.code, `${round} run: exit code`);
        assertEquals(normalise(m.stdout), normalise(a.stdout.replaceAll(wa, wm)), `${round} run: output`);
        assertStringIncludes(m.stdout, "failed=0");
        assertEquals(tree(wm), tree(wa), `${round} run: resulting files`);
      }
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
}

Deno.test("raw runs where the target has no Python; modules there fail that host only", () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "mito-raw-"));
  try {
    const inv = path.join(base, "hosts.ini");
    fs.writeFileSync(
      inv,
      "nopython ansible_connection=local ansible_python_interpreter=/nonexistent/python3\n" +
        "withpython ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
    );
    const play = path.join(base, "raw.yml");
    fs.writeFileSync(
      play,
      "- hosts: all\n  gather_facts: false\n  tasks:\n" +
        "    - raw: echo installed > " + path.join(base, "{{ inventory_hostname }}.txt") + "\n" +
        "    - command: 'true'\n",
    );
    const m = mito(["-i", inv, play], "builtin");
    assertEquals(fs.readFileSync(path.join(base, "nopython.txt"), "utf8"), "installed\n");
    assertEquals(fs.readFileSync(path.join(base, "withpython.txt"), "utf8"), "installed\n");
    assertStringIncludes(m.stdout, "changed: [withpython]");
    assertStringIncludes(m.stdout, "/nonexistent/python3");
    // A missing interpreter fails the task (exit 2), it does not make the host unreachable (4).
    assertEquals(m.code, 2);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

Deno.test("async: polled jobs, fire-and-forget with async_status, and the time limit, as ansible-playbook", () => {
  const a = ansible(["-i", "hosts.ini", "async.yml"]);
  const m = mito(["-i", "hosts.ini", "async.yml"], "builtin");
  assertEquals(m.stderr, "");
  assertEquals(m.code, a.code, `ansible-playbook:\n${a.stdout}\nmito:\n${m.stdout}`);
  const recap = (out: string) => out.slice(out.lastIndexOf("PLAY RECAP"));
  assertEquals(recap(m.stdout), recap(a.stdout));
  assertStringIncludes(m.stdout, "ASYNC OK on localhost: jid=");
  assertStringIncludes(m.stdout, '"msg": "async task did not complete within the requested time - 2s"');
});

for (const modules of ["builtin", "ansible"]) {
  Deno.test(`with ${modules} modules, module messages name the module as ansible-playbook's actions run it`, () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "mito-names-"));
    try {
      const a = ansible(["-i", "hosts.ini", "module_names.yml", "-e", `workdir=${base}`]);
      const m = mito(["-i", "hosts.ini", "module_names.yml", "-e", `workdir=${base}`], modules);
      assertEquals(m.code, a.code, a.stdout + m.stdout);
      assertEquals(m.stdout, a.stdout);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
}

Deno.test("module warnings and deprecations are shown once, as ansible-playbook shows them, and not carried into later tasks", () => {
  const a = ansible(["-i", "hosts.ini", "warnings.yml"]);
  const m = mito(["-i", "hosts.ini", "warnings.yml"], "ansible");
  assertEquals(m.code, a.code, a.stdout + m.stdout);
  assertEquals(m.stderr, a.stderr);
  assertEquals(m.stdout, a.stdout);
});

for (const modules of ["builtin", "ansible"]) {
  Deno.test(`mitogen_task_isolation: fork runs ${modules === "ansible" ? "an Ansible" : "a built-in"} module in a fork; a bad value fails the task`, () => {
    const m = mito(["-i", "hosts.ini", "isolation.yml"], modules);
    assertEquals(m.code, 2, m.stdout + m.stderr);
    assertStringIncludes(m.stdout, 'mitogen_task_isolation must be fork or inproc, not \\"sometimes\\"');
    assertStringIncludes(
      m.stdout,
      "localhost                  : ok=4    changed=3    unreachable=0    failed=1    skipped=0",
    );
  });
}
