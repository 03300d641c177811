"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useMemo } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { useDrugLabel } from "@/lib/api/queries";
import type { DrugLabel } from "@/lib/api/types";
import { isBoxedWarning, orderSections, sectionAnchors } from "@/lib/drugs/sections";
import { drugsHref } from "@/lib/routes";

import { AskAboutLabel } from "./AskAboutLabel";

/** One drug label (?set=<set id>): its sections, boxed warning first, each with an anchor. */
export function LabelView() {
  const setId = useSearchParams().get("set");
  const label = useDrugLabel(setId);

  if (!setId) {
    return (
      <p>
        No label chosen.{" "}
        <Link href={drugsHref()} className="text-teal-800 underline">
          Search drug labels
        </Link>
        .
      </p>
    );
  }
  if (label.isPending) {
    return (
      <p role="status" className="text-slate-600">
        Loading the label…
      </p>
    );
  }
  if (label.isError) {
    return <ErrorNotice error={label.error} onRetry={() => void label.refetch()} />;
  }
  return <Label label={label.data} />;
}

function Label({ label }: { label: DrugLabel }) {
  const sections = useMemo(() => orderSections(label.sections), [label.sections]);
  const anchors = useMemo(() => sectionAnchors(sections), [sections]);
  const name = label.brand_name ?? label.generic_name ?? label.title;

  useEffect(() => {
    document.title = `${name} label · Lumen`;
  }, [name]);

  // The sections arrive after the page loads, so the browser's own jump to #anchor missed them.
  useEffect(() => {
    const hash = decodeURIComponent(window.location.hash.slice(1));
    if (hash) document.getElementById(hash)?.scrollIntoView();
  }, []);

  return (
    <div className="flex flex-col gap-5">
      <header className="flex flex-col gap-1">
        <p className="text-sm">
          <Link href={drugsHref()} className="text-teal-800 underline">
            Drug labels
          </Link>
        </p>
        <h1 className="text-2xl font-semibold">
          {name}
          {label.generic_name && label.brand_name && (
            <span className="font-normal text-slate-700"> ({label.generic_name})</span>
          )}
        </h1>
        <p className="text-sm text-slate-700">{label.title}</p>
        <p className="text-sm text-slate-600">
          Version {label.version}
          {label.effective_date && <> · effective {label.effective_date}</>}
          {label.url && (
            <>
              {" · "}
              <a
                href={label.url}
                target="_blank"
                rel="noopener noreferrer"
                className="text-teal-800 underline"
              >
                Original label on DailyMed<span className="sr-only"> (opens in a new tab)</span>
              </a>
            </>
          )}
        </p>
      </header>

      <AskAboutLabel setId={label.set_id} drugName={name} />

      <nav aria-label="Label sections" className="card">
        <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-600">Sections</h2>
        <ol className="mt-2 columns-1 gap-6 text-sm sm:columns-2">
          {sections.map((section) => (
            <li key={section.id} className="mb-1 break-inside-avoid">
              <a
                href={`#${anchors.get(section.id)}`}
                className="text-teal-800 underline underline-offset-2"
              >
                {section.title}
              </a>
            </li>
          ))}
        </ol>
      </nav>

      {sections.map((section) => {
        const anchor = anchors.get(section.id) ?? section.id;
        const boxed = isBoxedWarning(section);
        return (
          <section
            key={section.id}
            id={anchor}
            aria-labelledby={`${anchor}-title`}
            className={`scroll-mt-4 ${boxed ? "rounded-lg border-4 border-slate-900 bg-white p-4" : "card"}`}
          >
            <h2
              id={`${anchor}-title`}
              className="flex flex-wrap items-baseline gap-2 text-lg font-semibold"
            >
              {boxed && (
                <span className="rounded bg-red-700 px-2 py-0.5 text-xs font-bold uppercase text-white">
                  Boxed warning
                </span>
              )}
              {section.title}
              <a
                href={`#${anchor}`}
                className="text-sm font-normal text-teal-800 underline"
                aria-label={`Link to the section ${section.title}`}
              >
                #
              </a>
            </h2>
            <div className="mt-2 whitespace-pre-line leading-relaxed text-slate-800">
              {section.text}
            </div>
          </section>
        );
      })}

      <p className="text-xs text-slate-600">
        {label.attribution} · Licence: {label.licence}
      </p>
    </div>
  );
}
