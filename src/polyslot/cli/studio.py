"""``polyslot studio``: the local what-if web app over a finished run's outputs."""

from __future__ import annotations

from pathlib import Path

import typer

from polyslot.cli._common import handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``studio`` command to ``app``."""

    @app.command("studio")
    @handle_errors
    def studio_cmd(
        out: Path = typer.Option(Path("out"), "--out", help="Output folder of `polyslot run`."),
        host: str = typer.Option(
            "127.0.0.1", "--host", help="Address to bind (anything but loopback needs --token)."
        ),
        port: int = typer.Option(8050, "--port", min=1, max=65535, help="Port to listen on."),
        token: str | None = typer.Option(
            None,
            "--token",
            help="Access token required on every request: 16 characters or more, or 'auto' to "
            "make one (printed).",
        ),
    ) -> None:
        """Edit templates and see exact KPIs at once; simulate, what-if, frontier, export."""
        from polyslot.studio import serve
        from polyslot.studio.run_data import StudioRun
        from polyslot.studio.security import AUTO_TOKEN, check_binding, check_token

        made = token in AUTO_TOKEN
        token = check_token(token)
        check_binding(host, token)
        StudioRun(out)  # fails early, in one line, on a folder without a run
        if made:
            print(f"access token: {token}", flush=True)
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
        print(f"polyslot studio on {url}  (warming up; Ctrl+C stops it)", flush=True)

        def ready(seconds: float) -> None:
            print(f"ready: KPI engine warmed in {seconds:.1f} s", flush=True)

        serve(out, host=host, port=port, token=token, on_ready=ready)
