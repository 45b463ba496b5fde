/**
 * Bugs the fuzzer found in src/lib (not in the harness) that are reported and not fixed yet. Their
 * checks still run; a violation is counted and printed as "known" instead of failing the seed, so CI
 * stays useful for everything else. Each entry has a failing regression in regressions.test.ts
 * (`it.fails`). Once fixed: delete the entry here and turn that `it.fails` into `it`.
 *
 * `FUZZ_STRICT=1` (or `scripts/fuzz.ts --strict`) fails on known issues too.
 */
export interface KnownIssue {
  /** The `check` id of invariants.ts this issue breaks. */
  check: string;
  rule: string;
  summary: string;
  /** Seeds (of the default shape) that showed it during development. */
  seeds: number[];
}

export const KNOWN_ISSUES: KnownIssue[] = [
  // None open. Fixed: R41 room count after concurrent adds (seeds 315, 470, 1211: now all rooms are kept
  // and starting is refused above 100); R71/R72 stale "End"/"Extend" of an earlier run (seeds 30, 218, 526,
  // 629, 658, 1028: ends and extensions now name their run).
];

export const KNOWN_CHECKS: ReadonlySet<string> = new Set(KNOWN_ISSUES.map((issue) => issue.check));
