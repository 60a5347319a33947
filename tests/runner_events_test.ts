// Under ansible-runner (AWX, Automation Platform, ansible-navigator), mito's `awx_display` events are
// the ones ansible-playbook gives: each playbook of tests/runner/project is run by mito as runner would
// run it (its environment, a terminal's line endings and colours), the stream is cut into events as
// runner cuts it, and the events are compared one by one with the golden file recorded from
// ansible-playbook 2.14 under ansible-runner (scripts/runner-compare.ts --record).
import { assertEquals } from "./_assert.ts";
import { spawnSync } from "node:child_process";
import process from "node:process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DENO, ROOT } from "./_run.ts";
import {
  eventDiffs,
  eventsFromStream,
  normaliseEvents,
  partialReader,
  readGolden,
  runForks,
} from "./_runner_events.ts";

const HERE = path.join(ROOT, "tests/runner");

/** mito run as runner starts ansible-playbook: stdout and stderr on one terminal, runner's settings. */
function runAsRunner(
  playbook: string,
  callback = "awx_display",
  extraEnv: Record<string, string> = {},
): { rc: number; stream: string; data: string; tmp: string } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mito-runner-"));
  fs.cpSync(path.join(HERE, "project"), path.join(tmp, "project"), { recursive: true });
  fs.cpSync(path.join(HERE, "inventory"), path.join(tmp, "inventory"), { recursive: true });
  const data = path.join(tmp, "artifacts", "1");
  fs.mkdirSync(data, { recursive: true });
  const r = spawnSync(
    "/bin/sh",
    [
      "-c",
      'exec "$@" 2>&1',
      "sh",
      DENO,
      "run",
      "-q",
      "-A",
      path.join(ROOT, "cli/main.ts"),
      "run",
      "-i",
      path.join(tmp, "inventory"),
      playbook,
    ],
    {
      cwd: path.join(tmp, "project"),
      encoding: "utf8",
      timeout: 180_000,
      env: {
        PATH: "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/root",
        LANG: "C.UTF-8",
        ANSIBLE_STDOUT_CALLBACK: callback,
        AWX_ISOLATED_DATA_DIR: data,
        ANSIBLE_RETRY_FILES_ENABLED: "False",
        ANSIBLE_HOST_KEY_CHECKING: "False",
        ANSIBLE_CACHE_PLUGIN: "jsonfile",
        ANSIBLE_CACHE_PLUGIN_CONNECTION: path.join(data, "fact_cache"),
        // runner's pseudo-terminal: colours on, 80 columns, and every newline written as CR LF
        ANSIBLE_FORCE_COLOR: "1",
        // what the golden was recorded with (runner-compare --env)
        ...extraEnv,
      },
    },
  );
  if (r.error) throw r.error;
  return { rc: r.status ?? -1, stream: r.stdout.replace(/\n/g, "\r\n"), data, tmp };
}

for (const file of fs.readdirSync(path.join(HERE, "golden")).sort()) {
  const name = file.replace(/\.json$/, "");
  const golden = readGolden(path.join(HERE, "golden", file));
  const playbook = golden.playbook ?? `${name}.yml`;
  const how = golden.env ? ` with ${Object.entries(golden.env).map(([k, v]) => `${k}=${v}`).join(" ")}` : "";
  Deno.test(`awx_display: ${playbook}${how} gives ansible-playbook's runner events`, () => {
    const ran = runAsRunner(playbook, "awx_display", golden.env);
    try {
      const events = normaliseEvents(
        eventsFromStream(ran.stream, partialReader(ran.data)),
        path.join(ran.tmp, "project"),
        { forks: runForks(golden.env) },
      );
      assertEquals(eventDiffs(golden.events, events), []);
      assertEquals(ran.rc, golden.rc);
      // the jsonfile fact cache runner points at artifacts/<ident>/fact_cache: one file per host that
      // gathered facts, as Ansible's jsonfile plugin writes it
      const cache = path.join(ran.data, "fact_cache");
      const cached = fs.existsSync(cache) ? fs.readdirSync(cache).sort() : [];
      assertEquals(cached, golden.factCache ?? []);
      for (const host of cached) {
        const text = fs.readFileSync(path.join(cache, host), "utf8");
        assertEquals(text.startsWith('{\n    "_ansible_facts_gathered": true,\n'), true, text.slice(0, 80));
        assertEquals(JSON.parse(text).ansible_hostname !== undefined, true);
      }
    } finally {
      fs.rmSync(ran.tmp, { recursive: true, force: true });
    }
  });
}

Deno.test("awx_display: without its markers, the screen text is the default callback's, byte for byte", () => {
  const framed = runAsRunner("more.yml");
  const plain = runAsRunner("more.yml", "default");
  try {
    // deno-lint-ignore no-control-regex
    const text = framed.stream.replace(/\x1b\[K(?:[A-Za-z0-9+/=]+\x1b\[\d+D)+\x1b\[K/g, "");
    const same = (s: string, tmp: string) =>
      s.replace(/"(start|end|delta)": "[^"]*"/g, "").split(tmp).join("<tmp>");
    assertEquals(same(text, framed.tmp), same(plain.stream, plain.tmp));
    assertEquals(framed.rc, plain.rc);
    assertEquals(fs.existsSync(path.join(plain.data, "job_events")), false);
  } finally {
    fs.rmSync(framed.tmp, { recursive: true, force: true });
    fs.rmSync(plain.tmp, { recursive: true, force: true });
  }
});
