/**
 * `call_setup_ms_p50` (SPEC R110, R111): from pressing "Join call" until the first media arrives, two
 * Chromium pages on loopback with fake media devices (a test pattern and a beep).
 *
 * A Parley server (the built app: `npm run build` first) gets an owner and a guest who joined by invite
 * link. Both open the conversation; the owner presses "Start call" and stays in the call. Then, `JOINS`
 * times after a warm-up, the guest's page presses "Join call" (a click from inside the page, so the
 * moment is the page's own) and polls its new RTCPeerConnection's stats every few milliseconds until an
 * inbound RTP stream has received bytes: that interval is one sample. The owner's page watches the same
 * way for the guest's media on its side (reported, not the metric). The guest then presses "Leave call"
 * and waits until both pages show it before the next join.
 *
 * The pages record their connections with an init script that wraps the RTCPeerConnection constructor,
 * as the e2e suite does; the app has no bench hooks.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type LaunchOptions, type Page } from '@playwright/test';
import playwrightConfig from '../playwright.config';
import { seedParley } from './parleySeed';
import { startParley, type ServerProcess } from './servers';

const ROOT = join(import.meta.dirname, '..');
const CHROMIUM = '/usr/bin/chromium';
export const CALL_JOINS = 7;
const WARMUP_JOINS = 1;
export const CALL_SETUP_TARGET_MS = 1_000;
const STEP_TIMEOUT_MS = 20_000;
/** How often the pages look at their connections' stats while waiting for the first bytes. */
const POLL_MS = 5;
const TITLE = 'Call bench';
const FAKE_MEDIA_FLAGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

export interface CallSetupSample {
  /** "Join call" → the joiner's first inbound RTP bytes (the metric's sample). */
  joinerMs: number;
  /** "Join call" → the first inbound RTP bytes of the joiner's media on the page already in the call. */
  otherMs: number;
}

