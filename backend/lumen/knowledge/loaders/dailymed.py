"""DailyMed's label releases: the full release (in parts, such as
``dm_spl_release_human_rx_part1.zip``) and the monthly, weekly and daily updates
(``dm_spl_monthly_update_<month><year>.zip``), as listed on "SPL Resources: Download All Drug
Labels", https://dailymed.nlm.nih.gov/dailymed/spl-resources-all-drug-labels.cfm.

Each release is a zip whose members are zips (``prescription/<date>_<set id>.zip``), each holding
one label's SPL XML beside its images. The SPL loader's archive reader already walks that
nesting one inner zip at a time (``archive.py``), and a label is a label wherever it comes from:
this module only names the source and checks that it is a release, and the labels get the SPL
loader's document id (``spl:<set id>``), version and sections (``parse_spl_xml``), so a label
loaded from a release and from a single XML file is one document.
"""

from __future__ import annotations

from pathlib import Path

from lumen.knowledge.loaders.archive import LoaderRun, SourceUnavailable, resolve_source
from lumen.knowledge.loaders.spl import parse_spl_xml


def open_dailymed(source: str | Path, cache_dir: Path | None = None) -> LoaderRun:
    """Open a DailyMed release: its zip, or a folder of release zips (the parts of the full
    release), local or at an ``http(s)`` URL downloaded once into ``cache_dir``.

    ``total`` counts inner zips (one label each); iterating reads them one at a time, never
    unpacking the release to disk, and yields one ``SourceDocument`` per label or a
    ``LoadError`` naming the member (``<inner zip>`` or ``<inner zip>!/<xml>``, after
    ``<release zip>!/`` in a folder) for an inner zip that is not a zip or a label that does
    not parse; the rest goes on.

    Raises ``SourceUnavailable`` when the path is missing, is neither a zip nor a folder, the
    zip is unreadable, or a URL cannot be downloaded (or comes without ``cache_dir``).
    """
    path = resolve_source(source, cache_dir)
    if not (path.is_dir() or path.name.lower().endswith(".zip")):
        raise SourceUnavailable(f"not a DailyMed release (a zip, or a folder of them): {path}")
    return LoaderRun(path, parse_spl_xml)
