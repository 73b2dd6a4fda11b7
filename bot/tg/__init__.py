"""The thin Telegram shell: builds the Application, registers handlers, renders replies.

Named `tg` so it can never shadow the `telegram` library itself.
"""
