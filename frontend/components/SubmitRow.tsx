import type { ReactNode } from "react";

import { ErrorNotice } from "./ErrorNotice";

type Props = {
  /** The failure to show above the button; null when there is none or an input shows it. */
  error: unknown;
  /** Words instead of the error's own title. */
  errorTitle?: string;
  busy: boolean;
  label: string;
  /** The button's words while busy (`label` when not given). */
  busyLabel?: string;
  danger?: boolean;
  /** Other reasons the form cannot be sent yet. */
  disabled?: boolean;
  /** A "Cancel" button beside the submit button. */
  onCancel?: () => void;
  /** The button at its own width, not the column's. */
  start?: boolean;
  /** Shown between the error and the button (e.g. a "done" status). */
  children?: ReactNode;
};

/** The end of a form: its error, then its submit button (disabled while busy). */
export function SubmitRow({
  error,
  errorTitle,
  busy,
  label,
  busyLabel,
  danger = false,
  disabled = false,
  onCancel,
  start = false,
  children,
}: Props) {
  const button = (
    <button
      type="submit"
      className={`${danger ? "btn-danger" : "btn-primary"}${start ? " self-start" : ""}`}
      disabled={busy || disabled}
    >
      {busy && busyLabel ? busyLabel : label}
    </button>
  );
  return (
    <>
      {error !== null && <ErrorNotice error={error} title={errorTitle} />}
      {children}
      {onCancel ? (
        <div className="flex flex-wrap gap-2">
          {button}
          <button type="button" className="btn-secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      ) : (
        button
      )}
    </>
  );
}
