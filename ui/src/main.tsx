import { render } from 'preact';
import { init } from './actions';
import { toAppError } from './ipc';
import { store } from './state';
import { App } from './views/App';
import './styles.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
init().catch((e: unknown) => {
  // Outside the desktop shell (a plain browser) nothing answers.
  const error = toAppError(e);
  store.set({
    loaded: true,
    service: { running: false, version: null, socket: '', error: { ...error, code: 'service' } },
  });
});