export interface CallSetupResult {
  joins: number;
  warmupJoins: number;
  samples: CallSetupSample[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  medianOtherMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** What makes the run impossible, as a sentence saying what to do; `null` when it can run. */
export function getCallSetupBlocker(): string | null {
  if (!existsSync(join(ROOT, 'build', 'handler.js'))) {
    return 'call_setup_ms_p50 not measured: build/ is missing; run `npm run build` before the bench';
  }
  if (!existsSync(getLaunchOptions().executablePath ?? CHROMIUM)) {
    return `call_setup_ms_p50 not measured: ${CHROMIUM} is missing; run \`bash scripts/ensure-chromium.sh\``;
  }
  return null;
}

/** The e2e suite's launch options, headless, with the fake camera and microphone whatever they say. */
function getLaunchOptions(): LaunchOptions {
  const fromConfig = playwrightConfig.use?.launchOptions ?? {};
  const args = [...(fromConfig.args ?? [])];
  for (const flag of FAKE_MEDIA_FLAGS) if (!args.includes(flag)) args.push(flag);
  return { executablePath: CHROMIUM, ...fromConfig, args, headless: true };
}

/**
 * Runs in each page before its scripts: keeps every RTCPeerConnection, and offers `__firstInbound(since)`,
 * which resolves with the wall-clock time (ms) at which a connection created at or after `since` first
 * shows inbound RTP bytes, and `__joinAndWait()`, which clicks "Join call" and resolves with the click's
 * time and that moment on this page. Plain JavaScript in a string: tsx's transform would add helpers
 * (`__name`) to a function's source that the page does not have.
 */
const PROBES = `(() => {
  const created = [];
  const wallNow = () => performance.timeOrigin + performance.now();
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(configuration) {
      super(configuration);
      created.push({ pc: this, created: wallNow() });
    }
  };
  const hasInbound = async (pc) => {
    if (pc.connectionState === 'closed') return false;
    let bytes = 0;
    (await pc.getStats()).forEach((report) => {
      if (report.type === 'inbound-rtp') bytes += report.bytesReceived || 0;
    });
    return bytes > 0;
  };
  const firstInbound = (since) =>
    new Promise((resolve) => {
      const look = async () => {
        for (const probe of created) {
          if (probe.created >= since && (await hasInbound(probe.pc))) {
            resolve(wallNow());
            return;
          }
        }
        setTimeout(look, ${POLL_MS});
      };
      look();
    });
  window.__firstInbound = firstInbound;
  window.__joinAndWait = async () => {
    const button = [...document.querySelectorAll('button')].find(
      (b) => b.textContent.trim() === 'Join call' && !b.disabled
    );
    if (!button) throw new Error('no enabled "Join call" button');
    const clicked = wallNow();
    button.click();
    const inbound = await firstInbound(clicked);
    return { clicked, inbound };
  };
})();`;

async function openAs(browser: Browser, server: ServerProcess, cookie: string, url: string) {
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  await context.grantPermissions(['camera', 'microphone'], { origin: server.origin });
  const [name, ...value] = cookie.split('=');
  await context.addCookies([
    { name, value: value.join('='), url: server.origin, httpOnly: true, sameSite: 'Lax' }
  ]);
  await context.addInitScript({ content: PROBES });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByRole('heading', { level: 1, name: TITLE }).waitFor({ timeout: STEP_TIMEOUT_MS });
  return page;
}

/** Waits until the page shows `count` call tiles: its own and one per other person in the call. */
async function waitForTiles(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => document.querySelectorAll('ul[aria-label="People in the call"] > li').length === n,
    count,
    { timeout: STEP_TIMEOUT_MS }
  );
}

export async function measureCallSetup({
  failures,
  joins = CALL_JOINS
}: {
  failures: string[];
  joins?: number;
}): Promise<CallSetupResult | null> {
  const blocker = getCallSetupBlocker();
  if (blocker) {
    failures.push(blocker);
    return null;
  }
  let server: ServerProcess | null = null;
  let browser: Browser | null = null;
  const killServer = () => {
    if (server) process.kill(server.pid, 'SIGTERM');
  };
  process.once('exit', killServer);
  try {
    server = await startParley();
    const seed = await seedParley({ origin: server.origin, guests: 1, title: TITLE });
    browser = await chromium.launch(getLaunchOptions());
    const url = `${server.origin}/c/${seed.conversationId}`;
    const owner = await openAs(browser, server, seed.writerCookie, url);
    const guest = await openAs(browser, server, seed.guestCookies[0], url);

    await owner.getByRole('button', { name: 'Start call' }).click({ timeout: STEP_TIMEOUT_MS });
    await owner.getByRole('button', { name: 'Leave call' }).waitFor({ timeout: STEP_TIMEOUT_MS });

    const samples: CallSetupSample[] = [];
    console.log(`bench: call setup: ${WARMUP_JOINS} + ${joins} joins, two Chromium pages on loopback`);
    for (let i = 0; i < WARMUP_JOINS + joins; i++) {
      await guest.getByRole('button', { name: 'Join call' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const since = await owner.evaluate(() => performance.timeOrigin + performance.now());
      const ownerInbound = owner.evaluate(
        (t) => (window as unknown as { __firstInbound: (t: number) => Promise<number> }).__firstInbound(t),
        since
      );
      // Awaited below; a failure meanwhile must not surface as an unhandled rejection.
      ownerInbound.catch(() => {});
      const { clicked, inbound } = await guest.evaluate(() =>
        (
          window as unknown as { __joinAndWait: () => Promise<{ clicked: number; inbound: number }> }
        ).__joinAndWait()
      );
      const other = await ownerInbound;
      if (i >= WARMUP_JOINS) samples.push({ joinerMs: inbound - clicked, otherMs: other - clicked });
      await waitForTiles(owner, 2);
      await guest.getByRole('button', { name: 'Leave call' }).click({ timeout: STEP_TIMEOUT_MS });
      await waitForTiles(owner, 1);
    }
    const joiner = samples.map((s) => s.joinerMs);
    return {
      joins,
      warmupJoins: WARMUP_JOINS,
      samples,
      medianMs: median(joiner),
      minMs: Math.min(...joiner),
      maxMs: Math.max(...joiner),
      medianOtherMs: median(samples.map((s) => s.otherMs))
    };
  } catch (error) {
    failures.push(`call setup: ${(error as Error).message.split('\n')[0]}`);
    return null;
  } finally {
    await browser?.close();
    await server?.stop();
    process.off('exit', killServer);
  }
}

export function describeCallSetup(result: CallSetupResult): string[] {
  const f = (ms: number) => ms.toFixed(0);
  return [
    `call setup in Chromium (fake devices, loopback): ${result.joins} joins after ${result.warmupJoins} warm-up, one page already in the call`,
    `  "Join call" → first inbound media on the joiner: median ${f(result.medianMs)} ms (min ${f(result.minMs)}, max ${f(result.maxMs)}); on the page already in the call: median ${f(result.medianOtherMs)} ms`,
    `  samples (ms): ${result.samples.map((s) => f(s.joinerMs)).join(', ')}`
  ];
}

/** `call_setup_ms_p50 = … ms: within/OVER the 1000 ms target`. */
export function describeCallSetupVerdict(value: number | undefined): string {
  if (value === undefined) return 'call_setup_ms_p50: not measured';
  return `call_setup_ms_p50 = ${value.toFixed(2)} ms: ${value <= CALL_SETUP_TARGET_MS ? 'within' : 'OVER'} the ${CALL_SETUP_TARGET_MS} ms target`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const failures: string[] = [];
  const [joins] = process.argv.slice(2).map(Number);
  const result = await measureCallSetup({ failures, joins: joins || CALL_JOINS });
  if (result) {
    for (const line of describeCallSetup(result)) console.log(line);
    console.log(describeCallSetupVerdict(Math.round(result.medianMs * 100) / 100));
  }
  if (failures.length > 0) console.error(`problems:\n- ${failures.join('\n- ')}`);
  process.exit(failures.length > 0 ? 1 : 0);
}
