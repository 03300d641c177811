import type { ReactNode } from "react";

/**
 * The knowledge page's tables: scrolling sideways on narrow screens, a caption (visible, or
 * for screen readers only), one header row of column names, and the rows as children.
 * `widthClass` is a Tailwind min-width class written out by the caller (e.g. "min-w-[48rem]").
 */
export function DataTable({
  caption,
  captionVisible = false,
  columns,
  widthClass,
  busy,
  children,
}: {
  caption: string;
  captionVisible?: boolean;
  columns: string[];
  widthClass: string;
  busy?: boolean;
  children: ReactNode;
}) {
  return (
    <div className="overflow-x-auto">
      <table className={`w-full ${widthClass} text-left text-sm`} aria-busy={busy}>
        <caption className={captionVisible ? "pb-1 text-left font-semibold" : "sr-only"}>
          {caption}
        </caption>
        <thead>
          <tr className="border-b border-slate-300">
            {columns.map((h) => (
              <th key={h} scope="col" className="py-1 pr-3">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
