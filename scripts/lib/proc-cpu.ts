// CPU time of processes, read from /proc (Linux only), so a benchmark can say which process spent the CPU of a
// request: the Worker's own workerd, the workerd that runs wrangler's dev proxy, or Node.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

export interface ProcInfo {
  pid: number;
  /** A short label: `workerd (worker)`, `workerd (proxy)`, `node`, or the command name. */
  role: string;
}

function stat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: the fields after it are space-separated.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Processes of a process group (a detached child's pid), labelled by role. */
export function processesOfGroup(pgid: number): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const fields = stat(pid);
    // Field 5 of stat is the process group; after the command name it is index 2.
    if (!fields || Number(fields[2]) !== pgid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    const role = cmdline.includes('/workerd ')
      ? cmdline.includes('--inspector-addr')
        ? 'workerd (worker)'
        : 'workerd (proxy)'
      : cmdline.startsWith('node ') || cmdline.includes('/node ')
        ? 'node'
        : (cmdline.split(' ')[0] ?? String(pid));
    found.push({ pid, role });
  }
  return found;
}

/** CPU seconds (user + system) a process has used so far; 0 once it has gone. */
export function cpuSeconds(pid: number): number {
  const fields = stat(pid);
  if (!fields) return 0;
  // utime and stime are fields 14 and 15 of stat: indexes 11 and 12 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds per role, summed over the given processes. */
export function cpuByRole(procs: ProcInfo[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of procs) out.set(p.role, (out.get(p.role) ?? 0) + cpuSeconds(p.pid));
  return out;
}

/** The parent pid of a process (0 when it has gone). */
export function parentPid(pid: number): number {
  return Number(stat(pid)?.[1] ?? 0);
}

/** CPU seconds used so far by a process and its live children (a PostgreSQL server: postmaster + backends). */
export function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    if (Number.isInteger(child) && parentPid(child) === pid) total += cpuSeconds(child);
  }
  return total;
}
