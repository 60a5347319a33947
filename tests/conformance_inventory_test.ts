// The inventory layer as ansible-core 2.14 has it (issue 19), side by side with ansible-inventory and
// ansible-playbook on the sources of tests/fixtures/conformance_inv: the same stdout, stderr and exit code.
import * as fs from "node:fs";
import { join } from "node:path";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { DENO, ROOT, runIn } from "./_run.ts";
import { assertSameAsAnsible } from "./_side_by_side.ts";

const DIR = join(ROOT, "tests/fixtures/conformance_inv");

/** `ansible-inventory argv` and `mito inventory argv` in DIR end alike; `expect` proves the fixture's point. */
function sameInventory(
  argv: string[],
  code: number,
  o: { env?: Record<string, string>; expect?: string } = {},
) {
  const a = runIn(DIR, "/usr/bin/ansible-inventory", argv, o.env);
  const m = runIn(DIR, DENO, ["run", "-A", join(ROOT, "cli/main.ts"), "inventory", ...argv], o.env);
  assertEquals(a.code, code, a.stdout + a.stderr);
  // warnings are wrapped at 80 columns, where depends on the checkout's path length
  if (o.expect !== undefined) assertStringIncludes((a.stdout + a.stderr).replace(/\s+/g, " "), o.expect);
  assertEquals(m.stdout, a.stdout);
  assertEquals(m.stderr, a.stderr);
  assertEquals(m.code, code);
}

Deno.test("a YAML inventory host written as a number is refused, the source left unparsed, as ansible-inventory", () => {
  sameInventory(["-i", "int_host.yml", "--list"], 0, { expect: "Host pattern 1234 must be a string" });
});

Deno.test("a quoted number is a host name, a float key is refused, as ansible-inventory", () => {
  sameInventory(["-i", "float_host.yml", "--list"], 0, { expect: "Host pattern 1.5 must be a string" });
});

// constructed.yml: compose (arithmetic, magic variables, an undefined one skipped), groups from
// conditionals (a name with '-' made safe), keyed_groups from a string, a mapping and a list, with prefix,
// separator, default_value, trailing_separator and a templated parent_group.
Deno.test("the constructed plugin composes variables and builds groups (--list), as ansible-inventory", () => {
  sameInventory(["-i", "src/hosts.yml", "-i", "constructed.yml", "--list"], 0, { expect: '"tag_spare_"' });
});

Deno.test("the constructed plugin's groups and their parents (--graph), as ansible-inventory", () => {
  sameInventory(["-i", "src/hosts.yml", "-i", "constructed.yml", "--graph"], 0, {
    expect: "@labelled_north:",
  });
});

Deno.test("leading_separator: no drops the separator before a keyed group without prefix, as ansible-inventory", () => {
  sameInventory(["-i", "src/hosts.yml", "-i", "no_leading.yml", "--graph"], 0, { expect: "@env_prod:" });
});

Deno.test("use_vars_plugins reads group_vars/ and host_vars/ beside the sources before it, as ansible-inventory", () => {
  sameInventory(["-i", "src/hosts.yml", "-i", "vars_plugins.yml", "--list"], 0, { expect: '"who": "ops"' });
});

Deno.test("use_extra_vars gives the expressions -e's variables, as ansible-inventory", () => {
  sameInventory(["-i", "src/hosts.yml", "-i", "extra.yml", "--list", "-e", "whom=you "], 0, {
    expect: '"greeting": "hello you"',
  });
});

Deno.test("under strict an expression that fails (an undefined variable, an empty key) fails the source, as ansible-inventory", () => {
  sameInventory(["-i", "src/hosts.yml", "-i", "extra.yml", "--list"], 0, { expect: "'whom' is undefined ." });
  sameInventory(["-i", "src/hosts.yml", "-i", "strict.yml", "--graph"], 0, {
    expect: "No key or key resulted empty",
  });
});

Deno.test("compose and keyed_groups keys are rendered without lookups, groups' conditionals with them, as ansible-inventory", () => {
  sameInventory(["-i", "src/hosts.yml", "-i", "lookups.yml", "--list"], 0, { expect: '"by_lookup"' });
  sameInventory(["-i", "src/hosts.yml", "-i", "lookups_strict.yml", "--graph"], 0, {
    expect: "however lookups",
  });
});

Deno.test("a boolean option Ansible cannot read is false; a null prefix or separator prints as None, as ansible-inventory", () => {
  sameInventory(["-i", "src/hosts.yml", "-i", "odd_options.yml", "--graph"], 0, { expect: "@None_debian:" });
});

