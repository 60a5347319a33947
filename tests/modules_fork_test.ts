// Modules that run in a fork of the target's interpreter (Ansible's apt, package_facts, pip, …, any module
// under mitogen_task_isolation=fork, async jobs): the fork imports on demand through its context, fails
// an import naming the module, dies with its context, and a module's own fork never returns into the
// context's call loop. End to end: Ansible's package modules in copies of a Debian root, side by side
// with ansible-playbook, and package_facts on this machine.
import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { Broker, type Context, directoryRoot, type LogRecord } from "../transports/broker.ts";
import { mitoIn, type Ran, runIn } from "./_run.ts";
import { debianRoots } from "./connections_env.ts";
import { processState, stopped } from "./_process.ts";
import { PyFloat } from "../playbook/values.ts";

const PY = "/usr/bin/python3";
// New-style without Ansible: the runner runs it in-process (or in its fork) as it does Ansible's modules.
const NEW_STYLE = "#<<INCLUDE_ANSIBLE_MODULE_COMMON>>\nimport json, os, sys, time\n";

type Json = Record<string, any>;

/** A Broker serving the package `mitoforkprobe` (helper.py, forker.py) from a temp dir. */
async function withProbe(
  fn: (b: Broker, dir: string, requests: string[], logs: LogRecord[]) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mito-fork-"));
  mkdirSync(join(dir, "mitoforkprobe"));
  writeFileSync(join(dir, "mitoforkprobe", "__init__.py"), "");
  for (const name of ["helper", "again"]) {
    writeFileSync(join(dir, "mitoforkprobe", `${name}.py`), 'VALUE = "served by the controller"\n');
  }
  writeFileSync(
    join(dir, "mitoforkprobe", "forker.py"),
    [
      "import os, time",
      "from mito import core, fork",
      "def start(pidfile, kernel):",
      "    pid = fork.fork(die_with_parent=True, _kernel_watch=kernel)",
      "    if pid == 0:",
      "        _note_pid(pidfile)",
      "        time.sleep(120)",
      "        os._exit(0)",
      "    return pid",
      "def fetch_unanswered(timeout):",
      "    import socket",
      "    silent, ours = socket.socketpair()  # a context that never answers",
      "    try:",
      "        fork._Link(ours.detach(), 1).fetch(core._importer, 'mitoforkprobe.never', timeout)",
      "    except ImportError as e:",
      "        return [str(e), e.name]",
      "    finally:",
      "        silent.close()",
      "def _note_pid(pidfile):",
      "    with open(pidfile + '.tmp', 'w') as f:",
      "        f.write(str(os.getpid()))",
      "    os.rename(pidfile + '.tmp', pidfile)",
      "",
    ].join("\n"),
  );
  const requests: string[] = [];
  const logs: LogRecord[] = [];
  const b = new Broker({
    onLog: (r) => logs.push(r),
    onModuleRequest: (_c, n) => requests.push(n),
    roots: [directoryRoot(dir, ["mitoforkprobe"])],
  });
  try {
    await fn(b, dir, requests, logs);
  } finally {
    await b.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

function runModule(ctx: Context, source: string, kwargs: Json): Promise<Json> {
  return ctx.call<Json>("mito.runner", "run_ansible_module", [source, {}], kwargs, { timeout: 60_000 });
}

async function pidFrom(file: string): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    try {
      return parseInt(readFileSync(file, "utf8"));
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  throw new Error(`no pid written to ${file} within 10 s`);
}

Deno.test("a module in a fork imports through its context: the controller is asked once, the context keeps it", async () => {
  await withProbe(async (b, _dir, requests) => {
    const ctx = await b.connect({ method: "local", python: PY });
    const src = `${NEW_STYLE}import mitoforkprobe.helper\n` +
      `print(json.dumps({"value": mitoforkprobe.helper.VALUE, "pid": os.getpid()}))\n`;
    const first = await runModule(ctx, src, { name: "probe", isolation: "fork" });
    assertEquals([first.failed, first.value], [false, "served by the controller"]);
    assert(first.pid !== ctx.info!.pid, "the module ran in a fork");
    assertEquals(await ctx.call("mito.core", "_importer.cache.__contains__", ["mitoforkprobe.helper"]), true);
    // The next fork finds it in the copy of the context's cache it starts with.
    const second = await runModule(ctx, src, { name: "probe", isolation: "fork" });
    assertEquals(second.value, "served by the controller");
    assertEquals(requests.filter((n) => n.startsWith("mitoforkprobe")), [
      "mitoforkprobe",
      "mitoforkprobe.helper",
    ]);
  });
});

Deno.test("a forked module's log records reach the controller through its context", async () => {
  await withProbe(async (b, _dir, _requests, logs) => {
    const ctx = await b.connect({ method: "local", python: PY });
    const src = `${NEW_STYLE}import logging\nlogging.getLogger("probe").error("from the fork %d", 1)\n` +
      `print(json.dumps({}))\n`;
    const r = await runModule(ctx, src, { name: "probe", isolation: "fork" });
    assertEquals(r.failed, false);
    assertEquals(logs.filter((l) => l.name === "probe"), [
      { context: ctx.id, name: "probe", level: 40, message: "from the fork 1" },
    ]);
  });
});

Deno.test("an async job imports through its context too, also from a fork of its own (isolation fork)", async () => {
  await withProbe(async (b) => {
    const ctx = await b.connect({ method: "local", python: PY });
    const asyncDir = mkdtempSync(join(tmpdir(), "mito-fork-async-"));
    try {
      // Each job imports a module its context does not have yet; the fork's goes job → context → controller.
      for (const [isolation, mod] of [["fork", "helper"], ["inproc", "again"]]) {
        const src =
          `${NEW_STYLE}from mitoforkprobe import ${mod}\nprint(json.dumps({"value": ${mod}.VALUE}))\n`;
        const jid = `fork-${isolation}-${Date.now()}`;
        const started = await ctx.call<Json>("mito.runner", "start_async", [jid, 60, "ansible", src, {}], {
          name: "probe",
          async_dir: asyncDir,
          isolation,
        });
        assertEquals(started.started, 1);
        let status: Json = {};
        for (let i = 0; i < 1000 && !status.finished; i++) {
          status = await ctx.call<Json>("mito.runner", "async_status", [jid], { async_dir: asyncDir });
          if (!status.finished) await new Promise((r) => setTimeout(r, 10));
        }
        assertEquals([status.finished, status.failed, status.value], [1, false, "served by the controller"]);
      }
    } finally {
      rmSync(asyncDir, { recursive: true, force: true });
    }
  });
});

Deno.test("an import the controller refuses fails a forked module as in a plain interpreter, naming the module", async () => {
  await withProbe(async (b) => {
    const ctx = await b.connect({ method: "local", python: PY });
    const src = `${NEW_STYLE}import mitoforkprobe.missing\nprint(json.dumps({}))\n`;
    for (const isolation of ["fork", "inproc"]) {
      const r = await runModule(ctx, src, { name: "probe", isolation });
      assertEquals([r.failed, r.msg], [true, "MODULE FAILURE\nSee stdout/stderr for the exact error"]);
      assert(
        r.module_stderr.endsWith("ModuleNotFoundError: No module named 'mitoforkprobe.missing'\n"),
        r.module_stderr,
      );
    }
  });
});

Deno.test("a fork whose context is gone fails its import at once, and the task's message names the module", async () => {
  await withProbe(async (b, dir) => {
    const ctx = await b.connect({ method: "local", python: PY });
    const asyncDir = mkdtempSync(join(tmpdir(), "mito-fork-async-"));
    try {
      // An async job outlives its context (as Ansible's do); it imports only once the context is dead.
      const go = join(dir, "go");
      const src = `${NEW_STYLE}while not os.path.exists(${JSON.stringify(go)}):\n    time.sleep(0.01)\n` +
        `import mitoforkprobe.helper\nprint(json.dumps({}))\n`;
      const jid = `gone-${Date.now()}`;
      await ctx.call<Json>("mito.runner", "start_async", [jid, 60, "ansible", src, {}], {
        name: "probe",
        async_dir: asyncDir,
      });
      Deno.kill(ctx.info!.pid, "SIGKILL");
      assert(await stopped(ctx.info!.pid));
      writeFileSync(go, "");
      let status: Json = {};
      for (let i = 0; i < 1000 && !status.finished; i++) {
        try {
          status = JSON.parse(readFileSync(join(asyncDir, jid), "utf8"));
        } catch { /* not written yet, or mid-rename */ }
        if (!status.finished) await new Promise((r) => setTimeout(r, 10));
      }
      // failed: 1, as Ansible's async_wrapper writes it
      assertEquals([status.finished, status.failed], [1, 1]);
      assertEquals(
        status.msg,
        `MODULE FAILURE: mito: cannot import mitoforkprobe: context ${ctx.id}, which this process was forked ` +
          "from, is gone",
      );
    } finally {
      rmSync(asyncDir, { recursive: true, force: true });
    }
  });
});

Deno.test("a linked import waits no longer than its bound, then fails naming the module", async () => {
  await withProbe(async (b) => {
    const ctx = await b.connect({ method: "local", python: PY });
    assertEquals(await ctx.call("mitoforkprobe.forker", "fetch_unanswered", [0.2]), [
      "mito: no answer for module mitoforkprobe.never from context 1 within 0.2s",
      "mitoforkprobe.never",
    ]);
    // The bound a context gets: its connection's own start timeout (60 s unless the run says otherwise).
    assertEquals(await ctx.call("mito.core", "_import_timeout"), new PyFloat(60));
    const quick = await b.connect({ method: "local", python: PY, timeout: 7_000 });
    assertEquals(await quick.call("mito.core", "_import_timeout"), new PyFloat(7));
  });
});

Deno.test("a forked module's process dies with its context (the kernel's parent-death signal)", async () => {
  await withProbe(async (b, dir) => {
    const ctx = await b.connect({ method: "local", python: PY });
    const pidfile = join(dir, "module.pid");
    const src = `${NEW_STYLE}with open(${JSON.stringify(pidfile)} + ".tmp", "w") as f:\n` +
      `    f.write(str(os.getpid()))\nos.rename(${JSON.stringify(pidfile)} + ".tmp", ${
        JSON.stringify(pidfile)
      })\n` +
      `time.sleep(120)\n`;
    const running = runModule(ctx, src, { name: "sleeper", isolation: "fork" }).catch((e) => e);
    const child = await pidFrom(pidfile);
    assert(child !== ctx.info!.pid);
    Deno.kill(ctx.info!.pid, "SIGKILL");
    assert(
      await stopped(child),
      `the module's process ${child} outlived its context (${processState(child)})`,
    );
    assert((await running) instanceof Error, "the call failed with its context");
  });
});

Deno.test("a fork made with mito.fork.fork dies with its context where the kernel cannot tie them (link watch)", async () => {
  await withProbe(async (b, dir) => {
    const ctx = await b.connect({ method: "local", python: PY });
    const pidfile = join(dir, "fork.pid");
    const pid = await ctx.call<number>("mitoforkprobe.forker", "start", [pidfile, false]);
    assertEquals(await pidFrom(pidfile), pid);
    assertEquals(processState(pid), "S");
    Deno.kill(ctx.info!.pid, "SIGKILL");
    assert(await stopped(pid), `the fork ${pid} outlived its context (${processState(pid)})`);
  });
});

Deno.test("a module's own fork that exits or raises ends there: the context keeps answering from its own process", async () => {
  await withProbe(async (b) => {
    const ctx = await b.connect({ method: "local", python: PY });
    for (const isolation of ["inproc", "fork"]) {
      for (const [end, status] of [["sys.exit(3)", 3], ["raise RuntimeError('helper failed')", 1]] as const) {
        // A module forking a helper process that ends as a program would (fail_json in a daemonized helper).
        const src = `${NEW_STYLE}pid = os.fork()\nif pid == 0:\n    ${end}\n` +
          `_, status = os.waitpid(pid, 0)\nprint(json.dumps({"helper": os.WEXITSTATUS(status)}))\n`;
        const r = await runModule(ctx, src, { name: "forker", isolation });
        assertEquals([r.failed, r.helper], [false, status], `${isolation}, ${end}`);
        const pids = await Promise.all(Array.from({ length: 20 }, () => ctx.call("os", "getpid")));
        assertEquals(new Set(pids), new Set([ctx.info!.pid]), `${isolation}, ${end}`);
        assert(ctx.alive);
      }
    }
  });
});

Deno.test("a module's own fork imports on demand only where its process has a link; elsewhere it fails at once", async () => {
  await withProbe(async (b) => {
    const ctx = await b.connect({ method: "local", python: PY });
    const src = `${NEW_STYLE}r, w = os.pipe()\npid = os.fork()\nif pid == 0:\n    try:\n` +
      `        import mitoforkprobe.helper\n        os.write(w, b"imported")\n` +
      `    except ImportError as e:\n        os.write(w, str(e).encode())\n    os._exit(0)\n` +
      `os.close(w)\nos.waitpid(pid, 0)\nprint(json.dumps({"child": os.read(r, 1000).decode()}))\n`;
    // In the context's own process: no link, so no waiting for an answer that cannot come.
    const inproc = await runModule(ctx, src, { name: "forker", isolation: "inproc" });
    assertEquals(
      inproc.child,
      `mito: cannot import mitoforkprobe: this process was forked from context ${ctx.id} without a link to it ` +
        "(use mito.fork.fork)",
    );
    // In a forked module's process, its own fork shares that process's link.
    const forked = await runModule(ctx, src, { name: "forker", isolation: "fork" });
    assertEquals(forked.child, "imported");
  });
});

Deno.test("a call that forks (os.fork itself): the child ends in the call loop, the caller gets the parent's answer", async () => {
  await withProbe(async (b) => {
    const ctx = await b.connect({ method: "local", python: PY });
    for (let i = 0; i < 3; i++) {
      const child = await ctx.call<number>("os", "fork");
      assert(child > 0, `the answer came from the child (${child})`);
      assert(await stopped(child), `the forked child ${child} lives on (${processState(child)})`);
      const pids = await Promise.all(Array.from({ length: 20 }, () => ctx.call("os", "getpid")));
      assertEquals(new Set(pids), new Set([ctx.info!.pid]));
    }
  });
});

// -- end to end ---------------------------------------------------------------------------------------

const PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

interface TaskOutcome {
  task: string;
  changed: boolean;
  failed: boolean;
  msg?: unknown;
  cache_updated?: unknown;
}

/** The json callback's per-task outcome for `host`, and the recap stats. */
function outcomes(ran: Ran, host: string): { tasks: TaskOutcome[]; stats: Json } {
  let doc: Json;
  try {
    doc = JSON.parse(ran.stdout);
  } catch {
    throw new Error(
      `no JSON from the run (exit ${ran.code}): ${ran.stdout.slice(-2000)}\n${ran.stderr.slice(-2000)}`,
    );
  }
  const tasks = doc.plays[0].tasks.map((t: Json) => {
    const r = t.hosts[host];
    const o: TaskOutcome = { task: t.task.name, changed: Boolean(r.changed), failed: Boolean(r.failed) };
    if ("msg" in r) o.msg = r.msg;
    if ("cache_updated" in r) o.cache_updated = r.cache_updated;
    return o;
  });
  return { tasks, stats: doc.stats[host] };
}

/** Pids of processes whose root or cwd is inside `dir`. */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    for (const link of ["root", "cwd"]) {
      try {
        const target = readlinkSync(`/proc/${name}/${link}`);
        if (target === dir || target.startsWith(dir + "/")) out.push(parseInt(name));
      } catch { /* gone, or not ours to read */ }
    }
  }
  return [...new Set(out)];
}

