import type { ReactNode } from "react";

/** A settings-style page: its title and content in one readable column. */
export function PageShell({
  title,
  intro,
  wide = false,
  children,
}: {
  title: string;
  intro?: ReactNode;
  wide?: boolean;
  children: ReactNode;
}) {
  return (
    <div
      className={`mx-auto flex w-full ${wide ? "max-w-6xl" : "max-w-3xl"} flex-col gap-4 px-3 py-6 sm:px-4`}
    >
      <h1 className="text-2xl font-semibold">{title}</h1>
      {intro && <p className="text-slate-700">{intro}</p>}
      {children}
    </div>
  );
}
