"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState } from "react";

import { logout } from "@/lib/api/account";
import { useAuth } from "@/lib/auth";

const LINKS = [
  { href: "/chat", label: "Chat" },
  { href: "/drugs", label: "Drug labels" },
  { href: "/about", label: "About" },
];

function NavLink({ href, label, pathname }: { href: string; label: string; pathname: string }) {
  const current = pathname === href || pathname.startsWith(`${href}/`);
  return (
    <li>
      <Link
        href={href}
        aria-current={current ? "page" : undefined}
        className={`block rounded-md px-3 py-2 hover:bg-slate-100 ${
          current ? "bg-teal-50 text-teal-900 underline underline-offset-4" : "text-slate-700"
        }`}
      >
        {label}
      </Link>
    </li>
  );
}

function AccountMenu({ pathname }: { pathname: string }) {
  const { state, user, isPending } = useAuth();
  const [busy, setBusy] = useState(false);

  if (isPending) return <div className="min-h-[2.5rem]" />;
  if (!state || !user) {
    return (
      <ul className="flex gap-1 text-sm font-medium">
        <NavLink href="/signin" label="Sign in" pathname={pathname} />
        <NavLink href="/register" label="Register" pathname={pathname} />
      </ul>
    );
  }

  const signOut = async () => {
    setBusy(true);
    // Signed out locally whatever the server says: the session is gone or unusable anyway.
    // A full page load drops everything of this user kept in memory.
    await logout().catch(() => undefined);
    window.location.assign("/signin");
  };

  return (
    <div className="flex flex-wrap items-center gap-1 text-sm font-medium">
      <p className="flex min-w-0 max-w-[18rem] px-2 text-slate-700" title={user.email}>
        <span className="sr-only">Signed in as </span>
        <span className="truncate">{user.email}</span>
        <span className="ml-1 shrink-0 text-slate-600">({user.role})</span>
      </p>
      <ul className="flex gap-1">
        {state.status === "signed_in" && (
          <NavLink href="/account" label="Account" pathname={pathname} />
        )}
        {state.status === "signed_in" && user.role === "admin" && (
          <NavLink href="/admin/users" label="Admin" pathname={pathname} />
        )}
      </ul>
      <button
        type="button"
        className="rounded-md px-3 py-2 text-slate-700 hover:bg-slate-100"
        onClick={signOut}
        disabled={busy}
      >
        Sign out
      </button>
    </div>
  );
}

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
          <ul className="flex flex-wrap gap-1 text-sm font-medium">
            {LINKS.map(({ href, label }) => (
              <NavLink key={href} href={href} label={label} pathname={pathname} />
            ))}
          </ul>
        </nav>
        <nav aria-label="Account">
          <AccountMenu pathname={pathname} />
        </nav>
      </div>
    </header>
  );
}
