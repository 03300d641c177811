"use client";

import { DocumentsSection } from "./DocumentsSection";
import { JobsSection } from "./JobsSection";
import { SummarySection } from "./SummarySection";
import { UploadSection } from "./UploadSection";

/** The admin knowledge page: counts, upload, documents and the ingestion jobs. */
export function KnowledgeScreen() {
  return (
    <div className="flex flex-col gap-4">
      <SummarySection />
      <UploadSection />
      <DocumentsSection />
      <JobsSection />
    </div>
  );
}
