// The app as the tests see it: the fake shell first, then the real front end.

import { installFakeBackend } from './fake-backend';

installFakeBackend(new URLSearchParams(window.location.search));
await import('../src/main');
