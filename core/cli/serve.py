"""``careline serve``: the web app (and, for the embedded default, the worker) with uvicorn."""

from __future__ import annotations

import click
from careline.cli.context import CliState, pass_state


@click.command("serve")
@click.option("--host", help="Address to listen on (default: [web] host).")
@click.option("--port", type=int, help="Port (default: [web] port).")
@click.option(
    "--workers",
    type=int,
    default=1,
    show_default=True,
    help="Web processes (PostgreSQL only for more than one).",
)
@click.option("--no-worker", is_flag=True, help="Do not run the background worker in-process.")
@pass_state
def serve(
    state: CliState, host: str | None, port: int | None, workers: int, no_worker: bool
) -> None:
    """Serve the inbox, the API and the webhooks."""
    import uvicorn
    from careline.web.app import create_app
    from careline.web.factory import serve_processes

    settings = state.settings()
    web = settings.core("web")
    runtime = state.runtime()
    if workers > 1 and runtime.db.is_sqlite:
        raise click.UsageError("several web processes need PostgreSQL (CARELINE_DATABASE_URL)")
    host, port = host or web.host, port or web.port
    click.echo(
        f"careline serving http://{host}:{port}/inbox "
        f"({'with' if not no_worker else 'without'} the worker); Ctrl-C stops it",
        err=True,
    )
    if workers > 1:
        import os

        os.environ["CARELINE_HOME"] = str(settings.home)
        os.environ["CARELINE_RUN_WORKER"] = "0" if no_worker else "1"
        serve_processes(
            "careline.web.factory:app_from_environment",
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            timeout_graceful_shutdown=10,
        )
        return
    app = create_app(settings, state.pm, runtime=runtime, run_worker=not no_worker)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=10)


def register(cli: click.Group) -> None:
    """Add the command to the root."""
    cli.add_command(serve)
