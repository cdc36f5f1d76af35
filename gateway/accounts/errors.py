"""A refusal of the accounts, worded in Vietnamese and English for whoever shows it."""

from __future__ import annotations

from contract.reasons import Lang, pick


class AccountError(Exception):
    def __init__(self, words: tuple[str, str], **params: object) -> None:
        super().__init__(words[1].format(**params))
        self.words = words
        self.params = params

    def text(self, lang: Lang) -> str:
        return pick(self.words, lang).format(**self.params)
