/** Words for the knowledge base's machine names (the names themselves stay visible). */
import { COLLECTION_NAMES, SOURCE_NAMES } from "@/lib/api/knowledge";

export const NUMBER = new Intl.NumberFormat();

export function collectionName(name: string): string {
  return COLLECTION_NAMES[name] ?? name;
}

export function sourceName(name: string): string {
  return SOURCE_NAMES[name] ?? name;
}

const JOB_KINDS: Record<string, string> = {
  ingest_medquad: "MedQuAD load",
  ingest_spl: "FDA labels load (SPL)",
  ingest_dailymed: "DailyMed load",
  ingest_openfda: "openFDA labels load",
  ingest_upload: "Upload",
};

export function jobKindName(kind: string): string {
  return JOB_KINDS[kind] ?? kind;
}

const FILE_STATUS: Record<string, string> = {
  queued: "waiting",
  indexing: "indexing…",
  indexed: "indexed",
  failed: "failed",
  replaced: "replaced by a newer upload",
};

export function fileStatusName(status: string): string {
  return FILE_STATUS[status] ?? status;
}

/** "3 of 10 files", or "1,204 documents" while the total is not known yet. */
export function progressText(done: number, total: number | null | undefined, unit: string) {
  return total != null
    ? `${NUMBER.format(done)} of ${NUMBER.format(total)} ${unit}`
    : `${NUMBER.format(done)} ${unit}`;
}
