// Importing a .sswan or .mobileconfig file: from the file picker or dropped
// on the window. The file's text goes to the service, which converts it.

import { noteError, reloadProfiles, show } from './actions';
import { ipc, type AppError, type ImportFormat, type Saved } from './ipc';
import { store as appStore } from './state';
import { createStore } from './store';

/** The service takes requests up to 64 KiB; leave room for the request itself. */
export const MAX_IMPORT_BYTES = 60 * 1024;

export type ImportState =
  | { phase: 'idle' }
  | { phase: 'busy'; file: string }
  | { phase: 'done'; file: string; saved: Saved }
  | { phase: 'failed'; file: string; message: string; hint: string | null }
  | { phase: 'exists'; file: string; error: AppError; format: ImportFormat; content: string };

export const importStore = createStore<{ current: ImportState }>({ current: { phase: 'idle' } });

function set(current: ImportState): void {
  importStore.set({ current });
}

/** The format from the name, else from the first characters. */
export function detectFormat(fileName: string, text: string): ImportFormat | null {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.sswan')) return 'sswan';
  if (lower.endsWith('.mobileconfig')) return 'mobileconfig';
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('{')) return 'sswan';
  if (start.startsWith('<?xml') || start.startsWith('<plist') || start.startsWith('<!DOCTYPE plist')) {
    return 'mobileconfig';
  }
  return null;
}

function kib(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KiB`;
}

export async function importFile(file: File): Promise<void> {
  appStore.set({ view: 'profiles', editing: null });
  if (file.size > MAX_IMPORT_BYTES) {
    set({
      phase: 'failed',
      file: file.name,
      message: `This file is too large to be a profile (${kib(file.size)}; at most ${kib(MAX_IMPORT_BYTES)}).`,
      hint: 'Choose the .sswan or .mobileconfig file your administrator sent.',
    });
    return;
  }
  set({ phase: 'busy', file: file.name });
  let text: string;
  try {
    text = await file.text();
  } catch {
    set({ phase: 'failed', file: file.name, message: 'This file could not be read.', hint: null });
    return;
  }
  const format = detectFormat(file.name, text);
  if (!format) {
    set({
      phase: 'failed',
      file: file.name,
      message: 'This is neither a .sswan nor a .mobileconfig profile.',
      hint: 'Softwire imports strongSwan (.sswan) and Apple (.mobileconfig) profiles.',
    });
    return;
  }
  await send(file.name, format, text, false);
}

async function send(file: string, format: ImportFormat, content: string, replace: boolean): Promise<void> {
  set({ phase: 'busy', file });
  try {
    const saved = await ipc.importProfile(format, content, null, replace);
    set({ phase: 'done', file, saved });
    await reloadProfiles();
  } catch (e) {
    const error = noteError(e as AppError);
    if (error.code === 'profile_exists' && !replace) {
      set({ phase: 'exists', file, error, format, content });
    } else {
      set({ phase: 'failed', file, message: error.message, hint: error.hint });
    }
  }
}

/** "Replace" after a profile of the same name was found. */
export function replaceExisting(): void {
  const s = importStore.get().current;
  if (s.phase === 'exists') void send(s.file, s.format, s.content, true);
}

export function resetImport(): void {
  set({ phase: 'idle' });
}

/** Shows the Profiles view and puts focus on the file picker. */
export function focusImport(): void {
  show('profiles');
  appStore.set({ editing: null });
  requestAnimationFrame(() => document.getElementById('import-file')?.focus());
}
