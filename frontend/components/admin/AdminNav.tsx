"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/admin/users", label: "Users" },
  { href: "/admin/audit", label: "Audit log" },
  { href: "/admin/knowledge", label: "Knowledge base" },
];

export function AdminNav() {
  const pathname = usePathname().replace(/\/$/, "");
  // A page under a link's path (one document of the knowledge base) is within that link.
  const current = (href: string) => pathname === href || pathname.startsWith(`${href}/`);
  return (
    <nav aria-label="Administration">
      <ul className="flex flex-wrap gap-2 text-sm font-semibold">
        {LINKS.map((l) => (
          <li key={l.href}>
            <Link
              href={l.href}
              aria-current={current(l.href) ? "page" : undefined}
              className={`block rounded-md border px-3 py-1.5 ${
                current(l.href) ? "border-teal-700 bg-teal-50 text-teal-900" : "border-slate-300"
              }`}
            >
              {l.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
