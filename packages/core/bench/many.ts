/**
 * `pnpm bench:many`: many partners on one process. The engine runs the same virtual-time race
 * morning for 13 and for 200 connections of 20 events each (and for the 13-connection workload of
 * `bench:schedule`), and prints its CPU per simulated hour and its claim rounds (`claimDue` calls)
 * per simulated minute against the due passes it ran. The question: does the engine's CPU grow
 * no faster than the work it has to do (the due passes)? CPU is `process.cpuUsage()` around the
 * engine's measured window; the memory store's and the fake provider's own CPU are measured
 * around each of their calls and shown apart, since a real deployment pays PostgreSQL and
 * RunSignUp for those, not this process. `BENCH_HOURS` (default 3) sets the measured window,
 * `BENCH_MANY` (default 200) the larger size.
 */
import { createSyncEngine, secret, type SyncStore } from "@project88/core";
import { createMemoryStore, ManualClock } from "@project88/core/testing";
import { BenchProvider } from "./bench-provider.js";
import { buildManyWorkload } from "./many-workload.js";
import { buildWorkload, type Workload } from "./workload.js";

const HOUR = 3_600_000;
const WINDOW_HOURS = Number(process.env.BENCH_HOURS ?? 3);
const MANY = Number(process.env.BENCH_MANY ?? 200);
/** Long enough for every event's first (backfill) pass and a first discovery of every partner. */
const WARMUP_MS = HOUR;
const t0 = new Date("2026-10-31T12:00:00Z");
const from = t0.getTime();
const to = from + WINDOW_HOURS * HOUR;

/** CPU microseconds (user + system) since `start`. */
const cpuSince = (start: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(start);
  return d.user + d.system;
};

/**
 * Wraps every store method: the memory store does its work synchronously inside the call, so the
 * CPU measured around the call is the store's own. Counts `claimDue` calls inside the window.
 */
function measuredStore(store: SyncStore, clock: ManualClock) {
  const m = { storeCpuUs: 0, storeCalls: 0, claims: 0, emptyClaims: 0, inWindow: false };
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const cpu = process.cpuUsage();
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (m.inWindow) {
          m.storeCpuUs += cpuSince(cpu);
          m.storeCalls++;
        }
        if (prop === "claimDue" && m.inWindow && clock.now().getTime() >= from) {
          m.claims++;
          void (result as Promise<unknown[]>).then(
            (r) => {
              if (r.length === 0) m.emptyClaims++;
            },
            () => undefined,
          );
        }
        return result;
      };
    },
  });
  return { store: wrapped, m };
}

interface ManyFigures {
  readonly label: string;
  readonly connections: number;
  readonly events: number;
  readonly passes: number;
  readonly claims: number;
  readonly emptyClaims: number;
  readonly calls: number;
  readonly totalCpuUs: number;
  readonly storeCpuUs: number;
  readonly providerCpuUs: number;
  /** Store calls plus provider requests in the window: each paid for two `process.cpuUsage()` calls. */
  readonly measuredCalls: number;
  readonly wallMs: number;
}

/**
 * CPU microseconds of one `process.cpuUsage()` call. Measuring each store and provider call costs
 * two of them, about one inside the measured call and one outside it, in what would otherwise
 * count as the engine's CPU; that one is taken back out of the engine's figure.
 */
function cpuUsageCostUs(): number {
  const n = 50_000;
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) process.cpuUsage(start);
  return cpuSince(start) / n;
}
const PROBE_US = cpuUsageCostUs();

