// What every transport hands the router: a byte pipe to a freshly started remote command (its stdin and
// stdout), plus its stderr for diagnostics and a promise of how it ended. The protocol layer knows nothing
// about how the bytes travel.

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface ByteChannel {
  /** Bytes from the far end's stdout, in order; ends when the far end closes it. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Far end's stderr (ssh diagnostics, sudo noise). Undefined where the transport merges it. */
  readonly stderr?: ReadableStream<Uint8Array>;
  /** Write to the far end's stdin; resolves when the transport accepted the bytes (backpressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** Close the far end's stdin; the remote runtime treats EOF as "parent gone" and exits. */
  closeWrite(): Promise<void>;
  /** Forcefully stop the transport (kill the process / close the SSH channel). */
  kill(): void;
  /**
   * Stops the transport from keeping the controller alive: the process carrying it (ssh) ends on its own
   * once the far end has gone, after the controller has exited. Absent where the transport lives inside
   * the controller (ssh2's socket): such a channel is waited for.
   */
  detach?(): void;
  /** Resolves once the transport process or channel has ended. */
  readonly exited: Promise<ExitStatus>;
  /**
   * The readable's chunks are the reader's alone (fresh buffers the transport never reads again): the
   * reader may free one it is done with (transports/memory.ts freeBuffer).
   */
  readonly ownedChunks?: boolean;
  /** The spawn's input (SpawnInput) was written already, before the channel was handed over. */
  readonly inputSent?: boolean;
}

/**
 * What a spawned command reads first, for a method that writes it at once instead of after the channel
 * is handed over (ssh hands it over only at the remote command's first byte, a round trip after the login).
 * Called once, right after the process is started.
 */
export type SpawnInput = () => Uint8Array;

/** How a transport starts a command: argv for the far end's program, already quoted per transport needs. */
export interface SpawnRequest {
  argv: string[];
  env?: Record<string, string>;
}
