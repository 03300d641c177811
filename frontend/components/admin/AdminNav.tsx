"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/admin/users", label: "Users" },
  { href: "/admin/audit", label: "Audit log" },
];

export function AdminNav() {
  const pathname = usePathname().replace(/\/$/, "");
  return (
    <nav aria-label="Administration">
      <ul className="flex gap-2 text-sm font-semibold">
        {LINKS.map((l) => (
          <li key={l.href}>
            <Link
              href={l.href}
              aria-current={pathname === l.href ? "page" : undefined}
              className={`block rounded-md border px-3 py-1.5 ${
                pathname === l.href
                  ? "border-teal-700 bg-teal-50 text-teal-900"
                  : "border-slate-300"
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
