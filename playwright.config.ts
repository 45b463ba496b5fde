import { defineConfig, devices } from '@playwright/test';

/**
 * Fixed so the built app, the API and the WebSocket endpoints share one known origin during the run;
 * E2E_PORT moves it when two runs share a machine.
 */
const PORT = Number(process.env.E2E_PORT ?? 4321);
const BASE_URL = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: 'tests/e2e',
  fullyParallel: false,
  // Two cores: one worker for the tests leaves the other to the server and the three browser contexts.
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    ...devices['Desktop Chrome'],
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    // Calls (R110–R119): the fake devices below stand in for a microphone and camera, already allowed.
    permissions: ['camera', 'microphone'],
    // Playwright cannot download its own browser on this machine: drive Debian's Chromium. The flags keep it
    // from reaching out to Google's services, which a closed network refuses at every start.
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // Calls: a test pattern and a beep instead of a camera and microphone, with no permission prompt.
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream'
      ]
    }
  },
  webServer: {
    command: 'bash scripts/e2e-server.sh',
    // 401 counts as up for Playwright, and /api/me answers it as soon as the API is listening.
    url: `${BASE_URL}/api/me`,
    env: { PORT: String(PORT), HOST: '127.0.0.1', ALLOWED_ORIGINS: BASE_URL, PUBLIC_URL: BASE_URL },
    reuseExistingServer: false,
    timeout: 60_000,
    // SIGTERM (not the default SIGKILL) lets scripts/e2e-server.sh remove its temporary data folder.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
    stdout: 'pipe',
    stderr: 'pipe'
  }
});
