/**
 * `cold_load_ms` (SPEC R18, R90): opening a conversation from IndexedDB with the server unreachable, in
 * Chromium, until the breakout setup is on screen.
 *
 * A Parley server (the built app: `npm run build` first) gets a moderator (signed up through the REST
 * API), a conversation with 1,000 guests who joined by invite link, 100 chat messages, and a breakout
 * setup of 100 rooms with the 1,000 participants spread by "Automatically assign" (written by a moderator
 * client through src/lib/sync/control.ts, as the setup dialog does). The moderator opens the conversation
 * once online, so the service worker caches the app and IndexedDB holds the documents; then the server
 * process is stopped, and the conversation is opened again in a new tab, `LOADS` times after a warm-up.
 *
 * Each sample runs from the navigation's start (the page's `performance` time origin) to the first frame
 * painted after the last room of the rooms' panel shows its name and its people ("Room 100", "10 people")
 * and every room on screen shows all its people's rows, as an init script's MutationObserver sees it.
 * (Rooms off screen get their rows on the frames after, SPEC R99; when the last row of all is drawn is
 * reported too.) The breakdown: when the app shell arrived (from the
 * service worker), when the last of the three documents (meta, chat, control) had loaded its IndexedDB
 * copy (openDoc opens a document's socket right after that, so the script notes each socket's creation),
 * and when the title showed.
 *
 * The browser has a profile on disk, as a person's browser does: Playwright's default contexts are
 * incognito-like, with IndexedDB and the caches in memory.
 */
import { statSync, readdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type LaunchOptions } from '@playwright/test';
import playwrightConfig from '../playwright.config';
import { asUserId } from '../src/lib/domain/ids';
import type { Member } from '../src/lib/domain/breakout';
import { autoAssign, createRooms, readBreakoutState } from '../src/lib/sync/control';
import { closeClient, openClient, waitReady } from './clients';
import { call, seedParley, type ParleySeed } from './parleySeed';
import { startParley, type ServerProcess } from './servers';

const ROOT = join(import.meta.dirname, '..');
export const COLD_LOAD_ROOMS = 100;
export const COLD_LOAD_PARTICIPANTS = 1_000;
const MESSAGES = 100;
const WARMUP_LOADS = 1;
const LOADS = 15;
const LOAD_TIMEOUT_MS = 30_000;
const CHROMIUM = '/usr/bin/chromium';
const TITLE = 'Cold load bench';

export interface ColdLoadSample {
  /** Navigation start → first frame painted with the whole setup shown. */
  visibleMs: number;
  /** … → the setup in the DOM (before that frame). */
  domMs: number;
  /** … → every person's row of the board drawn (R99: rows off screen come on the frames after). */
  allRowsMs: number;
  /** … → the conversation's title in the heading. */
  titleMs: number;
  /** … → the last document's IndexedDB copy loaded (openDoc then opens its socket). */
  localMs: number;
  /** … → the app shell's response ended; `fromWorker` when the service worker answered. */
  shellMs: number;
  fromWorker: boolean;
  /** The connection label when the setup showed (e.g. "Offline — changes will sync"). */
  status: string;
}

