// Which Ansible module imports the controller refuses before running (Ansible's recursive finder): the
// candidates named, six, routing redirects, optional imports and the exact message.
import { assertEquals } from "../../tests/_assert.ts";
import { checkModuleSupport, ModuleSupportNotFoundError } from "./module_support.ts";

const SERVED = new Set([
  "ansible.module_utils.basic",
  "ansible.module_utils.six",
  "ansible.module_utils.common",
  "ansible.module_utils.common.text",
  "ansible.module_utils.common.text.converters",
]);
const serves = (n: string) => SERVED.has(n);

/** The candidates of the import refused, or null when the module passes. */
function refused(source: string, redirects: string[] = []): string[] | null {
  try {
    checkModuleSupport(source, "ansible.modules.m", {
      serves,
      redirected: (rest) => redirects.some((r) => rest === r || rest.startsWith(r + ".")),
    });
    return null;
  } catch (e) {
    if (!(e instanceof ModuleSupportNotFoundError)) throw e;
    return e.candidates;
  }
}

Deno.test("a name two levels below module_utils may be an attribute of its parent; one level is itself", () => {
  assertEquals(refused("from ansible.module_utils.basic import AnsibleModule\n"), null);
  assertEquals(refused("from ansible.module_utils.common.text.converters import to_text\n"), null);
  assertEquals(refused("from ansible.module_utils import basic\n"), null);
  assertEquals(refused("from ansible.module_utils import nothere\n"), ["ansible.module_utils.nothere"]);
  assertEquals(refused("from ansible.module_utils.nothere import x\n"), [
    "ansible.module_utils.nothere.x",
    "ansible.module_utils.nothere",
  ]);
  assertEquals(refused("import ansible.module_utils.nothere.sub as s\n"), [
    "ansible.module_utils.nothere.sub",
    "ansible.module_utils.nothere",
  ]);
});

Deno.test("six's moves are six's; a redirected name is found; imports below the top level are optional", () => {
  assertEquals(refused("from ansible.module_utils.six.moves.urllib.parse import urlsplit\n"), null);
  assertEquals(refused("from ansible.module_utils.aws.core import AnsibleAWSModule\n", ["aws.core"]), null);
  assertEquals(
    refused("try:\n    from ansible.module_utils.nothere import x\nexcept ImportError:\n    pass\n"),
    null,
  );
  assertEquals(refused("def f():\n    import ansible.module_utils.nothere\n"), null);
});

Deno.test("the first missing import in Ansible's sorted order is named, across continuation lines", () => {
  assertEquals(
    refused(
      "from ansible.module_utils.zeta import (\n    a,\n    b,\n)\nfrom ansible.module_utils.alpha \\\n    import c\n",
    ),
    ["ansible.module_utils.alpha.c", "ansible.module_utils.alpha"],
  );
  assertEquals(
    new ModuleSupportNotFoundError("ansible.modules.m", [
      "ansible.module_utils.a.b",
      "ansible.module_utils.a",
    ])
      .message,
    "Could not find imported module support code for ansible.modules.m.  Looked for " +
      "(['ansible.module_utils.a.b', 'ansible.module_utils.a'])",
  );
});

Deno.test("the routing table is not read while every import has a served candidate (it is large)", () => {
  const asked: string[] = [];
  checkModuleSupport(
    "from ansible.module_utils.basic import AnsibleModule\n" +
      "from ansible.module_utils.common.text.converters import to_native\n",
    "ansible.modules.m",
    { serves, redirected: (rest) => (asked.push(rest), false) },
  );
  assertEquals(asked, []);
});
