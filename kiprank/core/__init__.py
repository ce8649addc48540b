"""The core: methodology, validated inputs, scoring and the small helpers everything else uses
(errors, files, YAML, words, limits, number formatting). It imports nothing else of kiprank."""
