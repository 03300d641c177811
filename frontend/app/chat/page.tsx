import type { Metadata } from "next";
import { Suspense } from "react";

import { RequireAuth } from "@/components/auth/RequireAuth";
import { ChatScreen } from "@/components/chat/ChatScreen";

export const metadata: Metadata = { title: "Chat" };

export default function ChatPage() {
  // useSearchParams (?c=) needs a Suspense boundary in a statically exported page.
  return (
    <Suspense fallback={<p className="p-4 text-slate-600">Loading…</p>}>
      <RequireAuth>
        <ChatScreen />
      </RequireAuth>
    </Suspense>
  );
}
