"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/chat", label: "Chat" },
  { href: "/drugs", label: "Drug labels" },
  { href: "/about", label: "About" },
];

export function SiteHeader() {
  const pathname = usePathname().replace(/\/$/, "") || "/";
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex w-full max-w-6xl flex-wrap items-center justify-between gap-x-4 gap-y-1 px-3 py-2 sm:px-4">
        <Link href="/" className="flex items-center gap-2 text-lg font-bold text-teal-800">
          <svg aria-hidden viewBox="0 0 32 32" className="h-7 w-7">
            <rect width="32" height="32" rx="7" fill="currentColor" />
            <path d="M13 7h6v6h6v6h-6v6h-6v-6H7v-6h6z" fill="#fff" />
          </svg>
          Lumen
        </Link>
        <nav aria-label="Main">
          <ul className="flex gap-1 text-sm font-medium">
            {LINKS.map(({ href, label }) => {
              const current = pathname === href || pathname.startsWith(`${href}/`);
              return (
                <li key={href}>
                  <Link
                    href={href}
                    aria-current={current ? "page" : undefined}
                    className={`block rounded-md px-3 py-2 hover:bg-slate-100 ${
                      current
                        ? "bg-teal-50 text-teal-900 underline underline-offset-4"
                        : "text-slate-700"
                    }`}
                  >
                    {label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
      </div>
    </header>
  );
}
