// `mito stack` (playbook/connection) and the runner's plan (playbook/remote/plan.ts) are two readings of
// the same variables; this keeps them agreeing on what matters: which hops, as whom, to where.
import { assertEquals } from "./_assert.ts";
import type { ModuleRequest } from "../playbook/runner.ts";
import { buildStack, type HopSpec } from "../playbook/connection/mod.ts";
import { planConnection } from "../playbook/remote/plan.ts";

const PY = { ansible_python_interpreter: "/usr/bin/python3" };
const INVENTORY: Record<string, Record<string, unknown>> = {
  web1: {
    ...PY,
    ansible_host: "10.0.0.5",
    ansible_user: "deploy",
    ansible_port: 2222,
    ansible_password: "pw",
  },
  bastion: { ...PY, ansible_host: "bastion.example.com", ansible_user: "jump" },
  inner: { ...PY, ansible_host: "192.168.1.10", ansible_user: "relay", mitogen_via: "bastion" },
  deep: { ...PY, ansible_host: "10.9.9.9", ansible_user: "app", mitogen_via: "su:admin@inner" },
  deeper: { ...PY, ansible_host: "10.9.9.10", ansible_user: "ops", mitogen_via: "deep" },
  localhost: { ...PY, ansible_connection: "local" },
  sudo_conn: { ...PY, ansible_connection: "mitogen_sudo", ansible_user: "postgres" },
};

type Row = [string, string | null, string | null, number | null, boolean];

function fromStack(hops: HopSpec[]): Row[] {
  return hops.map((h) => {
    const o = h as Record<string, unknown>;
    return [
      h.method,
      (o.username as string | null) ?? null,
      (o.hostname as string | null) ?? null,
      (o.port as number | null) ?? null,
      o.password !== null && o.password !== undefined,
    ];
  });
}

function fromPlan(target: string, host: string, become?: { user: string; method: string }): Row[] {
  const req: ModuleRequest = {
    host,
    targetHost: target,
    module: "ping",
    args: {},
    checkMode: false,
    diff: false,
    noLog: false,
    become: { become: !!become, method: become?.method ?? "sudo", user: become?.user ?? "root" },
    environment: {},
    connectionVars: INVENTORY[target],
    hostConnectionVars: (h) => INVENTORY[h],
    searchPath: [],
    asyncSeconds: 0,
    poll: 15,
    timeout: 0,
    verbosity: 0,
  };
  // The local spawner on the controller takes the first hop for mitogen_sudo & co.; mito stack shows
  // only the become, as Mitogen does.
  const hops = planConnection(req, {}).hops.filter((h, i, all) =>
    !(i === 0 && h.method === "local" && all.length > 1 && ["sudo", "su", "doas"].includes(all[1].method))
  );
  return hops.map((h) => [
    h.method,
    (h.username as string | undefined) ?? (h.user as string | undefined) ?? null,
    (h.hostname as string | undefined) ?? null,
    (h.port as number | undefined) ?? null,
    h.password !== undefined,
  ]);
}

const vars = (h: string) => (n: string) => INVENTORY[h]?.[n];

for (const host of Object.keys(INVENTORY)) {
  Deno.test(`mito stack and the runner agree on ${host}`, () => {
    assertEquals(fromPlan(host, host), fromStack(buildStack({ host, vars })));
  });
}

Deno.test("mito stack and the runner agree on a become at the end of a 3-level chain", () => {
  assertEquals(
    fromPlan("deeper", "deeper", { user: "www", method: "sudo" }),
    fromStack(buildStack({ host: "deeper", vars, keywords: { become: true, become_user: "www" } })),
  );
});

Deno.test("mito stack and the runner agree on a delegated task", () => {
  assertEquals(
    fromPlan("inner", "web1"),
    fromStack(buildStack({ host: "web1", vars, keywords: { delegate_to: "inner" } })),
  );
});
