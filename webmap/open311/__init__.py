"""Placeholder while the module is written."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