Deno.test("a constructed source enabled by name must name the plugin so; an empty one is refused, as ansible-inventory", () => {
  for (const enabled of ["yaml,constructed", "ansible.builtin.yaml,ansible.builtin.constructed"]) {
    sameInventory(
      ["-i", "src/hosts.yml", "-i", "constructed.yml", "-i", "wrong_plugin.config", "--graph"],
      0,
      {
        env: { ANSIBLE_INVENTORY_ENABLED: enabled },
        expect: "Incorrect plugin name in file:",
      },
    );
  }
  sameInventory(["-i", "empty.config", "--list"], 1, {
    env: { ANSIBLE_INVENTORY_ENABLED: "constructed", ANSIBLE_INVENTORY_UNPARSED_FAILED: "true" },
    expect: "empty.config is empty",
  });
});

Deno.test("advanced_host_list expands ranges; a range Ansible refuses stays a host, a bad bound fails the list; an unknown plugin is warned about", () => {
  const env = { ANSIBLE_INVENTORY_ENABLED: "nope,advanced_host_list" };
  sameInventory(["-i", "web[1:3],db:2222,web[01:],", "--list"], 0, { env, expect: '"web[01:]"' });
  sameInventory(["-i", "web[1:j],", "--list"], 0, {
    env,
    expect: "Failed to parse web[1:j], with advanced_host_list",
  });
  // host_list, enabled alone, takes the brackets as written
  sameInventory(["-i", "web[1:3],", "--list"], 0, { env: { ANSIBLE_INVENTORY_ENABLED: "host_list" } });
});

Deno.test("a play targets the constructed groups and sees the composed variables, as ansible-playbook", () => {
  assertSameAsAnsible(DIR, ["-i", "src/hosts.yml", "-i", "constructed.yml", "groups.yml"], 0, {
    expect: "web2 16 web2-north",
  });
});

Deno.test("a play over advanced_host_list's expanded hosts, as ansible-playbook", () => {
  assertSameAsAnsible(DIR, ["-i", "local[1:3:2],", "groups.yml"], 0, {
    env: { ANSIBLE_INVENTORY_ENABLED: "advanced_host_list" },
    expect: '"inventory_hostname": "local3"',
  });
});

for (const mode of ["never", "always", "silently"]) {
  Deno.test(`transform_invalid_group_chars=${mode}: INI sections, add_host and group_by groups, and a second localhost, as ansible-playbook`, () => {
    assertSameAsAnsible(DIR, ["-i", "names.ini", "names.yml"], 0, {
      env: { ANSIBLE_TRANSFORM_INVALID_GROUP_CHARS: mode },
      expect: "A duplicate localhost-like entry was found (127.0.0.1)",
    });
  });
}

for (const [mode, code] of [["error", 1], ["warning", 0], ["ignore", 0]] as const) {
  Deno.test(`host_pattern_mismatch=${mode}: a play pattern naming nothing (an empty group is no mismatch), as ansible-playbook`, () => {
    assertSameAsAnsible(DIR, ["-i", "empty_group.ini", "nomatch.yml"], code, {
      env: { ANSIBLE_HOST_PATTERN_MISMATCH: mode },
      expect: '"msg": "first"',
    });
  });
}

Deno.test("host_pattern_mismatch=error: a --limit naming nothing stops the run before it starts, as ansible-playbook", () => {
  assertSameAsAnsible(DIR, ["-i", "empty_group.ini", "--limit", "foo", "nomatch.yml"], 1, {
    env: { ANSIBLE_HOST_PATTERN_MISMATCH: "error" },
    expect: "Could not match supplied host pattern, ignoring: foo",
  });
});

Deno.test("a directory where nothing parses (only ignored files) is an unparsed source, an error under any_unparsed_is_failed, as ansible-inventory", () => {
  sameInventory(["-i", "dir", "--graph"], 0, { expect: "Unable to parse" });
  sameInventory(["-i", "dir", "--graph"], 1, {
    env: { ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: "true" },
    expect: "Completely failed to parse inventory source",
  });
});

