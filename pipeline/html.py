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
            # The date from the page's own metadata (meta tags, JSON-LD, its URL), never a year
            # guessed from the text or a copyright line: the earliest date picks which of two
            # duplicates is kept.
            date_extraction_params={"extensive_search": False, "original_date": True},
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
    return _with_title_and_lead(text, data, meta) + "\n", "html (trafilatura)", meta


def _with_title_and_lead(text: str, page: bytes, meta: dict[str, Any]) -> str:
    """Put the headline and the standfirst back in front of the body.

    News templates often keep both outside the article element (VnExpress's
    ``p.description``), where trafilatura does not look. The title comes from the page's
    metadata; the standfirst is the meta description when the page also shows it in its body.
    """
    head = []
    title = (meta.get("title") or "").strip()
    first = text.split("\n", 1)[0].strip()
    if title and title not in first and first not in title:
        head.append(title)
    desc = (meta.get("description") or "").strip()
    if desc and len(desc) >= 40 and desc[:60] not in text:
        html = page.decode("utf-8", errors="replace")
        body_at = html.lower().find("<body")
        if body_at >= 0 and desc[:60] in html[body_at:]:
            head.append(desc)
    return "\n".join(head + [text]) if head else text
