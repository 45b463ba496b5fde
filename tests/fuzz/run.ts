/**
 * One convergence-fuzzing run (shared by tests/fuzz/*.test.ts and scripts/fuzz.ts). From a seed: a server
 * replica and 3–5 moderator replicas on a seeded network (network.ts) apply random commands
 * (commands.ts) while messages are delivered, delayed, dropped, partitioned and healed; the acting
 * replica is checked after every command, and after every full heal (now and then during the run, and
 * always at the end) every replica must hold the same state and obey the rules (invariants.ts).
 *
 * Everything random comes from the seed: the schedule, the arguments, the Yjs client ids, the fake
 * clock, and the ids control.ts mints with `crypto.getRandomValues` (room ids, run ids), which come from
 * a seeded source for the length of the run. The same seed gives the same run.
 */
import * as Y from 'yjs';
import { createRandom, MAX_ROOMS, tidyBreakout } from '../../src/lib/domain/breakout';
import { readBreakoutState, readHelpRequests } from '../../src/lib/sync/control';
import {
  createServerSide,
  MODERATORS,
  runMembershipEvent,
  runModeratorCommand,
  runServerIntent,
  World,
  type CommandRecord
} from './commands';
import {
  addCoverage,
  canonicalJson,
  checkConverged,
  checkRefusalChangedNothing,
  checkReplica,
  CONTROL_MAPS,
  describeProblem,
  emptyCoverage,
  observeReplica,
  type Coverage,
  type Problem
} from './invariants';
import { KNOWN_CHECKS } from './known-issues';
import { Network, pickIndex, type NetworkStats, type Random } from './network';

export interface FuzzOptions {
  seed: number;
  /** Moderator replicas (3–5); default: drawn from the seed. */
  replicas?: number;
  /** Steps before the final heal; default: 60–150, drawn from the seed. */
  steps?: number;
  /** Keep every event for the report, not only the last ones. */
  fullTrace?: boolean;
  /** Fail on known issues (known-issues.ts) too. */
  strict?: boolean;
}

export interface FuzzResult {
  seed: number;
  replicas: number;
  steps: number;
  ok: boolean;
  /** What failed the seed. */
  problems: Problem[];
  /** Violations of known issues (known-issues.ts), reported without failing unless `strict`. */
  known: Problem[];
  /** The command or intent that ran last before the failure (or at all). */
  lastCommand: string | null;
  trace: string[];
  commands: { ok: number; refused: number };
  network: NetworkStats;
  coverage: Coverage;
  /** Replica 0's control maps at the end (canonical JSON): equal for equal runs of one seed. */
  fingerprint: string;
}

const TRACE_TAIL = 30;

export function describeCommand(c: CommandRecord): string {
  return (
    `step ${c.step} replica ${c.replica} (${c.actor}): ${c.name} ${c.args} → ` +
    (c.ok ? 'ok' : `refused: ${c.error}`)
  );
}

/** Replaces `crypto.getRandomValues` with a seeded source while `task` runs. */
async function withSeededCrypto<T>(random: Random, task: () => Promise<T>): Promise<T> {
  const target = globalThis.crypto;
  const seeded = <A extends ArrayBufferView | null>(array: A): A => {
    if (array) {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    }
    return array;
  };
  Object.defineProperty(target, 'getRandomValues', { value: seeded, configurable: true, writable: true });
  try {
    return await task();
  } finally {
    delete (target as { getRandomValues?: unknown }).getRandomValues;
  }
}

const setupJson = (doc: Y.Doc) => canonicalJson(['rooms', 'assignments'].map((n) => doc.getMap(n).toJSON()));

