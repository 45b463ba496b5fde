/** Server settings from the environment; every one has a default that works on a fresh clone. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Extra origins (besides the server's own) allowed to make state-changing requests. */
  allowedOrigins: string[];
  /** Base of invite links when the server sits behind a proxy; otherwise the request's own origin. */
  publicUrl?: string;
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
    publicUrl
  };
}
