"""What a notebook cell displays: a report section as HTML and as the data the PDF is typeset from."""

from __future__ import annotations

import json
from typing import Any

from .blocks import MIME
from .html import notebook_html, section_html


class Section:
    """One report section as a notebook output: its HTML (what JupyterLab and ``report.html`` show;
    in the notebook with its own scoped stylesheet, see :func:`~kiprank.report.html.notebook_html`)
    and its data (``application/vnd.kiprank.section+json``: what the PDF is typeset from), side by
    side in the cell's output bundle, so a reader of the executed notebook sees what went into the
    PDF."""

    def __init__(self, data: dict[str, Any]):
        self.data = data

    def html(self) -> str:
        return section_html(self.data)

    def _repr_mimebundle_(self, include=None, exclude=None):
        # a JSON round trip: what the notebook stores is exactly what the PDF is made from
        data = json.loads(json.dumps(self.data, ensure_ascii=False, allow_nan=False))
        title = self.data.get("heading") or self.data.get("title") or self.data.get("kind")
        return {"text/html": notebook_html(self.html()), MIME: data, "text/plain": f"<kiprank section: {title}>"}

    def __repr__(self):
        return f"Section({self.data.get('kind')!r}, {self.data.get('title')!r})"


def sections_of_notebook(nb) -> list[dict]:
    """The section data displayed by an executed notebook, in display order."""
    out = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("display_data", "execute_result") and MIME in output.get("data", {}):
                data = output["data"][MIME]
                out.append(json.loads(data) if isinstance(data, str) else _plain(data))
    return out


def _plain(node):
    """nbformat's NotebookNode -> plain dicts and lists."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node