export interface ColdLoadResult {
  rooms: number;
  participants: number;
  messages: number;
  loads: number;
  warmupLoads: number;
  samples: ColdLoadSample[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  medianDomMs: number;
  medianAllRowsMs: number;
  medianTitleMs: number;
  medianShellMs: number;
  medianLocalMs: number;
  /** How long the online visit took until the setup showed (not a metric; for context). */
  onlineMs: number;
  notes: string[];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The newest modification time under `dir` (ms), skipping nothing: src/ is small. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** What makes the run impossible, as a sentence saying what to do; `null` when it can run. */
export function getColdLoadBlocker(): string | null {
  if (!existsSync(join(ROOT, 'build', 'handler.js'))) {
    return 'cold_load_ms not measured: build/ is missing; run `npm run build` (or `npm start`, which builds) before `npm run bench`';
  }
  if (!existsSync(getLaunchOptions().executablePath ?? CHROMIUM)) {
    return `cold_load_ms not measured: ${CHROMIUM} is missing; run \`bash scripts/ensure-chromium.sh\``;
  }
  return null;
}

/** The e2e suite's launch options (Debian's Chromium, no calls to Google's services), headless. */
function getLaunchOptions(): LaunchOptions {
  const fromConfig = playwrightConfig.use?.launchOptions ?? {};
  return { executablePath: CHROMIUM, ...fromConfig, headless: true };
}

/** A moderator client writes 100 rooms and spreads the participants over them (R41, R46). */
async function writeSetup(server: ServerProcess, seed: ParleySeed, rooms: number): Promise<void> {
  const moderator = openClient({
    serverUrl: `${server.origin.replace(/^http/, 'ws')}/ws`,
    docName: seed.docName,
    headers: { Cookie: seed.writerCookie, Origin: server.origin }
  });
  try {
    await waitReady(moderator, { mode: 'synced', timeoutMs: 30_000 });
    const members: Member[] = [
      { userId: asUserId(seed.writerUserId), isModerator: true },
      ...seed.guestUserIds.map((id) => ({ userId: asUserId(id), isModerator: false }))
    ];
    const created = createRooms(moderator.doc, {
      count: rooms,
      mode: 'automatic',
      actor: seed.writerUserId
    });
    if (!created.ok) throw new Error(`createRooms: ${created.error}`);
    const assigned = autoAssign(moderator.doc, {
      members,
      seed: 0xc01d,
      now: Date.now(),
      actor: seed.writerUserId
    });
    if (!assigned.ok) throw new Error(`autoAssign: ${assigned.error}`);
    const stored = readBreakoutState(moderator.doc);
    if (stored.rooms.length !== rooms || stored.assignments.size !== seed.guestUserIds.length) {
      throw new Error(`the setup holds ${stored.rooms.length} rooms, ${stored.assignments.size} assignments`);
    }
    // Let the server receive and store it before anyone reads it.
    await pause(1_000);
  } finally {
    closeClient(moderator);
  }
}

async function postMessages(server: ServerProcess, seed: ParleySeed): Promise<void> {
  for (let i = 0; i < MESSAGES; i++) {
    await call({
      origin: server.origin,
      path: `/api/conversations/${seed.conversationId}/messages`,
      body: {
        id: `coldload-${String(i).padStart(4, '0')}`,
        text: `Agenda point ${i + 1}: who takes which topic in the breakout rooms?`
      },
      cookie: seed.writerCookie
    });
  }
}

interface Expectation {
  title: string;
  rooms: number;
  lastRoom: string;
  countText: string;
  participants: number;
}

/**
 * Runs in the page before any of its scripts: records, on the page's own clock (0 = navigation start),
 * when the title and the whole setup first appear, and the first frame after the latter.
 */
function installMarks(expect: Expectation): void {
  type Marks = {
    titleMs?: number;
    domMs?: number;
    allRowsMs?: number;
    visibleMs?: number;
    status?: string;
    sockets: number[];
  };
  const marks: Marks = { sockets: [] };
  (window as unknown as { __coldLoad: Marks }).__coldLoad = marks;
  // openDoc connects a document only once its IndexedDB copy is loaded: a socket's creation marks that.
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      if (marks.domMs === undefined) marks.sockets.push(performance.now());
      super(url, protocols);
    }
  };
  const observer = new MutationObserver(() => {
    if (marks.titleMs === undefined && document.querySelector('h1')?.textContent?.trim() === expect.title) {
      marks.titleMs = performance.now();
    }
    if (
      marks.allRowsMs === undefined &&
      document.querySelectorAll('#breakout-rooms li.person').length === expect.participants
    ) {
      marks.allRowsMs = performance.now();
    }
    if (marks.domMs !== undefined) {
      if (marks.allRowsMs !== undefined) observer.disconnect();
      return;
    }
    const rooms = Array.from(document.querySelectorAll<HTMLElement>('#breakout-rooms section.room'));
    if (rooms.length !== expect.rooms) return;
    const last = rooms[rooms.length - 1];
    if (last.querySelector('h3')?.textContent?.trim() !== expect.lastRoom) return;
    if (last.querySelector('.count')?.textContent?.trim() !== expect.countText) return;
    // Every room on screen shows all its people (its count says how many).
    const onScreen = rooms.filter((room) => {
      const { top, bottom } = room.getBoundingClientRect();
      return bottom > 0 && top < innerHeight;
    });
    const complete = onScreen.every(
      (room) =>
        room.querySelectorAll('li.person').length ===
        Number.parseInt(room.querySelector('.count')?.textContent ?? '', 10)
    );
    if (!complete) return;
    marks.domMs = performance.now();
    marks.status =
      document.querySelector('[role="status"][aria-label="Connection"]')?.textContent?.trim() ?? '';
    // The frame that shows it: a task queued from requestAnimationFrame runs after that frame's paint.
    // At the highest priority, so work the app itself queued for after the paint (the rest of the board,
    // R99) runs after this mark rather than before it.
    // (No named functions here: the bundler's name helper does not exist in the page.)
    const { scheduler } = window as unknown as {
      scheduler?: { postTask(task: () => void, options: { priority: 'user-blocking' }): Promise<void> };
    };
    requestAnimationFrame(() => {
      if (scheduler) {
        void scheduler.postTask(() => (marks.visibleMs = performance.now()), { priority: 'user-blocking' });
      } else {
        setTimeout(() => (marks.visibleMs = performance.now()), 0);
      }
    });
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
}

async function loadOnce(context: BrowserContext, url: string): Promise<ColdLoadSample> {
  const page = await context.newPage();
  try {
    await page.goto(url, { waitUntil: 'commit', timeout: LOAD_TIMEOUT_MS });
    await page.waitForFunction(
      () => {
        const marks = (window as unknown as { __coldLoad?: { visibleMs?: number; allRowsMs?: number } })
          .__coldLoad;
        return marks?.visibleMs !== undefined && marks.allRowsMs !== undefined;
      },
      undefined,
      { timeout: LOAD_TIMEOUT_MS }
    );
    return await page.evaluate(() => {
      const marks = (
        window as unknown as {
          __coldLoad: {
            titleMs?: number;
            domMs: number;
            allRowsMs: number;
            visibleMs: number;
            status: string;
            sockets: number[];
          };
        }
      ).__coldLoad;
      const [navigation] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
      return {
        visibleMs: marks.visibleMs,
        domMs: marks.domMs,
        allRowsMs: marks.allRowsMs,
        titleMs: marks.titleMs ?? Number.NaN,
        localMs: marks.sockets.length > 0 ? Math.max(...marks.sockets) : Number.NaN,
        shellMs: navigation?.responseEnd ?? Number.NaN,
        fromWorker: (navigation?.workerStart ?? 0) > 0,
        status: marks.status
      };
    });
  } finally {
    await page.close();
  }
}

export async function measureColdLoad({
  failures,
  rooms = COLD_LOAD_ROOMS,
  participants = COLD_LOAD_PARTICIPANTS
}: {
  failures: string[];
  rooms?: number;
  participants?: number;
}): Promise<ColdLoadResult | null> {
  const blocker = getColdLoadBlocker();
  if (blocker) {
    failures.push(blocker);
    return null;
  }
  const notes: string[] = [];
  const buildTime = statSync(join(ROOT, 'build', 'handler.js')).mtimeMs;
  if (newestMtime(join(ROOT, 'src')) > buildTime) {
    notes.push('build/ is older than src/: this measures the last build (`npm run build` to refresh it)');
  }

  let server: ServerProcess | null = null;
  let context: BrowserContext | null = null;
  const profileDir = mkdtempSync(join(tmpdir(), 'parley-cold-load-'));
  // If the bench's watchdog ends the process meanwhile, the server must not outlive it.
  const killServer = () => {
    if (server) process.kill(server.pid, 'SIGTERM');
  };
  process.once('exit', killServer);
  try {
    server = await startParley();
    console.log(`bench: cold load: seeding ${participants} guests, ${MESSAGES} messages, ${rooms} rooms`);
    const seed = await seedParley({
      origin: server.origin,
      guests: participants,
      title: TITLE
    });
    await postMessages(server, seed);
    await writeSetup(server, seed, rooms);

    context = await chromium.launchPersistentContext(profileDir, {
      ...getLaunchOptions(),
      viewport: { width: 1280, height: 720 }
    });
    const [name, ...value] = seed.writerCookie.split('=');
    await context.addCookies([
      { name, value: value.join('='), url: server.origin, httpOnly: true, sameSite: 'Lax' }
    ]);
    // autoAssign deals round-robin over the rooms in order: the last room has the fewest people.
    const perRoom = Math.floor(participants / rooms);
    await context.addInitScript(installMarks, {
      title: TITLE,
      rooms,
      lastRoom: `Room ${rooms}`,
      countText: `${perRoom} ${perRoom === 1 ? 'person' : 'people'}`,
      participants
    } satisfies Expectation);
    const url = `${server.origin}/c/${seed.conversationId}`;

    // Online, once: the service worker caches the app, IndexedDB receives the three documents.
    const online = await context.newPage();
    await online.goto(url);
    await online.waitForFunction(
      () =>
        (window as unknown as { __coldLoad?: { visibleMs?: number } }).__coldLoad?.visibleMs !== undefined,
      undefined,
      { timeout: 60_000 }
    );
    const onlineMs = await online.evaluate(
      () => (window as unknown as { __coldLoad: { visibleMs: number } }).__coldLoad.visibleMs
    );
    await online.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
      timeout: 30_000
    });
    // y-indexeddb writes each received update in its own transaction; let the last ones commit.
    await pause(1_500);
    await online.close();

    // The server goes away: its port refuses every request, page, API and socket alike.
    await server.stop();
    server = null;

    const samples: ColdLoadSample[] = [];
    for (let i = 0; i < WARMUP_LOADS + LOADS; i++) {
      const sample = await loadOnce(context, url);
      if (i >= WARMUP_LOADS) samples.push(sample);
    }
    if (samples.some((s) => !s.fromWorker)) notes.push('some loads were not answered by the service worker');
    const statuses = [...new Set(samples.map((s) => s.status))];
    notes.push(`connection label when the setup showed: ${statuses.map((s) => `"${s}"`).join(', ')}`);
    const visible = samples.map((s) => s.visibleMs);
    return {
      rooms,
      participants,
      messages: MESSAGES,
      loads: LOADS,
      warmupLoads: WARMUP_LOADS,
      samples,
      medianMs: median(visible),
      minMs: Math.min(...visible),
      maxMs: Math.max(...visible),
      medianDomMs: median(samples.map((s) => s.domMs)),
      medianAllRowsMs: median(samples.map((s) => s.allRowsMs)),
      medianTitleMs: median(samples.map((s) => s.titleMs)),
      medianShellMs: median(samples.map((s) => s.shellMs)),
      medianLocalMs: median(samples.map((s) => s.localMs)),
      onlineMs,
      notes
    };
  } catch (error) {
    failures.push(`cold load: ${(error as Error).message.split('\n')[0]}`);
    return null;
  } finally {
    await context?.close();
    await server?.stop();
    process.off('exit', killServer);
    rmSync(profileDir, { recursive: true, force: true });
  }
}

