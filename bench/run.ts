/**
 * `npm run bench`: fan-out latency of one control-document change to N connected y-websocket clients,
 * against Parley (auth and persistence on), the stock @y/websocket-server and a bare `ws` relay (the floor).
 * Prints a table and writes bench/results.json as {"metrics": {...}}. BENCH_ROUNDS changes the number of
 * measured rounds (200).
 *
 * All clients live in this one process, so their own work (500 Y.Docs applying each update one after the
 * other) is part of every sample; the floor shows how much of a figure that is.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FanoutGroup, getPercentile, type FanoutTarget } from './fanout';
import { seedParley, type ParleySeed } from './parleySeed';
import { startFloor, startParley, startStock, type ServerProcess } from './servers';

const CLIENT_COUNTS = [100, 500] as const;
const WARMUP_ROUNDS = 5;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
/** The whole run must end by itself, even if a server hangs. */
const WATCHDOG_MS = 10 * 60_000;
const PAUSE_BETWEEN_ROUNDS_MS = 20;

type ServerName = 'parley' | 'stock' | 'floor';
const SERVER_NAMES: ServerName[] = ['floor', 'stock', 'parley'];

interface Row {
  server: ServerName;
  clients: number;
  p50: number;
  p99: number;
  max: number;
  samples: number;
  lost: number;
  connectMs: number;
  rssMb?: number;
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const toWsUrl = (origin: string) => origin.replace(/^http/, 'ws');
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function getTarget({
  name,
  server,
  seed,
  clients
}: {
  name: ServerName;
  server: ServerProcess;
  seed: ParleySeed | null;
  clients: number;
}): FanoutTarget {
  if (name === 'parley' && seed) {
    return {
      serverUrl: `${toWsUrl(server.origin)}/ws`,
      docName: seed.docName,
      ready: 'synced',
      writerHeaders: { Cookie: seed.writerCookie, Origin: server.origin },
      getReaderHeaders: (i) => ({ Cookie: seed.guestCookies[i], Origin: server.origin })
    };
  }
  return {
    serverUrl: toWsUrl(server.origin),
    docName: `bench/control-n${clients}`,
    ready: name === 'floor' ? 'connected' : 'synced'
  };
}

/**
 * All servers' client groups stay connected at once and take turns round by round, in rotating order, so
 * that noise from the machine (other processes, the clients' own work) falls on every server alike.
 */
async function runScenario({
  servers,
  seed,
  clients,
  failures
}: {
  servers: Map<ServerName, ServerProcess>;
  seed: ParleySeed | null;
  clients: number;
  failures: string[];
}): Promise<Row[]> {
  const groups = new Map<
    ServerName,
    { group: FanoutGroup; connectMs: number; samples: number[]; lost: number }
  >();
  try {
    for (const name of SERVER_NAMES) {
      const server = servers.get(name);
      if (!server || (name === 'parley' && !seed)) continue;
      const started = performance.now();
      try {
        const group = await FanoutGroup.connect({
          target: getTarget({ name, server, seed, clients }),
          readers: clients
        });
        groups.set(name, { group, connectMs: performance.now() - started, samples: [], lost: 0 });
      } catch (error) {
        failures.push(`${name} n${clients}: ${(error as Error).message}`);
      }
    }
    const names = [...groups.keys()];
    console.log(`bench: ${clients} clients each on ${names.join(', ')}: ${WARMUP_ROUNDS} + ${ROUNDS} rounds`);
    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      for (let k = 0; k < names.length; k++) {
        const entry = groups.get(names[(round + k) % names.length])!;
        // Lets each server finish what the last round left behind (e.g. batched storage writes).
        await pause(PAUSE_BETWEEN_ROUNDS_MS);
        const { latencies, lost } = await entry.group.runRound();
        if (round < WARMUP_ROUNDS) continue;
        entry.samples.push(...latencies);
        entry.lost += lost;
      }
    }
    const rows: Row[] = [];
    for (const [name, entry] of groups) {
      const sorted = [...entry.samples].sort((a, b) => a - b);
      rows.push({
        server: name,
        clients,
        p50: getPercentile(sorted, 0.5),
        p99: getPercentile(sorted, 0.99),
        max: sorted.at(-1) ?? Number.NaN,
        samples: sorted.length,
        lost: entry.lost,
        connectMs: entry.connectMs,
        rssMb: servers.get(name)?.getRssMb()
      });
      if (entry.lost > 0)
        failures.push(`${name} n${clients}: ${entry.lost} (client, round) updates never arrived`);
    }
    return rows;
  } finally {
    for (const { group } of groups.values()) group.close();
    // Sockets close asynchronously; let the servers see them go before the next scenario connects.
    await pause(500);
  }
}

