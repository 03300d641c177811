"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";

import { ApiError } from "@/lib/api/problem";
import { AnswerStreamProvider } from "@/lib/chat/answer-stream";

/** Read failures worth one automatic retry: network errors and 5xx, not 4xx. */
function shouldRetry(failureCount: number, error: Error): boolean {
  if (error instanceof ApiError && error.isClientError) return false;
  return failureCount < 1;
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: { queries: { retry: shouldRetry, staleTime: 10_000 } },
      }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <AnswerStreamProvider>{children}</AnswerStreamProvider>
    </QueryClientProvider>
  );
}
