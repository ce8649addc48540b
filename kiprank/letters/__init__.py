"""Result letters to every body (``kiprank letters``): :mod:`.content` decides what each letter says,
:mod:`.render` typesets it with Typst (``kiprank/typst/letter.typ``), :mod:`.build` is the run that adds
the letters to a published region folder."""
