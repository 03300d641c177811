import type { Metadata } from "next";

export const metadata: Metadata = { title: "About" };

export default function AboutPage() {
  return (
    <article className="prose prose-slate mx-auto w-full max-w-3xl px-3 py-8 sm:px-4">
      <h1>About Lumen</h1>
      <p>
        Lumen answers health questions from public, trusted sources and cites the passage behind
        each statement. It gives general information, not medical advice: it cannot examine you or
        know your history. For a diagnosis or treatment, talk to a health professional. In an
        emergency call 911; in a mental health crisis call or text 988.
      </p>

      <h2>Sources and attribution</h2>
      <h3>Consumer health questions: MedQuAD</h3>
      <p>
        MedQuAD, Asma Ben Abacha and Dina Demner-Fushman, U.S. National Library of Medicine.
        Licensed under{" "}
        <a
          href="https://creativecommons.org/licenses/by/4.0/"
          rel="license noopener noreferrer"
          target="_blank"
        >
          CC BY 4.0
        </a>
        . The question–answer pairs are gathered from NIH websites (MedlinePlus, NIDDK, NCI, GARD,
        NIHSeniorHealth and others); each answer links to its original page.
      </p>
      <p>
        Ben Abacha A, Demner-Fushman D. “A question-entailment approach to question answering.” BMC
        Bioinformatics 20, 511 (2019).{" "}
        <a href="https://github.com/abachaa/MedQuAD" rel="noopener noreferrer" target="_blank">
          github.com/abachaa/MedQuAD
        </a>
      </p>

      <h3>Drug labels: FDA and DailyMed</h3>
      <p>
        Drug labels (Structured Product Labeling) come from the U.S. Food and Drug Administration
        through{" "}
        <a href="https://dailymed.nlm.nih.gov/" rel="noopener noreferrer" target="_blank">
          DailyMed
        </a>{" "}
        (U.S. National Library of Medicine) and{" "}
        <a href="https://open.fda.gov/" rel="noopener noreferrer" target="_blank">
          openFDA
        </a>
        . They are U.S. government works in the public domain. Lumen shows each label’s version and
        effective date; always check the current label on DailyMed. Neither the FDA nor the NLM
        endorses Lumen.
      </p>

      <h2>How answers are made</h2>
      <p>
        Your question is matched against the sources by meaning and by keywords; the best passages
        are numbered, and the answer cites them as [1], [2]… Select a number to read the exact
        passage, where it comes from, and its licence. Questions that sound like a crisis or an
        emergency get the phone numbers that help first.
      </p>
    </article>
  );
}
