/**
 * Convergence fuzzing outside vitest (docs/TESTING.md):
 *
 *   node --import tsx scripts/fuzz.ts --seeds N [--from S] [--replicas 3-5] [--steps N] [--strict] [--trace]
 *
 * Runs seeds S…S+N−1 (default 1…300) of tests/fuzz/run.ts, prints progress every 100 seeds, the report
 * of every failing seed and their list at the end, and exits 1 when any seed failed. Known issues
 * (tests/fuzz/known-issues.ts) are listed with their seeds but fail only with --strict.
 */
import { parseArgs } from 'node:util';
import { addCoverage, describeProblem, emptyCoverage } from '../tests/fuzz/invariants';
import { KNOWN_ISSUES } from '../tests/fuzz/known-issues';
import { formatFailure, runSeed, type FuzzResult } from '../tests/fuzz/run';

const usage =
  'Usage: node --import tsx scripts/fuzz.ts --seeds N [--from S] [--replicas 3-5] [--steps N] [--strict] [--trace]';

function fail(message: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

function wholeNumber(
  name: string,
  value: string | undefined,
  min: number,
  max = Infinity
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    fail(
      `--${name} must be a whole number from ${min}${max === Infinity ? ' up' : ` to ${max}`} (got "${value}").`
    );
  }
  return n;
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      seeds: { type: 'string' },
      from: { type: 'string' },
      replicas: { type: 'string' },
      steps: { type: 'string' },
      strict: { type: 'boolean' },
      trace: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  }));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const seeds = wholeNumber('seeds', values.seeds, 1) ?? 300;
const from = wholeNumber('from', values.from, 0) ?? 1;
const replicas = wholeNumber('replicas', values.replicas, 3, 5);
const steps = wholeNumber('steps', values.steps, 1);
const strict = values.strict === true;
const trace = values.trace === true;

const started = performance.now();
const failed: FuzzResult[] = [];
const known = new Map<string, number[]>();
const coverage = emptyCoverage();
const totals = { commands: 0, refused: 0, delivered: 0, dropped: 0, partitions: 0 };
for (let i = 0; i < seeds; i++) {
  const seed = from + i;
  const result = await runSeed({ seed, replicas, steps, strict, fullTrace: trace });
  totals.commands += result.commands.ok + result.commands.refused;
  totals.refused += result.commands.refused;
  totals.delivered += result.network.delivered;
  totals.dropped += result.network.dropped;
  totals.partitions += result.network.partitions;
  addCoverage(coverage, result.coverage);
  for (const problem of result.known) {
    const list = known.get(problem.check) ?? [];
    list.push(seed);
    known.set(problem.check, list);
    if (trace) console.log(`seed ${seed}: known issue ${describeProblem(problem)}`);
  }
  if (!result.ok) {
    failed.push(result);
    console.log(formatFailure(result, trace ? Infinity : undefined));
  } else if (trace) {
    console.log([`seed ${seed} passed; trace:`, ...result.trace.map((e) => `    ${e}`)].join('\n'));
  }
  if ((i + 1) % 100 === 0 || i + 1 === seeds) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${i + 1}/${seeds} seeds (${from}…${seed}) in ${seconds} s, ${failed.length} failed`);
  }
}
console.log(
  `${totals.commands} commands (${totals.refused} refused), ${totals.delivered} messages delivered, ` +
    `${totals.dropped} dropped, ${totals.partitions} partitions.`
);
console.log(`Coverage of healed states: ${JSON.stringify(coverage)}`);
for (const issue of KNOWN_ISSUES) {
  const seen = known.get(issue.check);
  if (seen) {
    const listed = seen.slice(0, 20).join(' ') + (seen.length > 20 ? ' …' : '');
    console.log(`Known issue ${issue.rule} [${issue.check}] in ${seen.length} seed(s): ${listed}`);
  }
}
if (failed.length > 0) {
  console.log(`FAILED seeds: ${failed.map((r) => r.seed).join(' ')}`);
  process.exit(1);
}
console.log('All seeds passed.');
