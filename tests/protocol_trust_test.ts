// Every target is untrusted (docs/protocol.md "Authority"): these tests play a compromised host from inside
// a real target interpreter, which writes forged frames straight onto its own protocol stream, and check
// that nothing crosses to another context, that the offender alone is cut off with a "protocol violation
// from HOST" error, and that everything else keeps working.
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./_assert.ts";
import { mitoIn } from "./_run.ts";
import { Broker, type Context } from "../transports/broker.ts";
import { ContextGoneError } from "../core/calls.ts";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ImporterResponder } from "../core/importer.ts";
import { ansibleModuleRoot, findAnsibleDir } from "../playbook/remote/modules.ts";

const PY = "/usr/bin/python3";

/** Runs on `ctx`: writes the frames (Python expressions over `c`, its mito.core) onto its parent stream. */
function forge(ctx: Context, frames: string[]): Promise<unknown> {
  const code = `import mito.core as c\nc._router.parent.send(b"".join([${frames.join(", ")}]))\n`;
  return ctx.call("builtins", "exec", [code, {}]);
}

/** The offender's own call dies with the violation it committed. */
async function assertCutOff(attack: Promise<unknown>, ctx: Context, reason: string): Promise<void> {
  await assertRejects(() => attack, ContextGoneError, `context ${ctx.id} is gone: ${reason}`);
  assertEquals(await ctx.closed(), reason);
  assert(!ctx.alive);
}

// A call on an honest context that tells the test its reply handle (as if an attacker had guessed it)
// and answers only once the test creates the gate file: its own answer must be the one that settles it.
const LEAKY = `
import os, sys, time, types
def leak_and_wait(leak, gate, answer):
    msg = sys._getframe(1).f_locals["msg"]  # Runtime.call's message: the call being run
    with open(leak + ".tmp", "w") as f:
        f.write(str(msg.reply_to))
    os.rename(leak + ".tmp", leak)
    while not os.path.exists(gate):
        time.sleep(0.01)
    return answer
m = types.ModuleType("mito_leaky")
m.leak_and_wait = leak_and_wait
sys.modules["mito_leaky"] = m
`;

async function leakedHandle(path: string): Promise<number> {
  for (let i = 0; i < 1000 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 10));
  return Number(readFileSync(path, "utf8"));
}

