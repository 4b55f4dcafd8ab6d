import { readFileSync } from 'node:fs';

/**
 * Who owns a piece of unfinished work (an import, a queued run): a process, named so that a later process can tell
 * whether that owner is still alive. A pid alone is not enough, since pids are reused; on Linux the name adds the
 * process's start time (clock ticks since boot, from /proc), so a new process that got the same pid is not taken
 * for the owner. Elsewhere the pid alone is used, which errs on the safe side: a reused pid keeps the work waiting,
 * it never gets someone's live work deleted.
 */
export type Owner = string;

function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses); starttime is field 22 of the line.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether a process with this id exists (EPERM: it does, but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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
