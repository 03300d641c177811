"use client";

import { CopyButton } from "@/components/CopyButton";

/** Recovery codes, shown once: copy or download them. */
export function RecoveryCodes({ codes }: { codes: readonly string[] }) {
  const text = `${codes.join("\n")}\n`;
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "lumen-recovery-codes.txt";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <section aria-labelledby="recovery-codes-heading" className="flex flex-col gap-3">
      <h2 id="recovery-codes-heading" className="text-lg font-semibold">
        Your recovery codes
      </h2>
      <p className="text-slate-700">
        Each code signs you in once if you lose your phone. They are shown only now: keep them
        somewhere safe, such as a password manager.
      </p>
      <ul
        aria-label="Recovery codes"
        className="grid grid-cols-1 gap-1 rounded-md border border-slate-300 bg-slate-50 p-3 font-mono text-base sm:grid-cols-2"
      >
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-2">
        <CopyButton text={text} label="Copy codes" />
        <button type="button" className="btn-secondary" onClick={download}>
          Download codes
        </button>
      </div>
    </section>
  );
}
