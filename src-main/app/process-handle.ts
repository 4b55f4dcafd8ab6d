/**
 * One worker process, however it was started (a Node child process or Electron's utilityProcess), that takes `In`
 * messages and answers with `Out` messages (plain data). Each service that runs work in a worker names the messages it
 * speaks; src-main/worker/protocol.ts unites them for the one worker entry.
 */
export interface ProcessHandle<In, Out> {
  readonly pid: number | undefined;
  send(message: In): void;
  onMessage(listener: (message: Out) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}
