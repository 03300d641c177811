/**
 * The app's URLs. The static export has no per-id pages, so ids travel in the query string
 * (`/chat?c=<conversation>`, `/drugs/label?set=<set id>`).
 */

export function chatHref(conversationId: string | null, setId: string | null = null): string {
  const params = new URLSearchParams();
  if (conversationId) params.set("c", conversationId);
  if (setId) params.set("set", setId);
  const query = params.toString();
  return query ? `/chat?${query}` : "/chat";
}

export function drugsHref(q = ""): string {
  return q ? `/drugs?${new URLSearchParams({ q }).toString()}` : "/drugs";
}

export function labelHref(setId: string, sectionAnchor?: string): string {
  const path = `/drugs/label?${new URLSearchParams({ set: setId }).toString()}`;
  return sectionAnchor ? `${path}#${sectionAnchor}` : path;
}

/** The admin view of one document as indexed (its sections and chunks). */
export function adminDocumentHref(documentId: string): string {
  return `/admin/knowledge/document?${new URLSearchParams({ id: documentId }).toString()}`;
}

export const ADMIN_KNOWLEDGE_HREF = "/admin/knowledge";
