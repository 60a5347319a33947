// mito's library API. Filled in as the layers land: the protocol core, transports and the playbook runner.
export { VERSION } from "./cli/version.ts";
export type { ByteChannel, ExitStatus, SpawnRequest } from "./transports/stream.ts";