export function describeColdLoad(result: ColdLoadResult): string[] {
  const f = (ms: number) => ms.toFixed(0);
  return [
    `cold load in Chromium, server stopped: ${result.rooms} rooms, ${result.participants} participants, ${result.messages} messages; ${result.loads} loads after ${result.warmupLoads} warm-up, each in a new tab`,
    `  setup painted: median ${f(result.medianMs)} ms (min ${f(result.minMs)}, max ${f(result.maxMs)}); app shell from the service worker ${f(result.medianShellMs)} ms, local copies of the 3 documents loaded ${f(result.medianLocalMs)} ms, title ${f(result.medianTitleMs)} ms, setup in the DOM ${f(result.medianDomMs)} ms, every row of the board drawn ${f(result.medianAllRowsMs)} ms (medians); the online visit took ${f(result.onlineMs)} ms`,
    `  samples (ms): ${result.samples.map((s) => f(s.visibleMs)).join(', ')}`,
    ...result.notes.map((note) => `  ${note}`)
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const failures: string[] = [];
  // Optional: participants and rooms (`node --import tsx bench/coldLoad.ts 100 10`), to see how it scales.
  const [participants, rooms] = process.argv.slice(2).map(Number);
  const result = await measureColdLoad({ failures, participants, rooms });
  if (result) for (const line of describeColdLoad(result)) console.log(line);
  if (failures.length > 0) console.error(`problems:\n- ${failures.join('\n- ')}`);
  process.exit(failures.length > 0 ? 1 : 0);
}