async function main(): Promise<number> {
  // Every provider registers a process 'exit' handler; 500 of them are expected here.
  process.setMaxListeners(0);
  const servers = new Map<ServerName, ServerProcess>();
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${WATCHDOG_MS / 60_000} minutes; stopping`);
    void Promise.allSettled([...servers.values()].map((s) => s.stop())).finally(() => process.exit(1));
  }, WATCHDOG_MS);

  const failures: string[] = [];
  const rows: Row[] = [];
  try {
    servers.set('floor', await startFloor());
    servers.set('stock', await startStock());
    if (existsSync(join(import.meta.dirname, '..', 'server', 'main.ts'))) {
      try {
        servers.set('parley', await startParley());
      } catch (error) {
        failures.push(`parley: ${(error as Error).message}`);
      }
    } else {
      failures.push('parley: server/main.ts does not exist yet');
    }

    const maxClients = Math.max(...CLIENT_COUNTS);
    const parley = servers.get('parley');
    const seed = parley
      ? await seedParley({ origin: parley.origin, guests: maxClients }).catch((error: Error) => {
          failures.push(`parley seeding: ${error.message}`);
          return null;
        })
      : null;

    for (const clients of CLIENT_COUNTS) {
      rows.push(...(await runScenario({ servers, seed, clients, failures })));
    }
  } finally {
    await Promise.allSettled([...servers.values()].map((s) => s.stop()));
    clearTimeout(watchdog);
  }

  const metrics = getMetrics(rows);
  printTable(rows, metrics);
  writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify({ metrics }, null, 2)}\n`);
  console.log('\nwrote bench/results.json');
  if (failures.length > 0) {
    console.error(`\nbench: ${failures.length} problem(s):\n- ${failures.join('\n- ')}`);
    return 1;
  }
  return 0;
}

function getMetrics(rows: Row[]): Record<string, number> {
  const metrics: Record<string, number> = {};
  const find = (server: ServerName, clients: number) =>
    rows.find((r) => r.server === server && r.clients === clients);
  for (const clients of CLIENT_COUNTS) {
    const n = `n${clients}`;
    const parley = find('parley', clients);
    const stock = find('stock', clients);
    const floor = find('floor', clients);
    if (parley) {
      metrics[`fanout_p50_ms_parley_${n}`] = round2(parley.p50);
      metrics[`fanout_p99_ms_parley_${n}`] = round2(parley.p99);
    }
    if (stock) {
      metrics[`fanout_p50_ms_stock_${n}`] = round2(stock.p50);
      metrics[`fanout_p99_ms_stock_${n}`] = round2(stock.p99);
    }
    if (floor) {
      metrics[`fanout_p50_ms_floor_${n}`] = round2(floor.p50);
      metrics[`fanout_p99_ms_floor_${n}`] = round2(floor.p99);
    }
    if (parley && stock) metrics[`fanout_p99_ratio_${n}`] = round2(parley.p99 / stock.p99);
  }
  const parley500 = find('parley', 500);
  if (parley500?.rssMb !== undefined) metrics.server_rss_mb_n500 = round2(parley500.rssMb);
  return metrics;
}

function printTable(rows: Row[], metrics: Record<string, number>): void {
  const header = [
    'server',
    'clients',
    'p50 ms',
    'p99 ms',
    'max ms',
    'samples',
    'lost',
    'connect s',
    'rss MB'
  ];
  const lines = rows.map((r) => [
    r.server,
    String(r.clients),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.max.toFixed(2),
    String(r.samples),
    String(r.lost),
    (r.connectMs / 1000).toFixed(1),
    r.rssMb === undefined ? '' : r.rssMb.toFixed(0)
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(
    `\nFan-out of one control-document change: ${WARMUP_ROUNDS} warm-up + ${ROUNDS} rounds, one sample per (client, round)\n`
  );
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  lines.forEach((l) => console.log(format(l)));
  console.log('');
  for (const [key, value] of Object.entries(metrics)) console.log(`${key.padEnd(28)} ${value}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  }
);
