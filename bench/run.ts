/**
 * `npm run bench`:
 * - fan-out latency of one control-document change to N connected y-websocket clients, against Parley (auth
 *   and persistence on), the stock @y/websocket-server and a bare `ws` relay (the floor);
 * - the same for a moderator's breakout setup change made through src/lib/sync/control.ts (a rename or a
 *   move) and read back by every reader with readBreakoutState, on Parley and the stock server at N = 500;
 * - the time `distributeParticipants` takes to spread 10,000 participants over 100 rooms;
 * - breakout sessions (bench/session.ts): the time from a moderator's `startSession` until each of 1,000
 *   participant clients sees its own room, and from a broadcast until the last of 100 rooms' chats shows
 *   it, on Parley and the stock server (targets ≤ 500 ms, reported, not asserted);
 * - local-first (bench/localFirst.ts, bench/coldLoad.ts): merging two moderators' 1,000 offline setup
 *   changes each into a setup of 1,000 participants and 100 rooms (≤ 100 ms; the replicas must converge),
 *   the compacted control document's size after 20,000 setup changes (≤ 300 KB), and opening a
 *   conversation from IndexedDB in Chromium with the server stopped (≤ 300 ms; needs `npm run build`);
 * - calls (bench/calls.ts): from "Join call" to the first inbound media on the joining page, two Chromium
 *   pages with fake devices on loopback, the median of 7 joins (`call_setup_ms_p50`, ≤ 1,000 ms; needs
 *   `npm run build`).
 * Prints a table and writes bench/results.json as {"metrics": {...}}. BENCH_ROUNDS changes the number of
 * measured rounds per scenario (600); each scenario also stops after SCENARIO_BUDGET_MS, so a run stays
 * within a few minutes.
 *
 * The readers' own work (500 Y.Docs applying each update one after the other) is part of every sample; the
 * floor shows how much of a figure that is. BENCH_READER_PROCESSES (2) spreads the readers over that
 * many processes (bench/readerShard.ts); 1 keeps them all in this one. On this two-core machine, with 2 the
 * n500 p99s were 20–42 ms and their parley/stock ratio 0.95–1.11 over three runs; with 1, 41–97 ms and
 * 0.67–0.69: the tail was mostly the single client process's queue.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { measureAutoAssign, type AutoAssignResult } from './autoAssign';
import { describeCallSetup, describeCallSetupVerdict, measureCallSetup, type CallSetupResult } from './calls';
import { describeColdLoad, measureColdLoad, type ColdLoadResult } from './coldLoad';
import {
  FanoutGroup,
  getPercentile,
  getProbe,
  ShardedFanoutGroup,
  type FanoutTarget,
  type ProbeSpec
} from './fanout';
import {
  describeDocBytes,
  describeOfflineMerge,
  measureDocBytes,
  measureOfflineMerge,
  type DocBytesResult,
  type OfflineMergeResult
} from './localFirst';
import { seedParley, type ParleySeed } from './parleySeed';
import { startFloor, startParley, startStock, type ServerProcess } from './servers';
import { BROADCAST_ROOMS, measureSessions, SESSION_CLIENTS, type SessionRow } from './session';
import { ReaderShard } from './shards';

const CLIENT_COUNTS = [100, 500] as const;
/** The breakout setup change is measured at the largest N only (issue 3's target). */
const SETUP_CLIENTS = 500;
const WARMUP_ROUNDS = 5;
// Samples within a round are correlated (one slow round delays all its readers), so the p99 over all
// samples is set by the worst ~1% of rounds: enough rounds make that tail a stable measure.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 600);
/**
 * 1: every reader in this process. More: the readers spread over that many reader processes (bench/
 * readerShard.ts), so one event loop decoding 500 copies of each update is not what the tail measures.
 */
const READER_PROCESSES = Math.max(1, Number(process.env.BENCH_READER_PROCESSES ?? 2));
/** The whole run must end by itself, even if a server hangs. */
const WATCHDOG_MS = 12 * 60_000;
/** Each scenario stops measuring after this long, with the rounds it has, so the run stays bounded. */
const SCENARIO_BUDGET_MS = 150_000;
/** A server whose readers miss this many rounds in a row is not waited for any more (10 s per round). */
const MAX_FAILED_ROUNDS_IN_A_ROW = 3;
const PAUSE_BETWEEN_ROUNDS_MS = 20;

