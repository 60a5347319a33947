import { assertEquals } from "../../tests/_assert.ts";
import { LocalLanes } from "./_lanes.ts";
import type { ConnectPlan } from "./plan.ts";

const local = (host: string): ConnectPlan => {
  const hops = [{ method: "local", python: "/usr/bin/python3" }];
  return { key: JSON.stringify([host, hops]), host, hops, discovered: false };
};
const laneOf = (p: ConnectPlan) => Number(p.hops[0].lane ?? 0);

Deno.test("lanes: a host keeps its lane while it is idle, and goes to an idle one while another host holds it", () => {
  const lanes = new LocalLanes(3);
  const a = lanes.take(local("a"), "a", false);
  const b = lanes.take(local("b"), "b", false);
  assertEquals([laneOf(a.plan), laneOf(b.plan)], [0, 1]);
  a.done();
  b.done();
  const c = lanes.take(local("c"), "c", false);
  const a2 = lanes.take(local("a"), "a", false);
  assertEquals([laneOf(c.plan), laneOf(a2.plan)], [0, 1]);
  c.done();
  a2.done();
  // idle again: a's last lane
  const a3 = lanes.take(local("a"), "a", false);
  assertEquals(laneOf(a3.plan), 1);
  assertEquals(
    a3.plan.key,
    JSON.stringify(["a", [{ method: "local", python: "/usr/bin/python3", lane: 1 }]]),
  );
});

Deno.test("lanes: a host's calls in flight together (loop items sent ahead) share one lane, so they run in order", () => {
  const lanes = new LocalLanes(3);
  const first = lanes.take(local("a"), "a", false);
  const second = lanes.take(local("a"), "a", false);
  assertEquals([laneOf(first.plan), laneOf(second.plan)], [0, 0]);
  first.done();
  first.done(); // a second done() gives nothing back twice
  const third = lanes.take(local("a"), "a", false);
  assertEquals(laneOf(third.plan), 0);
  second.done();
  third.done();
  // nothing of a in flight: b may take lane 0, and a then goes to an idle lane
  const b = lanes.take(local("b"), "b", false);
  const a = lanes.take(local("a"), "a", false);
  assertEquals([laneOf(b.plan), laneOf(a.plan)], [0, 1]);
});

Deno.test("lanes: a call sent ahead follows its host's last call, busy or not; other plans pass as they are", () => {
  const lanes = new LocalLanes(2);
  const lead = lanes.take(local("a"), "a", false);
  const ahead = lanes.take(local("a"), "a", true);
  assertEquals([laneOf(lead.plan), laneOf(ahead.plan)], [0, 0]);
  assertEquals(lanes.current(local("a"), "a").key, lead.plan.key);
  const ssh: ConnectPlan = { key: "k", host: "h", hops: [{ method: "ssh", python: "p" }], discovered: false };
  assertEquals(lanes.take(ssh, "h", false).plan, ssh);
});
