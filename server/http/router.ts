import type { IncomingMessage, ServerResponse } from 'node:http';
import * as v from 'valibot';

/** A failure the client caused, answered as `{ error }` with this status (SPEC R30, R31). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {}
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const MAX_BODY_BYTES = 256 * 1024;
/** Past this, an oversized body is cut off instead of drained, so a client cannot keep us reading forever. */
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string | string[]>;
}

export interface RequestContext {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  /** The parsed and checked body; only routes declared with a `body` schema get one. */
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Segments starting with `:` capture one path segment, e.g. `/api/invites/:token`. */
  path: string;
  body?: v.GenericSchema;
  handle(ctx: RequestContext): Promise<Reply>;
}

interface CompiledRoute extends Route {
  segments: string[];
}

function matchPath(segments: string[], parts: string[]): Record<string, string> | null {
  if (segments.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    if (segments[i].startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(parts[i]);
      } catch {
        return null;
      }
      if (value.length === 0) return null;
      params[segments[i].slice(1)] = value;
    } else if (segments[i] !== parts[i]) {
      return null;
    }
  }
  return params;
}

/** Reads the body up to the limit; a longer one is drained (so the client sees our answer) and refused. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    let tooLarge = Number.isFinite(declared) && declared > MAX_BODY_BYTES;
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLargeError = () =>
      new HttpError(
        413,
        `The request body is larger than ${MAX_BODY_BYTES / 1024} KiB. Send less data at once.`,
        {
          connection: 'close'
        }
      );
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        if (size > MAX_DRAIN_BYTES) {
          req.destroy();
          reject(tooLargeError());
        }
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => (tooLarge ? reject(tooLargeError()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/** The first problem, as the sentence the schema carries (schemas here are built to carry readable ones). */
function firstIssueMessage(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues[0]?.message ?? 'The request body is not valid.';
}

function sendJson(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  res.setHeader('cache-control', 'no-store');
  if (reply.body === undefined) {
    res.writeHead(reply.status).end();
    return;
  }
  const json = JSON.stringify(reply.body);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(json));
  res.writeHead(reply.status).end(json);
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A small router for `/api/*`: exact segment matching with `:params`, 404 for unknown paths, 405 for a
 * known path with another method, body limit, JSON parsing and schema checking before the handler runs.
 */
export function createRouter({
  routes,
  isAllowedOrigin
}: {
  routes: Route[];
  isAllowedOrigin: (req: IncomingMessage) => boolean;
}) {
  const compiled: CompiledRoute[] = routes.map((r) => ({
    ...r,
    segments: r.path.split('/').filter(Boolean)
  }));

  async function dispatch(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    let route: CompiledRoute | undefined;
    let params: Record<string, string> = {};
    const allowed: string[] = [];
    for (const candidate of compiled) {
      const matched = matchPath(candidate.segments, parts);
      if (!matched) continue;
      allowed.push(candidate.method);
      if (candidate.method === method || (method === 'HEAD' && candidate.method === 'GET')) {
        route = candidate;
        params = matched;
        break;
      }
    }
    if (!route) {
      if (allowed.length > 0) {
        throw new HttpError(
          405,
          `This address does not accept ${method} requests. Use ${allowed.join(' or ')}.`,
          {
            allow: allowed.join(', ')
          }
        );
      }
      throw new HttpError(404, `There is no API endpoint at ${url.pathname}. Check the address.`);
    }
    if (STATE_CHANGING.has(method) && !isAllowedOrigin(req)) {
      throw new HttpError(
        403,
        'This request came from another website and was refused. Open Parley directly and try again.'
      );
    }
    let body: unknown = undefined;
    if (method !== 'GET' && method !== 'HEAD') {
      const raw = await readBody(req);
      if (route.body) {
        let json: unknown;
        try {
          json = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new HttpError(
            400,
            raw.length === 0
              ? 'The request has no body. Send the fields as a JSON object.'
              : 'The request body is not valid JSON. Send the fields as a JSON object.'
          );
        }
        // valibot takes arrays for objects; every body here is a JSON object of named fields.
        if (Array.isArray(json)) throw new HttpError(400, 'Send the fields as a JSON object, not a list.');
        const result = v.safeParse(route.body, json);
        if (!result.success) throw new HttpError(400, firstIssueMessage(result.issues));
        body = result.output;
      }
    }
    return route.handle({ req, url, params, body });
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await dispatch(req);
    } catch (error) {
      if (error instanceof HttpError) {
        reply = { status: error.status, body: { error: error.message }, headers: error.headers };
      } else {
        console.error('Unexpected error in', req.method, req.url, error);
        reply = {
          status: 500,
          body: { error: 'Something went wrong on the server. Try again in a moment.' }
        };
      }
    }
    if (req.method === 'HEAD') reply = { ...reply, body: undefined };
    sendJson(res, reply);
  };
}
