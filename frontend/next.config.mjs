import { PHASE_DEVELOPMENT_SERVER } from "next/constants.js";

/** Where `next dev` forwards API calls: the backend started by `lumen serve` (make run). */
const DEV_BACKEND = process.env.LUMEN_DEV_API_URL ?? "http://127.0.0.1:8000";

/**
 * Production is a static export (frontend/out) that the backend serves on the same origin,
 * so the browser calls /api/v1 directly. Rewrites only exist in `next dev`: Next refuses
 * them together with `output: 'export'`.
 *
 * @param {string} phase
 * @returns {import('next').NextConfig}
 */
export default function nextConfig(phase) {
  const base = { reactStrictMode: true, poweredByHeader: false };
  if (phase === PHASE_DEVELOPMENT_SERVER) {
    return {
      ...base,
      // The compression middleware buffers proxied text/event-stream responses until they
      // end, which would turn a streamed answer into one late block (vercel/next.js#66263).
      compress: false,
      async rewrites() {
        return [
          { source: "/api/:path*", destination: `${DEV_BACKEND}/api/:path*` },
          { source: "/readyz", destination: `${DEV_BACKEND}/readyz` },
        ];
      },
    };
  }
  return {
    ...base,
    output: "export",
    // chat/index.html rather than chat.html: Starlette's StaticFiles(html=True), which serves
    // frontend/out, resolves a directory to its index.html but does not try a .html suffix.
    trailingSlash: true,
  };
}
