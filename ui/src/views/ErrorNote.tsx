// A failed command's AppError in words: what happened and what to do next.

import type { ComponentChildren } from 'preact';
import type { AppError } from '../ipc';

interface Props {
  error: AppError;
  title?: string;
  children?: ComponentChildren;
}

export function ErrorNote({ error, title, children }: Props) {
  return (
    <div class="notice error" role="alert" data-code={error.code}>
      {title && <p class="notice-title">{title}</p>}
      <p>{sentence(error.message)}</p>
      {error.hint && <p class="hint">Next: {sentence(error.hint)}</p>}
      {children && <div class="buttons">{children}</div>}
    </div>
  );
}

/**
 * The service's messages start in lower case; capitalised they read as
 * sentences. No full stop is added: many end in a command to copy.
 */
export function sentence(text: string): string {
  const t = text.trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}
