import type { DrugSection } from "@/lib/api/types";

/** LOINC 34066-1, "Boxed warning section" (FDA SPL section codes). */
const BOXED_WARNING_CODE = "34066-1";

export function isBoxedWarning(section: DrugSection): boolean {
  return section.code === BOXED_WARNING_CODE || section.name?.toLowerCase() === "boxed warning";
}

/** The label's sections with the boxed warning first (21 CFR 201.57(c)(1) puts it on top). */
export function orderSections(sections: readonly DrugSection[]): DrugSection[] {
  return [...sections.filter(isBoxedWarning), ...sections.filter((s) => !isBoxedWarning(s))];
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60) || "section"
  );
}

/**
 * A readable, stable anchor per section id ("#boxed-warning", "#indications-and-usage"),
 * from its standard name or its title; repeats get "-2", "-3"… in label order.
 */
export function sectionAnchors(sections: readonly DrugSection[]): Map<string, string> {
  const used = new Map<string, number>();
  const anchors = new Map<string, string>();
  for (const section of sections) {
    const base = slug(section.name ?? section.title);
    const count = (used.get(base) ?? 0) + 1;
    used.set(base, count);
    anchors.set(section.id, count === 1 ? base : `${base}-${count}`);
  }
  return anchors;
}
