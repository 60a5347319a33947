// Plugin routing (playbook/plugin_routing.ts): a routing file is parsed only when the name asked for could be
// one of its keys, and a key is found however YAML writes it (plain, quoted, in a flow mapping, escaped).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertEquals, assertThrows } from "./_assert.ts";
import { ModuleRouting } from "../playbook/plugin_routing.ts";

function routingOf(text: string): { routing: ModuleRouting; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "mito-routing-"));
  const file = join(dir, "runtime.yml");
  writeFileSync(file, text);
  const routing = new ModuleRouting((c) => c === "ansible.builtin" ? file : undefined);
  return { routing, done: () => rmSync(dir, { recursive: true, force: true }) };
}

Deno.test("a name the routing file never writes as a key routes nowhere, and the file is not parsed for it", () => {
  // The second document is broken YAML: parsing the file at all throws.
  const { routing, done } = routingOf(
    "plugin_routing:\n  modules:\n    timezone:\n      redirect: community.general.timezone\n---\n- [\n",
  );
  try {
    assertEquals(routing.route("command"), undefined);
    assertEquals(routing.route("sequence", "lookup"), undefined);
    // "time" is inside "timezone" but is no key of it
    assertEquals(routing.route("time"), undefined);
    assertThrows(() => routing.route("timezone"));
  } finally {
    done();
  }
});

Deno.test("a key is found plain, quoted, in a flow mapping and as an explicit key", () => {
  const { routing, done } = routingOf([
    "plugin_routing:",
    "  modules:",
    "    timezone:",
    "      redirect: community.general.timezone",
    `    "sysctl" :`,
    "      redirect: ansible.posix.sysctl",
    "    mount: {redirect: ansible.posix.mount}",
    "    ? seboolean",
    "    : redirect: ansible.posix.seboolean",
    "  lookup: {'cartesian': {redirect: community.general.cartesian}}",
    "",
  ].join("\n"));
  try {
    assertEquals(routing.route("timezone"), "community.general.timezone");
    assertEquals(routing.route("sysctl"), "ansible.posix.sysctl");
    assertEquals(routing.route("mount"), "ansible.posix.mount");
    assertEquals(routing.route("seboolean"), "ansible.posix.seboolean");
    assertEquals(routing.route("ansible.legacy.mount"), "ansible.posix.mount");
    assertEquals(routing.route("cartesian", "lookup"), "community.general.cartesian");
    assertEquals(routing.route("cartesian"), undefined);
  } finally {
    done();
  }
});

Deno.test("a file with an escape is always parsed: an escaped key is found", () => {
  const { routing, done } = routingOf(
    'plugin_routing:\n  modules:\n    "\\x73ysctl":\n      redirect: ansible.posix.sysctl\n',
  );
  try {
    assertEquals(routing.route("sysctl"), "ansible.posix.sysctl");
  } finally {
    done();
  }
});