async function withBroker(fn: (b: Broker, dir: string) => Promise<void>): Promise<void> {
  const b = new Broker({ onLog: () => {} });
  const dir = mkdtempSync(join(tmpdir(), "mito-trust-"));
  try {
    await fn(b, dir);
  } finally {
    await b.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

Deno.test("a forged reply never settles another host's call: the forger alone is cut off", async () => {
  await withBroker(async (b, dir) => {
    const victim = await b.connect({ method: "local", python: PY, label: "web2" });
    await victim.call("builtins", "exec", [LEAKY, {}]);
    const pending = victim.call("mito_leaky", "leak_and_wait", [
      join(dir, "h"),
      join(dir, "gate"),
      "B's answer",
    ]);
    const handle = await leakedHandle(join(dir, "h"));
    const forgeries: [string, (a: Context) => string, string][] = [
      [
        "its own id",
        (a) => `c.frame(0, ${a.id}, ${a.id}, ${handle}, 0, "written by A")`,
        "it answered a call that was not sent to it",
      ],
      [
        "a dead letter",
        (a) => `c.frame(0, ${a.id}, ${a.id}, ${handle}, 0, raw=b"gone", flags=c.FLAG_DEAD)`,
        "it answered a call that was not sent to it",
      ],
      [
        "the victim's id",
        () => `c.frame(0, ${victim.id}, ${victim.id}, ${handle}, 0, "written by A")`,
        `it sent a message as context ${victim.id} (authority ${victim.id})`,
      ],
    ];
    for (const [how, frame, detail] of forgeries) {
      const attacker = await b.connect({
        method: "local",
        python: PY,
        env: { CASE: how },
        label: `web1 (${how})`,
      });
      await assertCutOff(
        forge(attacker, [frame(attacker)]),
        attacker,
        `protocol violation from web1 (${how}): ${detail}`,
      );
    }
    writeFileSync(join(dir, "gate"), "");
    assertEquals(await pending, "B's answer");
    assertEquals(await victim.call("os", "getpid"), victim.info!.pid);
  });
});

Deno.test("a context cannot send to a sibling through the controller: nothing reaches it", async () => {
  await withBroker(async (b, dir) => {
    const victim = await b.connect({ method: "local", python: PY, label: "web2" });
    const marker = join(dir, "pwned");
    const planted = `open(${JSON.stringify(marker)}, "w").close()\n`;
    for (
      const [what, frame] of [
        [
          "LOAD_MODULE",
          `c.frame(${victim.id}, c._router.id, c._router.id, c.LOAD_MODULE, 0, ["mito.modules.ping", False, "mito/modules/ping.py", ${
            JSON.stringify(planted)
          }.encode(), []])`,
        ],
        [
          "CALL",
          `c.frame(${victim.id}, c._router.id, c._router.id, c.CALL, 0, ["os:mkdir", [${
            JSON.stringify(marker)
          }]])`,
        ],
        ["SHUTDOWN", `c.frame(${victim.id}, c._router.id, c._router.id, c.SHUTDOWN, 0, None)`],
      ]
    ) {
      const attacker = await b.connect({
        method: "local",
        python: PY,
        env: { CASE: what },
        label: `web1 ${what}`,
      });
      await assertCutOff(
        forge(attacker, [frame]),
        attacker,
        `protocol violation from web1 ${what}: it sent a message to context ${victim.id}; a context may send only ` +
          "to the controller",
      );
    }
    // The real module arrives from the controller, not the planted one; the victim never ran the call.
    await victim.call("builtins", "exec", ["import mito.modules.ping", {}]);
    assertEquals(existsSync(marker), false);
    assert(victim.alive);
    assertEquals(await victim.call("os", "getpid"), victim.info!.pid);
  });
});

Deno.test("behind a bastion, a context cannot reach its sibling or make the bastion run code", async () => {
  await withBroker(async (b, dir) => {
    const bastion = await b.connect({ method: "local", python: PY, label: "bastion" });
    const victim = await b.connect({ method: "local", python: PY, via: bastion, label: "inner2" });
    const marker = join(dir, "pwned");
    const planted = `open(${JSON.stringify(marker)}, "w").close()\n`;
    const loadModule = (dst: string) =>
      `c.frame(${dst}, c._router.id, c._router.id, c.LOAD_MODULE, 0, ["mito.modules.ping", False, "x.py", ${
        JSON.stringify(planted)
      }.encode(), []])`;
    const cases: [string, string, string][] = [
      [
        "LOAD_MODULE to its sibling",
        loadModule(String(victim.id)),
        `it sent LOAD_MODULE, which only an ancestor may send`,
      ],
      [
        "CALL to its sibling",
        `c.frame(${victim.id}, c._router.id, c._router.id, c.CALL, 0, ["os:mkdir", [${
          JSON.stringify(marker)
        }]])`,
        "it sent CALL, which only an ancestor may send",
      ],
      [
        "a reply to its sibling",
        `c.frame(${victim.id}, c._router.id, c._router.id, 4242, 0, None)`,
        `it sent a message to context ${victim.id}; a context may send only to its ancestors`,
      ],
      [
        "CALL to the bastion",
        `c.frame(${bastion.id}, c._router.id, c._router.id, c.CALL, 0, ["os:mkdir", [${
          JSON.stringify(marker)
        }]])`,
        "it sent CALL, which only an ancestor may send",
      ],
      [
        "LOAD_MODULE to the bastion",
        loadModule(String(bastion.id)),
        "it sent LOAD_MODULE, which only an ancestor may send",
      ],
      [
        // A transfer message waits in a context until mito.transfer claims it: only an ancestor may send one.
        "FILE_CHUNK to the bastion",
        `c.frame(${bastion.id}, c._router.id, c._router.id, c.FILE_CHUNK, 0, raw=b"\\0\\0\\0\\1data")`,
        `it sent a message with handle 10 to context ${bastion.id}`,
      ],
      [
        "ADD_ROUTE for its sibling",
        `c.frame(0, c._router.id, c._router.id, c.ADD_ROUTE, 0, [${victim.id}])`,
        "it sent ADD_ROUTE, which only an ancestor may send",
      ],
      [
        "a message as its sibling",
        `c.frame(0, ${victim.id}, ${victim.id}, c.FORWARD_LOG, 0, ["x", 30, "hi"])`,
        `it sent a message as context ${victim.id} (authority ${victim.id})`,
      ],
    ];
    for (const [what, frame, detail] of cases) {
      const attacker = await b.connect({
        method: "local",
        python: PY,
        via: bastion,
        env: { CASE: what },
        label: `inner1 ${what}`,
      });
      await assertCutOff(
        forge(attacker, [frame]),
        attacker,
        `protocol violation from inner1 ${what}: ${detail}`,
      );
    }
    await bastion.call("builtins", "exec", ["import mito.modules.ping", {}]);
    await victim.call("builtins", "exec", ["import mito.modules.ping", {}]);
    assertEquals(existsSync(marker), false);
    assertEquals(await bastion.call("mito.core", "_transfer_messages.messages.__len__"), 0);
    assertEquals(await victim.call("os", "getpid"), victim.info!.pid);
    assertEquals(await bastion.call("os", "getpid"), bastion.info!.pid);
  });
});

Deno.test("behind a bastion, a forged reply is caught by the controller and the bastion cuts the forger off", async () => {
  await withBroker(async (b, dir) => {
    const bastion = await b.connect({ method: "local", python: PY, label: "bastion" });
    const victim = await b.connect({ method: "local", python: PY, via: bastion, label: "inner2" });
    const attacker = await b.connect({
      method: "local",
      python: PY,
      via: bastion,
      env: { CASE: "1" },
      label: "inner1",
    });
    await victim.call("builtins", "exec", [LEAKY, {}]);
    const pending = victim.call("mito_leaky", "leak_and_wait", [
      join(dir, "h"),
      join(dir, "gate"),
      "B's answer",
    ]);
    const handle = await leakedHandle(join(dir, "h"));
    await assertCutOff(
      forge(attacker, [`c.frame(0, ${attacker.id}, ${attacker.id}, ${handle}, 0, "written by A")`]),
      attacker,
      "protocol violation from inner1: it answered a call that was not sent to it",
    );
    // The bastion was told to drop it: its process is killed, not merely forgotten.
    const pid = attacker.info!.pid;
    for (let i = 0; i < 500 && alive(pid); i++) await new Promise((r) => setTimeout(r, 10));
    assertEquals(alive(pid), false);
    writeFileSync(join(dir, "gate"), "");
    assertEquals(await pending, "B's answer");
    assertEquals(await bastion.call("os", "getpid"), bastion.info!.pid);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Wraps builtins.exec in the interpreter so that, right after the first stage executes the core, the
// core's compiled_core leaks its reply handle and answers only once the gate file exists.
const SITECUSTOMIZE = `
import builtins, os, sys, time
_exec = builtins.exec
def _wrapped(code, *scope):
    _exec(code, *scope)
    g = scope[0] if scope else None
    if isinstance(g, dict) and g.get("__name__") == "mito.core" and "compiled_core" in g:
        builtins.exec = _exec
        real = g["compiled_core"]
        def compiled_core():
            msg = sys._getframe(1).f_locals["msg"]
            leak = os.environ["MITO_TEST_LEAK"]
            with open(leak + ".tmp", "w") as f:
                f.write(str(msg.reply_to))
            os.rename(leak + ".tmp", leak)
            while not os.path.exists(os.environ["MITO_TEST_GATE"]):
                time.sleep(0.01)
            return real()
        g["compiled_core"] = compiled_core
builtins.exec = _wrapped
`;

Deno.test("a via context answering the controller's compiled-core request plants nothing", async () => {
  await withBroker(async (b, dir) => {
    writeFileSync(join(dir, "sitecustomize.py"), SITECUSTOMIZE);
    const env = { PYTHONPATH: dir, MITO_TEST_LEAK: join(dir, "h"), MITO_TEST_GATE: join(dir, "gate") };
    const local = await b.connect({ method: "local", python: PY, env, label: "localhost" });
    const handle = await leakedHandle(join(dir, "h"));
    const bastion = await b.connect({ method: "local", python: PY, label: "bastion" });
    const attacker = await b.connect({
      method: "local",
      python: PY,
      via: bastion,
      env: { CASE: "1" },
      label: "remote",
    });
    const marker = join(dir, "pwned");
    // A core that runs the attacker's code first, compiled for this very Python: it would be used.
    const poisoned =
      `bytes.fromhex(c._core_code[1]) + __import__("zlib").compress(__import__("marshal").dumps(` +
      `compile("open(${JSON.stringify(marker).replace(/"/g, "'")}, 'w').close()\\n" + ` +
      `__import__("zlib").decompress(c._core_z[0]).decode(), "mito/core.py", "exec")))`;
    await assertCutOff(
      forge(attacker, [`c.frame(0, c._router.id, c._router.id, ${handle}, 0, ${poisoned})`]),
      attacker,
      "protocol violation from remote: it answered a call that was not sent to it",
    );
    writeFileSync(join(dir, "gate"), "");
    await local.call("os", "getpid"); // answered after its own compiled core
    const next = await b.connect({
      method: "local",
      python: PY,
      env: { CASE: "next" },
      label: "localhost again",
    });
    assertEquals([local.info!.bytecode, next.info!.bytecode], [false, true]);
    assertEquals(await next.call("os", "getpid"), next.info!.pid);
    assertEquals(existsSync(marker), false);
  });
});

Deno.test("of the controller's ansible-core, targets are served module_utils and nothing else", () => {
  const dir = findAnsibleDir(process.env);
  assert(dir, "this test needs ansible-core installed on the controller (scripts/testenv installs it)");
  const importer = new ImporterResponder({ roots: [ansibleModuleRoot(dir)] });
  assertEquals(importer.importable(), ["mito", "ansible"]);
  assert(importer.lookup("ansible.module_utils.basic")!.source.length > 0);
  assertEquals(importer.lookup("ansible")!.source.length, 0, "the package above module_utils is empty");
  for (
    const name of [
      "ansible.release",
      "ansible.constants",
      "ansible.plugins.loader",
      "ansible.modules.command",
    ]
  ) {
    assertEquals(importer.lookup(name), null, name);
  }
});

// A module that, run by a compromised web1, writes onto its interpreter's protocol stream: a CALL for every
// other context id, then a LOAD_MODULE for them, each with code that would leave a marker file.
const FORGING_MODULE = `#!/usr/bin/python3
from ansible.module_utils.basic import AnsibleModule
import mito.core as c
m = AnsibleModule(argument_spec={"marker": {"type": "str"}})
me = c._router.id
evil = ("open(%r, 'w').close()" % m.params["marker"]).encode()
frames = [c.frame(i, me, me, c.CALL, 0, ["os:mkdir", [m.params["marker"]]]) for i in range(1, 9) if i != me]
frames += [c.frame(i, me, me, c.LOAD_MODULE, 0, ["mito.modules.command", False, "x.py", evil, []])
           for i in range(1, 9) if i != me]
c._router.parent.send(b"".join(frames))
m.exit_json(changed=False)
`;

Deno.test("in mito run, a host whose module forges frames is cut off as unreachable; the other hosts finish", () => {
  const dir = mkdtempSync(join(tmpdir(), "mito-trust-run-"));
  try {
    mkdirSync(join(dir, "library"));
    writeFileSync(join(dir, "library", "forge.py"), FORGING_MODULE);
    writeFileSync(join(dir, "ansible.cfg"), "[defaults]\nretry_files_enabled = false\n");
    // Three interpreter strings: three contexts (the same one would be shared by the stack).
    writeFileSync(
      join(dir, "hosts.ini"),
      "web1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n" +
        "web2 ansible_connection=local ansible_python_interpreter=/usr/bin/python3.11\n" +
        "web3 ansible_connection=local 'ansible_python_interpreter=/usr/bin/env python3'\n",
    );
    const marker = join(dir, "pwned");
    writeFileSync(
      join(dir, "play.yml"),
      "- hosts: all\n  gather_facts: false\n  tasks:\n" +
        "    - command: 'true'\n" +
        `    - forge: { marker: ${marker} }\n      when: inventory_hostname == 'web1'\n` +
        "    - command: echo {{ inventory_hostname }} finished\n",
    );
    const m = mitoIn(dir, ["-i", "hosts.ini", "play.yml"]);
    assertEquals(m.code, 4, m.stdout + m.stderr);
    assertStringIncludes(m.stdout, "fatal: [web1]: UNREACHABLE!");
    assertStringIncludes(m.stdout, "protocol violation from web1: it sent a message to context");
    assertStringIncludes(m.stdout, "changed: [web2]");
    for (const host of ["web2", "web3"]) {
      assert(
        new RegExp(`${host} +: ok=2 +changed=2 +unreachable=0 +failed=0`).test(m.stdout),
        `${host} finished:\n${m.stdout}`,
      );
    }
    assert(/web1 +: ok=1 +changed=1 +unreachable=1 +failed=0/.test(m.stdout), m.stdout);
    assertEquals(existsSync(marker), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
