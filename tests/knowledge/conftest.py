"""Fixtures of the knowledge tests: files of the real public data under ``../shared/data``
(never copied into the project). ``shared_data`` itself comes from ``tests/conftest.py`` and
skips when the folder is absent; these skip, saying where they looked, when a file is."""

from __future__ import annotations

from pathlib import Path

import pytest


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not found at {path} (see shared/data/README.md)")
    return path


@pytest.fixture(scope="session")
def medquad_zip(shared_data: Path) -> Path:
    """MedQuAD as GitHub's archive of the repository holds it."""
    return _require(shared_data / "medquad" / "MedQuAD-master.zip")


@pytest.fixture(scope="session")
def medquad_corpus(shared_data: Path) -> Path:
    """The 16,407 answered MedQuAD pairs, one JSON object per line."""
    return _require(shared_data / "medquad" / "corpus.jsonl")


@pytest.fixture(scope="session")
def spl_dir(shared_data: Path) -> Path:
    """Five real FDA labels (SPL XML): Lipitor (original, repackaged), Humira, Viagra, an OTC
    cough syrup."""
    return _require(shared_data / "drug_labels" / "spl")
