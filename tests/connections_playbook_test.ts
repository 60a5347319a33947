// `mito run` reaches chroots and (stand-in) docker containers from inventory variables: ansible_connection,
// ansible_host as the root or container, ansible_user inside it, mitogen_docker_path, mitogen_via,
// mitogen_kind, and an interpreter found by discovery. The task's output must be the root's own /etc/debian_version.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertEquals, assertStringIncludes } from "./_assert.ts";
import { mitoIn, ROOT } from "./_run.ts";
import { debianRoots, debianVersion, FakeTools, NamespaceContainer, toolPart } from "./connections_env.ts";

const DIR = join(ROOT, "tests/fixtures/connections");
const roots = debianRoots();

Deno.test("mito run over chroot, docker and setns connections: command output is the root's debian_version", async () => {
  const ct = await NamespaceContainer.start(roots.bullseye, "mito-play-ct");
  const fake = new FakeTools({
    web: { root: roots.bullseye },
    app: { root: roots.trixie },
    ct: { pid: ct.pid },
  });
  const tmp = mkdtempSync(join(tmpdir(), "mito-connections-play-"));
  try {
    const inventory = join(tmp, "hosts.ini");
    writeFileSync(
      inventory,
      [
        "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3",
        "[targets]",
        `old_root ansible_connection=chroot ansible_host=${roots.bullseye}`,
        `new_root ansible_connection=community.general.chroot ansible_host=${roots.trixie}`,
        "web ansible_connection=docker ansible_user=nobody ansible_python_interpreter=/usr/bin/python3",
        `app_by_path ansible_connection=docker ansible_host=app mitogen_docker_path=${
          join(fake.bin, "docker")
        }`,
        "web_via_local ansible_connection=docker ansible_host=web mitogen_via=localhost",
        "ns_ct ansible_connection=setns mitogen_kind=docker ansible_host=ct ansible_user=nobody",
        "",
      ].join("\n"),
    );
    // The stand-ins first on PATH; the real chroot is found in sbin.
    const r = mitoIn(DIR, ["-i", inventory, "debian_version.yml"], { PATH: fake.path });
    assertEquals(r.stderr, "");
    const bullseye = debianVersion(roots.bullseye);
    const trixie = debianVersion(roots.trixie);
    for (
      const [host, version, user] of [
        ["old_root", bullseye, "root"],
        ["new_root", trixie, "root"],
        ["web", bullseye, "nobody"],
        ["app_by_path", trixie, "root"],
        ["web_via_local", bullseye, "root"],
        ["ns_ct", bullseye, "nobody"],
      ]
    ) {
      assertStringIncludes(r.stdout, `"msg": "${host} ${version} ${user}"`);
      assertStringIncludes(r.stdout, `${host}`);
      const recap = r.stdout.split("\n").find((l) => l.startsWith(host) && l.includes("ok="));
      assertStringIncludes(recap ?? `no recap line for ${host}`, "failed=0");
      assertStringIncludes(recap!, "unreachable=0");
    }
    assertEquals(r.code, 0);
    // One docker exec per container stack, each with the argv the inventory asked for.
    assertEquals(
      fake.calls().map(toolPart).map((a) => a.join(" ")).sort(),
      [
        "docker exec -i -u nobody web",
        "docker exec -i app",
        "docker exec -i web",
        "docker inspect --format {{.State.Pid}} ct",
      ].sort(),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    fake.remove();
    await ct.stop();
  }
});
