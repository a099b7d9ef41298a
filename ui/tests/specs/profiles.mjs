// Creating and editing a profile: the service's check shows each problem at
// its field and blocks saving; a saved profile is listed and keeps its edits.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { FIXTURES, openApp, profileRow, screenshot, seeText } from '../support.mjs';

export default function profiles(env) {
  test('create a profile: invalid values are shown at their field and block saving; edits persist', async () => {
    const app = await openApp(env, { scenario: 'empty' });
    const { page } = app;
    try {
      await page.getByRole('button', { name: 'New', exact: true }).click();
      await page.getByRole('heading', { name: 'New profile' }).waitFor();

      await page.getByLabel('Name', { exact: true }).fill('Office');
      const address = page.getByLabel('Address', { exact: true });
      await address.fill('vpn..example');
      await address.blur();
      const addressError = page.locator('#pe-address-error');
      await seeText(addressError, '"vpn..example" is neither an IP address nor a host name');
      assert.equal(await address.getAttribute('aria-invalid'), 'true');

      // The SC identity says it defaults to the address.
      await seeText(page.locator('#pe-identity-help'), 'Leave empty to use the address (vpn..example)');
      await page.getByLabel('Your identity').fill('alice@example.net');

      // Saving is refused while the address is wrong, with focus on it.
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await seeText(addressError, 'is neither an IP address nor a host name');
      await page.waitForFunction(() => document.activeElement?.id === 'pe-address');
      assert.equal(await profileRow(page, 'Office').count(), 0, 'nothing was saved');
      await screenshot(page, 'editor-invalid-address');

      await address.fill('vpn.example.net');
      await addressError.waitFor({ state: 'hidden' });

      // A split tunnel with a route whose prefix is too long.
      await page.getByLabel('Split tunnel: only the networks listed below').check();
      const routes = page.getByLabel('Networks', { exact: true });
      await routes.fill('198.51.100.0/24\n203.0.113.0/33');
      const routesError = page.locator('#pe-routes-error');
      await seeText(routesError, 'prefix length 33 is longer than 32');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await seeText(routesError, 'prefix length 33 is longer than 32');
      assert.equal(await profileRow(page, 'Office').count(), 0, 'nothing was saved');

      await routes.fill('198.51.100.0/24\n203.0.113.0/25');
      await routesError.waitFor({ state: 'hidden' });

      // The SC's CA from a file: a file that is not PEM is refused at the field.
      await page.getByLabel('Import a CA certificate file').check();
      const caError = page.locator('#pe-ca-error');
      await page.getByLabel('CA certificate file (PEM)').setInputFiles(path.join(FIXTURES, 'home.mobileconfig'));
      await seeText(page.locator('#pe-ca-chosen'), 'Chosen: home.mobileconfig');
      await seeText(caError, 'this file is not a CA certificate in PEM form');
      await page.getByLabel('CA certificate file (PEM)').setInputFiles(path.join(FIXTURES, 'office-ca.pem'));
      await seeText(page.locator('#pe-ca-chosen'), 'Chosen: office-ca.pem');
      await caError.waitFor({ state: 'hidden' });
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await seeText(page.locator('#profiles-notice'), 'Saved “Office”.');
      const row = profileRow(page, 'Office');
      await row.waitFor();
      await seeText(row, 'vpn.example.net');
      assert.equal(await row.getByRole('button', { name: 'Connect', exact: true }).textContent(), 'Connect');

      // Edit: change the identity, save, reopen: the change is there.
      await row.getByRole('button', { name: 'Edit' }).click();
      await page.getByRole('heading', { name: 'Edit “Office”' }).waitFor();
      const identity = page.getByLabel('Your identity');
      assert.equal(await identity.inputValue(), 'alice@example.net');
      assert.equal(await page.getByLabel('Networks', { exact: true }).inputValue(), '198.51.100.0/24\n203.0.113.0/25');
      // The service keeps the CA and the profile points at it.
      assert.equal(await page.getByLabel(/Keep the current one/).isChecked(), true);
      await seeText(page.locator('label[for="pe-ca-keep"]'), '/var/lib/softwire/profiles/ca/Office.pem');
      await identity.fill('alice.smith@example.net');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await seeText(page.locator('#profiles-notice'), 'Saved “Office”.');
      await row.getByRole('button', { name: 'Edit' }).click();
      await page.getByRole('heading', { name: 'Edit “Office”' }).waitFor();
      await page.waitForFunction(
        () => document.querySelector('#pe-auth-identity')?.value === 'alice.smith@example.net',
      );
    } finally {
      await app.close();
    }
  });

  test('a new profile under a taken name offers to replace it; delete asks first', async () => {
    const app = await openApp(env);
    const { page } = app;
    try {
      await page.getByRole('button', { name: 'New', exact: true }).click();
      await page.getByLabel('Name', { exact: true }).fill('Lab');
      await page.getByLabel('Address', { exact: true }).fill('198.51.100.20');
      await page.getByLabel('Your identity').fill('dave@example.com');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      const note = page.getByRole('alert').filter({ hasText: 'A profile of that name exists' });
      await seeText(note, 'A profile named "Lab" exists');
      await note.getByRole('button', { name: 'Replace it' }).click();
      await seeText(page.locator('#profiles-notice'), 'Saved “Lab”.');
      await seeText(profileRow(page, 'Lab'), '198.51.100.20');

      await profileRow(page, 'Lab').getByRole('button', { name: 'Edit' }).click();
      await page.getByRole('button', { name: 'Delete' }).click();
      const confirm = page.getByRole('alertdialog');
      await seeText(confirm, 'Delete “Lab”?');
      await confirm.getByRole('button', { name: 'Delete' }).click();
      await seeText(page.locator('#profiles-notice'), 'Deleted “Lab”.');
      await profileRow(page, 'Lab').waitFor({ state: 'detached' });
    } finally {
      await app.close();
    }
  });
}
