"use client";

/**
 * The one answer being streamed, shared by every page: the drug label page starts a question
 * and the chat page shows it, and a client-side navigation does not cut the stream. Only one
 * answer streams at a time (the composer is disabled meanwhile).
 */
import { useQueryClient } from "@tanstack/react-query";
import {
  createContext,
  useCallback,
  useContext,
  useMemo,
  useReducer,
  useRef,
  type ReactNode,
} from "react";

import { ApiError, isAbort, networkError } from "@/lib/api/problem";
import { queryKeys } from "@/lib/api/queries";
import { askQuestion, regenerateAnswer } from "@/lib/api/stream";
import type { AnswerEvent, AnswerKind, Source, SupportNote } from "@/lib/api/types";

export type DraftStatus = "waiting" | "streaming" | "complete" | "stopped" | "failed";

/** An answer as it arrives. `messageId` is known from the `meta` event on. */
export type Draft = {
  runId: number;
  conversationId: string;
  /** The question as sent (shown until the stored copy arrives); null when regenerating. */
  question: string | null;
  setId: string | null;
  /** The stored stopped/failed answer this one replaces, when regenerating. */
  replaces: string | null;
  messageId: string | null;
  kind: AnswerKind;
  engine: string | null;
  sources: Source[];
  /** The support note triage put beside this answer (from `meta`), or null. */
  support: SupportNote | null;
  content: string;
  citations: number[];
  disclaimer: string | null;
  status: DraftStatus;
  error: ApiError | null;
};

const EMPTY_ANSWER = {
  messageId: null,
  kind: "answer",
  engine: null,
  sources: [],
  support: null,
  content: "",
  citations: [],
  disclaimer: null,
  status: "waiting",
  error: null,
} satisfies Partial<Draft>;

const CUT_OFF = new ApiError({
  status: 502,
  title: "Answer cut off",
  detail: "The connection closed before the answer was finished.",
});

type Action =
  | { type: "start"; draft: Draft }
  | { type: "event"; runId: number; event: AnswerEvent }
  | { type: "end"; runId: number; status: "stopped" | "failed"; error: ApiError | null }
  | { type: "clear" };

function reduce(draft: Draft | null, action: Action): Draft | null {
  if (action.type === "start") return action.draft;
  if (action.type === "clear") return null;
  // Events of a run that was replaced or cleared meanwhile change nothing.
  if (!draft || draft.runId !== action.runId) return draft;
  if (action.type === "end") {
    if (draft.status === "complete" || draft.status === "failed") return draft;
    return { ...draft, status: action.status, error: action.error };
  }
  const { event } = action;
  switch (event.event) {
    case "meta":
      return {
        ...draft,
        status: "streaming",
        messageId: event.data.message_id,
        kind: event.data.kind,
        engine: event.data.engine,
        sources: event.data.sources,
        support: event.data.support ?? null,
      };
    case "token":
      return { ...draft, status: "streaming", content: draft.content + event.data.text };
    case "done":
      return {
        ...draft,
        status: "complete",
        messageId: event.data.message_id,
        citations: event.data.citations,
        disclaimer: event.data.disclaimer,
      };
    case "error":
      return { ...draft, status: "failed", error: new ApiError(event.data) };
  }
}

type AnswerStream = {
  draft: Draft | null;
  /** Ask `content` in a conversation; `setId` scopes it to one drug label. */
  ask: (conversationId: string, content: string, setId: string | null) => void;
  /** Answer again a stored stopped or failed answer. */
  regenerate: (conversationId: string, messageId: string) => void;
  /** Cancel the stream; the server keeps the partial answer as "stopped". */
  stop: () => void;
  /** Leaving a conversation: stop its stream and forget its draft. */
  leave: (nextConversationId: string | null) => void;
};

const AnswerStreamContext = createContext<AnswerStream | null>(null);

export function AnswerStreamProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [draft, dispatch] = useReducer(reduce, null);
  const draftRef = useRef<Draft | null>(null);
  draftRef.current = draft;
  const controllerRef = useRef<AbortController | null>(null);
  const runIdRef = useRef(0);

  const run = useCallback(
    async (
      init: Omit<Draft, "runId" | keyof typeof EMPTY_ANSWER>,
      open: (signal: AbortSignal) => Promise<AsyncGenerator<AnswerEvent, void, undefined>>,
    ) => {
      controllerRef.current?.abort();
      const controller = new AbortController();
      controllerRef.current = controller;
      const runId = ++runIdRef.current;
      dispatch({ type: "start", draft: { ...init, ...EMPTY_ANSWER, runId } });
      let ended = false;
      try {
        for await (const event of await open(controller.signal)) {
          dispatch({ type: "event", runId, event });
          if (event.event === "done" || event.event === "error") ended = true;
        }
        if (!ended) {
          // The connection closed without `done`: the server or a proxy cut it.
          dispatch({ type: "end", runId, status: "failed", error: CUT_OFF });
        }
      } catch (error) {
        if (isAbort(error)) {
          dispatch({ type: "end", runId, status: "stopped", error: null });
        } else {
          const problem = error instanceof ApiError ? error : networkError();
          dispatch({ type: "end", runId, status: "failed", error: problem });
        }
      } finally {
        if (controllerRef.current === controller) controllerRef.current = null;
        void queryClient.invalidateQueries({
          queryKey: queryKeys.conversation(init.conversationId),
        });
        void queryClient.invalidateQueries({ queryKey: queryKeys.conversations, exact: true });
      }
    },
    [queryClient],
  );

  const ask = useCallback(
    (conversationId: string, content: string, setId: string | null) => {
      void run({ conversationId, question: content, setId, replaces: null }, (signal) =>
        askQuestion(conversationId, content, setId, signal),
      );
    },
    [run],
  );

  const regenerate = useCallback(
    (conversationId: string, messageId: string) => {
      void run({ conversationId, question: null, setId: null, replaces: messageId }, (signal) =>
        regenerateAnswer(conversationId, messageId, signal),
      );
    },
    [run],
  );

  const stop = useCallback(() => controllerRef.current?.abort(), []);

  const leave = useCallback((nextConversationId: string | null) => {
    const current = draftRef.current;
    if (!current || current.conversationId === nextConversationId) return;
    controllerRef.current?.abort();
    dispatch({ type: "clear" });
  }, []);

  const value = useMemo(
    () => ({ draft, ask, regenerate, stop, leave }),
    [draft, ask, regenerate, stop, leave],
  );
  return <AnswerStreamContext.Provider value={value}>{children}</AnswerStreamContext.Provider>;
}

export function useAnswerStream(): AnswerStream {
  const stream = useContext(AnswerStreamContext);
  if (!stream) throw new Error("useAnswerStream needs an AnswerStreamProvider above it");
  return stream;
}
