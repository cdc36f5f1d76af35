"""HTML to PDF through WeasyPrint, an optional extra: it needs Pango from the system (Debian: libpango-1.0-0,
libpangoft2-1.0-0) and a font with Vietnamese letters (fonts-dejavu-core), so it is imported only here, when a
label sheet or a dossier is asked for, and a machine without it says what to install."""

from __future__ import annotations


class PdfUnavailable(RuntimeError):
    """No PDF renderer on this machine; the message says what to install, in both languages."""

    def __init__(self, why: str) -> None:
        super().__init__(
            "Không tạo được PDF: cài thêm bằng pip install 'greenhouse-controller[pdf]' và apt-get install "
            f"libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core ({why}) / No PDF renderer: pip install "
            "'greenhouse-controller[pdf]' and apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"
        )


# The fonts every page asks for first: DejaVu has every Vietnamese letter with its tone marks.
FONT_FAMILY = '"DejaVu Sans", "Noto Sans", sans-serif'


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML page (images inline as data URLs; nothing is fetched: a label printed at
    the farm must not wait for a network, and a page of ours never needs one)."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as e:  # OSError: the Python package is there but Pango is not
        raise PdfUnavailable(str(e)) from e
    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
    return pdf
