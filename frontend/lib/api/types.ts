/**
 * The API's shapes under the names the UI uses. Schema names follow the backend's models
 * (lumen/chat/schemas.py …): when the generated openapi.json renames one, this is the only
 * file to change.
 */
import type { components, paths } from "./schema";

type Schemas = components["schemas"];

export type Conversation = Schemas["ConversationOut"];
export type ConversationDetail = Schemas["ConversationDetail"];
export type Message = Schemas["MessageOut"];
export type Source = Schemas["SourceOut"];
export type SupportNote = Schemas["SupportNote"];
export type SourceDocument = Schemas["DocumentOut"];
export type DrugSummary = Schemas["DrugSummary"];
export type DrugLabel = Schemas["DrugLabelOut"];
export type DrugSection = Schemas["DrugSectionOut"];
export type Job = Schemas["JobOut"];
export type FhirExport = Schemas["ExportOut"];
export type MessageStatus = Message["status"];
export type AnswerKind = Message["kind"];

/** RFC 9457 problem details, as every API error and the SSE `error` event carry them. */
export type ProblemFields = { status: number; title: string; detail: string };

// The SSE events of one answer (DESIGN.md, "SSE contract"). OpenAPI cannot describe a
// stream's events, so they are declared here; field names match lumen/chat/schemas.py.
export type MetaEvent = {
  conversation_id: string;
  message_id: string;
  kind: AnswerKind;
  engine: string;
  sources: Source[];
  /** With kind "answer": the calm support note triage adds beside it, or absent/null. */
  support?: SupportNote | null;
};
export type TokenEvent = { text: string };
export type DoneEvent = {
  message_id: string;
  citations: number[];
  disclaimer: string;
  timings_ms: { retrieval: number; first_token: number; total: number };
};
export type AnswerEvent =
  | { event: "meta"; data: MetaEvent }
  | { event: "token"; data: TokenEvent }
  | { event: "done"; data: DoneEvent }
  | { event: "error"; data: ProblemFields };

// Accounts, 2FA, roles and the audit log (issue 5). Named by the route that answers them, so
// a renamed schema in openapi.json changes nothing here.
type Responses<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R
  : never;
type JsonOf<R, S extends PropertyKey> = S extends keyof R
  ? R[S] extends { content: { "application/json": infer B } }
    ? B
    : never
  : never;

export type AuthState = JsonOf<Responses<"/api/v1/auth/me", "get">, 200>;
export type AuthStatus = AuthState["status"];
export type AuthUser = AuthState["user"];
export type Role = AuthUser["role"];
export type Providers = JsonOf<Responses<"/api/v1/auth/providers", "get">, 200>;
export type TotpSetup = JsonOf<Responses<"/api/v1/auth/2fa/setup", "post">, 200>;
export type SessionItem = JsonOf<Responses<"/api/v1/auth/sessions", "get">, 200>["items"][number];
export type ApiToken = JsonOf<Responses<"/api/v1/account/tokens", "get">, 200>["items"][number];
export type TokenScope = "search" | "drugs";
export type AccessEvent = JsonOf<
  Responses<"/api/v1/account/access-events", "get">,
  200
>["items"][number];
export type AdminUser = JsonOf<Responses<"/api/v1/admin/users", "get">, 200>["items"][number];
export type AuditEntry = JsonOf<Responses<"/api/v1/admin/audit", "get">, 200>["items"][number];
export type AuditVerification = JsonOf<Responses<"/api/v1/admin/audit/verify", "get">, 200>;

// The admin knowledge page: documents as indexed, uploads and their progress, counts.
export type AdminDocumentDetail = JsonOf<
  Responses<"/api/v1/admin/documents/{document_id}", "get">,
  200
>;
export type IndexedChunk = AdminDocumentDetail["chunks"][number];
export type UploadProgress = JsonOf<Responses<"/api/v1/admin/uploads/{job_id}", "get">, 200>;
export type KnowledgeSummary = JsonOf<Responses<"/api/v1/admin/knowledge/summary", "get">, 200>;
export type KnowledgeCount = KnowledgeSummary["sources"][number];
type DocumentQuery = NonNullable<
  paths["/api/v1/admin/knowledge/documents"]["get"]["parameters"]["query"]
>;
export type Collection = NonNullable<DocumentQuery["collection"]>;
export type DocumentSource = NonNullable<DocumentQuery["source"]>;
