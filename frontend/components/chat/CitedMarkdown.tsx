"use client";

import { useMemo } from "react";
import Markdown, { type Components, type Options } from "react-markdown";
import remarkGfm from "remark-gfm";

import type { Source } from "@/lib/api/types";
import { CITATION_PROPERTY, remarkCitations } from "@/lib/chat/remark-citations";

type Props = {
  content: string;
  sources: readonly Source[];
  onCite: (source: Source, chip: HTMLButtonElement) => void;
};

/**
 * An answer's Markdown with its `[n]` markers as buttons that open source n. Raw HTML in the
 * text is dropped (`skipHtml`), so the answer can only produce Markdown's own elements.
 */
export function CitedMarkdown({ content, sources, onCite }: Props) {
  const plugins = useMemo<Options["remarkPlugins"]>(() => {
    const known = new Set(sources.map((s) => s.n));
    return [remarkGfm, [remarkCitations, { known }]];
  }, [sources]);

  const components = useMemo<Components>(
    () => ({
      button({ node }) {
        const n = Number(node?.properties?.[CITATION_PROPERTY]);
        const source = sources.find((s) => s.n === n);
        if (!source) return null;
        return (
          <button
            type="button"
            className="mx-0.5 inline-flex h-6 min-w-[1.5rem] items-center justify-center rounded-full border border-teal-700 bg-teal-50 px-1.5 align-baseline text-xs font-semibold text-teal-900 no-underline hover:bg-teal-100"
            aria-label={`Source ${n}: ${source.title}`}
            aria-haspopup="dialog"
            onClick={(event) => onCite(source, event.currentTarget)}
          >
            {n}
          </button>
        );
      },
      a({ href, children }) {
        return (
          <a href={href} target="_blank" rel="noopener noreferrer">
            {children}
          </a>
        );
      },
    }),
    [sources, onCite],
  );

  return (
    <div className="prose prose-slate max-w-none break-words prose-p:my-2 prose-ul:my-2 prose-ol:my-2 prose-code:before:content-none prose-code:after:content-none">
      <Markdown remarkPlugins={plugins} components={components} skipHtml>
        {content}
      </Markdown>
    </div>
  );
}
