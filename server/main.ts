import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { readConfig } from './config';
import { startServer, type AppHandler, type RunningServer } from './index';

/** The adapter-node build, if `npm run build` has made one. */
async function loadAppHandler(): Promise<AppHandler> {
  const handlerUrl = new URL('../build/handler.js', import.meta.url);
  if (existsSync(fileURLToPath(handlerUrl))) {
    const module = (await import(handlerUrl.href)) as { handler: AppHandler };
    return module.handler;
  }
  return (_req, res: ServerResponse) => {
    res
      .writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
      .end('The Parley web app has not been built yet. Run `npm run build`, then start the server again.\n');
  };
}

/** Startup problems a newcomer can fix get one readable line instead of a stack trace. */
function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

let config: ReturnType<typeof readConfig>;
try {
  config = readConfig();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

let server: RunningServer;
try {
  server = await startServer({
    port: config.port,
    host: config.host,
    dataDir: config.dataDir,
    allowedOrigins: config.allowedOrigins,
    publicUrl: config.publicUrl,
    calls: { iceServers: config.iceServers },
    appHandler: await loadAppHandler()
  });
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    fail(`Port ${config.port} is already in use. Stop the other program or set PORT.`);
  if (code === 'EACCES')
    fail(`Not allowed to listen on port ${config.port}. Choose a port above 1023 with PORT.`);
  throw error;
}
console.log(`Parley listening on ${server.url}`);

let stopping = false;
function shutdown(): void {
  // A second signal while pending writes are flushed means "now": leave without waiting.
  if (stopping) process.exit(1);
  stopping = true;
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('Parley did not close cleanly:', error);
      process.exit(1);
    }
  );
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
