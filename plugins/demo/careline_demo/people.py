"""The demo's cast: the brand's accounts, its care team, and the simulated customers.

Every name, handle and number here is invented for the demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

BRAND_NAME = "Acme"
X_BRAND_HANDLE = "acmecare"
X_BRAND_ID = "1496500471290777601"
FACEBOOK_PAGE_ID = "370873143344730"
INSTAGRAM_USER_ID = "17841400008460056"
CHANNELS = ("twitter", "facebook", "instagram")
LANGUAGES = ("en", "de", "fr", "es", "nl")


@dataclass(frozen=True, slots=True)
class Persona:
    """A simulated customer: who they are and where they write.

    ``role`` gives the persona's special behaviour: ``customer``, ``journalist``,
    ``influencer``, ``lawyer`` (threatens legal action) or ``spammer``.
    """

    key: str
    name: str
    handle: str
    language: str
    channels: tuple[str, ...]
    followers: int = 150
    verified: bool = False
    role: str = "customer"
    email: str | None = None
    phone: str | None = None

    @property
    def first_name(self) -> str:
        """The first word of the display name."""
        return self.name.split()[0]


PERSONAS: tuple[Persona, ...] = (
    Persona("priya", "Priya Shah", "priya_sh", "en", ("twitter", "facebook"), 412,
            email="priya.shah@example.com", phone="+44 7700 900123"),
    Persona("tom", "Tom Becker", "tombecker", "en", ("twitter",), 88),
    Persona("grace", "Grace Liu", "grace.liu", "en", ("instagram", "facebook"), 2_310,
            email="grace.liu@example.org"),
    Persona("marcus", "Marcus Green", "mgreen_uk", "en", ("facebook",), 57,
            phone="+44 20 7946 0018"),
    Persona("jonas", "Jonas Weber", "jonas_weber", "de", ("twitter", "instagram"), 640,
            email="jonas.weber@example.de"),
    Persona("lena", "Lena Hoffmann", "lena.hoff", "de", ("facebook", "instagram"), 1_120),
    Persona("camille", "Camille Dubois", "camille_db", "fr", ("twitter", "facebook"), 930,
            email="camille.dubois@example.fr"),
    Persona("hugo", "Hugo Laurent", "hugo.laurent", "fr", ("instagram",), 205),
    Persona("lucia", "Lucía Fernández", "lucia_fdz", "es", ("twitter", "instagram"), 3_400,
            phone="+34 612 345 678"),
    Persona("mateo", "Mateo Ruiz", "mateoruiz", "es", ("facebook",), 77),
    Persona("sanne", "Sanne de Jong", "sannedejong", "nl", ("twitter", "facebook"), 512,
            email="sanne.dejong@example.nl"),
    Persona("daan", "Daan Visser", "daan.visser", "nl", ("instagram",), 190),
    Persona("dana", "Dana Reyes", "danareyes_news", "en", ("twitter",), 18_900, verified=True,
            role="journalist"),
    Persona("zoe", "Zoe Park", "zoeparkstyle", "en", ("instagram", "twitter"), 245_000,
            verified=True, role="influencer"),
    Persona("rick", "Rick Halloran", "rick_h", "en", ("twitter", "facebook"), 310, role="lawyer"),
    Persona("bot", "Crypto Wins", "free_crypto_wins", "en", ("twitter", "instagram"), 12,
            role="spammer"),
)  # fmt: skip


FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Olivia", "James", "Amelia", "Noah", "Isla", "Leo", "Ava", "Harry", "Mia", "Oscar"),
    "de": ("Mia", "Finn", "Emilia", "Paul", "Hannah", "Luis", "Clara", "Felix", "Marie", "Jan"),
    "fr": ("Louise", "Gabriel", "Jade", "Raphaël", "Alice", "Arthur", "Léa", "Jules", "Chloé"),
    "es": ("Sofía", "Hugo", "Valentina", "Martín", "Carmen", "Pablo", "Elena", "Álvaro"),
    "nl": ("Emma", "Sem", "Julia", "Lucas", "Tess", "Bram", "Fleur", "Thijs", "Noor"),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Walker", "Hughes", "Patel", "Murphy", "Evans", "Khan", "Clarke", "Reid", "Price"),
    "de": ("Müller", "Schneider", "Fischer", "Wagner", "Braun", "Krüger", "Wolf", "Neumann"),
    "fr": ("Bernard", "Petit", "Moreau", "Girard", "Roux", "Fontaine", "Lefèvre", "Mercier"),
    "es": ("García", "Martínez", "Sánchez", "Romero", "Navarro", "Torres", "Ramos", "Gil"),
    "nl": ("Jansen", "Bakker", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters", "Dekker"),
}
LANGUAGE_WEIGHTS = {"en": 5, "de": 3, "fr": 2, "es": 2, "nl": 2}
CHANNEL_SETS = (("twitter",), ("facebook",), ("instagram",), ("twitter", "facebook"),
                ("facebook", "instagram"), ("instagram", "twitter"))  # fmt: skip


def crowd(count: int = 120, seed: int = 2026) -> tuple[Persona, ...]:
    """More customers, combined from common first and last names (the same for every run)."""
    rng = random.Random(seed)
    languages = [code for code, weight in LANGUAGE_WEIGHTS.items() for _ in range(weight)]
    people: list[Persona] = []
    seen: set[str] = set()
    while len(people) < count:
        language = rng.choice(languages)
        first, last = rng.choice(FIRST_NAMES[language]), rng.choice(LAST_NAMES[language])
        handle = "".join(ch for ch in f"{first}_{last}".lower() if ch.isascii() and ch != " ")
        handle = f"{handle[:11]}{rng.randint(10, 99)}"
        if handle in seen or f"{first} {last}" in seen:
            continue
        seen.update((handle, f"{first} {last}"))
        email = f"{handle}@example.com" if rng.random() < 0.3 else None
        phone = f"+44 7700 9{rng.randint(10000, 99999)}" if rng.random() < 0.2 else None
        people.append(
            Persona(
                key=handle,
                name=f"{first} {last}",
                handle=handle,
                language=language,
                channels=rng.choice(CHANNEL_SETS),
                followers=int(rng.lognormvariate(5, 1.3)),
                email=email,
                phone=phone,
            )
        )
    return tuple(people)


PERSONAS = PERSONAS + crowd()


@dataclass(frozen=True, slots=True)
class DemoAgent:
    """A member of the demo care team (created with these skills at start-up)."""

    name: str
    role: str
    initials: str
    languages: tuple[str, ...]
    channels: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    capacity: int = 12


AGENTS: tuple[DemoAgent, ...] = (
    DemoAgent("Ana Schmidt", "agent", "AS", ("de", "en"), skills=("billing",),
              queues=("billing", "billing-de", "vip", "social")),
    DemoAgent("Ben Okafor", "agent", "BO", ("en",), ("twitter", "facebook"), ("tech",),
              ("tech", "social")),
    DemoAgent("Chloé Martin", "agent", "CM", ("fr", "en"), skills=("tech", "billing"),
              queues=("social", "tech", "billing")),
    DemoAgent("Diego López", "agent", "DL", ("es", "en"), ("instagram", "twitter", "facebook"),
              ("tech",), ("social", "tech")),
    DemoAgent("Eva de Vries", "agent", "EV", ("nl", "en", "de"), skills=("billing",),
              queues=("billing", "billing-de", "social")),
    DemoAgent("Sam Taylor", "supervisor", "ST", ("en", "de"), skills=("billing", "tech"),
              queues=("vip", "team-leads", "legal-review"), capacity=8),
    DemoAgent("Robin Admin", "admin", "RA", ("en",), capacity=0),
)  # fmt: skip

SUPERVISOR = "Sam Taylor"


def persona(key: str) -> Persona:
    """The persona with this key."""
    for candidate in PERSONAS:
        if candidate.key == key:
            return candidate
    raise KeyError(key)
