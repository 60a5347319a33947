import { assertEquals } from "../../tests/_assert.ts";
import { withOutputLines } from "./_results.ts";

Deno.test("withOutputLines splits stdout and stderr at every line boundary Python's splitlines knows", () => {
  const r = withOutputLines({ rc: 0, stdout: "a\r\nb\rc\x0bd\u2028e\n\n", stderr: "" });
  assertEquals(r, {
    rc: 0,
    stdout: "a\r\nb\rc\x0bd\u2028e\n\n",
    stderr: "",
    stdout_lines: ["a", "b", "c", "d", "e", ""],
    stderr_lines: [],
  });
});

Deno.test("withOutputLines fills the places the runner marked with null, keeping the key order", () => {
  const r = withOutputLines({
    stdout: "a\nb",
    stdout_lines: null,
    stderr: "",
    stderr_lines: null,
    failed: false,
  });
  assertEquals(Object.entries(r), [
    ["stdout", "a\nb"],
    ["stdout_lines", ["a", "b"]],
    ["stderr", ""],
    ["stderr_lines", []],
    ["failed", false],
  ]);
});

Deno.test("withOutputLines keeps lines a module sent, gives null output no lines, adds none without output", () => {
  assertEquals(withOutputLines({ stdout: "x\ny", stdout_lines: ["mine"], stderr: null }), {
    stdout: "x\ny",
    stdout_lines: ["mine"],
    stderr: null,
    stderr_lines: [],
  });
  assertEquals(withOutputLines({ changed: true }), { changed: true });
});
