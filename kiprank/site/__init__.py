"""The static web site of every published ranking (``kiprank site``).

- :mod:`kiprank.site.pages`: what is published under an outputs root, read into plain data;
- :mod:`kiprank.site.render`: the pages (Jinja2 templates in ``templates/``, ``static/`` CSS and JS);
- :mod:`kiprank.site.svg`: the charts, as inline SVG with text alternatives;
- :mod:`kiprank.site.build`: building a site atomically with its manifest, and verifying it.

Kept import-light: nothing is imported until a function is called.
"""


def build_site(*args, **kwargs):
    from .build import build_site as _build

    return _build(*args, **kwargs)


def verify_site(*args, **kwargs):
    from .build import verify_site as _verify

    return _verify(*args, **kwargs)


__all__ = ["build_site", "verify_site"]
