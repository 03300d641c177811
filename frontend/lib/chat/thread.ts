import type { Message } from "@/lib/api/types";

import type { Draft } from "./answer-stream";

export type ThreadItem =
  | { type: "message"; message: Message }
  | { type: "question"; key: string; content: string }
  | { type: "draft"; draft: Draft };

/**
 * True once the server's copy of the draft's answer is final, so the draft can go. A failed
 * draft stays: it holds the error's words, which a stored message does not keep. A draft
 * stopped before the server named its answer goes once the stored messages end with its
 * question (and whatever answer the server kept), so nothing shows twice.
 */
export function isSettledOnServer(draft: Draft, messages: readonly Message[]): boolean {
  if (draft.status === "waiting" || draft.status === "streaming" || draft.status === "failed") {
    return false;
  }
  if (draft.messageId === null) return endsWithQuestion(messages, draft.question);
  return messages.some((m) => m.id === draft.messageId && m.status !== "streaming");
}

/** The stored messages end with `question`, alone or followed by its answer. */
function endsWithQuestion(messages: readonly Message[], question: string | null): boolean {
  const last = messages.at(-1);
  const asked = last?.role === "assistant" ? messages.at(-2) : last;
  return question !== null && asked?.role === "user" && asked.content === question;
}

/**
 * The messages to show: the stored ones, with the live draft (and its question) in place of
 * the stored answer it is writing or regenerating, so nothing shows twice when the
 * conversation is re-read mid-stream.
 */
export function threadItems(messages: readonly Message[], draft: Draft | null): ThreadItem[] {
  const items: ThreadItem[] = messages.map((message) => ({ type: "message", message }));
  if (!draft || isSettledOnServer(draft, messages)) return items;

  const live: ThreadItem[] = [];
  if (draft.question !== null) {
    live.push({ type: "question", key: `q-${draft.runId}`, content: draft.question });
  }
  live.push({ type: "draft", draft });

  const at = messages.findIndex((m) => m.id === draft.messageId || m.id === draft.replaces);
  if (at < 0) return [...items, ...live];
  // A new question's stored copy sits right before its answer: replace both.
  const previous = messages[at - 1];
  const start = draft.question !== null && previous?.role === "user" ? at - 1 : at;
  return [...items.slice(0, start), ...live, ...items.slice(at + 1)];
}
