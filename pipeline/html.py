"""HTML pages to article text with trafilatura, keeping one paragraph per line.

Settings for news pages: comments off (readers' comments are not the article), tables on
(they belong to the story), images off, and ``favor_recall`` so that a caption or a related
link left in is what the rule stage removes, rather than body text lost here.
"""
from __future__ import annotations

from typing import Any

from .encoding import NotText

# Metadata fields worth keeping; `filedate` is today's date (not reproducible), left out.
_META_FIELDS = ("title", "author", "date", "sitename", "hostname", "url", "description", "categories", "tags")


def extract_html(data: bytes) -> tuple[str, str, dict[str, Any]]:
    """(text, how it was obtained, metadata) for one page; NotText when nothing is there."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            data,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            favor_recall=True,
            deduplicate=False,
        )
    except Exception as e:  # trafilatura/lxml raise many types on broken markup
        raise NotText(f"the HTML page could not be parsed ({type(e).__name__})") from None
    if doc is None:
        raise NotText("no article text could be extracted from the HTML page")
    d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = (d.get("text") or "").strip("\n")
    if not text.strip():
        raise NotText("no article text could be extracted from the HTML page")
    meta = {k: d[k] for k in _META_FIELDS if d.get(k)}
    return text + "\n", "html (trafilatura)", meta
