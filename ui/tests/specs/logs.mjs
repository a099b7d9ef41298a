// The log view: level and text filters narrow the lines; new lines arrive;
// Copy puts exactly the shown lines on the clipboard and says so.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp, openTab, seeText } from '../support.mjs';

export default function logs(env) {
  test('logs: filters narrow the list, new lines arrive, Copy copies what is shown', async () => {
    const app = await openApp(env, { permissions: ['clipboard-read', 'clipboard-write'] });
    const { page } = app;
    try {
      await openTab(page, 'Logs');
      const lines = page.locator('.log-lines li');
      const count = page.locator('#log-count');
      await seeText(count, '60 lines shown of 60');
      assert.equal(await lines.count(), 60);

      await page.getByLabel('Show', { exact: true }).selectOption('warn');
      await seeText(count, '20 lines shown of 60');
      assert.deepEqual(new Set(await lines.evaluateAll((els) => els.map((e) => e.dataset.level))), new Set(['warn', 'error']));

      await page.getByLabel('Show', { exact: true }).selectOption('error');
      await seeText(count, '10 lines shown of 60');
      await page.getByLabel('Containing').fill('NUMBER 5');
      await seeText(count, '3 lines shown of 60');
      assert.deepEqual(
        await lines.locator('.message').allTextContents(),
        ['error message number 5 from softwired', 'error message number 53 from softwired', 'error message number 59 from softwired'],
      );

      // A new line from the service that matches the filters.
      await page.evaluate(() => window.fakeService.log('error', 'error message number 5000 (new)'));
      await seeText(count, '4 lines shown of 61');

      await page.getByRole('button', { name: 'Copy' }).click();
      await seeText(page.locator('#copied'), 'Copied 4 lines');
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      const rows = copied.split('\n');
      assert.equal(rows.length, 4);
      assert.match(rows[0], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} ERROR error message number 5 from softwired$/);
      assert.match(rows[3], /ERROR error message number 5000 \(new\)$/);
    } finally {
      await app.close();
    }
  });
}
