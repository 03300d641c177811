"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";

import { when } from "@/components/format";
import { Thread } from "@/components/chat/Thread";
import { ErrorNotice } from "@/components/ErrorNotice";
import { useBreakGlass } from "@/lib/api/admin";

/** A conversation an administrator opened by break glass: read-only, under a banner. */
export function BreakGlassView() {
  const params = useSearchParams();
  const id = params.get("grant");
  const grant = useBreakGlass(id);

  return (
    <div className="mx-auto flex w-full max-w-3xl flex-col gap-4 px-3 py-6 sm:px-4">
      <h1 className="text-2xl font-semibold">
        {grant.data ? grant.data.conversation.title || "Untitled conversation" : "Conversation"}
      </h1>
      <div
        role="region"
        aria-label="Break-glass access"
        className="rounded-md border-2 border-red-700 bg-red-50 p-3 text-red-950"
      >
        <p className="font-bold">Break-glass access: read-only</p>
        <p className="text-sm">
          You are reading another person&rsquo;s conversation. This access is in the audit log and
          shown to them.
          {grant.data && (
            <>
              {" "}
              Reason: &ldquo;{grant.data.grant.reason}&rdquo;. Access ends{" "}
              {when(grant.data.grant.expires_at)}.
            </>
          )}
        </p>
      </div>
      {!id && (
        <ErrorNotice
          error={null}
          title="No access id"
          detail="Open break glass from the audit page."
        />
      )}
      {grant.isPending && id && <p role="status">Loading…</p>}
      {grant.error && <ErrorNotice error={grant.error} />}
      {grant.data && (
        <Thread
          conversationId={grant.data.conversation.id}
          messages={grant.data.conversation.messages}
          draft={null}
          readOnly
        />
      )}
      <Link href="/admin/audit" className="btn-secondary self-start">
        Back to the audit log
      </Link>
    </div>
  );
}
