// apt, package and pip on a real Debian root through the chroot connection, side by side with ansible-playbook
// on an identical copy: the same results and changed flags for each step, so an operation repeated is
// no change, and a cache refresh that fetched nothing new (or was skipped inside cache_valid_time) is no
// change either. Both copies start with refreshed lists and python3-apt (which Ansible's apt would
// otherwise install itself, refreshing the lists on the way), their lists' mtime set two hours back.
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./_run.ts";
import { inRoot, rootPair } from "./_root_copies.ts";

const DIR = join(ROOT, "tests/fixtures/roots");

function staleLists(root: string): void {
  const then = new Date(Date.now() - 2 * 3600_000);
  utimesSync(join(root, "var/lib/apt/lists"), then, then);
}

for (const modules of ["builtin", "ansible"] as const) {
  const which = modules === "builtin" ? "mito's built-ins" : "ansible-core's modules through mito";
  Deno.test(`apt/package (${which}): idempotent exactly as ansible-playbook's apt on a bullseye root`, () => {
    const pair = rootPair("bullseye", (root) => {
      inRoot(root, ["apt-get", "update", "-q"]);
      inRoot(root, ["apt-get", "install", "-y", "-q", "python3-apt"]);
    });
    try {
      staleLists(pair.ansibleRoot);
      staleLists(pair.mitoRoot);
      pair.same(DIR, ["apt_idempotence.yml"], { MITO_MODULES: modules });
    } finally {
      pair.remove();
    }
  });
}

Deno.test("pip (mito's built-in): idempotent exactly as ansible-playbook's pip, from local wheels", () => {
  const pair = rootPair("bullseye", (root) => {
    inRoot(root, ["apt-get", "update", "-q"]);
    inRoot(root, ["apt-get", "install", "-y", "-q", "python3-pip", "python3-wheel"]);
    const src = join(root, "opt/src/mitodemo");
    mkdirSync(join(src, "mitodemo"), { recursive: true });
    writeFileSync(join(src, "mitodemo/__init__.py"), "");
    writeFileSync(
      join(src, "setup.py"),
      'from setuptools import setup\nsetup(name="mitodemo", version="1.0", packages=["mitodemo"])\n',
    );
    inRoot(root, ["/bin/sh", "-c", "cd /opt/src/mitodemo && python3 setup.py -q bdist_wheel -d /opt/wheels"]);
  });
  try {
    pair.same(DIR, ["pip_idempotence.yml"], { MITO_MODULES: "builtin" });
  } finally {
    pair.remove();
  }
});
