"""The text files per language: strict YAML, the same keys in every language."""

import pytest

from kiprank.core.wording import LANGUAGES, WORDS_DIR, words
from kiprank.core.yamlfile import DuplicateKeyError, load_yaml_text


def test_duplicate_keys_are_refused_with_their_line():
    with pytest.raises(DuplicateKeyError) as info:
        load_yaml_text("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert info.value.line == 4 and info.value.first_line == 3 and "'c'" in str(info.value)


def test_nested_and_plain_yaml_still_load():
    assert load_yaml_text("a: [1, {b: 2}]\nc: x\n") == {"a": [1, {"b": 2}], "c": "x"}


@pytest.mark.parametrize("kind", sorted({p.name.split(".")[0] for p in WORDS_DIR.glob("*.yml")}))
def test_every_language_has_every_sentence(kind):
    keys = {lang: set(words(kind, lang)) for lang in LANGUAGES}
    for lang in LANGUAGES:
        assert keys[lang] == keys["id"], f"{kind}.{lang}.yml differs from {kind}.id.yml: {keys[lang] ^ keys['id']}"
