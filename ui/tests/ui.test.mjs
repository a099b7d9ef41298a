// The desktop front end in headless Chromium against the fake shell
// (tests/fake-backend.ts). One dev server and one browser for all tests;
// each test has its own browser context and fresh fake state.

import { after, before, describe } from 'node:test';
import accessibility from './specs/accessibility.mjs';
import connection from './specs/connection.mjs';
import importing from './specs/import.mjs';
import logs from './specs/logs.mjs';
import profiles from './specs/profiles.mjs';
import service from './specs/service.mjs';
import { startApp } from './support.mjs';

describe('Softwire desktop UI', { timeout: 240_000 }, () => {
  /** Filled in by before(): { base, browser, close }. */
  const env = {};
  before(async () => {
    Object.assign(env, await startApp());
  });
  after(async () => {
    await env.close?.();
  });

  profiles(env);
  importing(env);
  connection(env);
  service(env);
  logs(env);
  accessibility(env);
});
