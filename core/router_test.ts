// The controller's routing and authority rules (docs/protocol.md "Authority"), driven without processes:
// streams are numbers, what the router writes is decoded back into frames.
import { assert, assertEquals } from "../tests/_assert.ts";
import { FLAG_DEAD, type Frame, FrameDecoder } from "./frame.ts";
import { Router } from "./router.ts";
import {
  ADD_ROUTE,
  CALL,
  CANCEL,
  DEL_ROUTE,
  DISCONNECT,
  FORWARD_LOG,
  GET_MODULE,
  LOAD_MODULE,
  READY,
  SHUTDOWN,
} from "./handles.ts";
import { frameValue, rawFrame, structuredFrame } from "./message.ts";

const NAMES: Record<number, string> = { 1: "web1", 2: "web2", 3: "db1" };

function harness() {
  const written: [number, Frame][] = [];
  const delivered: Frame[] = [];
  const gone: [number[], string][] = [];
  const dropped: number[] = [];
  const router = new Router({
    write: (sid, bytes) =>
      written.push(...new FrameDecoder().push(bytes).map((f) => [sid, f] as [number, Frame])),
    deliver: (f) => delivered.push(f),
    gone: (ids, reason) => gone.push([ids, reason]),
    drop: (sid) => dropped.push(sid),
    name: (id) => NAMES[id] ?? `context ${id}`,
  });
  return { router, written, delivered, gone, dropped };
}

const log = (src: number, text: string) =>
  structuredFrame({ dst: 0, src, handle: FORWARD_LOG }, ["x", 30, text]);

Deno.test("router: frames reach contexts through the stream of their ancestor; unknown ones get dead letters", () => {
  const h = harness();
  h.router.addStream(100, 1);
  assert(h.router.addRoute(5, 1));
  assert(h.router.send(structuredFrame({ dst: 5, src: 0, handle: CALL, replyTo: 1000 }, null)));
  assertEquals(h.written.map(([sid, f]) => [sid, f.dst]), [[100, 5]]);
  assert(!h.router.send(structuredFrame({ dst: 9, src: 0, handle: CALL, replyTo: 1001 }, null)));
  assertEquals(h.delivered.map((f) => [f.handle, f.flags & FLAG_DEAD, new TextDecoder().decode(f.body)]), [
    [1001, 1, "mito: no route to context 9"],
  ]);
  assert(!h.router.addRoute(6, 9), "a context behind an unknown parent has no route");
});

Deno.test("router: a new context is announced to every context between the controller and its parent", () => {
  const h = harness();
  h.router.addStream(100, 1);
  h.router.addRoute(5, 1); // 1 starts 5 itself: nobody in between
  h.router.addRoute(7, 5); // 1 must learn that 7 is behind 5
  h.router.addRoute(8, 7); // 1 and 5 must learn that 8 is behind 7
  assertEquals(
    h.written.map(([sid, f]) => [sid, f.dst, f.handle, frameValue(f)]),
    [[100, 1, ADD_ROUTE, [7, 5]], [100, 5, ADD_ROUTE, [8, 7]], [100, 1, ADD_ROUTE, [8, 7]]],
  );
  assert(h.router.within(8, 1) && h.router.within(8, 8) && h.router.within(8, 0));
  assert(!h.router.within(1, 8) && !h.router.within(5, 7));
});

Deno.test("router: what a context sends to the controller is delivered with the stream it came on", () => {
  const h = harness();
  h.router.addStream(100, 1);
  h.router.addRoute(5, 1);
  h.router.receive(100, log(1, "from 1"));
  h.router.receive(100, log(5, "from 5, relayed by 1"));
  h.router.receive(100, structuredFrame({ dst: 0, src: 1, handle: GET_MODULE }, "mito.runner"));
  h.router.receive(100, structuredFrame({ dst: 0, src: 5, handle: READY }, {}));
  assertEquals(h.delivered.map((f) => [f.src, f.handle]), [[1, FORWARD_LOG], [5, FORWARD_LOG], [
    1,
    GET_MODULE,
  ], [
    5,
    READY,
  ]]);
  assertEquals([h.gone, h.dropped], [[], []]);
});

Deno.test("router: a stream speaking for a context outside its subtree loses its stream, alone", () => {
  for (const forged of [{ src: 2 }, { src: 1, auth: 2 }, { src: 0 }, { src: 77 }]) {
    const h = harness();
    h.router.addStream(100, 1);
    h.router.addStream(200, 2);
    h.router.addRoute(5, 1);
    h.router.receive(100, structuredFrame({ dst: 0, ...forged, handle: FORWARD_LOG }, ["x", 30, "spoofed"]));
    assertEquals(h.delivered, []);
    assertEquals(h.dropped, [100]);
    assertEquals(h.gone, [[
      [1, 5],
      `protocol violation from web1: it sent a message as context ${forged.src} (authority ${
        forged.auth ?? forged.src
      })`,
    ]]);
    assertEquals([h.router.streamOf(1), h.router.streamOf(5), h.router.streamOf(2)], [
      undefined,
      undefined,
      200,
    ]);
    h.router.receive(200, log(2, "the sibling keeps working"));
    assertEquals(h.delivered.length, 1);
  }
});

