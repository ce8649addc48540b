"""Runs: the steps that read inputs and publish folders (score, report, comparison, corrections,
letters, site), their manifests, and batch builds. They call the layers below and nothing above."""
