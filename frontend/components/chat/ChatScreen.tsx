"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { useConversation, useCreateConversation, useDrugLabel } from "@/lib/api/queries";
import { useAuth } from "@/lib/auth";
import { useAnswerStream, type Draft } from "@/lib/chat/answer-stream";
import { titleFromQuestion } from "@/lib/chat/wording";
import { chatHref, labelHref } from "@/lib/routes";

import { Composer } from "./Composer";
import { ConversationList } from "./ConversationList";
import { FhirDownload } from "./FhirDownload";
import { Thread } from "./Thread";

const SUGGESTIONS = [
  "What are the symptoms of glaucoma?",
  "How is high blood pressure treated?",
  "What are the side effects of Lipitor?",
];

/** The chat page: conversations, the selected thread and the question box. */
export function ChatScreen() {
  const params = useSearchParams();
  const router = useRouter();
  const conversationId = params.get("c");
  const setId = params.get("set");
  const { draft, ask, stop, leave } = useAnswerStream();
  const [text, setText] = useState("");
  const [listOpen, setListOpen] = useState(false);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const listId = useId();

  const streaming = draft?.status === "waiting" || draft?.status === "streaming";
  const ownDraft = draft && draft.conversationId === conversationId ? draft : null;
  const conversation = useConversation(conversationId, { poll: !streaming });
  const create = useCreateConversation();
  const label = useDrugLabel(setId);
  // FHIR exports are patients' (the role whose conversations are their own health data).
  const canExport = useAuth().user?.role === "patient";

  // Switching to another conversation cancels the answer being written in the one left;
  // the server keeps what was written as a stopped answer, shown when it is opened again.
  const previousId = useRef(conversationId);
  useEffect(() => {
    if (previousId.current === conversationId) return;
    previousId.current = conversationId;
    leave(conversationId);
    inputRef.current?.focus();
  }, [conversationId, leave]);

  const send = async () => {
    const content = text.trim();
    if (!content || streaming) return;
    let id = conversationId;
    if (!id) {
      // Keep the question in the box if the conversation cannot be created.
      const created = await create.mutateAsync(titleFromQuestion(content)).catch(() => null);
      if (!created) return;
      id = created.id;
    }
    ask(id, content, setId);
    setText("");
    if (id !== conversationId) router.replace(chatHref(id, setId));
  };

  const scope = setId ? (
    <p className="flex flex-wrap items-center gap-2 text-sm">
      <span>
        Asking about{" "}
        <Link href={labelHref(setId)} className="font-semibold text-teal-800 underline">
          {label.data ? `the ${label.data.brand_name ?? label.data.title} label` : "one drug label"}
        </Link>{" "}
        only.
      </span>
      <button
        type="button"
        className="rounded px-1.5 py-0.5 text-slate-700 underline hover:bg-slate-200"
        onClick={() => router.replace(chatHref(conversationId))}
      >
        Ask about everything
      </button>
    </p>
  ) : null;

  return (
    <div className="mx-auto flex w-full max-w-6xl flex-col gap-4 px-3 py-4 sm:px-4 md:flex-row md:gap-6">
      <aside className="md:w-72 md:shrink-0">
        <button
          type="button"
          className="btn-secondary w-full md:hidden"
          aria-expanded={listOpen}
          aria-controls={listId}
          onClick={() => setListOpen((open) => !open)}
        >
          Conversations
        </button>
        <div id={listId} className={`${listOpen ? "mt-3 block" : "hidden"} md:mt-0 md:block`}>
          <ConversationList currentId={conversationId} onNavigate={() => setListOpen(false)} />
        </div>
      </aside>

      <section aria-labelledby="chat-title" className="flex min-w-0 grow flex-col gap-4">
        {conversationId ? (
          <h1 id="chat-title" className="text-xl font-semibold">
            {conversation.data?.title ??
              (conversation.isPending ? "Conversation" : "Untitled conversation")}
          </h1>
        ) : (
          <EmptyChat
            onPick={(q) => {
              setText(q);
              inputRef.current?.focus();
            }}
          />
        )}

        {conversationId && conversation.isPending && !ownDraft && (
          <p role="status" className="text-slate-600">
            Loading conversation…
          </p>
        )}
        {conversationId && conversation.isError && (
          <ErrorNotice error={conversation.error} onRetry={() => void conversation.refetch()}>
            <Link href={chatHref(null)} className="btn-secondary">
              Start a new conversation
            </Link>
          </ErrorNotice>
        )}
        {conversationId && canExport && (conversation.data?.messages.length ?? 0) > 0 && (
          <FhirDownload conversationId={conversationId} />
        )}
        {conversationId && (conversation.data || ownDraft) && (
          <Thread
            conversationId={conversationId}
            messages={conversation.data?.messages ?? []}
            draft={ownDraft}
          />
        )}

        <StreamStatus draft={ownDraft} />

        <div className="sticky bottom-0 -mx-3 border-t border-slate-200 bg-slate-50/95 px-3 pb-3 pt-3 sm:-mx-4 sm:px-4">
          {create.isError && (
            <div className="mb-2">
              <ErrorNotice error={create.error} onRetry={() => void send()} />
            </div>
          )}
          <Composer
            value={text}
            onChange={setText}
            onSend={() => void send()}
            onStop={stop}
            streaming={streaming}
            sending={create.isPending}
            inputRef={inputRef}
            scope={scope}
          />
        </div>
      </section>
    </div>
  );
}

function EmptyChat({ onPick }: { onPick: (question: string) => void }) {
  return (
    <div className="flex flex-col gap-3">
      <h1 id="chat-title" className="text-2xl font-semibold">
        Ask a health question
      </h1>
      <p className="text-slate-700">
        Lumen answers from trusted public sources (NIH and FDA) and cites each passage it uses. It
        is not a doctor: for a diagnosis or treatment, talk to a health professional.
      </p>
      <div>
        <h2 className="text-sm font-semibold text-slate-700">Try asking</h2>
        <ul className="mt-1 flex flex-wrap gap-2">
          {SUGGESTIONS.map((q) => (
            <li key={q}>
              <button
                type="button"
                className="rounded-full border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-100"
                onClick={() => onPick(q)}
              >
                {q}
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

/** Announces the answer's progress to screen readers, without reading every token. */
function StreamStatus({ draft }: { draft: Draft | null }) {
  let message = "";
  if (draft?.status === "waiting") message = "Searching the sources…";
  else if (draft?.status === "complete")
    message = draft.kind === "escalation" ? "Crisis help is shown." : "The answer is ready.";
  else if (draft?.status === "stopped") message = "The answer was stopped.";
  return (
    <p role="status" className="sr-only">
      {message}
    </p>
  );
}