Deno.test("router: a context may send only to the controller: nothing is forwarded to a sibling", () => {
  const h = harness();
  h.router.addStream(100, 1);
  h.router.addStream(200, 2);
  h.router.receive(
    100,
    structuredFrame({ dst: 2, src: 1, handle: LOAD_MODULE }, [
      "mito.modules.command",
      false,
      "x",
      "evil",
      [],
    ]),
  );
  assertEquals(h.written, [], "nothing reached context 2");
  assertEquals(h.gone, [[
    [1],
    "protocol violation from web1: it sent a message to context 2; a context may send only to the controller",
  ]]);
  assertEquals(h.dropped, [100]);
});

Deno.test("router: a handle only an ancestor may send is a violation when it comes up", () => {
  for (
    const [handle, name] of [
      [CALL, "CALL"],
      [LOAD_MODULE, "LOAD_MODULE"],
      [SHUTDOWN, "SHUTDOWN"],
      [
        CANCEL,
        "CANCEL",
      ],
      [ADD_ROUTE, "ADD_ROUTE"],
      [DISCONNECT, "DISCONNECT"],
    ] as const
  ) {
    const h = harness();
    h.router.addStream(100, 1);
    h.router.receive(100, structuredFrame({ dst: 0, src: 1, handle }, [7]));
    assertEquals(h.gone, [[
      [1],
      `protocol violation from web1: it sent ${name}, which only an ancestor may send`,
    ]]);
    assertEquals(h.router.streamOf(7), undefined, "no route was learnt from below");
  }
});

Deno.test("router: only the controller's direct child asks it for modules; a deeper one is cut off at its parent", () => {
  const h = harness();
  h.router.addStream(100, 1);
  h.router.addRoute(5, 1);
  h.router.addRoute(7, 5);
  h.written.length = 0;
  h.router.receive(100, structuredFrame({ dst: 0, src: 5, handle: GET_MODULE }, "mito.runner"));
  assertEquals(h.delivered, []);
  assertEquals(h.gone, [[
    [5, 7],
    "protocol violation from context 5: it asked the controller for a module; it must ask its parent",
  ]]);
  assertEquals(h.dropped, [], "the stream of context 1 stays up");
  assertEquals(
    h.written.map(([sid, f]) => [sid, f.dst, f.handle, frameValue(f)]),
    [[100, 1, DISCONNECT, [
      5,
      "protocol violation from context 5: it asked the controller for a module; it must ask its parent",
    ]]],
  );
  h.router.receive(100, log(5, "still in flight from 5"));
  h.router.receive(100, log(7, "still in flight from 7"));
  h.router.receive(100, log(1, "1 keeps working"));
  assertEquals(h.delivered.map((f) => f.src), [1], "frames of cut-off contexts are dropped quietly");
  assertEquals(h.dropped, []);
});

Deno.test("router: a deeper context breaking a rule is cut off when the controller catches it (violation)", () => {
  const h = harness();
  h.router.addStream(100, 1);
  h.router.addRoute(5, 1);
  h.written.length = 0;
  h.router.violation(100, 5, "it answered a call that was not sent to it");
  assertEquals(h.gone, [[
    [5],
    "protocol violation from context 5: it answered a call that was not sent to it",
  ]]);
  assertEquals(h.written.map(([, f]) => [f.dst, f.handle]), [[1, DISCONNECT]]);
  h.router.violation(100, 1, "it answered a call that was not sent to it");
  assertEquals(h.dropped, [100]);
  assertEquals(h.gone[1], [[1], "protocol violation from web1: it answered a call that was not sent to it"]);
});

Deno.test("router: DEL_ROUTE reports only the sender's own descendants gone, with the violation that cut them off", () => {
  const h = harness();
  h.router.addStream(100, 1);
  h.router.addStream(200, 2);
  h.router.addRoute(5, 1);
  h.router.addRoute(6, 1);
  h.router.addRoute(7, 5);
  h.router.receive(100, structuredFrame({ dst: 0, src: 1, handle: DEL_ROUTE }, [6]));
  h.router.receive(
    100,
    structuredFrame({ dst: 0, src: 1, handle: DEL_ROUTE }, [5, 7, "it sent CALL, which …"]),
  );
  assertEquals(h.gone, [
    [[6], "mito: context 1 reported its child stream gone"],
    [[5, 7], "protocol violation from context 5: it sent CALL, which …"],
  ]);
  h.router.addRoute(8, 1);
  h.router.receive(200, structuredFrame({ dst: 0, src: 2, handle: DEL_ROUTE }, [8, 1]));
  assertEquals(h.router.streamOf(8), 100, "ids behind another stream are not the sender's to report");
  h.router.receive(100, structuredFrame({ dst: 0, src: 8, handle: DEL_ROUTE }, [1]));
  assertEquals(h.gone[2], [
    [8],
    "protocol violation from context 8: it reported context 1 gone, which it did not start",
  ]);
  assertEquals(h.router.streamOf(1), 100);
});

Deno.test("router: a lost stream reports every context behind it gone; dead letters from a context stay its own", () => {
  const h = harness();
  h.router.addStream(100, 1);
  h.router.addStream(200, 2);
  h.router.addRoute(3, 1);
  h.router.receive(
    100,
    rawFrame({ dst: 0, src: 3, handle: 4242 }, new TextEncoder().encode("gone"), FLAG_DEAD),
  );
  assertEquals(h.delivered.map((f) => [f.src, f.handle]), [[3, 4242]]);
  h.router.removeStream(100, "its process exited with status 1");
  assertEquals(h.gone, [[[1, 3], "its process exited with status 1"]]);
  assertEquals(h.router.streamOf(2), 200);
});
