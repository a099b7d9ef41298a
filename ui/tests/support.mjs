// Test support: Vite's dev server on 127.0.0.1 (serving the app and the
// harness with the fake shell), Debian's Chromium through playwright-core,
// and small waiting helpers. Everything started here is stopped by close().

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';

export const UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = path.join(UI_DIR, 'tests', 'fixtures');
export const RESULTS = path.join(UI_DIR, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TIMEOUT = 15_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (probe.address());
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the dev server and the browser; close() stops both. */
export async function startApp() {
  const port = await freePort();
  const server = await createServer({
    root: UI_DIR,
    configFile: path.join(UI_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    clearScreen: false,
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
    optimizeDeps: {
      entries: ['index.html', 'tests/harness.html'],
      include: [
        'preact',
        'preact/hooks',
        'preact/compat',
        'preact/jsx-dev-runtime',
        '@tauri-apps/api/core',
        '@tauri-apps/api/event',
        '@tauri-apps/api/mocks',
      ],
    },
  });
  let browser;
  try {
    await server.listen();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (e) {
    await server.close();
    throw e;
  }
  await mkdir(RESULTS, { recursive: true });
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    browser,
    async close() {
      await browser.close().catch(() => {});
      await server.close();
    },
  };
}

/**
 * A fresh browser context and page showing the app with the fake shell.
 * Requests anywhere but the dev server are refused.
 */
export async function openApp(env, { scenario = 'default', viewport, colorScheme = 'light', permissions } = {}) {
  const context = await env.browser.newContext({
    viewport: viewport ?? { width: 1100, height: 800 },
    colorScheme,
    reducedMotion: 'reduce',
  });
  if (permissions) await context.grantPermissions(permissions, { origin: env.base });
  context.setDefaultTimeout(TIMEOUT);
  await context.route('**/*', (route) =>
    route.request().url().startsWith(`${env.base}/`) ? route.continue() : route.abort(),
  );
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(`${env.base}/tests/harness.html?scenario=${scenario}`);
  await page.locator('#state').waitFor();
  await page.locator('main:not([aria-busy])').waitFor();
  return {
    page,
    context,
    errors,
    async close() {
      await context.close();
      assert.deepEqual(errors.map(String), [], 'the page threw');
    },
  };
}

/** Polls `probe` until it returns a truthy value; returns that value. */
export async function eventually(probe, what, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) assert.fail(`${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the locator's visible text contains `text`. */
export async function seeText(locator, text) {
  await locator.filter({ hasText: text }).first().waitFor({ state: 'visible' });
}

/** Shows one of the main sections (Connection, Profiles, Logs, Settings). */
export async function openTab(page, name) {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name, exact: true }).click();
}

/** The profile's row in the list. */
export function profileRow(page, name) {
  return page.locator(`[data-profile="${name}"]`);
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(RESULTS, `${name}.png`), fullPage: true });
}
