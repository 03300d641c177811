"""Chat-completion messages that ground an answer in numbered sources.

The prompt is kept small on purpose: BioMistral-7B was trained with a 2,048-token context
(Labrak et al. 2024), and ``llm_max_tokens`` of it is reserved for the answer. At roughly four
characters per English token, ``DEFAULT_MAX_SOURCE_CHARS`` leaves room for the instructions,
the question and a 512-token answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from openai.types.chat import (
    ChatCompletionMessageParam,
    ChatCompletionUserMessageParam,
)

from lumen.knowledge.schemas import RetrievalHit

DEFAULT_MAX_SOURCE_CHARS = 4000

SYSTEM_PROMPT = (
    "You answer health questions for patients using only the numbered sources given.\n"
    "Rules:\n"
    "- Use only facts stated in the sources; never add outside knowledge.\n"
    "- Cite the source of every claim right after it as [n], e.g. [1] or [1][3].\n"
    "- If the sources do not answer the question, say so plainly and stop.\n"
    "- Do not diagnose, and do not tell the reader what treatment to take; suggest asking a "
    "clinician instead.\n"
    "- Be brief: at most a few short paragraphs in plain language."
)


def build_messages(
    question: str,
    sources: Sequence[RetrievalHit],
    max_source_chars: int = DEFAULT_MAX_SOURCE_CHARS,
) -> list[ChatCompletionMessageParam]:
    """One user message: the rules, the sources ``[1]..[n]`` and the question.

    The rules travel in the user turn, not a system message: Mistral-7B-Instruct v0.1's chat
    template (BioMistral's base) rejects the ``system`` role, and vLLM would answer 400.

    Each source is shown as ``[n] title — section`` followed by its passage. The passages share
    ``max_source_chars`` equally (characters, not tokens); a longer passage is cut at a word
    boundary and marked with an ellipsis, so every source keeps its number and heading.
    """
    per_source = max_source_chars // max(len(sources), 1)
    blocks = [
        f"[{n}] {hit.title} — {hit.section}\n{_clip(hit.passage, per_source)}"
        for n, hit in enumerate(sources, start=1)
    ]
    user = (
        "Sources:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question.strip()}\n"
        "Answer from the sources, citing them as [n]:"
        if blocks
        else f"Sources: none.\n\nQuestion: {question.strip()}\n"
        "Say that no source answers this question."
    )
    user_message: ChatCompletionUserMessageParam = {
        "role": "user",
        "content": f"{SYSTEM_PROMPT}\n\n{user}",
    }
    return [user_message]


def _clip(text: str, limit: int) -> str:
    """``text`` with collapsed whitespace, cut to at most ``limit`` characters at a word break."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > 0 else limit - 1] + "…"
