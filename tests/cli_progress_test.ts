// The transfer progress line (a pure function of bytes and time) and its display: nothing for small
// transfers or a non-terminal stderr, throttled redraws, several transfers summed, erased at the end.
import { assertEquals } from "./_assert.ts";
import { ProgressDisplay, progressLine, stderrProgress } from "../cli/_progress.ts";

const MIB = 1024 * 1024;

Deno.test("progress line: label, bar, percentage, bytes, rate and time left", () => {
  assertEquals(
    progressLine({ label: "copy web1:/srv/big.iso", done: 16 * MIB, total: 64 * MIB, elapsedMs: 2000 }),
    "copy web1:/srv/big.iso [###---------]  25%  16.0/64.0 MiB  8.0 MiB/s  0:06",
  );
  assertEquals(
    progressLine({ label: "copy h:/x", done: 5 * MIB, total: 600 * MIB, elapsedMs: 1000 }),
    "copy h:/x [------------]   0%  5.0/600.0 MiB  5.0 MiB/s  1:59",
  );
});

Deno.test("progress line: no rate before any time has passed; full at the end", () => {
  assertEquals(
    progressLine({ label: "copy web1:/srv/big.iso", done: 0, total: 64 * MIB, elapsedMs: 0 }),
    "copy web1:/srv/big.iso [------------]   0%  0.0/64.0 MiB",
  );
  assertEquals(
    progressLine({ label: "fetch db:/d", done: 9 * MIB, total: 8 * MIB, elapsedMs: 1000 }),
    "fetch db:/d [############] 100%  8.0/8.0 MiB  8.0 MiB/s  0:00",
  );
});

Deno.test("progress line: a long label is cut from the left to fit the terminal", () => {
  assertEquals(
    progressLine(
      {
        label: "fetch db.example.com:/var/backups/nightly/pg.dump",
        done: 8 * MIB,
        total: 8 * MIB,
        elapsedMs: 1000,
      },
      70,
    ),
    "…ps/nightly/pg.dump [############] 100%  8.0/8.0 MiB  8.0 MiB/s  0:00",
  );
});

function fakeTerminal() {
  const writes: string[] = [];
  let now = 0;
  const display = new ProgressDisplay({ write: (s) => writes.push(s), columns: 80 }, () => now);
  return { writes, display, at: (ms: number) => (now = ms) };
}

Deno.test("display: transfers up to 4 MiB draw nothing", () => {
  const t = fakeTerminal();
  const h = t.display.start("copy h:/small", 4 * MIB);
  h.progress(2 * MIB);
  h.end();
  assertEquals(t.writes, []);
});

Deno.test("display: redraws at most every 100 ms and erases the line when the transfer ends", () => {
  const t = fakeTerminal();
  const h = t.display.start("copy h:/big", 8 * MIB);
  t.at(1000);
  h.progress(4 * MIB);
  t.at(1050);
  h.progress(5 * MIB); // throttled
  t.at(1100);
  h.progress(6 * MIB);
  h.end();
  assertEquals(t.writes, [
    "\r\x1b[2Kcopy h:/big [######------]  50%  4.0/8.0 MiB  4.0 MiB/s  0:01\r",
    "\r\x1b[2Kcopy h:/big [#########---]  75%  6.0/8.0 MiB  5.5 MiB/s  0:00\r",
    "\r\x1b[2K",
  ]);
});

Deno.test("display: concurrent transfers are summed on one line; the last end erases it", () => {
  const t = fakeTerminal();
  const a = t.display.start("copy a:/big", 8 * MIB);
  t.at(1000);
  const b = t.display.start("fetch b:/big", 8 * MIB);
  a.progress(8 * MIB);
  t.at(2000);
  b.progress(4 * MIB);
  a.end();
  b.end();
  assertEquals(t.writes, [
    "\r\x1b[2K2 transfers [######------]  50%  8.0/16.0 MiB  8.0 MiB/s  0:01\r",
    "\r\x1b[2K2 transfers [#########---]  75%  12.0/16.0 MiB  6.0 MiB/s  0:01\r",
    "\r\x1b[2Kfetch b:/big [######------]  50%  4.0/8.0 MiB  4.0 MiB/s  0:01\r",
    "\r\x1b[2K",
  ]);
});

Deno.test("display: none at all when stderr is not a terminal", () => {
  assertEquals(stderrProgress({ isTTY: false, write: () => true }), undefined);
  assertEquals(stderrProgress({ write: () => true }), undefined);
});
