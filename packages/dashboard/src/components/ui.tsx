import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import { ApiError } from '../api';

/** An API error as the user should read it, with field errors listed. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const fields = error instanceof ApiError ? error.fieldMessages : [];
  return (
    <div class="notice error" role="alert">
      <p>{message}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** What a page shows when the API it needs answers 404 for the route: this server does not have it yet. */
export function NotDeployed({ what }: { what: string }) {
  return (
    <div class="notice warn" role="status">
      <p>
        <strong>{what} is not available on this server yet.</strong> The API answered 404 for its routes, so this
        deployment does not include it. The page will work as soon as the server is updated.
      </p>
    </div>
  );
}

/** Either the not-deployed notice or the error, for a failed load. */
export function LoadError({ error, what }: { error: unknown; what: string }) {
  if (error instanceof ApiError && error.routeMissing) return <NotDeployed what={what} />;
  return <ErrorMessage error={error} />;
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="muted" role="status">
      {label}
    </p>
  );
}

/** A group of radio buttons drawn as a segmented control (keyboard: arrows, like any radio group). */
export function Segmented<T extends string>(props: {
  label: string;
  options: readonly T[];
  value: T;
  onChange: (value: T) => void;
  format?: (value: T) => string;
}) {
  const name = useId();
  return (
    <fieldset class="segmented">
      <legend>{props.label}</legend>
      <div class="segments">
        {props.options.map((option) => (
          <label key={option} class={option === props.value ? 'selected' : ''}>
            <input
              type="radio"
              name={name}
              value={option}
              checked={option === props.value}
              onChange={() => props.onChange(option)}
            />
            <span>{props.format ? props.format(option) : option}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  const id = useId();
  return (
    <section class="card" aria-labelledby={id}>
      <div class="card-head">
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** A text field with its label; `hint` is tied to the input with aria-describedby. */
export function TextField(props: {
  label: string;
  name: string;
  value: string;
  onInput: (value: string) => void;
  type?: string;
  required?: boolean;
  autoComplete?: string;
  hint?: string;
  placeholder?: string;
  minLength?: number;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        required={props.required}
        autoComplete={props.autoComplete}
        placeholder={props.placeholder}
        minLength={props.minLength}
        // Thresholds such as 0.05 are valid: without step="any" the browser only accepts integers.
        step={props.type === 'number' ? 'any' : undefined}
        aria-describedby={props.hint ? hintId : undefined}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
      />
      {props.hint && (
        <p id={hintId} class="hint">
          {props.hint}
        </p>
      )}
    </div>
  );
}

export function SelectField<T extends string>(props: {
  label: string;
  name: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (value: T) => void;
}) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        value={props.value}
        onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value as T)}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Copies text to the clipboard; the status is announced to screen readers. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  return (
    <button
      type="button"
      class="secondary"
      onClick={async (e) => {
        const button = e.currentTarget as HTMLButtonElement;
        try {
          await navigator.clipboard.writeText(text);
          button.textContent = 'Copied';
        } catch {
          button.textContent = 'Select and copy manually';
        }
      }}
    >
      {label}
    </button>
  );
}

/**
 * A horizontally scrollable region (wide tables, long commands). It is focusable so keyboard users can scroll
 * it (WCAG 2.1.1; axe's scrollable-region-focusable), and named so screen readers announce what it holds.
 */
export function ScrollRegion({
  label,
  children,
  class: className,
}: {
  label: string;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to scroll it.
    <section class={className ?? 'table-wrap'} aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}

/** Preformatted text to copy (a command, a secret), in a scrollable region. */
export function CodeBlock({ label, text, testId }: { label: string; text: string; testId?: string }) {
  return (
    <ScrollRegion label={label} class="code-wrap">
      <pre class="code">
        <code data-testid={testId}>{text}</code>
      </pre>
    </ScrollRegion>
  );
}

/** A column heading: its label, and whether it holds numbers (right-aligned). */
export type Column = string | { label: string; num: true };

/**
 * A page's list as a table, with the states every list has: "Loading…" until the first answer, the page's own
 * empty message, then a keyboard-scrollable table whose header is `columns` (plus an unlabelled-to-the-eye
 * "Actions" column when `actions`). The page renders only its rows.
 */
export function ListTable<T>({
  label,
  columns,
  actions = false,
  rows,
  loading = false,
  empty,
  row,
}: {
  label: string;
  columns: Column[];
  actions?: boolean;
  rows: T[] | undefined;
  loading?: boolean;
  empty: ComponentChildren;
  row: (item: T) => ComponentChildren;
}) {
  if (!rows) return loading ? <Loading /> : null;
  if (rows.length === 0) return <p class="muted">{empty}</p>;
  return (
    <ScrollRegion label={label}>
      <table>
        <thead>
          <tr>
            {columns.map((c) =>
              typeof c === 'string' ? (
                <th key={c} scope="col">
                  {c}
                </th>
              ) : (
                <th key={c.label} scope="col" class="num">
                  {c.label}
                </th>
              ),
            )}
            {actions && (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{rows.map(row)}</tbody>
      </table>
    </ScrollRegion>
  );
}
