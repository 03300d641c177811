import Link from "next/link";

export default function HomePage() {
  return (
    <div className="mx-auto flex w-full max-w-3xl flex-col gap-6 px-3 py-10 sm:px-4">
      <h1 className="text-3xl font-bold">Health answers you can check</h1>
      <p className="text-lg text-slate-700">
        Lumen answers health questions from NIH consumer health pages and FDA drug labels. Every
        statement points to the passage it comes from, so you can read the source yourself.
      </p>
      <div className="flex flex-wrap gap-3">
        <Link href="/chat" className="btn-primary px-5 text-base">
          Ask a health question
        </Link>
        <Link href="/drugs" className="btn-secondary px-5 text-base">
          Look up a drug label
        </Link>
      </div>
      <p className="rounded-md border border-slate-200 bg-white p-4 text-sm text-slate-700">
        Lumen is not a doctor and does not know your history. Use it to understand, then talk to a
        health professional about your care. If you are thinking about harming yourself, call or
        text{" "}
        <a href="tel:988" className="font-semibold text-teal-800 underline">
          988
        </a>
        ; in an emergency, call{" "}
        <a href="tel:911" className="font-semibold text-teal-800 underline">
          911
        </a>
        .
      </p>
    </div>
  );
}
