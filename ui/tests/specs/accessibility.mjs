// Small windows and both themes: no horizontal scrolling in any section,
// and axe-core finds no serious or critical problem (contrast included).

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { openApp, openTab, profileRow, screenshot, seeText } from '../support.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

async function noHorizontalScroll(page, where) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `${where}: the page is ${scroll} px wide in a ${width} px window`);
}

async function axeCheck(page, where) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => `${n.target.join(' ')} ${n.failureSummary ?? ''}`).join('\n    ')}`);
  });
  assert.deepEqual(violations, [], `${where}: accessibility problems`);
}

/** Every main section, in its interesting state, checked by `check`. */
async function eachSection(page, check) {
  await openTab(page, 'Connection');
  await check('connection (idle)');
  await openTab(page, 'Profiles');
  await page.getByRole('button', { name: 'New profile' }).click();
  await page.getByLabel('Address', { exact: true }).fill('vpn..example');
  await page.locator('#pe-address-error').filter({ hasText: 'neither' }).waitFor();
  await page.locator('details summary').click();
  await check('profiles (editor with an error)');
  await openTab(page, 'Logs');
  await seeText(page.locator('#log-count'), 'lines shown');
  await check('logs');
  await openTab(page, 'Settings');
  await check('settings');
  // Connected, with the traffic chart.
  await profileRow(page, 'Lab').getByRole('button', { name: 'Connect', exact: true }).click();
  await page.locator('[data-field="inner_ipv4"]').waitFor();
  await check('connection (up)');
  // The password dialog.
  await profileRow(page, 'Office').getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('dialog').waitFor();
  await check('password dialog');
  await page.keyboard.press('Escape');
}

export default function accessibility(env) {
  for (const colorScheme of ['light', 'dark']) {
    test(`360x480 in the ${colorScheme} theme: no horizontal scroll, no serious axe findings`, async () => {
      const app = await openApp(env, { viewport: { width: 360, height: 480 }, colorScheme });
      const { page } = app;
      try {
        const dark = await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
        assert.equal(dark, colorScheme === 'dark');
        await eachSection(page, async (where) => {
          await noHorizontalScroll(page, where);
          await axeCheck(page, `${where}, ${colorScheme}`);
        });
        await screenshot(page, `small-${colorScheme}`);
      } finally {
        await app.close();
      }
    });
  }

  test('the Dark theme setting applies at once over a light system', async () => {
    const app = await openApp(env, { colorScheme: 'light' });
    const { page } = app;
    try {
      const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const light = await background();
      await openTab(page, 'Settings');
      await page.getByLabel('Dark', { exact: true }).check();
      await seeText(page.locator('.card'), 'Settings saved.');
      assert.notEqual(await background(), light);
      await axeCheck(page, 'settings, dark by choice');
      await page.getByLabel('Same as the system').check();
      await page.waitForFunction((bg) => getComputedStyle(document.body).backgroundColor === bg, light);

      // The service down banner is readable too.
      const down = await openApp(env, { scenario: 'service-down', colorScheme: 'dark', viewport: { width: 360, height: 480 } });
      try {
        await down.page.locator('#service-down').waitFor();
        await noHorizontalScroll(down.page, 'service down');
        await axeCheck(down.page, 'service down, dark');
      } finally {
        await down.close();
      }
    } finally {
      await app.close();
    }
  });
}
