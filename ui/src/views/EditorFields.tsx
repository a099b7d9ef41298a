// Labelled form controls for the profile editor, each showing its help and
// the problem the service found with its field.

import type { ComponentChildren } from 'preact';
import type { Form } from '../profileForm';

/** What every control needs from the editor. */
export interface FieldContext {
  form: Form;
  change: (patch: Partial<Form>) => void;
  touch: (field: string) => void;
  /** The message to show at this profile field, if any. */
  errorFor: (field: string) => string | null;
}

type TextKey = {
  [K in keyof Form]: Form[K] extends string ? K : never;
}[keyof Form];

type FlagKey = {
  [K in keyof Form]: Form[K] extends boolean ? K : never;
}[keyof Form];

interface TextProps {
  ctx: FieldContext;
  id: string;
  label: string;
  name: TextKey;
  field: string;
  help?: ComponentChildren;
  placeholder?: string;
  inputMode?: 'numeric' | 'text';
  multiline?: boolean;
  autoComplete?: string;
  class?: string;
}

function describedBy(id: string, help: boolean, error: boolean): string | undefined {
  const ids = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

export function FieldError({ id, message }: { id: string; message: string | null }) {
  return (
    <p id={`${id}-error`} class="field-error" aria-live="polite" hidden={!message}>
      {message}
    </p>
  );
}

export function TextField(p: TextProps) {
  const error = p.ctx.errorFor(p.field);
  const common = {
    id: p.id,
    value: p.ctx.form[p.name],
    placeholder: p.placeholder,
    'aria-invalid': error ? ('true' as const) : undefined,
    'aria-describedby': describedBy(p.id, Boolean(p.help), Boolean(error)),
    onInput: (e: Event) => {
      p.ctx.change({ [p.name]: (e.currentTarget as HTMLInputElement).value });
      p.ctx.touch(p.field);
    },
    onBlur: () => p.ctx.touch(p.field),
  };
  return (
    <div class={`field ${p.class ?? ''}`}>
      <label for={p.id}>{p.label}</label>
      {p.multiline ? (
        <textarea {...common} rows={4} spellcheck={false} />
      ) : (
        <input
          {...common}
          type="text"
          inputMode={p.inputMode}
          autoComplete={p.autoComplete ?? 'off'}
          spellcheck={false}
        />
      )}
      {p.help && (
        <p id={`${p.id}-help`} class="help">
          {p.help}
        </p>
      )}
      <FieldError id={p.id} message={error} />
    </div>
  );
}

interface CheckProps {
  ctx: FieldContext;
  id: string;
  label: string;
  name: FlagKey;
  help?: string;
}

export function CheckField({ ctx, id, label, name, help }: CheckProps) {
  return (
    <div class="check">
      <input
        id={id}
        type="checkbox"
        checked={ctx.form[name]}
        aria-describedby={help ? `${id}-help` : undefined}
        onChange={(e) => ctx.change({ [name]: e.currentTarget.checked })}
      />
      <label for={id}>{label}</label>
      {help && (
        <p id={`${id}-help`} class="help">
          {help}
        </p>
      )}
    </div>
  );
}

interface RadioProps {
  id: string;
  name: string;
  label: ComponentChildren;
  checked: boolean;
  onSelect: () => void;
}

export function Radio({ id, name, label, checked, onSelect }: RadioProps) {
  return (
    <div class="check">
      <input id={id} type="radio" name={name} checked={checked} onChange={onSelect} />
      <label for={id}>{label}</label>
    </div>
  );
}