const E2E_PLAY = `- hosts: all
  gather_facts: false
  tasks:
    - name: install sl (python3-apt is absent, the module installs it and respawns)
      apt: {name: sl, state: present}
    - name: remove sl
      apt: {name: sl, state: absent}
    - name: update the cache
      apt: {update_cache: true}
    - name: package
      package: {name: sl, state: present}
    - name: pip itself
      apt: {name: python3-pip, state: present, install_recommends: false}
    - name: a local wheel
      pip: {name: /srv/mitoprobe-1.0-py3-none-any.whl}
    - name: package facts
      package_facts:
    - name: what is installed
      debug:
        msg: "{{ ['sl', 'python3-apt', 'python3-pip'] | map('extract', ansible_facts.packages) | map('first') | map(attribute='version') | list }}"
`;

const WHEEL = `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("mitoprobe/__init__.py", "VALUE = 1\\n")
    z.writestr("mitoprobe-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: mitoprobe\\nVersion: 1.0\\n")
    z.writestr("mitoprobe-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: mito-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    z.writestr("mitoprobe-1.0.dist-info/RECORD", "")
`;

Deno.test("Ansible's apt, package, pip and package_facts in a Debian root: as ansible-playbook does, twice over", () => {
  const base = debianRoots().bullseye;
  // One copy per tool, on the roots' file system (cp -a is quick there).
  const work = mkdtempSync("/var/tmp/mito-fork-e2e-");
  try {
    const ran: Record<string, Ran[]> = { ansible: [], mito: [] };
    for (const tool of ["ansible", "mito"]) {
      const root = join(work, tool);
      const cp = spawnSync("cp", ["-a", base, root], { encoding: "utf8", timeout: 120_000 });
      assertEquals(cp.status, 0, cp.stderr);
      const wheel = spawnSync(PY, ["-c", WHEEL, join(root, "srv", "mitoprobe-1.0-py3-none-any.whl")], {
        encoding: "utf8",
      });
      assertEquals(wheel.status, 0, wheel.stderr);
      const dir = join(work, `${tool}-play`);
      mkdirSync(dir);
      writeFileSync(join(dir, "ansible.cfg"), "[defaults]\nstdout_callback = json\n");
      writeFileSync(join(dir, "play.yml"), E2E_PLAY);
      writeFileSync(
        join(dir, "hosts.ini"),
        `root ansible_connection=community.general.chroot ansible_host=${root} ` +
          `ansible_python_interpreter=/usr/bin/python3\n`,
      );
      for (let i = 0; i < 2; i++) {
        const args = ["-i", join(dir, "hosts.ini"), join(dir, "play.yml")];
        ran[tool].push(
          tool === "ansible" ? runIn(dir, "ansible-playbook", args, { PATH }) : mitoIn(dir, args, { PATH }),
        );
      }
      assertEquals(processesIn(root), [], `${tool} left processes behind in the root`);
      assertEquals(readdirSync(join(root, "tmp")), [], `${tool} left files in the root's /tmp`);
    }
    const [a1, a2] = ran.ansible.map((r) => outcomes(r, "root"));
    const [m1, m2] = ran.mito.map((r) => outcomes(r, "root"));
    assertEquals(a1.tasks.map((t) => t.changed), [true, true, false, true, true, true, false, false]);
    assertEquals(a2.tasks.map((t) => t.changed), [false, true, false, true, false, false, false, false]);
    assertEquals(m1, a1);
    assertEquals(m2, a2);
    const versions = m1.tasks.at(-1)!.msg as string[];
    assertEquals(versions.length, 3);
    assert(versions.every((v) => /^\d/.test(v)), JSON.stringify(versions));
    assertEquals(ran.mito.map((r) => r.code), [0, 0]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

Deno.test("package_facts on this machine: the same packages as ansible-playbook finds", () => {
  const dir = mkdtempSync(join(tmpdir(), "mito-fork-facts-"));
  try {
    writeFileSync(join(dir, "ansible.cfg"), "[defaults]\nstdout_callback = json\n");
    writeFileSync(
      join(dir, "hosts.ini"),
      "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
    );
    writeFileSync(
      join(dir, "play.yml"),
      `- hosts: localhost
  gather_facts: false
  tasks:
    - name: package facts
      package_facts:
    - name: the list
      debug:
        msg: "{{ ansible_facts.packages | dictsort | map('first') | list }}"
`,
    );
    const args = ["-i", join(dir, "hosts.ini"), join(dir, "play.yml")];
    const theirs = outcomes(runIn(dir, "ansible-playbook", args, { PATH }), "localhost");
    const ours = outcomes(mitoIn(dir, args, { PATH }), "localhost");
    assertEquals(ours, theirs);
    assert((ours.tasks[1].msg as string[]).includes("dpkg"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