/** Local postconditions of a command, on the replica that ran it. */
function checkAfterCommand(
  command: CommandRecord,
  doc: Y.Doc,
  before: { update: Uint8Array; setup: string },
  world: World
): Problem[] {
  if (!command.ok) return checkRefusalChangedNothing(before.update, doc, 'R49');
  const problem = (rule: string, check: string, message: string): Problem[] => [{ rule, check, message }];
  if (command.name === 'startSession' && doc.getMap('rooms').size > MAX_ROOMS) {
    return problem('R41', 'room-count', `a session started with ${doc.getMap('rooms').size} rooms`);
  }
  switch (command.name) {
    case 'setMode':
    case 'startSession':
    case 'endSession':
    case 'extendTimer':
      // R48: changing the mode keeps rooms and assignments; R73: so do starting, ending and extending.
      return setupJson(doc) === before.setup
        ? []
        : problem('R48 R73', 'keeps-setup', `${command.name} changed the rooms or the assignments`);
    case 'autoAssign': {
      // R46: every participant placed, sizes differ by at most one (caps do not bind in automatic mode).
      const view = tidyBreakout({ state: readBreakoutState(doc), members: world.members() });
      const sizes = view.rooms.map((r) => r.members.length);
      if (Math.max(...sizes) - Math.min(...sizes) > 1 || view.unassigned.length > 0) {
        return problem(
          'R46',
          'balanced',
          `after autoAssign room sizes are [${sizes.join(',')}], unassigned [${view.unassigned.join(',')}]`
        );
      }
      return [];
    }
    case 'dismissHelpRequest':
      // R80: a dismissed request is gone.
      return readHelpRequests(doc).some((r) => r.userId === command.params.userId)
        ? problem('R80', 'help-cleared', `${String(command.params.userId)}'s help request is still shown`)
        : [];
    case 'clearHelpRequestsForRoom':
      // R80: a moderator joined the room: its requests are answered.
      return readHelpRequests(doc).some((r) => r.roomId === command.params.roomId)
        ? problem('R80', 'help-cleared', `a help request for ${String(command.params.roomId)} is still shown`)
        : [];
    case 'clearSetup':
      // R50: the setup (rooms, assignments, settings, session, help, returns) is gone on this replica.
      return CONTROL_MAPS.every((name) => doc.getMap(name).size === 0)
        ? []
        : problem('R50', 'clear-setup', 'clearSetup left part of the setup');
    default:
      return [];
  }
}

export async function runSeed(options: FuzzOptions): Promise<FuzzResult> {
  const random = createRandom(options.seed);
  return withSeededCrypto(createRandom(options.seed ^ 0x5eed5eed), () => runWith(random, options));
}