async function run(label: string, workload: Workload): Promise<ManyFigures> {
  const wall = performance.now();
  const clock = new ManualClock(from - WARMUP_MS);
  const provider = new BenchProvider(clock, workload);
  const { store, m } = measuredStore(createMemoryStore(), clock);
  const engine = createSyncEngine({
    adapters: [provider],
    store,
    clock,
    owner: "bench",
    pollMs: 30_000,
    random: () => 0.5,
    connections: workload.connections.map((id) => ({ id, provider: "bench", credentials: { key: secret(`k-${id}`) } })),
  });
  let passes = 0;
  engine.on("sync:finish", () => {
    if (m.inWindow) passes++;
  });
  engine.on("sync:error", () => {
    if (m.inWindow) passes++;
  });
  await engine.start();
  await clock.advanceTo(from);
  const callsBefore = provider.calls.length;
  const providerBefore = provider.answerCpuUs;
  m.inWindow = true;
  const cpu = process.cpuUsage();
  for (let t = from; t < to; t += HOUR) {
    await clock.advanceTo(t + HOUR);
    process.stderr.write(`  ${label}: ${new Date(t + HOUR).toISOString()} (${Math.round((performance.now() - wall) / 1000)} s)\n`);
  }
  const totalCpuUs = cpuSince(cpu);
  m.inWindow = false;
  const stopping = engine.stop({ timeoutMs: 60_000 });
  for (let i = 0; i < 200; i++) await clock.advance(1_000);
  await stopping;
  return {
    label,
    connections: workload.connections.length,
    events: workload.races.reduce((n, r) => n + r.events.length, 0),
    passes,
    claims: m.claims,
    emptyClaims: m.emptyClaims,
    calls: provider.calls.length - callsBefore,
    totalCpuUs,
    storeCpuUs: m.storeCpuUs,
    providerCpuUs: provider.answerCpuUs - providerBefore,
    measuredCalls: m.storeCalls + provider.calls.length - callsBefore,
    wallMs: performance.now() - wall,
  };
}

const windowMs = WINDOW_HOURS * HOUR;
const runs: ManyFigures[] = [];
runs.push(await run("bench:schedule workload", buildWorkload({ t0, windowMs })));
runs.push(await run("13 x 20", buildManyWorkload({ t0, windowMs, connections: 13 })));
runs.push(await run(`${MANY} x 20`, buildManyWorkload({ t0, windowMs, connections: MANY })));

const ms = (us: number) => us / 1000;
const engineCpu = (f: ManyFigures) => f.totalCpuUs - f.storeCpuUs - f.providerCpuUs - f.measuredCalls * PROBE_US;
console.log(
  `window: ${WINDOW_HOURS} simulated h after a ${WARMUP_MS / HOUR} h warm-up, from ${t0.toISOString()}; CPU in ms (user + system) over the window`,
);
console.log(
  `engine CPU = whole process - memory store - fake provider - one process.cpuUsage() (${PROBE_US.toFixed(2)} µs) per measured call`,
);
console.log("");
console.log(
  "| workload | connections | events | due passes/h | claim rounds/min | empty claims | provider calls/h | engine CPU ms/h | engine CPU ms per pass | memory store CPU ms/h | fake provider CPU ms/h | whole process CPU ms/h | wall s |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const f of runs) {
  const h = WINDOW_HOURS;
  console.log(
    `| ${f.label} | ${f.connections} | ${f.events} | ${(f.passes / h).toFixed(0)} | ${(f.claims / (h * 60)).toFixed(1)} | ${f.emptyClaims} | ${(f.calls / h).toFixed(0)} | ${(ms(engineCpu(f)) / h).toFixed(0)} | ${(ms(engineCpu(f)) / Math.max(1, f.passes)).toFixed(2)} | ${(ms(f.storeCpuUs) / h).toFixed(0)} | ${(ms(f.providerCpuUs) / h).toFixed(0)} | ${(ms(f.totalCpuUs) / h).toFixed(0)} | ${(f.wallMs / 1000).toFixed(1)} |`,
  );
}
const [, small, large] = runs as [ManyFigures, ManyFigures, ManyFigures];
const ratio = (a: number, b: number) => (b === 0 ? "-" : `${(a / b).toFixed(1)}x`);
console.log("");
console.log(
  `${large.label} against 13 x 20: connections ${ratio(large.connections, small.connections)}, due passes ${ratio(large.passes, small.passes)}, claim rounds ${ratio(large.claims, small.claims)}, engine CPU ${ratio(engineCpu(large), engineCpu(small))}, memory store CPU ${ratio(large.storeCpuUs, small.storeCpuUs)}`,
);
