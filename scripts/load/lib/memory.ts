// Peak memory of the stack: the resident set of every workerd process descended from the stack's root
// process, read from /proc once a second. Other developers' workerd processes on the machine are not counted.
import { readdirSync, readFileSync } from 'node:fs';

function parentMap(): Map<number, { ppid: number; comm: string }> {
  const map = new Map<number, { ppid: number; comm: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces and parentheses, so split at the last ')'.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      map.set(Number(entry), { ppid, comm });
    } catch {
      // the process ended while we looked
    }
  }
  return map;
}

function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Sum of RSS of workerd processes under `root` (a pid), now. */
export function workerdRss(root: number): { bytes: number; processes: number } {
  const map = parentMap();
  let bytes = 0;
  let processes = 0;
  for (const [pid, { comm }] of map) {
    if (comm !== 'workerd') continue;
    let p = pid;
    for (let hops = 0; hops < 32 && p > 1; hops++) {
      if (p === root) {
        bytes += rssBytes(pid);
        processes++;
        break;
      }
      p = map.get(p)?.ppid ?? 0;
    }
  }
  return { bytes, processes };
}

export class MemorySampler {
  peakBytes = 0;
  lastBytes = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly rootPid: () => number | undefined) {}
  start(everyMs = 1000): void {
    const tick = () => {
      const pid = this.rootPid();
      if (pid === undefined) return;
      const { bytes } = workerdRss(pid);
      this.samples++;
      this.lastBytes = bytes;
      if (bytes > this.peakBytes) this.peakBytes = bytes;
    };
    tick();
    this.timer = setInterval(tick, everyMs);
    this.timer.unref();
  }
  stop(): void {
    clearInterval(this.timer);
  }
}
