import type { IceServer } from '../src/lib/domain/calls';

/** Server settings from the environment; every one has a default that works on a fresh clone. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Extra origins (besides the server's own) allowed to make state-changing requests. */
  allowedOrigins: string[];
  /** Base of invite links when the server sits behind a proxy; otherwise the request's own origin. */
  publicUrl?: string;
  /** STUN/TURN servers handed to the browsers for calls (SPEC R113); none needed on one network. */
  iceServers: IceServer[];
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a whole number between 0 and 65535, not “${env.PORT}”.`);
  }
  const allowedOrigins = (env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter((s) => s.length > 0);
  const publicUrl = env.PUBLIC_URL?.trim().replace(/\/+$/, '') || undefined;
  return {
    port,
    host: env.HOST?.trim() || '0.0.0.0',
    dataDir: env.DATA_DIR?.trim() || './data',
    allowedOrigins,
    publicUrl,
    iceServers: readIceServers(env.PARLEY_ICE_SERVERS)
  };
}

const ICE_EXAMPLE = '[{"urls":"stun:stun.example.org:3478"}]';

/**
 * `PARLEY_ICE_SERVERS`: a JSON array of `{urls, username?, credential?}` as `RTCPeerConnection` takes
 * them. Unset or empty means none. Anything else that is not such a list stops the server at start with
 * a sentence saying what is wrong, rather than calls that fail later in every browser.
 */
export function readIceServers(value: string | undefined): IceServer[] {
  if (value === undefined || value.trim() === '') return [];
  const fail = (problem: string): never => {
    throw new Error(
      `PARLEY_ICE_SERVERS must be a JSON array of ICE servers such as ${ICE_EXAMPLE}; ${problem}`
    );
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    fail(`it is not valid JSON (${error instanceof Error ? error.message : String(error)}).`);
  }
  if (!Array.isArray(parsed)) return fail('it is not an array.');
  return parsed.map((entry: unknown, index): IceServer => {
    const which = `entry ${index + 1}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      return fail(`${which} is not an object.`);
    }
    const { urls, username, credential } = entry as Record<string, unknown>;
    const list = typeof urls === 'string' ? [urls] : urls;
    if (!Array.isArray(list) || list.length === 0 || !list.every((url) => typeof url === 'string')) {
      return fail(`${which} needs "urls": a URL or a non-empty list of URLs.`);
    }
    const bad = (list as string[]).find((url) => !/^(stuns?|turns?):\S+$/i.test(url));
    if (bad !== undefined)
      return fail(`${which} has “${bad}”, which is not a stun:, stuns:, turn: or turns: URL.`);
    if (username !== undefined && typeof username !== 'string')
      return fail(`${which} has a "username" that is not text.`);
    if (credential !== undefined && typeof credential !== 'string') {
      return fail(`${which} has a "credential" that is not text.`);
    }
    const isTurn = (list as string[]).some((url) => /^turns?:/i.test(url));
    if (isTurn && (username === undefined || credential === undefined)) {
      return fail(`${which} is a TURN server, which needs "username" and "credential".`);
    }
    const server: IceServer = { urls: urls as string | string[] };
    if (username !== undefined) server.username = username;
    if (credential !== undefined) server.credential = credential;
    return server;
  });
}