async function runWith(random: Random, options: FuzzOptions): Promise<FuzzResult> {
  const replicas = options.replicas ?? 3 + pickIndex(random, 3);
  const steps = options.steps ?? 60 + pickIndex(random, 91);
  const trace: string[] = [];
  const log = (event: string) => {
    trace.push(event);
    if (!options.fullTrace && trace.length > TRACE_TAIL * 4) trace.splice(0, trace.length - TRACE_TAIL);
  };
  // Replica 0 is the server (participants' intents, R77; late joiners, R47); 1…replicas are moderators'
  // devices, alternating between the two moderators (one moderator may have two tabs open).
  const actors = ['server', ...Array.from({ length: replicas }, (_, i) => MODERATORS[i % MODERATORS.length])];
  const network = new Network(random, actors, log);
  const world = new World(random, actors.length);
  const clockSpread = Math.max(...world.skew) - Math.min(...world.skew);
  const server = network.replicas[0];
  const breakout = createServerSide(world, server);
  const schedule = new Map<number, 'join' | 'leave' | 'promote'>();
  for (const event of ['join', 'leave', 'promote'] as const) {
    let at: number;
    do at = pickIndex(random, steps);
    while (schedule.has(at));
    schedule.set(at, event);
  }

  const result: FuzzResult = {
    seed: options.seed,
    replicas,
    steps,
    ok: true,
    problems: [],
    known: [],
    lastCommand: null,
    trace,
    commands: { ok: 0, refused: 0 },
    network: network.stats,
    coverage: emptyCoverage(),
    fingerprint: ''
  };
  const record = (command: CommandRecord) => {
    result.lastCommand = describeCommand(command);
    log(result.lastCommand);
    if (command.ok) result.commands.ok++;
    else result.commands.refused++;
  };
  /** Files the problems; true when one of them fails the seed (then the run stops). */
  const report = (problems: Problem[]): boolean => {
    for (const problem of problems) {
      if (!options.strict && KNOWN_CHECKS.has(problem.check)) {
        if (!result.known.some((k) => k.check === problem.check)) result.known.push(problem);
        log(`known issue: ${describeProblem(problem)}`);
      } else {
        result.ok = false;
        result.problems.push(problem);
      }
    }
    return !result.ok;
  };
  const healAndCheck = (when: string): boolean => {
    network.heal();
    network.flush();
    log(`${when}: healed and flushed, clock ${world.now}`);
    const members = world.members();
    const docs = network.replicas.map((r) => r.doc);
    if (report(checkConverged(docs, members, world.now))) return true;
    if (report(checkReplica(docs[0], members, world.now, 'every replica', clockSpread))) return true;
    addCoverage(result.coverage, observeReplica(docs[0], members, world.now));
    return false;
  };

  try {
    if (random() < 0.3) network.partitionRandom();
    for (let step = 0; step < steps; step++) {
      world.tick();
      const event = schedule.get(step);
      if (event) {
        const change = await runMembershipEvent(world, breakout, server, event, step);
        record(change);
        if (change.violation && report([change.violation])) break;
      }
      const action = random();
      if (action < 0.34) {
        const replica = network.replicas[1 + pickIndex(random, replicas)];
        const before = { update: Y.encodeStateAsUpdate(replica.doc), setup: setupJson(replica.doc) };
        const command = runModeratorCommand(world, random, replica, step);
        record(command);
        const now = world.clock(replica.index);
        const who = `replica ${replica.index}`;
        if (
          report([
            ...checkAfterCommand(command, replica.doc, before, world),
            ...checkReplica(replica.doc, world.members(), now, who, clockSpread)
          ])
        ) {
          break;
        }
      } else if (action < 0.46) {
        const before = Y.encodeStateAsUpdate(server.doc);
        const intent = await runServerIntent(world, random, breakout, server, step);
        record(intent);
        const now = world.clock(server.index);
        if (
          report([
            ...(intent.ok ? [] : checkRefusalChangedNothing(before, server.doc, 'R77')),
            ...checkReplica(server.doc, world.members(), now, 'server', clockSpread)
          ])
        ) {
          break;
        }
      } else if (action < 0.78) {
        const burst = 1 + pickIndex(random, 6);
        for (let i = 0; i < burst; i++) network.deliverRandom();
      } else if (action < 0.83) network.delayRandom();
      else if (action < 0.88) network.dropRandom();
      else if (action < 0.92) network.partitionRandom();
      else if (action < 0.97) network.reconnectRandom();
      else if (action < 0.99) network.heal();
      else if (healAndCheck(`step ${step}`)) break;
    }
    if (result.ok) healAndCheck('end');
    result.fingerprint = canonicalJson(CONTROL_MAPS.map((name) => server.doc.getMap(name).toJSON()));
  } catch (error) {
    result.ok = false;
    result.problems.push({
      rule: '-',
      check: 'threw',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error)
    });
  }
  return result;
}

/** The failure report: seed, shape, the rules broken, the last command and the events before it. */
export function formatFailure(result: FuzzResult, tail = TRACE_TAIL): string {
  return [
    `Convergence fuzz failed for seed ${result.seed} (${result.replicas} moderator replicas + server, ` +
      `${result.steps} steps).`,
    ...result.problems.map((p) => `  ✗ ${describeProblem(p)}`),
    `  last command: ${result.lastCommand ?? '(none)'}`,
    `  last events:`,
    ...result.trace.slice(-tail).map((e) => `    ${e}`),
    `  reproduce: node --import tsx scripts/fuzz.ts --from ${result.seed} --seeds 1 --trace`
  ].join('\n');
}
