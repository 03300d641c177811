"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";

import { ErrorNotice } from "@/components/ErrorNotice";
import { useConversations, useDeleteConversation } from "@/lib/api/queries";
import type { Conversation } from "@/lib/api/types";
import { chatHref } from "@/lib/routes";

const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

type Props = { currentId: string | null; onNavigate?: () => void };

/** The visitor's conversations, newest first, with a way to start or delete one. */
export function ConversationList({ currentId, onNavigate }: Props) {
  const router = useRouter();
  const conversations = useConversations();
  const remove = useDeleteConversation();

  const onDelete = (conversation: Conversation) => {
    const name = conversation.title ?? "Untitled conversation";
    if (!window.confirm(`Delete “${name}”? This cannot be undone.`)) return;
    remove.mutate(conversation.id, {
      onSuccess: () => {
        if (conversation.id === currentId) router.replace(chatHref(null));
      },
    });
  };

  return (
    <nav aria-label="Conversations" className="flex flex-col gap-3">
      <Link href={chatHref(null)} className="btn-primary" onClick={onNavigate}>
        New conversation
      </Link>
      {conversations.isPending && (
        <p role="status" className="text-sm text-slate-600">
          Loading conversations…
        </p>
      )}
      {conversations.isError && (
        <ErrorNotice error={conversations.error} onRetry={() => void conversations.refetch()} />
      )}
      {remove.isError && (
        <ErrorNotice error={remove.error} onRetry={() => remove.reset()} retryLabel="Dismiss" />
      )}
      {conversations.data?.items.length === 0 && (
        <p className="text-sm text-slate-600">No conversations yet.</p>
      )}
      {conversations.data && conversations.data.items.length > 0 && (
        <ul className="flex flex-col gap-1">
          {conversations.data.items.map((conversation) => {
            const current = conversation.id === currentId;
            const name = conversation.title ?? "Untitled conversation";
            return (
              <li key={conversation.id} className="group flex items-stretch gap-1">
                <Link
                  href={chatHref(conversation.id)}
                  aria-current={current ? "page" : undefined}
                  onClick={onNavigate}
                  className={`min-w-0 grow rounded-md px-2 py-1.5 text-sm hover:bg-slate-200 ${
                    current ? "bg-slate-200 font-semibold" : ""
                  }`}
                >
                  <span className="block truncate">{name}</span>
                  <span className="block text-xs font-normal text-slate-600">
                    {WHEN.format(new Date(conversation.updated_at))}
                  </span>
                </Link>
                <button
                  type="button"
                  aria-label={`Delete “${name}”`}
                  className="shrink-0 rounded-md px-2 text-slate-600 hover:bg-red-100 hover:text-red-800"
                  onClick={() => onDelete(conversation)}
                  disabled={remove.isPending}
                >
                  <span aria-hidden>×</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </nav>
  );
}
