// A broker for a test: every transport method, its log dropped, and shut down whatever the test did.
import { Broker } from "../transports/broker.ts";
import { defaultMethods } from "../transports/methods.ts";

export async function withBroker(fn: (b: Broker) => Promise<void>): Promise<void> {
  const b = new Broker({ methods: defaultMethods(), onLog: () => {} });
  try {
    await fn(b);
  } finally {
    await b.shutdown();
  }
}
