"use client";

import { useCallback, useEffect, useRef, useState } from "react";

import type { Message, Source } from "@/lib/api/types";
import { useAnswerStream, type Draft } from "@/lib/chat/answer-stream";
import { threadItems } from "@/lib/chat/thread";

import { AnswerCard, type Answer } from "./AnswerCard";
import { SourcePanel } from "./SourcePanel";
import { UserQuestion } from "./UserQuestion";

/** How close to the bottom (px) the reader must be for a growing answer to keep them there. */
const FOLLOW_SLACK_PX = 160;

type Props = {
  conversationId: string;
  messages: readonly Message[];
  draft: Draft | null;
  /** Someone else's conversation (break glass): nothing can be asked or regenerated. */
  readOnly?: boolean;
};

/** The messages of a conversation, the live answer in place, and the source panel. */
export function Thread({ conversationId, messages, draft, readOnly = false }: Props) {
  const { ask, regenerate } = useAnswerStream();
  const [source, setSource] = useState<Source | null>(null);
  const closeSource = useCallback(() => setSource(null), []);
  const openSource = useCallback((s: Source) => setSource(s), []);
  const endRef = useRef<HTMLDivElement>(null);
  const busy = draft?.status === "waiting" || draft?.status === "streaming";

  // A new answer scrolls into view; while it grows, follow it only if the reader is at the end.
  const runId = draft?.runId;
  useEffect(() => {
    if (runId !== undefined) endRef.current?.scrollIntoView({ block: "end" });
  }, [runId]);
  const length = draft?.content.length ?? 0;
  useEffect(() => {
    const atEnd =
      window.innerHeight + window.scrollY >= document.body.scrollHeight - FOLLOW_SLACK_PX;
    if (length > 0 && atEnd) endRef.current?.scrollIntoView({ block: "end" });
  }, [length]);

  const regenerateFor = (message: { status: string; id: string | null }) =>
    !readOnly &&
    !busy &&
    message.id &&
    (message.status === "stopped" || message.status === "failed")
      ? () => regenerate(conversationId, message.id as string)
      : undefined;

  return (
    <>
      <ol aria-label="Messages" className="flex flex-col gap-4">
        {threadItems(messages, draft).map((item) => {
          if (item.type === "question") {
            return (
              <li key={item.key}>
                <UserQuestion content={item.content} />
              </li>
            );
          }
          if (item.type === "draft") {
            const d = item.draft;
            return (
              <li key={`draft-${d.runId}`}>
                <AnswerCard
                  answer={d}
                  onCite={openSource}
                  onRegenerate={regenerateFor({ status: d.status, id: d.messageId })}
                  onRetry={
                    !busy && d.question !== null
                      ? () => ask(conversationId, d.question as string, d.setId)
                      : undefined
                  }
                />
              </li>
            );
          }
          const m = item.message;
          return (
            <li key={m.id}>
              {m.role === "user" ? (
                <UserQuestion content={m.content} />
              ) : (
                <AnswerCard
                  answer={storedAnswer(m)}
                  onCite={openSource}
                  onRegenerate={regenerateFor(m)}
                />
              )}
            </li>
          );
        })}
      </ol>
      {/* The margin keeps the end of the answer above the sticky question box. */}
      <div ref={endRef} className="scroll-mb-44" />
      <SourcePanel source={source} onClose={closeSource} />
    </>
  );
}

function storedAnswer(message: Message): Answer {
  return { ...message, error: null };
}
