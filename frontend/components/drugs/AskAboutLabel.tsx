"use client";

import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { useCreateConversation } from "@/lib/api/queries";
import { useAnswerStream } from "@/lib/chat/answer-stream";
import { MAX_QUESTION_CHARS } from "@/lib/chat/wording";
import { chatHref } from "@/lib/routes";

type Props = { setId: string; drugName: string };

/**
 * A question about this label only (`set_id` scopes retrieval): starts a conversation, starts
 * the answer, and opens it in the chat, where it keeps streaming.
 */
export function AskAboutLabel({ setId, drugName }: Props) {
  const router = useRouter();
  const { draft, ask } = useAnswerStream();
  const create = useCreateConversation();
  const [text, setText] = useState("");
  const inputId = useId();
  const streaming = draft?.status === "waiting" || draft?.status === "streaming";
  const canAsk = text.trim().length > 0 && !streaming && !create.isPending;

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    const content = text.trim();
    if (!content || !canAsk) return;
    const created = await create.mutateAsync(`About ${drugName}`).catch(() => null);
    if (!created) return;
    ask(created.id, content, setId);
    router.push(chatHref(created.id, setId));
  };

  return (
    <form onSubmit={(event) => void submit(event)} className="card flex flex-col gap-2">
      <label htmlFor={inputId} className="font-semibold">
        Ask about this label
      </label>
      <p className="text-sm text-slate-600">Answers will only use the {drugName} label.</p>
      <textarea
        id={inputId}
        value={text}
        onChange={(event) => setText(event.target.value)}
        rows={2}
        maxLength={MAX_QUESTION_CHARS}
        placeholder={`e.g. Can I take ${drugName} with grapefruit juice?`}
        className="field"
      />
      {create.isError && <ErrorNotice error={create.error} onRetry={() => void submit()} />}
      <div>
        <button type="submit" className="btn-primary" disabled={!canAsk}>
          Ask
        </button>
      </div>
    </form>
  );
}
