// How plugin names resolve for module_defaults (action_names.ts), on the resolution fixture's collection
// resol.coll: routing followed, a module's action_plugin kept, groups with their metadata, and which
// unknown keys refuse a playbook with or without ansible-core installed.
import * as fs from "node:fs";
import { join } from "node:path";
import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { ROOT } from "../tests/_run.ts";
import { CollectionIndex } from "./collections.ts";
import { ActionNames, checkModuleDefaults } from "./action_names.ts";
import { PlaybookError } from "./errors.ts";
import type { Playbook } from "./model.ts";

const FIXTURE = join(ROOT, "tests/fixtures/conformance_resolution");

function names(ansibleDir?: string, said: string[] = []): ActionNames {
  return new ActionNames({
    collections: new CollectionIndex([join(FIXTURE, "collections")]),
    libraryDirs: () => [join(FIXTURE, "library")],
    actionDirs: () => [],
    ...(ansibleDir ? { ansibleDir } : {}),
    warning: (text) => said.push(text),
    io: { exists: fs.existsSync, listDir: (d) => fs.readdirSync(d) },
  });
}

/** One play whose keywords hold these module_defaults. */
function playbook(moduleDefaults: Record<string, unknown>): Playbook[] {
  const play = { kw: { module_defaults: moduleDefaults }, sections: [], handlers: [], roles: [] };
  return [{ file: "p.yml", plays: [play] } as unknown as Playbook];
}

Deno.test("a redirected module resolves to its target, with the action plugin its routing names", () => {
  const n = names();
  assertEquals(n.resolve("resol.coll.old_facts", "modules"), {
    fqcn: "resol.coll.facts_mod",
    actionPlugin: "resol.coll.platform",
  });
  assertEquals(n.resolve("old_facts", "modules", ["resol.coll"]), {
    fqcn: "resol.coll.facts_mod",
    actionPlugin: "resol.coll.platform",
  });
  // the task's defaults go by the module, since its routing names the action that runs it
  assertEquals(n.taskName("resol.coll.old_facts", []), "resol.coll.facts_mod");
  // a library/ module under its deprecated `_name`
  assertEquals(n.resolve("old_name", "modules"), { fqcn: "_old_name" });
  assertEquals(n.resolve("resol.coll.nothing", "modules"), undefined);
});

Deno.test("an action group holds its actions and those of the groups its metadata extends, each loop cut", () => {
  const said: string[] = [];
  const n = names(undefined, said);
  // grp extends other, which extends grp again: other gets grp's own actions as they stood, and grp
  // lists facts_mod twice, as Ansible's resolution does
  assertEquals(n.groupActions("resol.coll.grp"), [
    "resol.coll.facts_mod",
    "resol.coll.said",
    "resol.coll.facts_mod",
  ]);
  assertEquals(n.groupActions("resol.coll.other"), ["resol.coll.said", "resol.coll.facts_mod"]);
  assertEquals(n.groupActions("resol.coll.bad_type"), []);
  assertEquals(said, [
    "Invalid metadata was found for action_group resol.coll.bad_type while loading module_defaults. " +
    "The metadata is not a dictionary. Got ['grp']",
  ]);
});

Deno.test("unknown module_defaults keys refuse the playbook; ansible-core's names only where it is installed", () => {
  const without = names();
  checkModuleDefaults(playbook({ no_such_module: {}, "group/no_such_group": {} }), without);
  assertThrows(
    () => checkModuleDefaults(playbook({ "resol.coll.no_such": {} }), without),
    PlaybookError,
    "Could not resolve action resol.coll.no_such in module_defaults",
  );
  assertThrows(
    () => checkModuleDefaults(playbook({ "group/resol.coll.nope": {} }), without),
    PlaybookError,
    "Error loading module_defaults: could not resolve the module_defaults group resol.coll.nope",
  );
  const withCore = names("/usr/lib/python3/dist-packages");
  checkModuleDefaults(playbook({ ping: {}, "ansible.builtin.copy": {}, "resol.coll.said": {} }), withCore);
  assertThrows(
    () => checkModuleDefaults(playbook({ no_such_module: {} }), withCore),
    PlaybookError,
    "Could not resolve action ansible.legacy.no_such_module in module_defaults",
  );
});
