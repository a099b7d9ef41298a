// Importing .sswan and .mobileconfig files by the file picker and by
// dropping them on the window; too large and broken files are refused in words.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { FIXTURES, openApp, openTab, profileRow, screenshot, seeText } from '../support.mjs';

/** Drops a file built in the page (name, text) onto the window. */
async function dropFile(page, name, text) {
  await page.evaluate(
    ([fileName, content]) => {
      const data = new DataTransfer();
      data.items.add(new File([content], fileName, { type: '' }));
      const target = document.querySelector('main') ?? document.body;
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
      }
    },
    [name, text],
  );
}

export default function importing(env) {
  test('import a .sswan by the file picker and a .mobileconfig by drag and drop', async () => {
    const app = await openApp(env, { scenario: 'empty' });
    const { page } = app;
    try {
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      await page.waitForFunction(() => document.activeElement?.id === 'import-file');
      await page.locator('#import-file').setInputFiles(path.join(FIXTURES, 'branch.sswan'));
      const result = page.locator('#import-result');
      await seeText(result, 'Imported Branch office from branch.sswan.');
      // The service's warnings, each shown.
      await seeText(result, 'dns-servers (198.51.100.53, 2001:db8:b::53) is not imported');
      await seeText(result, 'unknown keys ignored: future-option');
      await seeText(result, 'the file carries no CA certificate');
      assert.equal(await result.locator('.warnings li').count(), 3);
      await seeText(profileRow(page, 'Branch office'), 'branch.example.com');
      await screenshot(page, 'imported');

      // The same file again: the name is taken; Replace.
      await page.locator('#import-file').setInputFiles(path.join(FIXTURES, 'branch.sswan'));
      const exists = page.getByRole('alert').filter({ hasText: 'A profile named "Branch office" exists' });
      await exists.waitFor();
      await exists.getByRole('button', { name: 'Replace' }).click();
      await seeText(result, 'Imported Branch office from branch.sswan.');

      // Dropped on the window: the format comes from the name.
      const plist = await readFile(path.join(FIXTURES, 'home.mobileconfig'), 'utf8');
      await openTab(page, 'Connection');
      await dropFile(page, 'home.mobileconfig', plist);
      await seeText(result, 'Imported Home from home.mobileconfig.');
      await seeText(profileRow(page, 'Home'), 'home.example.net');

      // A dropped file without a known extension: the content decides.
      const sswan = (await readFile(path.join(FIXTURES, 'branch.sswan'), 'utf8')).replace(
        '"Branch office"',
        '"Branch two"',
      );
      await dropFile(page, 'profile.txt', sswan);
      await seeText(result, 'Imported Branch two from profile.txt.');
      await profileRow(page, 'Branch two').waitFor();
    } finally {
      await app.close();
    }
  });

  test('a broken, an oversized and an unknown file are refused with a clear message', async () => {
    const app = await openApp(env, { scenario: 'empty' });
    const { page } = app;
    try {
      await openTab(page, 'Profiles');
      const picker = page.locator('#import-file');
      const error = page.locator('#import-error');

      await picker.setInputFiles(path.join(FIXTURES, 'broken.sswan'));
      await seeText(error, 'broken.sswan was not imported.');
      await seeText(error, 'Not JSON');

      await picker.setInputFiles({
        name: 'huge.sswan',
        mimeType: 'application/octet-stream',
        buffer: Buffer.alloc(70 * 1024, 0x20),
      });
      await seeText(error, 'huge.sswan was not imported.');
      await seeText(error, 'This file is too large to be a profile (70 KiB; at most 60 KiB).');

      await dropFile(page, 'notes.txt', 'just some notes');
      await seeText(error, 'notes.txt was not imported.');
      await seeText(error, 'This is neither a .sswan nor a .mobileconfig profile.');
      assert.equal(await page.locator('[data-profile]').count(), 0, 'nothing was imported');
      await screenshot(page, 'import-refused');
    } finally {
      await app.close();
    }
  });
}
