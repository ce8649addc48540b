"""The static web site of every published ranking (``kiprank site``).

- :mod:`kiprank.site.pages`: what is published under an outputs root, read into plain data;
- :mod:`kiprank.site.render`: the pages (Jinja2 templates in ``templates/``, ``static/`` CSS and JS);
- :mod:`kiprank.site.svg`: the charts, as inline SVG with text alternatives.

Building a site atomically with its manifest, and verifying it, is a run: :mod:`kiprank.runs.site`.
"""
