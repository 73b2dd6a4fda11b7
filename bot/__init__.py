"""催收问答 — a Telegram bot answering Chinese borrowers' questions about debt collection."""

__version__ = "0.1.0"
