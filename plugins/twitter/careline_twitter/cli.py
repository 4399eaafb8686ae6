"""``careline twitter …``: run the X emulator, count a text the way X does."""

from __future__ import annotations

import threading
import time

import click

from careline_twitter.length import MAX_POST_LENGTH, is_valid_post, weighted_length

WEBHOOK_ATTEMPTS = 10


def twitter_group() -> click.Group:
    """Build the ``twitter`` command group."""

    @click.group("twitter")
    def twitter() -> None:
        """X (Twitter) channel tools: the platform emulator and the length counter."""

    @twitter.command("emulator")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
    @click.option("--port", default=8700, show_default=True, type=int, help="Port to listen on.")
    @click.option(
        "--webhook-url",
        default=None,
        help="careline's X webhook (e.g. http://127.0.0.1:8000/webhooks/twitter); CRC-checked.",
    )
    def emulator(host: str, port: int, webhook_url: str | None) -> None:
        """Run an X API emulator with a brand (@acmecare) and three customers."""
        import uvicorn

        from careline_twitter.emulator import create_emulator, demo_state

        state = demo_state()
        brand = state.brands[0]
        tokens = state.tokens_of(brand.id)
        base_url = f"http://{host}:{port}"
        click.echo(f"X emulator on {base_url} — brand @{brand.username} ({brand.id})")
        click.echo("Environment for careline (emulator credentials, not real ones):")
        click.echo(f"  export X_CONSUMER_SECRET={state.consumer_secret}")
        click.echo(f"  export X_BEARER_TOKEN={state.bearer_token}")
        click.echo(f"  export X_ACME_ACCESS_TOKEN={tokens.access_token}")
        click.echo(f"  export X_ACME_REFRESH_TOKEN={tokens.refresh_token}")
        click.echo("careline.toml:")
        click.echo(
            "\n".join(
                [
                    "  [twitter]",
                    f'  base_url = "{base_url}"',
                    '  consumer_secret = "$env:X_CONSUMER_SECRET"',
                    '  bearer_token = "$env:X_BEARER_TOKEN"',
                    f'  client_id = "{state.client_id}"',
                    "  [[twitter.accounts]]",
                    f'  id = "{brand.id}"',
                    f'  username = "{brand.username}"',
                    '  access_token = "$env:X_ACME_ACCESS_TOKEN"',
                    '  refresh_token = "$env:X_ACME_REFRESH_TOKEN"',
                ]
            )
        )
        click.echo(
            f"Make a customer post: curl -X POST {base_url}/_emulator/customer/tweet "
            '-d \'{"customer":"alice_k","text":"@acmecare my order never came"}\''
        )

        def register_webhook() -> None:
            if webhook_url is None:
                return
            threading.Thread(target=_register, args=(state, webhook_url), daemon=True).start()

        uvicorn.run(create_emulator(state, on_startup=register_webhook), host=host, port=port)

    @twitter.command("length")
    @click.argument("text")
    def length(text: str) -> None:
        """Count TEXT the way X does (weighted length, 280 per post)."""
        counted = weighted_length(text)
        verdict = "fits" if is_valid_post(text) else "does NOT fit"
        click.echo(f"{counted}/{MAX_POST_LENGTH} — {verdict} in one post")

    return twitter


def _register(state: object, url: str) -> None:
    from careline_twitter.emulator import EmulatorState, WebhookRegistrationError

    assert isinstance(state, EmulatorState)
    for _ in range(WEBHOOK_ATTEMPTS):
        try:
            state.deliver_to(url)
        except WebhookRegistrationError as error:
            click.echo(f"webhook not registered yet: {error}", err=True)
            time.sleep(2)
            continue
        click.echo(f"webhook registered: {url} (CRC check passed)")
        return
    click.echo(f"gave up registering {url}; POST /_emulator/webhook to retry", err=True)
