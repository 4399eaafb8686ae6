"""Built-in defaults: content categories, their phrases and the "get me a manager" phrases.

Phrases are matched as whole words, case-insensitively (see :mod:`careline_escalation.phrases`);
a trailing ``*`` on a word matches any ending (``harass*`` → harassed, harassment). They cover
English, German, French, Spanish, Italian, Dutch and Portuguese, and are deliberately specific:
a phrase that fires on everyday care messages ("brand", "issue") would train people to ignore
escalations.
"""

from __future__ import annotations

from typing import Any

# What each built-in content category escalates to, and which insights topics mean it.
BUILTIN_CATEGORIES: dict[str, dict[str, Any]] = {
    "legal": {"topics": ["legal"], "target": "legal", "raise_priority": "high"},
    "press": {"topics": ["press", "media"], "target": "pr", "raise_priority": "high"},
    "safety": {"topics": ["safety"], "target": "safety", "raise_priority": "urgent"},
    "hr": {"topics": ["hr", "employee_conduct"], "target": "hr"},
}

CATEGORY_PHRASES: dict[str, tuple[str, ...]] = {
    "legal": (
        # en
        "lawyer*",
        "attorney*",
        "solicitor*",
        "lawsuit*",
        "class action",
        "legal action",
        "legal team",
        "sue you",
        "sue your",
        "suing",
        "take you to court",
        "see you in court",
        "small claims",
        "cease and desist",
        "trading standards",
        # de
        "Anwalt",
        "Anwältin",
        "Rechtsanwalt",
        "Rechtsanwältin",
        "verklage*",
        "Klage einreichen",
        "rechtliche Schritte",
        "vor Gericht",
        # fr
        "avocat*",
        "poursuite* judiciaire*",
        "porter plainte",
        "action en justice",
        "au tribunal",
        # es
        "abogado*",
        "demandaré",
        "acciones legales",
        "acción legal",
        "denunciar*",
        # it
        "avvocat*",
        "azioni legali",
        "vi denuncio",
        # nl
        "advocaat",
        "rechtszaak",
        # pt
        "advogado*",
        "processo judicial",
        "ação judicial",
    ),
    "press": (
        "journalist*",
        "reporter*",
        "press inquiry",
        "press enquiry",
        "media inquiry",
        "media enquiry",
        "for a story",
        "for an article",
        "on the record",
        "request for comment",
        "newsroom",
        "Journalistin",
        "Presseanfrage",
        "Redaktion",
        "journaliste*",
        "demande de presse",
        "periodista*",
        "consulta de prensa",
        "giornalist*",
        "jornalista*",
    ),
    "safety": (
        "suicid*",
        "kill myself",
        "end my life",
        "self-harm",
        "self harm",
        "hurt myself",
        "caught fire",
        "burst into flames",
        "exploded",
        "explosion",
        "electric shock",
        "electrocuted",
        "choking hazard",
        "allergic reaction",
        "food poisoning",
        "injured",
        "injury",
        "ended up in hospital",
        "in the hospital",
        "fire hazard",
        "Selbstmord",
        "umbringen",
        "verletzt",
        "explodiert",
        "in Flammen",
        "me suicider",
        "blessé*",
        "a pris feu",
        "intoxication",
        "suicidarme",
        "herido*",
        "incendio",
        "intossicazione",
        "ferito",
    ),
    "hr": (
        "your employee*",
        "your staff",
        "staff member",
        "rude employee*",
        "rude staff",
        "your agent was rude",
        "your driver",
        "the cashier",
        "harass*",
        "discriminat*",
        "racist",
        "sexist",
        "Ihr Mitarbeiter",
        "Ihre Mitarbeiterin",
        "Belästigung",
        "diskriminiert",
        "votre employé*",
        "harcèlement",
        "discriminé*",
        "su empleado",
        "acoso",
        "discriminación",
        "il vostro dipendente",
        "molestie",
    ),
}

MANAGER_PHRASES: tuple[str, ...] = (
    # en
    "manager",
    "supervisor",
    "someone in charge",
    "person in charge",
    "your boss",
    "someone higher up",
    "speak to someone senior",
    "escalate this",
    "complaints department",
    "head of customer service",
    # de
    "Vorgesetzte*",
    "Chef sprechen",
    "Geschäftsführer*",
    "Teamleiter*",
    "Beschwerdestelle",
    # fr
    "responsable",
    "superviseur",
    "supérieur hiérarchique",
    "directeur",
    # es
    "gerente",
    "encargado",
    "hablar con un superior",
    "jefe",
    # it
    "responsabile",
    "supervisore",
    "direttore",
    # nl
    "leidinggevende",
    # pt
    "responsável",
)
