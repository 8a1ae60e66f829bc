import { readdirSync, readFileSync } from 'node:fs';

// CPU accounting from /proc (Linux): who used the two cores during a measured run — the server
// under test, PostgreSQL, the load generator (this process) and anything else on the machine.
// On a machine shared with other work the last figure says how far to trust a run.

const TICK_US = 1_000_000 / 100; // USER_HZ is 100 on Linux

/** utime+stime (and optionally cutime+cstime) of a process, in clock ticks; 0 if it is gone. */
function ticks(pid: number | string, children = false): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // After "pid (comm) ": state=0 ppid=1 … utime=11 stime=12 cutime=13 cstime=14
    const own = Number(fields[11]) + Number(fields[12]);
    return children ? own + Number(fields[13]) + Number(fields[14]) : own;
  } catch {
    return 0;
  }
}

function parentOf(pid: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1];
  } catch {
    return undefined;
  }
}

/**
 * All PostgreSQL server processes: live backends plus what exited ones used (the postmaster's
 * cutime/cstime), so connections closed during the run are still counted.
 */
function postgresTicks(): number {
  const pids = readdirSync('/proc').filter((d) => {
    if (!/^\d+$/.test(d)) return false;
    try {
      return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres';
    } catch {
      return false;
    }
  });
  const set = new Set(pids);
  return pids.reduce((sum, pid) => sum + ticks(pid, !set.has(parentOf(pid) ?? '')), 0);
}

function machineTicks(): { busy: number; all: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return { busy: user + nice + system + irq + softirq + steal, all: user + nice + system + idle + iowait + irq + softirq + steal };
}

export interface CpuUse {
  /** CPU time per request, µs. */
  server: number;
  postgres: number;
  loadGenerator: number;
  /** Everything else on the machine (kernel work not charged to a process, other programs). */
  other: number;
  /** Share of the machine's CPU busy during the run (1 = every core busy). */
  busy: number;
}

/** `serverPid`: the server under test, or several (e.g. two app instances), counted together. */
export function startCpu(serverPid: number | number[]): { stop(requests: number): CpuUse } {
  const pids = Array.isArray(serverPid) ? serverPid : [serverPid];
  const serverTicks = () => pids.reduce((sum, pid) => sum + ticks(pid), 0);
  const s0 = serverTicks();
  const p0 = postgresTicks();
  const l0 = process.cpuUsage();
  const m0 = machineTicks();
  return {
    stop(requests) {
      const server = (serverTicks() - s0) * TICK_US;
      const postgres = (postgresTicks() - p0) * TICK_US;
      const l = process.cpuUsage(l0);
      const loadGenerator = l.user + l.system;
      const m1 = machineTicks();
      const busyAll = (m1.busy - m0.busy) * TICK_US;
      const per = (v: number) => (requests > 0 ? v / requests : NaN);
      return {
        server: per(server),
        postgres: per(postgres),
        loadGenerator: per(loadGenerator),
        other: per(Math.max(0, busyAll - server - postgres - loadGenerator)),
        busy: (m1.busy - m0.busy) / Math.max(1, m1.all - m0.all),
      };
    },
  };
}

/** The machine's busy share over `ms` milliseconds. */
export async function machineBusy(ms = 1000): Promise<number> {
  const a = machineTicks();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineTicks();
  return (b.busy - a.busy) / Math.max(1, b.all - a.all);
}

function processTicks(): Map<string, { comm: string; ticks: number }> {
  const out = new Map<string, { comm: string; ticks: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out.set(d, { comm, ticks: ticks(d) });
    } catch {
      // gone
    }
  }
  return out;
}

export interface Quiet {
  busy: number;
  /** The busiest processes during the last check, e.g. "postgres 40%" (share of one core). */
  top: string[];
}

/**
 * Waits (up to `maxMs`) for the machine to be quiet before a measured step: other programs'
 * load would be counted against whatever is being measured. Returns the last check.
 */
export async function waitForQuiet(maxMs: number, threshold = 0.15): Promise<Quiet> {
  const until = Date.now() + maxMs;
  for (;;) {
    const p0 = processTicks();
    const m0 = machineTicks();
    await new Promise((r) => setTimeout(r, 1000));
    const m1 = machineTicks();
    const busy = (m1.busy - m0.busy) / Math.max(1, m1.all - m0.all);
    if (busy <= threshold || Date.now() >= until) {
      const seconds = (m1.all - m0.all) / 100 / Math.max(1, cpuCount());
      const top = [...processTicks()]
        .map(([pid, p]) => ({ name: `${p.comm}[${pid}]`, used: p.ticks - (p0.get(pid)?.ticks ?? p.ticks) }))
        .filter((p) => p.used > 0)
        .sort((a, b) => b.used - a.used)
        .slice(0, 3)
        .map((p) => `${p.name} ${Math.round((p.used / 100 / Math.max(0.001, seconds)) * 100)}%`);
      return { busy, top };
    }
  }
}

function cpuCount(): number {
  return readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l)).length;
}
