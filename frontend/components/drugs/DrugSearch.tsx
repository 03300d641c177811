"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useId, useState, type FormEvent } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { useDrugSearch } from "@/lib/api/queries";
import { drugsHref, labelHref } from "@/lib/routes";

/** Search drug labels by brand or generic name; the query lives in the URL (?q=). */
export function DrugSearch() {
  const params = useSearchParams();
  const router = useRouter();
  const q = (params.get("q") ?? "").trim();
  const [text, setText] = useState(q);
  const inputId = useId();
  const results = useDrugSearch(q);
  const items = results.data?.pages.flatMap((page) => page.items) ?? [];
  const count = `${items.length}${results.hasNextPage ? "+" : ""}`;

  useEffect(() => setText(q), [q]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    router.push(drugsHref(text.trim()));
  };

  return (
    <div className="flex flex-col gap-4">
      <form role="search" onSubmit={submit} className="flex flex-col gap-1">
        <label htmlFor={inputId} className="font-medium">
          Brand or generic name
        </label>
        <div className="flex gap-2">
          <input
            id={inputId}
            type="search"
            value={text}
            onChange={(event) => setText(event.target.value)}
            placeholder="e.g. Lipitor or atorvastatin"
            autoComplete="off"
            className="field"
          />
          <button type="submit" className="btn-primary" disabled={text.trim().length === 0}>
            Search
          </button>
        </div>
      </form>

      {q && results.isPending && (
        <p role="status" className="text-slate-600">
          Searching labels…
        </p>
      )}
      {results.isError && (
        <ErrorNotice error={results.error} onRetry={() => void results.refetch()} />
      )}
      {results.data && (
        <section aria-labelledby="results-title">
          <h2 id="results-title" className="text-lg font-semibold">
            {items.length === 0
              ? `No labels match “${q}”`
              : `${count} label${count === "1" ? "" : "s"} for “${q}”`}
          </h2>
          <ul className="mt-2 flex flex-col gap-2">
            {items.map((drug) => (
              <li key={drug.set_id}>
                <Link
                  href={labelHref(drug.set_id)}
                  className="card block hover:border-teal-700 hover:bg-teal-50"
                >
                  <span className="block font-semibold text-teal-900">
                    {drug.brand_name ?? drug.title}
                    {drug.generic_name && (
                      <span className="font-normal text-slate-700"> ({drug.generic_name})</span>
                    )}
                  </span>
                  <span className="mt-0.5 block text-sm text-slate-600">
                    {drug.title}
                    {drug.effective_date && <> · effective {drug.effective_date}</>} · version{" "}
                    {drug.version}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
          {results.hasNextPage && (
            <button
              type="button"
              className="btn-secondary mt-3"
              onClick={() => void results.fetchNextPage()}
              disabled={results.isFetchingNextPage}
            >
              {results.isFetchingNextPage ? "Loading more…" : "More results"}
            </button>
          )}
        </section>
      )}
    </div>
  );
}
