import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { dataLayout } from '../../src-main/app/paths';

/** The real command-line entry, run as its own process. */
export const cliBin = fileURLToPath(new URL('../../bin/ae-studio.mjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ae-studio ARGS` to its end. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliBin, ...args],
      { timeout: 180_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Starts `ae-studio ARGS` in its own process group (so a kill takes its workers too) and collects its output. */
export function startCli(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [cliBin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr })),
  );
  return { child, done };
}

/** Signals a started command's whole process group (the command and any worker it started). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  process.kill(-child.pid!, signal);
}

/**
 * Polls the data folder's store (read-only, as a second process would) until `probe` returns a value, and returns
 * it. Used to catch a command at a precise point of its work (a row written, a status reached).
 */
export async function waitForStore<T>(
  dataDir: string,
  probe: (db: Database.Database) => T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const db = new Database(dataLayout(dataDir).database, { readonly: true, fileMustExist: true });
      try {
        const value = probe(db);
        if (value !== undefined) return value;
      } finally {
        db.close();
      }
    } catch {
      // Not created yet, or its schema not yet written.
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('The store never reached the awaited state');
}

/** `ae-studio train` of the small dense preset for one epoch in big batches: a real run in a few seconds. */
export function trainTinyRunCli(dataDir: string): Promise<CliResult> {
  return runCli(['train', '--preset', 'small-dense', '--epochs', '1', '--batch', '256', '--data-dir', dataDir]);
}
