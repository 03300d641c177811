import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";

import { IngestionBanner } from "@/components/IngestionBanner";
import { SiteHeader } from "@/components/SiteHeader";

import "./globals.css";
import { Providers } from "./providers";

export const metadata: Metadata = {
  title: { default: "Lumen", template: "%s · Lumen" },
  description: "Health questions answered from NIH and FDA sources, with every passage cited.",
  applicationName: "Lumen",
  manifest: "/manifest.webmanifest",
  icons: {
    icon: [
      { url: "/icons/icon.svg", type: "image/svg+xml" },
      { url: "/icons/icon-192.png", sizes: "192x192", type: "image/png" },
    ],
    apple: "/icons/apple-touch-icon.png",
  },
};

export const viewport: Viewport = { themeColor: "#0f766e", width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="flex min-h-screen flex-col">
        <a
          href="#main"
          className="sr-only z-50 rounded-md bg-white px-3 py-2 font-semibold text-teal-900 focus:not-sr-only focus:fixed focus:left-2 focus:top-2"
        >
          Skip to content
        </a>
        <Providers>
          <SiteHeader />
          <IngestionBanner />
          <main id="main" tabIndex={-1} className="flex grow flex-col focus:outline-none">
            {children}
          </main>
        </Providers>
        <footer className="border-t border-slate-200 bg-white px-3 py-3 text-center text-xs text-slate-600">
          General information, not medical advice. In an emergency, call 911; in a crisis, call or
          text 988.
        </footer>
      </body>
    </html>
  );
}
