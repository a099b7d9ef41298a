// The service away: a clear banner with the next step; when the shell
// reports it back, the banner goes and the profiles come.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp, profileRow, screenshot, seeText } from '../support.mjs';

export default function service(env) {
  test('service not running: banner with the hint, gone by itself when the service is back', async () => {
    const app = await openApp(env, { scenario: 'service-down' });
    const { page } = app;
    try {
      const banner = page.locator('#service-down');
      await seeText(banner, 'The Softwire service is not running');
      await seeText(banner, 'Next: Start it: sudo systemctl start softwired');
      assert.equal(await page.locator('[data-profile]').count(), 0);
      assert.equal(await page.getByRole('button', { name: 'New', exact: true }).isDisabled(), true);
      await screenshot(page, 'service-down');

      await page.evaluate(() => window.fakeService.serviceBack());
      await banner.waitFor({ state: 'detached' });
      await profileRow(page, 'Office').getByRole('button', { name: 'Connect', exact: true }).waitFor();
      await profileRow(page, 'Lab').waitFor();
    } finally {
      await app.close();
    }
  });

  test('not in the softwire group: says so, with what to do', async () => {
    const app = await openApp(env, { scenario: 'permission-denied' });
    const { page } = app;
    try {
      const banner = page.locator('#service-down');
      await seeText(banner, 'You are not allowed to use the Softwire service');
      await seeText(banner, 'sudo usermod -aG softwire $USER, then log in again');
    } finally {
      await app.close();
    }
  });
}
