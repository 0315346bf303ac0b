"""A problem worth one line to a person, named by a message key (the words live in
``dashboard.labels``; the engine and the data layer do not know the reader's language)."""

from __future__ import annotations


class KeyedError(Exception):
    """``key`` names the message; ``fields`` fill it in. The layer that shows it formats it."""

    def __init__(self, key: str, **fields: object) -> None:
        super().__init__(f"{key}: " + ", ".join(f"{k}={v}" for k, v in fields.items()))
        self.key = key
        self.fields = fields
