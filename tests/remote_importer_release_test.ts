// A target with ansible-core of its own (docs/protocol.md "Importer"): its copy serves Ansible's modules
// only when it is the controller's release and only for names no module_utils folder overrides; otherwise
// `ansible.module_utils.*` come from the controller, as AnsiballZ ships them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { Broker, type Context } from "../transports/broker.ts";
import { ansibleModuleRoot, ansibleRelease, moduleUtilsRoot } from "../playbook/remote/modules.ts";

const PY = "/usr/bin/python3";
const DIST = "/usr/lib/python3/dist-packages";
const CONTROLLER = ansibleRelease(DIST);

/** A fake ansible-core of release `version` under a new folder; its basic.py only says it is the target's. */
function fakeAnsible(version: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mito-fake-ansible-"));
  mkdirSync(join(dir, "ansible", "module_utils"), { recursive: true });
  writeFileSync(join(dir, "ansible", "__init__.py"), "");
  writeFileSync(join(dir, "ansible", "module_utils", "__init__.py"), "");
  writeFileSync(join(dir, "ansible", "module_utils", "ansible_release.py"), `__version__ = '${version}'\n`);
  writeFileSync(join(dir, "ansible", "module_utils", "basic.py"), "MARK = 'target copy'\n");
  return dir;
}

async function withBroker(
  fn: (b: Broker, requests: string[]) => Promise<void>,
  opts: ConstructorParameters<typeof Broker>[0],
): Promise<void> {
  assert(CONTROLLER, "ansible-core (Debian) must be installed");
  const requests: string[] = []; // of Ansible's names (mito's own runner is asked for as usual)
  const b = new Broker({ onModuleRequest: (_c, n) => n.startsWith("mito.") || requests.push(n), ...opts });
  try {
    await fn(b, requests);
  } finally {
    await b.shutdown();
  }
}

const cached = (ctx: Context, name: string) =>
  ctx.call<boolean>("mito.core", "_importer.cache.__contains__", [name]);

Deno.test("a target whose ansible-core is another release imports every ansible.module_utils name from the controller", async () => {
  const fake = fakeAnsible("2.99.0");
  try {
    await withBroker(async (b) => {
      const ctx = await b.connect({ method: "local", python: PY, env: { PYTHONPATH: fake } });
      assertEquals(ctx.info!.local, [], "its copy is not the controller's release");
      ctx.preload(["ansible.module_utils.basic"]);
      assertEquals(await cached(ctx, "ansible.module_utils.basic"), true, "basic's closure was pushed");
      assertEquals(
        await ctx.call("ansible.module_utils.basic", "__file__.__str__"),
        `${DIST}/ansible/module_utils/basic.py`,
      );
      assertEquals(await ctx.call("ansible.module_utils.ansible_release", "__version__.__str__"), CONTROLLER);
      assertEquals(await ctx.call("ansible.module_utils.basic", "__dict__.__contains__", ["MARK"]), false);
    }, { roots: [ansibleModuleRoot(DIST)] });
  } finally {
    rmSync(fake, { recursive: true, force: true });
  }
});

Deno.test("a target with the controller's release of ansible-core imports its own copy, and nothing is pushed", async () => {
  const fake = fakeAnsible(CONTROLLER!);
  try {
    await withBroker(async (b, requests) => {
      const ctx = await b.connect({ method: "local", python: PY, env: { PYTHONPATH: fake } });
      assertEquals(ctx.info!.local, ["ansible"]);
      ctx.preload(["ansible.module_utils.basic"]);
      assertEquals(await cached(ctx, "ansible.module_utils.basic"), false, "nothing was pushed");
      assertEquals(await ctx.call("ansible.module_utils.basic", "MARK.__str__"), "target copy");
      assertEquals(requests, []);
    }, { roots: [ansibleModuleRoot(DIST)] });
  } finally {
    rmSync(fake, { recursive: true, force: true });
  }
});

Deno.test("a name a module_utils folder overrides is the controller's on a target with the same release, even once imported", async () => {
  const utils = mkdtempSync(join(tmpdir(), "mito-module-utils-"));
  writeFileSync(join(utils, "ansible_release.py"), "__version__ = 'overridden'\n");
  const folders = moduleUtilsRoot(() => [utils]);
  assertEquals(folders.names(), ["ansible.module_utils.ansible_release"]);
  // An Ansible module reporting the release its module_utils say.
  const source = new TextEncoder().encode(
    "from ansible.module_utils.basic import AnsibleModule\n" +
      "from ansible.module_utils.ansible_release import __version__\n" +
      "AnsibleModule(argument_spec={}).exit_json(release=__version__)\n",
  );
  try {
    await withBroker(async (b, requests) => {
      const ctx = await b.connect({ method: "local", python: PY });
      assertEquals(ctx.info!.local, ["ansible"], "Debian's ansible-core: the controller's own release");
      const run = (pinned: string[]) =>
        ctx.call<{ release: string }>("mito.runner", "run_ansible_module", [source, {}], {
          name: "release",
          ...(pinned.length ? { pinned } : {}),
        });
      assertEquals((await run([])).release, CONTROLLER, "imported from its own copy");
      assertEquals(requests, []);
      assertEquals((await run(folders.names())).release, "overridden");
      assertEquals(requests, ["ansible.module_utils.ansible_release"]);
      assertEquals(
        await ctx.call("ansible.module_utils.basic", "__file__.__str__"),
        `${DIST}/ansible/module_utils/basic.py`,
        "the rest is still its own copy's",
      );
      assertEquals(
        await ctx.call("ansible.module_utils.basic", "__loader__.__class__.__name__.__str__"),
        "SourceFileLoader",
      );
    }, { roots: [folders, ansibleModuleRoot(DIST)] });
  } finally {
    rmSync(utils, { recursive: true, force: true });
  }
});
