"""The HTML of a built document: the executed notebook exported by nbconvert with the project
template ``kiprank/templates/kiprank_report`` (no code, prompts, parameters or stderr)."""

from __future__ import annotations

from ..core.errors import ReportError
from ..core.resources import TEMPLATES_DIR

TEMPLATE_NAME = "kiprank_report"


def _exporter_class():
    """nbconvert's HTMLExporter (its filters and configuration) rendering the notebook with
    :class:`~nbconvert.exporters.TemplateExporter`'s ``from_notebook_node``: HTMLExporter's own
    adds filters for nbconvert's lab and classic templates (which the report template does not
    use) and a final BeautifulSoup pass (it re-parses the whole page to add ``alt`` texts and
    ``tabindex`` to JupyterLab classes; the report template already writes ``alt`` on every image and
    has no JupyterLab markup), which takes about a second on a report."""
    from nbconvert.exporters import HTMLExporter, TemplateExporter

    class ReportHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportHTMLExporter


_exporters: list = []  # idle HTML exporters, reused by any thread (one thread at a time each)


def export_html(nb, meta: dict) -> str:
    """The HTML page of an executed notebook; ``meta`` is the template's ``resources.kiprank``
    (language, title, issuer, date ...); the bundled fonts are added as ``data:`` URLs
    (:func:`kiprank.report.html.embedded_fonts`), so the page carries its fonts. An idle exporter is reused: a new one compiles
    the report's Jinja templates again (about 80 ms of a report's CPU in a batch worker), and what
    one export sets is set again by the next, so a reused exporter writes the same bytes."""
    try:
        exporter = _exporters.pop()
    except IndexError:
        exporter = _exporter_class()(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES_DIR)],
                                     optimistic_validation=True)
    try:
        import json

        from ..report.html import embedded_fonts

        fonts = embedded_fonts(json.dumps(nb, ensure_ascii=False))  # the fonts the page's text needs
        body, _ = exporter.from_notebook_node(nb, resources={"kiprank": {**meta, "fonts": fonts}})
    except Exception as exc:
        from .engine import first_lines

        raise ReportError("html", f"{type(exc).__name__}: {first_lines(str(exc))}") from exc
    finally:
        _exporters.append(exporter)
    if "<section" not in body:
        raise ReportError("html", "the executed notebook displayed no report section")
    return body


__all__ = ["export_html", "TEMPLATE_NAME"]
