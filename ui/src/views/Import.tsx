// The import panel (file picker, result, warnings) and the window-wide
// drop target for profile files.

import { useEffect, useState } from 'preact/hooks';
import { edit } from '../actions';
import { importFile, importStore, replaceExisting, resetImport } from '../importer';
import { store } from '../state';
import { useSelect } from '../store';
import { sentence } from './ErrorNote';

export function ImportPanel() {
  const current = useSelect(importStore, (s) => s.current);
  const running = useSelect(store, (s) => s.service?.running ?? false);

  const onChange = (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    if (file) void importFile(file);
    // The same file can be chosen again (after fixing it, or to replace).
    input.value = '';
  };

  return (
    <section class="card" aria-labelledby="import-title">
      <h2 id="import-title">Import a profile</h2>
      <p class="muted">
        A strongSwan <code>.sswan</code> or Apple <code>.mobileconfig</code> file: choose it here, or drop it
        anywhere on this window.
      </p>
      <div class="field">
        <label for="import-file">Profile file</label>
        <input
          id="import-file"
          type="file"
          accept=".sswan,.mobileconfig"
          disabled={!running}
          onChange={onChange}
        />
      </div>
      <div aria-live="polite" id="import-result">
        {current.phase === 'busy' && <p>Importing {current.file}…</p>}
        {current.phase === 'done' && (
          <div class="notice ok" role="status">
            <p>
              Imported <strong>{current.saved.name}</strong> from {current.file}.
            </p>
            {current.saved.warnings.length > 0 && (
              <>
                <p>Check these before connecting:</p>
                <ul class="warnings">
                  {current.saved.warnings.map((w, i) => (
                    <li key={i}>{w}</li>
                  ))}
                </ul>
              </>
            )}
            <div class="buttons">
              <button type="button" onClick={() => edit({ mode: 'edit', name: current.saved.name })}>
                Open in the editor
              </button>
              <button type="button" onClick={resetImport}>
                Done
              </button>
            </div>
          </div>
        )}
      </div>
      {current.phase === 'failed' && (
        <div class="notice error" role="alert" id="import-error">
          <p>
            <strong>{current.file} was not imported.</strong> {sentence(current.message)}
          </p>
          {current.hint && <p class="hint">Next: {sentence(current.hint)}</p>}
        </div>
      )}
      {current.phase === 'exists' && (
        <div class="notice warn" role="alert">
          <p>{sentence(current.error.message)}</p>
          <p>Replace the saved profile with the one in {current.file}?</p>
          <div class="buttons">
            <button type="button" class="danger" onClick={replaceExisting}>
              Replace
            </button>
            <button type="button" onClick={resetImport}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

/** Files dropped anywhere on the window are imported. */
export function DropTarget() {
  const [over, setOver] = useState(false);
  const running = useSelect(store, (s) => s.service?.running ?? false);

  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth += 1;
      setOver(true);
    };
    const overHandler = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = running ? 'copy' : 'none';
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setOver(false);
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      depth = 0;
      setOver(false);
      const file = e.dataTransfer?.files[0];
      if (file && running) void importFile(file);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', overHandler);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', overHandler);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [running]);

  if (!over) return null;
  return (
    <div class="drop-overlay" aria-hidden="true">
      <p>{running ? 'Drop the profile file to import it' : 'The Softwire service is not running'}</p>
    </div>
  );
}
