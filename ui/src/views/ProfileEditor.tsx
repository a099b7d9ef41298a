// Creates or edits a profile. Every change is checked by the service's own
// rules (validate_profile) and the problem shown at its field.

import { useEffect, useRef, useState } from 'preact/hooks';
import { noteError, reloadProfiles } from '../actions';
import { ipc, type AppError, type FieldProblem } from '../ipc';
import { ADVANCED, FIELD_IDS, build, emptyForm, toForm, type Form } from '../profileForm';
import { store } from '../state';
import { Dialog } from './Dialog';
import { EditorSections } from './EditorSections';
import type { FieldContext } from './EditorFields';
import { ErrorNote } from './ErrorNote';

interface Props {
  /** The profile to edit; null for a new one. */
  name: string | null;
}

async function check(form: Form): Promise<FieldProblem | null> {
  const built = build(form);
  if (built.problem) return built.problem;
  try {
    return await ipc.validateProfile(built.profile, built.caPem);
  } catch (e) {
    noteError(e as AppError);
    // No verdict: saving will say what is wrong.
    return null;
  }
}

/** Stand-ins for fields not filled in yet, to find problems past them. */
const STAND_INS: Record<string, Partial<Form>> = {
  name: { name: 'Untitled' },
  'sc.address': { address: 'vpn.example.net' },
  'auth.identity': { authIdentity: 'user@example.net' },
};

/**
 * The first problem in a field the user has been to: the service reports
 * only its first problem, which may be in a field not reached yet.
 */
async function checkShown(form: Form, visible: (field: string) => boolean): Promise<FieldProblem | null> {
  let f = form;
  for (let i = 0; i <= Object.keys(STAND_INS).length; i++) {
    const problem = await check(f);
    const field = problem?.field;
    const standIn = field && !visible(field) ? STAND_INS[field] : undefined;
    if (!standIn) return problem;
    f = { ...f, ...standIn };
  }
  return null;
}

function focusField(field: string | null, openAdvanced: () => void): void {
  if (field && ADVANCED.has(field)) openAdvanced();
  requestAnimationFrame(() => {
    const id = field ? FIELD_IDS[field] : undefined;
    const el = (id && document.getElementById(id)) || document.getElementById('editor-problem');
    el?.focus();
  });
}

export function ProfileEditor({ name }: Props) {
  const [form, setForm] = useState<Form | null>(name === null ? emptyForm() : null);
  const [loadError, setLoadError] = useState<AppError | null>(null);
  const [touched, setTouched] = useState<Set<string>>(() => new Set());
  const [submitted, setSubmitted] = useState(false);
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<AppError | null>(null);
  const [exists, setExists] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [advanced, setAdvanced] = useState(false);
  const seq = useRef(0);

  useEffect(() => {
    if (name === null) return;
    ipc.getProfile(name).then(
      (p) => setForm(toForm(p)),
      (e: AppError) => setLoadError(noteError(e)),
    );
  }, [name]);

  const visible = (field: string) => submitted || name !== null || touched.has(field);

  // Check as the user types (after a short pause).
  useEffect(() => {
    if (!form) return;
    const mine = ++seq.current;
    const timer = setTimeout(() => {
      void checkShown(form, visible).then((p) => {
        if (mine === seq.current) setProblem(p);
      });
    }, 250);
    return () => clearTimeout(timer);
    // `visible` changes with these.
  }, [form, touched, submitted]);

  if (loadError) return <ErrorNote error={loadError} title={`“${name ?? ''}” could not be opened`} />;
  if (!form) return <p aria-busy="true">Loading {name}…</p>;

  const known = (field: string | null) => field !== null && field in FIELD_IDS;
  const ctx: FieldContext = {
    form,
    change: (patch) => {
      setForm((f) => (f ? { ...f, ...patch } : f));
      setSaveError(null);
      setExists(false);
    },
    touch: (field) => {
      if (!touched.has(field)) setTouched(new Set(touched).add(field));
    },
    errorFor: (field) => (problem && problem.field === field && visible(field) ? problem.message : null),
  };
  const topProblem = problem && !known(problem.field) && (submitted || name !== null) ? problem : null;

  const save = async (replace: boolean) => {
    setSubmitted(true);
    const mine = ++seq.current;
    const found = await check(form);
    if (mine !== seq.current) return;
    setProblem(found);
    if (found) {
      focusField(found.field, () => setAdvanced(true));
      return;
    }
    const built = build(form);
    const renamed = name !== null && built.profile.name !== name;
    setSaving(true);
    try {
      const saved = await ipc.saveProfile(
        built.profile,
        replace || (name !== null && !renamed),
        renamed ? name : null,
        built.caPem,
      );
      await reloadProfiles();
      store.set({
        editing: null,
        notice: { text: `Saved “${saved.name}”.`, warnings: saved.warnings },
      });
    } catch (e) {
      const error = noteError(e as AppError);
      setSaveError(error);
      setExists(error.code === 'profile_exists');
      if (error.field) {
        // The shell says "sc.address: problem"; next to the field, the problem is enough.
        const prefix = `${error.field}: `;
        const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
        setProblem({ field: error.field, message });
        focusField(error.field, () => setAdvanced(true));
      }
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    if (name === null) return;
    try {
      await ipc.removeProfile(name);
      setConfirmDelete(false);
      await reloadProfiles();
      store.set({ editing: null, notice: { text: `Deleted “${name}”.`, warnings: [] } });
    } catch (e) {
      setConfirmDelete(false);
      setSaveError(noteError(e as AppError));
    }
  };

  const cancel = () => store.set({ editing: null });

  return (
    <form
      class="card editor"
      aria-labelledby="editor-title"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!saving) void save(false);
      }}
    >
      <h2 id="editor-title">{name === null ? 'New profile' : `Edit “${name}”`}</h2>
      {topProblem && (
        <div id="editor-problem" class="notice error" role="alert" tabIndex={-1}>
          <p>
            {topProblem.field && <code>{topProblem.field}: </code>}
            {topProblem.message}
          </p>
        </div>
      )}
      <EditorSections ctx={ctx} advanced={advanced} setAdvanced={setAdvanced} />
      {saveError && (
        <ErrorNote
          error={saveError}
          title={exists ? 'A profile of that name exists' : 'The profile was not saved'}
        >
          {exists && (
            <button type="button" class="danger" onClick={() => void save(true)}>
              Replace it
            </button>
          )}
        </ErrorNote>
      )}
      <div class="buttons editor-buttons">
        <button type="submit" class="primary" aria-disabled={saving ? 'true' : undefined}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button type="button" onClick={cancel}>
          Cancel
        </button>
        {name !== null && (
          <button type="button" class="danger push-end" onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
        )}
      </div>
      {confirmDelete && name !== null && (
        <Dialog
          role="alertdialog"
          title={`Delete “${name}”?`}
          description="The profile is removed from this computer. This cannot be undone."
          onCancel={() => setConfirmDelete(false)}
        >
          <div class="buttons">
            <button type="button" class="danger" onClick={() => void remove()}>
              Delete
            </button>
            <button type="button" data-autofocus onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </form>
  );
}
