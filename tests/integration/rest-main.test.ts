import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, signUp, waitFor } from '../helpers/api';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run serve` as a newcomer runs it: a separate process configured by environment variables. */
describe('server/main.ts', () => {
  let child: ChildProcess;
  let dataDir: string;
  let stdout = '';
  let stderr = '';
  let exit: Promise<number | null>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-main-'));
    child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '0.0.0.0', DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => stdout.includes('\n') || child.exitCode !== null, {
      timeoutMs: 20_000,
      what: 'startup line'
    });
  });
  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  const baseUrl = () => stdout.trim().replace('Parley listening on ', '');

  it('prints exactly one line, with 0.0.0.0 shown as localhost', () => {
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Parley listening on http:\/\/localhost:\d+\n$/);
  });

  it('R31: serves the API; without a build, other pages say to run npm run build (503)', async () => {
    const me = await api(baseUrl(), '/api/me');
    expect(me.status).toBe(401);
    await signUp(baseUrl(), 'alice');
    const page = await fetch(new URL('/', baseUrl()));
    if (existsSync(join(root, 'build/handler.js'))) {
      expect(page.status).not.toBe(503);
    } else {
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('npm run build');
    }
  });

  it('a taken port ends a second server with one readable line and exit code 1', async () => {
    const port = new URL(baseUrl()).port;
    const second = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: port, HOST: '0.0.0.0', DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let err = '';
    second.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
    expect(code).toBe(1);
    expect(err.trim()).toBe(`Port ${port} is already in use. Stop the other program or set PORT.`);
  });

  it('stores its data under DATA_DIR and exits cleanly on SIGTERM', async () => {
    expect(existsSync(join(dataDir, 'parley.sqlite'))).toBe(true);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });
});
