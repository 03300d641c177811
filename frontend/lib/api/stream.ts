import { EventSourceParserStream } from "eventsource-parser/stream";

import { api } from "./client";
import { ApiError, unwrap } from "./problem";
import type { AnswerEvent } from "./types";

const EVENT_NAMES = new Set<string>(["meta", "token", "done", "error"]);

/**
 * The answer events of an SSE body, in order. Parsing is eventsource-parser's (WHATWG
 * server-sent events); comments such as keep-alive pings are dropped, unknown event names
 * skipped. Rejects with an AbortError when `signal` (given to the request) fires.
 */
export async function* readAnswerEvents(
  body: ReadableStream<BufferSource>,
): AsyncGenerator<AnswerEvent, void, undefined> {
  const reader = body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.event && EVENT_NAMES.has(value.event)) {
        yield { event: value.event, data: JSON.parse(value.data) } as AnswerEvent;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

const SSE_HEADERS = { Accept: "text/event-stream" } as const;

async function eventsOf(
  pending: Promise<{
    data?: ReadableStream<BufferSource> | null;
    error?: unknown;
    response: Response;
  }>,
): Promise<AsyncGenerator<AnswerEvent, void, undefined>> {
  const body = await unwrap(pending);
  if (!body) {
    throw new ApiError({
      status: 502,
      title: "No answer",
      detail: "The server sent an empty answer.",
    });
  }
  return readAnswerEvents(body);
}

/** Ask a question in a conversation; `setId` scopes retrieval to one drug label. */
export function askQuestion(
  conversationId: string,
  content: string,
  setId: string | null,
  signal: AbortSignal,
): Promise<AsyncGenerator<AnswerEvent, void, undefined>> {
  return eventsOf(
    api.POST("/api/v1/conversations/{conversation_id}/messages", {
      params: { path: { conversation_id: conversationId } },
      body: setId ? { content, set_id: setId } : { content },
      headers: SSE_HEADERS,
      parseAs: "stream",
      signal,
    }),
  );
}

/** Answer again the question of a stopped or failed answer. */
export function regenerateAnswer(
  conversationId: string,
  messageId: string,
  signal: AbortSignal,
): Promise<AsyncGenerator<AnswerEvent, void, undefined>> {
  return eventsOf(
    api.POST("/api/v1/conversations/{conversation_id}/messages/{message_id}/regenerate", {
      params: { path: { conversation_id: conversationId, message_id: messageId } },
      headers: SSE_HEADERS,
      parseAs: "stream",
      signal,
    }),
  );
}