// inventory_plugins/listed_hosts.py: a Python inventory plugin beside the playbook (--playbook-dir for
// ansible-inventory), which mito runs through ansible-core over the inventory the sources before it made.
Deno.test("an inventory plugin from inventory_plugins/ runs over the inventory so far (--list), as ansible-inventory", () => {
  const env = { ANSIBLE_PLAYBOOK_DIR: DIR };
  sameInventory(["-i", "src/hosts.yml", "-i", "hosts.listed.yml", "--list"], 0, {
    env,
    expect: '"hosts_before": 3',
  });
  // its own error, and a source it does not verify
  sameInventory(["-i", "src/hosts.yml", "-i", "none.listed.yml", "--graph"], 0, {
    env,
    expect: "no hosts listed in",
  });
  sameInventory(["-i", "wrongname.yml", "--graph"], 0, {
    env,
    expect: "could not be verified by inventory plugin",
  });
});

Deno.test("a play targets the hosts an inventory_plugins/ plugin beside the playbook adds, as ansible-playbook", () => {
  assertSameAsAnsible(DIR, ["-i", "src/hosts.yml", "-i", "hosts.listed.yml", "listed.yml"], 0, {
    expect: "alpha 3 plugin",
  });
});

Deno.test("a .toml source the INI reader refuses is read by ansible-core's toml plugin, as ansible-inventory", () => {
  sameInventory(["-i", "hosts.toml", "--list"], 0, { expect: '"engine": "postgres"' });
  sameInventory(["-i", "hosts.toml", "--graph", "--vars"], 0, { expect: "{port = 5432}" });
});

Deno.test("an enabled plugin mito lacks is ansible-core's: it takes the sources it verifies, passes on the others; a name nobody has is warned about, as ansible-inventory", () => {
  const env = {
    ANSIBLE_INVENTORY_PLUGINS: "./inventory_plugins",
    ANSIBLE_INVENTORY_ENABLED: "yaml,listed_hosts,nope",
  };
  sameInventory(["-i", "src/hosts.yml", "-i", "hosts.listed.yml", "-i", "wrongname.yml", "--list"], 0, {
    env,
    expect: "Failed to load inventory plugin, skipping nope",
  });
  sameInventory(["-i", "src/hosts.yml", "-i", "none.listed.yml", "--graph"], 0, {
    env,
    expect: "no hosts listed in",
  });
});

Deno.test("an ansible-core inventory plugin reads the cache a run before wrote, as ansible-inventory", () => {
  const cache = join(DIR, "inventory_cache");
  const env = { ANSIBLE_PLAYBOOK_DIR: DIR };
  const runs = (tool: string[]) => {
    fs.rmSync(cache, { recursive: true, force: true });
    const out = [1, 2].map(() =>
      runIn(DIR, tool[0], [...tool.slice(1), "-i", "flag.cached.yml", "--graph"], env)
    );
    fs.rmSync(cache, { recursive: true, force: true });
    return out.map((r) => [r.code, r.stdout, r.stderr]);
  };
  const a = runs(["/usr/bin/ansible-inventory"]);
  assertStringIncludes(String(a[1][1]), "|--cached");
  assertEquals(runs([DENO, "run", "-A", join(ROOT, "cli/main.ts"), "inventory"]), a);
});

Deno.test("ansible-playbook --flush-cache has the inventory plugin make its inventory again, as ansible-playbook", () => {
  const cache = join(DIR, "inventory_cache");
  const runs = (tool: string[]) => {
    fs.rmSync(cache, { recursive: true, force: true });
    const out = [[], ["--flush-cache"]].map((extra) =>
      runIn(DIR, tool[0], [...tool.slice(1), "-i", "flag.cached.yml", ...extra, "groups.yml"])
    );
    fs.rmSync(cache, { recursive: true, force: true });
    return out.map((r) => [r.code, r.stdout, r.stderr]);
  };
  const a = runs(["/usr/bin/ansible-playbook"]);
  assertStringIncludes(String(a[1][1]), '"inventory_hostname": "fresh"');
  assertEquals(runs([DENO, "run", "-A", join(ROOT, "cli/main.ts"), "run"]), a);
});

Deno.test("no action, two, a --graph pattern naming no group or a --host naming no host is refused on stderr with exit 5 after the help, as ansible-inventory", () => {
  for (const argv of [[], ["--list", "--graph"], ["--graph", "nosuch"], ["--host", "nosuch"]]) {
    const a = runIn(DIR, "/usr/bin/ansible-inventory", argv);
    const m = runIn(DIR, DENO, ["run", "-A", join(ROOT, "cli/main.ts"), "inventory", ...argv]);
    assertEquals([m.code, m.stderr], [a.code, a.stderr]);
    assertEquals(a.code, 5);
    assertStringIncludes(m.stdout, "--graph");
  }
});
