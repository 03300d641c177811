"use client";

import { useId, type FormEvent, type KeyboardEvent, type ReactNode, type RefObject } from "react";

import { MAX_QUESTION_CHARS } from "@/lib/chat/wording";

/** From how many characters the remaining count is shown. */
const COUNT_FROM = MAX_QUESTION_CHARS - 500;

type Props = {
  value: string;
  onChange: (value: string) => void;
  onSend: () => void;
  onStop: () => void;
  /** An answer is streaming: sending waits, stopping is possible. */
  streaming: boolean;
  /** Sending is in progress before streaming (creating the conversation). */
  sending?: boolean;
  label?: string;
  inputRef?: RefObject<HTMLTextAreaElement>;
  /** Shown above the box, e.g. the drug label the question is scoped to. */
  scope?: ReactNode;
};

/** The question box: Enter sends, Shift+Enter adds a line, Stop cancels a streaming answer. */
export function Composer({
  value,
  onChange,
  onSend,
  onStop,
  streaming,
  sending = false,
  label = "Your question",
  inputRef,
  scope,
}: Props) {
  const hintId = useId();
  const inputId = useId();
  const canSend = value.trim().length > 0 && !streaming && !sending;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (canSend) onSend();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // isComposing: Enter that confirms an IME composition (e.g. Japanese input) is not "send".
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      if (canSend) onSend();
    }
  };

  return (
    <form onSubmit={submit} className="flex flex-col gap-2">
      {scope}
      <label htmlFor={inputId} className="sr-only">
        {label}
      </label>
      <div className="flex items-end gap-2">
        <textarea
          id={inputId}
          ref={inputRef}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          onKeyDown={onKeyDown}
          rows={2}
          maxLength={MAX_QUESTION_CHARS}
          placeholder="Ask about a condition, a treatment or a medicine…"
          aria-describedby={hintId}
          className="field max-h-48 min-h-[3rem] resize-y [field-sizing:content]"
        />
        {streaming ? (
          <button type="button" className="btn-secondary" onClick={onStop}>
            Stop
          </button>
        ) : (
          <button type="submit" className="btn-primary" disabled={!canSend}>
            Send
          </button>
        )}
      </div>
      <p id={hintId} className="flex justify-between gap-2 text-xs text-slate-600">
        <span>Enter sends, Shift+Enter starts a new line.</span>
        {value.length >= COUNT_FROM && (
          <span>{MAX_QUESTION_CHARS - value.length} characters left</span>
        )}
      </p>
    </form>
  );
}