type ServerName = 'parley' | 'stock' | 'floor';
const SERVER_NAMES: ServerName[] = ['floor', 'stock', 'parley'];
/** The relay holds no document, so it cannot serve the rooms a setup change needs. */
const SETUP_SERVER_NAMES: ServerName[] = ['stock', 'parley'];

/** `fanout`: a bare Y.Map key; `setup`: a breakout setup command read back with readBreakoutState. */
type ChangeKind = 'fanout' | 'setup';

interface Row {
  kind: ChangeKind;
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
  clients,
  kind
}: {
  name: ServerName;
  server: ServerProcess;
  seed: ParleySeed | null;
  clients: number;
  kind: ChangeKind;
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
    docName: kind === 'setup' ? `bench/setup-n${clients}` : `bench/control-n${clients}`,
    ready: name === 'floor' ? 'connected' : 'synced'
  };
}

/**
 * All servers' client groups stay connected at once and take turns round by round, in rotating order, so
 * that noise from the machine (other processes, the clients' own work) falls on every server alike.
 */
function getProbeSpec({
  name,
  seed,
  kind
}: {
  name: ServerName;
  seed: ParleySeed | null;
  kind: ChangeKind;
}): ProbeSpec {
  if (kind === 'fanout') return { kind: 'tick' };
  // On Parley the person moved is a real participant (a guest who joined); the stock server knows no one.
  const participantId = name === 'parley' && seed ? seed.guestUserIds[0] : 'bench-participant-0001';
  return { kind: 'setup', participantId, tag: Math.random().toString(36).slice(2, 8) };
}

