import { readFileSync } from 'node:fs';

/**
 * Who owns a piece of unfinished work (an import, a queued run): a process, named so that a later process can tell
 * whether that owner is still alive. A pid alone is not enough, since pids are reused; on Linux the name adds the
 * process's start time (clock ticks since boot, from /proc), so a new process that got the same pid is not taken
 * for the owner. Elsewhere the pid alone is used, which errs on the safe side: a reused pid keeps the work waiting,
 * it never gets someone's live work deleted.
 */
export type Owner = string;

/** The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses); Linux only. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** starttime, field 22 of the line. */
const startTicks = (pid: number): string | undefined => statFields(pid)?.[19];

/**
 * Whether a process with this id runs (EPERM: it does, but belongs to someone else). A killed process stays a
 * zombie until its parent reaps it, which can take a second or more, and a zombie still answers signal 0; on Linux
 * its state (field 3: Z, or X for dead) says it runs no more, so its unfinished work is not mistaken for live work.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = statFields(pid)?.[0];
  return state !== 'Z' && state !== 'X';
}

function ownerName(pid: number): Owner {
  const ticks = startTicks(pid);
  return ticks ? `${pid}:${ticks}` : String(pid);
}

/** This process, as an owner. */
export const thisProcess: Owner = ownerName(process.pid);

/** Whether the owner still runs; work with no owner recorded (older stores) counts as abandoned. */
export function isOwnerAlive(owner: Owner | null): boolean {
  if (!owner) return false;
  const [pidText, ticks] = owner.split(':');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return false;
  if (ticks === undefined) return true;
  const now = startTicks(pid);
  return now === undefined || now === ticks;
}
