"""The intake layer: from the methodology to questionnaires and back to input tables.

- :mod:`kiprank.intake.forms`: ``kiprank forms``, the workbooks a commission sends out (SAQ and
  verification per body, the website checklist, the stage score sheets);
- :mod:`kiprank.intake.xlsform`: the SAQ as an XLSForm for KoboToolbox / ODK Collect;
- :mod:`kiprank.intake.returns` and :mod:`kiprank.intake.exports`: one reader per kind of source
  (returned workbooks; KoboToolbox/ODK and Google Forms exports);
- :mod:`kiprank.intake.collect`: ``kiprank collect``, checks every source and writes the input tables;
- :mod:`kiprank.intake.demo`: fills the forms from a region's answer tables (demo returns, tests).

It imports the core (methodology, inputs, export, wording ...) and nothing above it.
"""
