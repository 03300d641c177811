import { type ReactNode, useEffect, useId, useRef, useState } from "react";

/**
 * The app's data tables: scrolling sideways on narrow screens, a caption (visible, or
 * for screen readers only), one header row of column names, and the rows as children.
 * `widthClass` is a Tailwind min-width class written out by the caller (e.g. "min-w-[48rem]").
 *
 * The scroll wrapper is a named region, and a tab stop while the table is wider than it, so a
 * keyboard user can scroll it (WCAG 2.1.1; axe's scrollable-region-focusable): a table of counts
 * has nothing else in it to focus, and whether it overflows depends on the screen and its fonts.
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
  const captionId = useId();
  const scroller = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const measure = () => setScrolls(element.scrollWidth > element.clientWidth);
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  }, []);
  return (
    <div
      ref={scroller}
      role="region"
      aria-labelledby={captionId}
      // A region that scrolls must be reachable by keyboard (WCAG 2.1.1): the rule's one exception.
      // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
      tabIndex={scrolls ? 0 : undefined}
      className="overflow-x-auto"
    >
      <table className={`w-full ${widthClass} text-left text-sm`} aria-busy={busy}>
        <caption
          id={captionId}
          className={captionVisible ? "pb-1 text-left font-semibold" : "sr-only"}
        >
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
