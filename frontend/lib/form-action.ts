"use client";

import { useState, type FormEvent } from "react";

/**
 * The busy flag and the error of an action that calls the API (a form's submit, a button):
 * `run` clears the last error, is busy while the action runs, and keeps what it threw.
 * `staysBusy`: a successful action leaves the page, so the form stays busy until it does.
 */
export function useFormAction({ staysBusy = false }: { staysBusy?: boolean } = {}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      if (!staysBusy) setBusy(false);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  /** `run` as a form's submit handler, instead of the browser's own submission. */
  const submit = (event: FormEvent, action: () => Promise<void>) => {
    event.preventDefault();
    return run(action);
  };

  return { busy, error, clearError: () => setError(null), run, submit };
}
