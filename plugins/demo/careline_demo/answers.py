"""What the simulated agents write back, per language, signed and never twice the same (the
guidelines' duplicate rule would refuse a repeated text)."""

from __future__ import annotations

import random

REPLIES: dict[str, tuple[str, ...]] = {
    "en": (
        "Hi {name}, sorry about this! We're looking into it now and will update you shortly "
        "(ref {ref}).",
        "Thanks for letting us know, {name}. Could you DM us your order number so we can check "
        "(ref {ref})?",
        "Hi {name}, that's not the experience we want for you. A colleague is on it (ref {ref}).",
    ),
    "de": (
        "Hallo {name}, das tut uns leid! Wir schauen uns das sofort an (Ref. {ref}).",
        "Danke für den Hinweis, {name}. Schick uns bitte die Bestellnummer per DM (Ref. {ref}).",
    ),
    "fr": (
        "Bonjour {name}, désolés pour ce souci ! Nous regardons cela tout de suite (réf. {ref}).",
        "Merci {name}, pouvez-vous nous envoyer votre numéro de commande en DM (réf. {ref}) ?",
    ),
    "es": (
        "Hola {name}, ¡sentimos las molestias! Lo estamos revisando ahora (ref. {ref}).",
        "Gracias {name}, ¿nos envías el número de pedido por DM (ref. {ref})?",
    ),
    "nl": (
        "Hoi {name}, wat vervelend! We kijken er meteen naar (ref. {ref}).",
        "Dank je {name}, kun je ons je bestelnummer sturen via DM (ref. {ref})?",
    ),
}


def reply_text(
    language: str | None, name: str | None, signature: str, rng: random.Random, *, public: bool
) -> str:
    """A care reply in ``language`` (English when unknown), signed when ``public``."""
    options = REPLIES.get(language or "en", REPLIES["en"])
    text = rng.choice(options).format(name=name or "there", ref=rng.randint(10000, 99999))
    return f"{text} {signature}" if public else text
