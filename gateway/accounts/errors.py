"""A refusal of the accounts, worded in Vietnamese and English for whoever shows it."""

from __future__ import annotations

from contract.reasons import Lang, pick


class AccountError(Exception):
    def __init__(self, words: tuple[str, str], **params: object) -> None:
        """A parameter that is itself a (vi, en) pair, such as a wait in words, is put in each language's own."""
        self.words = words
        self.params = params
        super().__init__(self.text("en"))

    def text(self, lang: Lang) -> str:
        own = {k: pick(v, lang) if _is_words(v) else v for k, v in self.params.items()}
        return pick(self.words, lang).format(**own)


def _is_words(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)
