import createClient from "openapi-fetch";

import type { paths } from "./schema";

/**
 * The typed API client. Paths in the schema carry their `/api/v1` prefix, so the base URL is
 * the page's own origin: the static export is served by the backend, and `next dev` proxies
 * /api to it (next.config.mjs).
 */
export const api = createClient<paths>({ baseUrl: "" });
