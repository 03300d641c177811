"use client";

import { useState } from "react";

/** Copies `text` to the clipboard and says so; `label` names what is copied. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
  };
  return (
    <span className="inline-flex items-center gap-2">
      <button type="button" className="btn-secondary" onClick={copy}>
        {label}
      </button>
      <span role="status" className="text-sm text-slate-700">
        {copied === "yes" ? "Copied." : copied === "no" ? "Copy failed: select and copy it." : ""}
      </span>
    </span>
  );
}
