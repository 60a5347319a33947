// bootstrap/become.py spawns hops from contexts running every Python from 3.6 to 3.13 found on this
// machine (pyenv builds), so the PTY handshake code keeps to what all of them offer.
import { assertEquals } from "./_assert.ts";
import { Broker } from "../transports/broker.ts";
import { defaultMethods } from "../transports/methods.ts";

const home = Deno.env.get("HOME") ?? "/root";
const pythons = ["3.6", "3.13"].flatMap((v) => {
  try {
    for (const e of Deno.readDirSync(`${home}/.pyenv/versions`)) {
      if (e.name.startsWith(`${v}.`)) return [`${home}/.pyenv/versions/${e.name}/bin/python${v}`];
    }
  } catch {
    // no pyenv here
  }
  return [];
});
const isRoot = Deno.uid() === 0;

Deno.test({
  name: `sudo hops from contexts on ${
    pythons.map((p) => p.split("/").at(-1)).join(", ") || "no extra Python"
  }`,
  // sudo to root without a password needs root; the version list needs pyenv builds.
  ignore: pythons.length === 0 || !isRoot,
  fn: async () => {
    const b = new Broker({ methods: defaultMethods(), onLog: () => {} });
    try {
      for (const py of pythons) {
        const want = py.split("python").at(-1)!.split(".").map(Number);
        const local = await b.connect({ method: "local", python: py });
        const root = await b.connect({ method: "sudo", user: "root", python: py, via: local, flags: "-H" });
        assertEquals(root.info!.python.slice(0, 2), want);
        assertEquals(await root.call("os", "getuid"), 0);
        assertEquals(await root.call("os", "getppid") === local.info!.pid, false); // sudo sits between
        assertEquals(await root.call("os.path", "expanduser", ["~"]), "/root"); // -H set HOME
      }
    } finally {
      await b.shutdown();
    }
  },
});
