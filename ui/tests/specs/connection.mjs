// Connecting: the steps as they happen, the tunnel's details and traffic,
// a refused password and asking again, disconnecting, and all of it by keyboard.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, openApp, profileRow, screenshot, seeText } from '../support.mjs';

const GOOD_PASSWORD = 'correct horse battery staple';

/** Records, in the page, each step as it becomes the current one or done. */
async function recordSteps(page) {
  await page.evaluate(() => {
    const seen = [];
    window.stepsSeen = seen;
    const note = () => {
      const list = document.getElementById('progress');
      if (!list) return;
      const current = list.querySelector('[aria-current="step"]');
      const done = list.querySelectorAll('[data-done="true"]');
      const last = done[done.length - 1];
      const now = current ?? (last?.getAttribute('data-step') === 'up' ? last : null);
      const text = now?.querySelector('.step-label')?.textContent;
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

async function textOf(page, field) {
  return (await page.locator(`[data-field="${field}"]`).textContent())?.trim();
}

export default function connection(env) {
  test('connect shows each step in order, then the addresses, NAT, suites and growing traffic', async () => {
    const app = await openApp(env);
    const { page } = app;
    try {
      await recordSteps(page);
      const row = profileRow(page, 'Lab');
      await row.getByRole('button', { name: 'Connect', exact: true }).click();

      const progress = page.locator('#progress');
      for (const step of ['resolving_sc', 'sa_init', 'authenticating', 'configuring', 'up']) {
        await progress.locator(`[data-step="${step}"][data-done="true"]`).waitFor();
      }
      assert.deepEqual(await page.evaluate(() => window.stepsSeen), [
        'Looking up the SC (lab.example.net)',
        'Contacting the SC at 203.0.113.10:500',
        'Signing in',
        'Setting up the tunnel',
        'Connected',
      ]);

      const state = page.locator('#state');
      await seeText(state, 'Connected · Lab');
      assert.equal(await state.getAttribute('data-state'), 'up');
      await seeText(row, 'Connected');
      assert.equal(await row.getByRole('button', { name: 'Disconnect' }).textContent(), 'Disconnect');

      assert.equal(await textOf(page, 'inner_ipv4'), '203.0.113.129');
      assert.equal(await textOf(page, 'inner_ipv6'), '2001:db8:cafe::1000');
      assert.equal(await textOf(page, 'sc'), '203.0.113.10:4500');
      assert.equal(await textOf(page, 'sc_identity'), 'lab.example.net');
      assert.equal(await textOf(page, 'dns'), '2001:db8:cafe::53, 203.0.113.53');
      assert.equal(await textOf(page, 'behind_nat'), 'yes');
      assert.equal(await textOf(page, 'esp'), 'AES-GCM-16-256');
      assert.equal(await textOf(page, 'last_rekey'), 'never');
      assert.equal(await textOf(page, 'connect_ms'), '413 ms');

      // Traffic grows, and the chart draws it.
      const before = await textOf(page, 'bytes_in');
      await eventually(async () => (await textOf(page, 'bytes_in')) !== before, 'the received bytes grow');
      const sent = await textOf(page, 'bytes_out');
      await eventually(async () => (await textOf(page, 'bytes_out')) !== sent, 'the sent bytes grow');
      await eventually(
        async () =>
          (await page.locator('polyline.chart-in').getAttribute('points')).trim().split(/\s+/).length >= 3,
        'the chart has points',
      );
      await seeText(page.locator('figure.chart figcaption'), 'bit/s');
      await screenshot(page, 'connected');
    } finally {
      await app.close();
    }
  });

  test('discover: the SC is found on the network, a rogue is shown refused, and how it was found', async () => {
    const app = await openApp(env, { scenario: 'discover' });
    const { page } = app;
    try {
      await recordSteps(page);
      const row = profileRow(page, 'Roaming');
      await row.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.locator('#progress [data-step="up"][data-done="true"]').waitFor();
      const seen = await page.evaluate(() => window.stepsSeen);
      assert.equal(
        seen[0],
        'Finding the SC on this network (DNS softwire.<search domains>, DHCP option 224, DHCPv6 AFTR-Name)',
      );
      assert.ok(seen.includes('Contacting the SC at 198.51.100.66:500 (via DNS softwire.hotspot.example.net (A))'), seen.join('\n'));
      assert.ok(seen.includes('Contacting the SC at 203.0.113.10:500 (via DNS softwire.corp.example.net (A))'), seen.join('\n'));
      await seeText(
        page.locator('#refused'),
        '198.51.100.66:500 (via DNS softwire.hotspot.example.net (A)): the SC proved rogue.example.net, not lab.example.net',
      );
      assert.equal(await textOf(page, 'sc_found_via'), 'via DNS softwire.corp.example.net (A)');
      assert.equal(await textOf(page, 'sc_identity'), 'lab.example.net');
    } finally {
      await app.close();
    }
  });

  test('a lost connection shows the attempt and the countdown, then comes back; a move is noticed', async () => {
    const app = await openApp(env);
    const { page } = app;
    try {
      await profileRow(page, 'Lab').getByRole('button', { name: 'Connect', exact: true }).click();
      await seeText(page.locator('#state'), 'Connected · Lab');

      await page.evaluate(() => window.fakeService.loseConnection(5));
      await seeText(page.locator('#state'), 'Reconnecting · Lab');
      assert.equal(await page.locator('#state').getAttribute('data-state'), 'reconnecting');
      const notice = page.getByRole('status').filter({ hasText: 'Reconnecting: attempt 1' });
      await seeText(notice, 'The connection was lost (the SC stopped answering');
      await eventually(async () => /next try in [1-5] s/.test(await notice.textContent()), 'a countdown');
      // The tunnel stays in place meanwhile.
      assert.equal(await textOf(page, 'inner_ipv4'), '203.0.113.129');

      await seeText(page.locator('#state'), 'Connected · Lab');
      await notice.waitFor({ state: 'detached' });
      await eventually(async () => (await textOf(page, 'reconnects')) === '1', 'one reconnect counted');

      await page.evaluate(() => window.fakeService.move());
      await seeText(page.getByRole('status'), 'The tunnel moved to a new network path (198.51.100.23:4500)');
    } finally {
      await app.close();
    }
  });

  test('a refused password is said in plain words, and "Enter the password again" asks again', async () => {
    const app = await openApp(env);
    const { page } = app;
    try {
      await profileRow(page, 'Office').getByRole('button', { name: 'Connect', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await seeText(dialog, 'Connect to Office');
      const password = dialog.locator('input#password[type="password"]');
      await page.waitForFunction(() => document.activeElement?.id === 'password');
      assert.equal(await dialog.locator('#remember').isChecked(), true, 'remembered by default');
      await password.fill('not the password');
      await password.press('Enter');
      await dialog.waitFor({ state: 'detached' });

      const error = page.locator('#connect-error[data-reason="authentication"]');
      await seeText(error, 'The password was not accepted');
      await seeText(error, 'The SC refused the credentials (AUTHENTICATION_FAILED)');
      await seeText(page.locator('[data-step="authenticating"]'), 'Signing in');
      assert.equal(await page.locator('[data-step="authenticating"]').getAttribute('data-done'), 'false');
      await seeText(page.locator('#state'), 'Failed · Office');
      await seeText(profileRow(page, 'Office'), 'Failed');
      await screenshot(page, 'auth-error');

      await error.getByRole('button', { name: 'Enter the password again' }).click();
      await seeText(dialog, 'Connect to Office');
      assert.equal(await password.inputValue(), '', 'the field starts empty');
      await page.waitForFunction(() => document.activeElement?.id === 'password');
      await password.fill(GOOD_PASSWORD);
      await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
      await seeText(page.locator('#state'), 'Connected · Office');
      await error.waitFor({ state: 'detached' });
    } finally {
      await app.close();
    }
  });

  test('a connect from the tray without a password opens the password dialog', async () => {
    const app = await openApp(env);
    const { page } = app;
    try {
      await page.evaluate(() => window.fakeService.trayConnect('Office'));
      const dialog = page.getByRole('dialog');
      await seeText(dialog, 'Connect to Office');
      await page.waitForFunction(() => document.activeElement?.id === 'password');
      await page.keyboard.type(GOOD_PASSWORD);
      await page.keyboard.press('Enter');
      await seeText(page.locator('#state'), 'Connected · Office');
      assert.equal(await page.locator('#connect-error').count(), 0);
    } finally {
      await app.close();
    }
  });

  test('disconnect: the state goes back to not connected and the button to Connect', async () => {
    const app = await openApp(env);
    const { page } = app;
    try {
      const row = profileRow(page, 'Lab');
      await row.getByRole('button', { name: 'Connect', exact: true }).click();
      await seeText(page.locator('#state'), 'Connected · Lab');
      await row.getByRole('button', { name: 'Disconnect', exact: true }).click();
      await seeText(page.locator('#state'), 'Not connected');
      await row.getByRole('button', { name: 'Connect', exact: true }).waitFor();
      assert.ok(['idle', 'down'].includes(await page.locator('#state').getAttribute('data-state')));
      await page.locator('[data-field="inner_ipv4"]').waitFor({ state: 'detached' });
      await page.locator('#connect-error').waitFor({ state: 'detached' });
      await seeText(page.getByRole('heading', { name: 'Not connected' }), 'Not connected');
    } finally {
      await app.close();
    }
  });

  test('keyboard only: Tab to Connect, Enter, the dialog takes focus, Escape gives it back', async () => {
    const app = await openApp(env);
    const { page } = app;
    try {
      const isOfficeConnect = () =>
        page.evaluate(() => {
          const el = document.activeElement;
          return el?.textContent === 'Connect' && el.closest('[data-profile]')?.getAttribute('data-profile') === 'Office';
        });
      let reached = false;
      for (let i = 0; i < 20 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await isOfficeConnect();
      }
      assert.ok(reached, 'Connect of Office is reachable by Tab');
      const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert.notEqual(ring, 'none', 'the focused button shows a focus ring');

      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await page.waitForFunction(() => document.activeElement?.id === 'password');
      // Focus stays inside the dialog.
      for (let i = 0; i < 5; i++) {
        await page.keyboard.press('Tab');
        assert.ok(await page.evaluate(() => Boolean(document.activeElement?.closest('[role="dialog"]'))));
      }
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      await eventually(isOfficeConnect, 'focus is back on Connect');

      // And by keyboard to the end: Enter, type, Enter.
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement?.id === 'password');
      await page.keyboard.type(GOOD_PASSWORD);
      await page.keyboard.press('Enter');
      await seeText(page.locator('#state'), 'Connected · Office');
    } finally {
      await app.close();
    }
  });
}