async function runScenario({
  servers,
  seed,
  clients,
  failures,
  kind = 'fanout',
  serverNames = SERVER_NAMES,
  shards = []
}: {
  servers: Map<ServerName, ServerProcess>;
  seed: ParleySeed | null;
  clients: number;
  failures: string[];
  kind?: ChangeKind;
  serverNames?: ServerName[];
  shards?: ReaderShard[];
}): Promise<Row[]> {
  const label = `${kind === 'setup' ? 'setup ' : ''}n${clients}`;
  const groups = new Map<
    ServerName,
    {
      group: FanoutGroup | ShardedFanoutGroup;
      connectMs: number;
      samples: number[];
      lost: number;
      failedInARow: number;
    }
  >();
  try {
    for (const name of serverNames) {
      const server = servers.get(name);
      if (!server || (name === 'parley' && !seed)) continue;
      const started = performance.now();
      try {
        const target = getTarget({ name, server, seed, clients, kind });
        const probe = getProbeSpec({ name, seed, kind });
        const group =
          shards.length > 1
            ? await ShardedFanoutGroup.connect({ target, readers: clients, probe, shards })
            : await FanoutGroup.connect({ target, readers: clients, probe: getProbe(probe) });
        groups.set(name, {
          group,
          connectMs: performance.now() - started,
          samples: [],
          lost: 0,
          failedInARow: 0
        });
      } catch (error) {
        failures.push(`${name} ${label}: ${(error as Error).message}`);
      }
    }
    const names = [...groups.keys()];
    console.log(
      `bench: ${kind === 'setup' ? 'breakout setup change, ' : ''}${clients} clients each on ${names.join(', ')}: ${WARMUP_ROUNDS} + ${ROUNDS} rounds`
    );
    const startedAt = performance.now();
    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      if (performance.now() - startedAt > SCENARIO_BUDGET_MS) {
        console.log(
          `bench: ${label}: time budget spent, stopping after ${round - WARMUP_ROUNDS} measured rounds`
        );
        break;
      }
      for (let k = 0; k < names.length; k++) {
        const entry = groups.get(names[(round + k) % names.length])!;
        if (entry.failedInARow >= MAX_FAILED_ROUNDS_IN_A_ROW) continue;
        // Lets each server finish what the last round left behind (e.g. batched storage writes).
        await pause(PAUSE_BETWEEN_ROUNDS_MS);
        const { latencies, lost } = await entry.group.runRound();
        entry.failedInARow = lost > 0 ? entry.failedInARow + 1 : 0;
        if (entry.failedInARow === MAX_FAILED_ROUNDS_IN_A_ROW) {
          failures.push(
            `${names[(round + k) % names.length]} ${label}: stopped after ${MAX_FAILED_ROUNDS_IN_A_ROW} rounds in a row with lost updates`
          );
        }
        if (round < WARMUP_ROUNDS) continue;
        entry.samples.push(...latencies);
        entry.lost += lost;
      }
    }
    const rows: Row[] = [];
    for (const [name, entry] of groups) {
      const sorted = [...entry.samples].sort((a, b) => a - b);
      rows.push({
        kind,
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
        failures.push(`${name} ${label}: ${entry.lost} (client, round) updates never arrived`);
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
  const shards: ReaderShard[] = [];
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${WATCHDOG_MS / 60_000} minutes; stopping`);
    void Promise.allSettled([...servers.values(), ...shards].map((s) => s.stop())).finally(() =>
      process.exit(1)
    );
  }, WATCHDOG_MS);

  const failures: string[] = [];
  const rows: Row[] = [];
  let sessionRows: SessionRow[];
  let locateMs: { sessionChangeMs: number; setupChangeMs: number };
  // Pure CPU and in this process only: measured first, before any server or client competes for the cores.
  const autoAssign = measureAutoAssign();
  const offlineMerge = measureOfflineMerge();
  const docBytes = measureDocBytes();
  for (const problem of offlineMerge.problems) failures.push(`offline merge: ${problem}`);
  try {
    if (READER_PROCESSES > 1) {
      for (let k = 0; k < READER_PROCESSES; k++) shards.push(await ReaderShard.start());
      console.log(
        `bench: readers in ${READER_PROCESSES} processes, clock offsets ${shards.map((s) => s.offset.toFixed(3)).join(', ')} ms`
      );
    }
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
      rows.push(...(await runScenario({ servers, seed, clients, failures, shards })));
    }
    rows.push(
      ...(await runScenario({
        servers,
        seed,
        clients: SETUP_CLIENTS,
        failures,
        kind: 'setup',
        serverNames: SETUP_SERVER_NAMES,
        shards
      }))
    );

    // Breakout sessions: a conversation of their own, with 1,000 participants.
    const sessionSeed = parley
      ? await seedParley({ origin: parley.origin, guests: SESSION_CLIENTS, title: 'Session bench' }).catch(
          (error: Error) => {
            failures.push(`parley session seeding: ${error.message}`);
            return null;
          }
        )
      : null;
    // These readers always live in reader processes (they need per-reader users and documents).
    if (shards.length === 0) shards.push(await ReaderShard.start());
    const sessions = await measureSessions({
      parley,
      stock: servers.get('stock'),
      seed: sessionSeed,
      shards,
      failures
    });
    sessionRows = sessions.rows;
    locateMs = sessions.locateMs;
  } finally {
    await Promise.allSettled([...servers.values(), ...shards].map((s) => s.stop()));
  }
  // Chromium and a server of its own, once every other server and client is gone.
  let coldLoad: ColdLoadResult | null;
  let callSetup: CallSetupResult | null;
  try {
    coldLoad = await measureColdLoad({ failures });
    callSetup = await measureCallSetup({ failures });
  } finally {
    clearTimeout(watchdog);
  }

  const metrics = {
    ...getMetrics(rows, autoAssign),
    ...getSessionMetrics(sessionRows),
    ...getLocalFirstMetrics({ offlineMerge, docBytes, coldLoad }),
    ...(callSetup ? { call_setup_ms_p50: round2(callSetup.medianMs) } : {})
  };
  printTable(rows, metrics, autoAssign);
  printSessionTable(sessionRows, metrics, locateMs);
  printLocalFirstTable({ offlineMerge, docBytes, coldLoad }, metrics);
  console.log('\nCalls\n');
  if (callSetup) for (const line of describeCallSetup(callSetup)) console.log(line);
  console.log(describeCallSetupVerdict(metrics.call_setup_ms_p50));
  console.log('');
  for (const [key, value] of Object.entries(metrics)) console.log(`${key.padEnd(36)} ${value}`);
  writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify({ metrics }, null, 2)}\n`);
  console.log('\nwrote bench/results.json');
  if (failures.length > 0) {
    console.error(`\nbench: ${failures.length} problem(s):\n- ${failures.join('\n- ')}`);
    return 1;
  }
  return 0;
}

function getMetrics(rows: Row[], autoAssign: AutoAssignResult): Record<string, number> {
  const metrics: Record<string, number> = {};
  const find = (server: ServerName, clients: number, kind: ChangeKind = 'fanout') =>
    rows.find((r) => r.server === server && r.clients === clients && r.kind === kind);
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

  metrics.auto_assign_ms_10000x100 = round2(autoAssign.medianMs);
  const setupN = `n${SETUP_CLIENTS}`;
  const setupParley = find('parley', SETUP_CLIENTS, 'setup');
  const setupStock = find('stock', SETUP_CLIENTS, 'setup');
  if (setupParley) metrics[`setup_change_p99_ms_${setupN}`] = round2(setupParley.p99);
  if (setupStock) metrics[`setup_change_p99_ms_stock_${setupN}`] = round2(setupStock.p99);
  if (setupParley && setupStock) {
    metrics[`setup_change_p99_ratio_${setupN}`] = round2(setupParley.p99 / setupStock.p99);
  }
  return metrics;
}

function printTable(rows: Row[], metrics: Record<string, number>, autoAssign: AutoAssignResult): void {
  const header = [
    'change',
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
    r.kind,
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
    `\nFan-out of one control-document change (fanout: a bare map key; setup: a control.ts rename or move read back with readBreakoutState): ${WARMUP_ROUNDS} warm-up + ${ROUNDS} rounds, one sample per (client, round)\n`
  );
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  lines.forEach((l) => console.log(format(l)));
  console.log(
    `\ndistributeParticipants, ${autoAssign.members} participants over ${autoAssign.rooms} rooms: median ${autoAssign.medianMs.toFixed(2)} ms, min ${autoAssign.minMs.toFixed(2)}, max ${autoAssign.maxMs.toFixed(2)} over ${autoAssign.runs} runs after ${autoAssign.warmupRuns} warm-up (target ≤ 20 ms)`
  );
}

function getSessionMetrics(rows: SessionRow[]): Record<string, number> {
  const metrics: Record<string, number> = {};
  const find = (server: SessionRow['server'], kind: SessionRow['kind']) =>
    rows.find((r) => r.server === server && r.kind === kind && r.samples > 0);
  const n = `n${SESSION_CLIENTS}`;
  const r = `r${BROADCAST_ROOMS}`;
  const startParley = find('parley', 'start');
  const startStock = find('stock', 'start');
  if (startParley) metrics[`session_start_p99_ms_${n}`] = round2(startParley.p99);
  if (startStock) metrics[`session_start_p99_ms_stock_${n}`] = round2(startStock.p99);
  if (startParley && startStock) {
    metrics[`session_start_p99_ratio_${n}`] = round2(startParley.p99 / startStock.p99);
  }
  // The median over the broadcasts of the time until the last room's chat showed it.
  const broadcastParley = find('parley', 'broadcast');
  const broadcastStock = find('stock', 'broadcast');
  if (broadcastParley) metrics[`broadcast_all_rooms_ms_${r}`] = round2(broadcastParley.p50);
  if (broadcastStock) metrics[`broadcast_all_rooms_ms_stock_${r}`] = round2(broadcastStock.p50);
  return metrics;
}

const SESSION_TARGET_MS = 500;

function printSessionTable(
  rows: SessionRow[],
  metrics: Record<string, number>,
  locateMs: { sessionChangeMs: number; setupChangeMs: number }
): void {
  if (rows.length === 0) return;
  const header = [
    'change',
    'server',
    'clients',
    'p50 ms',
    'p99 ms',
    'max ms',
    'samples',
    'lost',
    'connect s'
  ];
  const lines = rows.map((r) => [
    r.kind === 'broadcast' ? 'broadcast (last room)' : `session ${r.kind}`,
    r.server,
    String(r.clients),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.max.toFixed(2),
    String(r.samples),
    String(r.lost),
    (r.connectMs / 1000).toFixed(1)
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(
    `\nBreakout sessions (session start/end: one sample per (participant client, round), until it sees the phase and its own place; broadcast: one value per round, until the last of ${BROADCAST_ROOMS} rooms' chats shows it)\n`
  );
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  lines.forEach((l) => console.log(format(l)));
  const cores = availableParallelism();
  const perChange = (ms: number) =>
    `median ${ms.toFixed(3)} ms, ${((SESSION_CLIENTS * ms) / 1000).toFixed(2)} s of CPU for all ${SESSION_CLIENTS} clients (≥ ${((SESSION_CLIENTS * ms) / cores).toFixed(0)} ms on ${cores} cores)`;
  console.log(
    `\nEach participant client's own work (the reader processes run it once per client they hold):\n` +
      `  a session start or end (session moments + returns + getLocation in the kept tidy view): ${perChange(locateMs.sessionChangeMs)}\n` +
      `  the first look after a setup change (tidyBreakout over ${SESSION_CLIENTS} members): ${perChange(locateMs.setupChangeMs)}`
  );
  const verdict = (key: string) => {
    const value = metrics[key];
    if (value === undefined) return `${key}: not measured`;
    return `${key} = ${value} ms: ${value <= SESSION_TARGET_MS ? 'within' : 'OVER'} the ${SESSION_TARGET_MS} ms target`;
  };
  console.log(verdict(`session_start_p99_ms_n${SESSION_CLIENTS}`));
  console.log(verdict(`broadcast_all_rooms_ms_r${BROADCAST_ROOMS}`));
}

interface LocalFirstResults {
  offlineMerge: OfflineMergeResult;
  docBytes: DocBytesResult;
  coldLoad: ColdLoadResult | null;
}

/** Metric, unit and target of the local-first measurements (issue: ≤ 100 ms, ≤ 300 KB, ≤ 300 ms). */
const LOCAL_FIRST_TARGETS = [
  { key: 'offline_merge_ms_1000', unit: 'ms', target: 100 },
  { key: 'doc_bytes_20000_changes', unit: 'bytes', target: 300 * 1024 },
  { key: 'cold_load_ms', unit: 'ms', target: 300 }
] as const;

function getLocalFirstMetrics({
  offlineMerge,
  docBytes,
  coldLoad
}: LocalFirstResults): Record<string, number> {
  const metrics: Record<string, number> = {
    offline_merge_ms_1000: round2(offlineMerge.medianMs),
    doc_bytes_20000_changes: docBytes.bytes
  };
  if (coldLoad) metrics.cold_load_ms = round2(coldLoad.medianMs);
  return metrics;
}

function printLocalFirstTable(results: LocalFirstResults, metrics: Record<string, number>): void {
  const show = (value: number, unit: 'ms' | 'bytes') =>
    unit === 'ms' ? `${value.toFixed(2)} ms` : `${(value / 1024).toFixed(1)} KB`;
  const header = ['metric', 'value', 'target', 'verdict'];
  const lines = LOCAL_FIRST_TARGETS.map(({ key, unit, target }) => {
    const value = metrics[key];
    if (value === undefined) return [key, 'not measured', `≤ ${show(target, unit)}`, ''];
    return [key, show(value, unit), `≤ ${show(target, unit)}`, value <= target ? 'within' : 'OVER'];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i === 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log('\nLocal-first\n');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  lines.forEach((l) => console.log(format(l)));
  console.log('');
  for (const line of describeOfflineMerge(results.offlineMerge)) console.log(line);
  for (const line of describeDocBytes(results.docBytes)) console.log(line);
  if (results.coldLoad) for (const line of describeColdLoad(results.coldLoad)) console.log(line);
  for (const { key, unit, target } of LOCAL_FIRST_TARGETS) {
    const value = metrics[key];
    if (value === undefined) console.log(`${key}: not measured`);
    else {
      console.log(
        `${key} = ${show(value, unit)}: ${value <= target ? 'within' : 'OVER'} the ${show(target, unit)} target`
      );
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  }
);
