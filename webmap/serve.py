"""Run the app under gunicorn (gthread workers), each worker building its own app and engine."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

__all__ = ["run_gunicorn"]


class _App(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from webmap import create_app

        return create_app()


def run_gunicorn(host: str, port: int, workers: int = 2, threads: int = 4) -> None:
    """Serve until interrupted. Defaults suit a 2-core machine: 2 workers × 4 threads."""
    _App(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 60,
            "graceful_timeout": 10,
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": "info",
        }
    ).run()
