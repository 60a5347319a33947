// bootstrap/become.py spawns hops from contexts running every Python from 3.6 to 3.13 found on this
// machine (pyenv builds), so the PTY handshake code keeps to what all of them offer.
import { assertEquals } from "./_assert.ts";
import { Broker } from "../transports/broker.ts";
import { defaultMethods } from "../transports/methods.ts";
import { pyenvPython } from "./_pythons.ts";
import { requireRoot } from "./_testenv.ts";

Deno.test({
  name: "sudo hops from contexts on python3.6 and python3.13",
  fn: async () => {
    requireRoot("sudo to root without a password needs root");
    const pythons = ["3.6", "3.13"].map(pyenvPython);
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
