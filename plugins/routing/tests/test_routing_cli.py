"""``careline routing test`` and ``careline routing replay`` (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click
import pytest
from careline import events, hookimpl
from careline.models import Contact, Conversation, Event, Identity, Message
from careline.types import (
    ConversationStatus,
    Direction,
    Enrichment,
    PersonalDataMatch,
    Priority,
    Source,
    Visibility,
)

RULES = """
[routing]
default_queue = "general"

[[routing.rules]]
name = "retweets"
regex = '^RT @'
ignore = "no reply needed"

[[routing.rules]]
name = "angry influencer"
visibility = "public"
sentiment_below = -0.5
followers_at_least = 10000
queue = "senior"
priority = "urgent"
tags = ["pr-risk"]

[[routing.rules]]
name = "billing-de"
language = "de"
topic = ["billing"]
queue = "billing-de"

[[routing.rules]]
name = "vip"
contact = { vip = true }
priority = "high"

[[routing.rules]]
name = "repeat"
repeat_contact = 2
queue = "retention"
"""


@pytest.fixture
def configured(careline_home):
    path = careline_home / "careline.toml"
    path.write_text(path.read_text(encoding="utf-8") + RULES, encoding="utf-8")
    return careline_home


class GermanBillingInsights:
    """A stand-in enrichment plugin: German, angry, about billing, with an IBAN in it."""

    @hookimpl
    def careline_enrich_message(self, message, settings):
        return Enrichment(
            sentiment=-0.7,
            sentiment_label="negative",
            language="de",
            topics=("billing",),
            topic_scores={"billing": 0.9},
            personal_data=(PersonalDataMatch("iban", 0, 4),),
        )


def test_register_commands_adds_the_routing_group(routing_pm):
    cli = click.Group("careline")
    routing_pm.hook.careline_register_commands(cli=cli)
    assert sorted(cli.commands["routing"].commands) == ["replay", "test"]


def test_try_a_message_shows_the_matching_rule_and_why(
    careline_cli, careline_plugin_manager, configured
):
    pm = careline_plugin_manager("careline-routing")
    result = careline_cli(
        "routing", "test", "Third outage this week. Unacceptable.",
        "--channel", "twitter", "--followers", "120000", "--sentiment", "-0.8",
        pm=pm,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "Enrichment: none (no enrichment plugin is loaded)" in lines
    assert "  skip  retweets: regex /^RT @/ not found in the text" in lines
    assert any(
        line.startswith("  MATCH angry influencer: ")
        and "sentiment -0.80 (wanted below -0.5)" in line
        for line in lines
    )
    assert lines[-1] == (
        "Decision: queue senior · priority urgent · tags pr-risk · rule angry influencer"
    )


def test_try_uses_the_loaded_enrichment_plugins_and_prints_json(
    careline_cli, careline_plugin_manager, configured
):
    pm = careline_plugin_manager("careline-routing", GermanBillingInsights())
    result = careline_cli("routing", "test", "Meine Rechnung ist falsch", "--json", pm=pm)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["enrichment"]["language"] == "de"
    assert answer["enrichment"]["personal_data"] == ["iban"]
    assert answer["facts"]["topics"] == ["billing"]
    assert answer["facts"]["personal_data_kinds"] == ["iban"]
    assert [r["rule"] for r in answer["rules"]] == ["retweets", "angry influencer", "billing-de"]
    assert answer["rules"][1] == {
        "rule": "angry influencer",
        "matched": False,
        "explanation": "followers unknown (wanted at least 10,000)",
    }
    assert answer["decision"]["queue"] == "billing-de"
    assert answer["decision"]["rule"] == "billing-de"


def test_try_with_contact_and_history_options(careline_cli, careline_plugin_manager, configured):
    pm = careline_plugin_manager("careline-routing")
    vip = careline_cli("routing", "test", "hi", "--contact", "vip=true", "--json", pm=pm)
    assert json.loads(vip.stdout)["decision"]["priority"] == "high"
    repeat = careline_cli("routing", "test", "again?", "--previous", "2", "--json", pm=pm)
    assert json.loads(repeat.stdout)["decision"]["queue"] == "retention"
    earned = careline_cli("routing", "test", "nice shoes", "--source", "earned", pm=pm)
    assert earned.stdout.splitlines()[-1] == "Decision: queue listening · rule earned_queue"


def test_try_fails_with_one_clear_line_on_a_bad_rule(
    careline_cli, careline_plugin_manager, careline_home
):
    path = careline_home / "careline.toml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + '\n[[routing.rules]]\nname = "x"\nsentiment_below = 3\nqueue = "q"\n',
        encoding="utf-8",
    )
    result = careline_cli("routing", "test", "hi", pm=careline_plugin_manager("careline-routing"))
    assert result.exit_code != 0
    assert result.output.strip().endswith(
        "careline.toml: routing.rules[0].sentiment_below: must be a number between -1 and 1 "
        "(rule 'x')"
    )


# --- replay on a real database ------------------------------------------------------------------
JAN = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def store(
    session,
    contact: Contact,
    text: str,
    at: datetime,
    *,
    queue: str | None = "general",
    priority: Priority = Priority.NORMAL,
    source: Source = Source.OWNED,
    language: str | None = None,
    sentiment: float | None = None,
    topics: tuple[str, ...] = (),
    routed: dict | None = None,
    status: ConversationStatus = ConversationStatus.OPEN,
) -> Conversation:
    conversation = Conversation(
        channel="twitter",
        account="brand",
        thread_key=f"t-{text[:20]}-{at.isoformat()}",
        visibility=Visibility.PUBLIC,
        source=source,
        status=status,
        priority=priority,
        queue=queue,
        contact_id=contact.id,
        language=language,
        sentiment=sentiment,
        topic=topics[0] if topics else None,
        created_at=at,
        updated_at=at,
        last_inbound_at=at,
    )
    session.add(conversation)
    session.flush()
    # the brand's reply comes first in id order but later in time: "first inbound" is by time
    session.add(
        Message(
            conversation_id=conversation.id,
            channel="twitter",
            account="brand",
            external_id=f"out-{conversation.id}",
            direction=Direction.OUTBOUND,
            visibility=Visibility.PUBLIC,
            text="We're on it!",
            created_at=at + timedelta(minutes=5),
        )
    )
    session.add(
        Message(
            conversation_id=conversation.id,
            channel="twitter",
            account="brand",
            external_id=f"in-{conversation.id}",
            direction=Direction.INBOUND,
            visibility=Visibility.PUBLIC,
            text=text,
            created_at=at,
            language=language,
            sentiment=sentiment,
            topics=list(topics),
        )
    )
    if routed is not None:
        session.add(Event(conversation_id=conversation.id, type=events.ROUTED, at=at, data=routed))
    session.flush()
    return conversation


@pytest.fixture
def history(careline_db):
    """Two weeks of January: what routing did then, before the current rules existed."""
    with careline_db.session() as session:
        ann, bea, vip, kim, lou = (Contact(name=n) for n in ("Ann", "Bea", "Vip", "Kim", "Lou"))
        vip.attributes = {"vip": True}
        session.add_all([ann, bea, vip, kim, lou])
        session.flush()
        session.add(
            Identity(contact_id=ann.id, channel="twitter", external_id="ann", followers=120_000)
        )
        session.add(Identity(contact_id=bea.id, channel="twitter", external_id="bea", followers=3))
        stored = {
            "retweet": store(session, bea, "RT @brand: winter sale!", JAN, routed={"queue": "general", "priority": "normal"}),
            "german": store(session, bea, "Meine Rechnung ist doppelt", JAN + timedelta(hours=1), language="de", topics=("billing",)),
            "angry": store(session, ann, "Third outage this week!!", JAN + timedelta(hours=2), sentiment=-0.8, routed={"queue": "general", "priority": "normal"}, priority=Priority.HIGH),
            "parcel": store(session, lou, "Where is my parcel?", JAN + timedelta(hours=3)),
            "earned": store(session, lou, "their shoes are great", JAN + timedelta(hours=4), source=Source.EARNED, queue="listening"),
            "vip": store(session, vip, "Can you call me?", JAN + timedelta(hours=5)),
            "too_old": store(session, ann, "RT @brand: old news", JAN - timedelta(days=20)),
            # Kim wrote twice before the window: the third conversation is a repeat contact
            "kim_1": store(session, kim, "hello?", JAN - timedelta(days=8)),
            "kim_2": store(session, kim, "hello again?", JAN - timedelta(days=7)),
            "kim_3": store(session, kim, "still waiting", JAN + timedelta(days=1)),
        }  # fmt: skip
        # a conversation the brand started has no customer message: not replayed
        session.add(
            Conversation(
                channel="twitter",
                account="brand",
                thread_key="outbound-only",
                visibility=Visibility.PUBLIC,
                contact_id=kim.id,
                created_at=JAN,
                updated_at=JAN,
            )
        )
    return {name: conversation.id for name, conversation in stored.items()}


def test_replay_compares_the_current_rules_with_what_happened(
    careline_cli, careline_plugin_manager, careline_database_url, configured, history
):
    pm = careline_plugin_manager("careline-routing")
    result = careline_cli(
        "routing", "replay", "--since", "2026-01-05", "--until", "2026-01-20",
        "--limit-examples", "3", "--json",
        env={"CARELINE_DATABASE_URL": careline_database_url},
        pm=pm,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["conversations"] == 7
    # retweet → ignored; German billing → billing-de; angry influencer → senior/urgent;
    # VIP → high; Kim's third conversation → retention. Parcel and earned stay.
    assert report["changed"] == 5
    assert report["queues"] == {
        "billing-de": {"before": 0, "after": 1},
        "general": {"before": 6, "after": 3},
        "listening": {"before": 1, "after": 1},
        "retention": {"before": 0, "after": 1},
        "senior": {"before": 0, "after": 1},
    }
    # "angry" was raised to high by hand later, but routing had said normal: before = normal
    assert report["priorities"] == {
        "high": {"before": 0, "after": 1},
        "normal": {"before": 7, "after": 5},
        "urgent": {"before": 0, "after": 1},
    }
    assert report["ignored"] == {"before": 0, "after": 1}
    assert report["rules"]["retweets"] == 1
    assert report["rules"]["earned_queue"] == 1
    examples = report["examples"]
    assert [e["conversation_id"] for e in examples] == [
        history["retweet"],
        history["german"],
        history["angry"],
    ]
    assert examples[0]["after"] == {"queue": "general", "priority": "normal", "ignored": True}
    assert examples[1]["before"]["queue"] == "general"
    assert examples[1]["after"]["queue"] == "billing-de"
    assert examples[2]["rule"] == "angry influencer"


def test_replay_text_report(
    careline_cli, careline_plugin_manager, careline_database_url, configured, history
):
    pm = careline_plugin_manager("careline-routing")
    result = careline_cli(
        "routing", "replay", "--since", "2026-01-05", "--until", "2026-01-20",
        env={"CARELINE_DATABASE_URL": careline_database_url},
        pm=pm,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Replayed 7 conversations started 2026-01-05 00:00 – 2026-01-20 00:00 UTC." in text
    assert "5 would be routed differently (71.4%)." in text
    assert "No reply needed (ignored): 0 → 1" in text
    assert "Conversations that would move:" in text
    assert f"  #{history['german']} 2026-01-10 13:00 twitter 'Meine Rechnung ist doppelt': " in text
    assert "general/normal → billing-de/normal (rule billing-de)" in text


def test_replay_rejects_an_empty_window(careline_cli, careline_plugin_manager, configured):
    pm = careline_plugin_manager("careline-routing")
    result = careline_cli("routing", "replay", "--since", "7d", "--until", "30d", pm=pm)
    assert result.exit_code != 0
    assert "must be later than --since" in result.output
    bad = careline_cli("routing", "replay", "--since", "last month", pm=pm)
    assert bad.exit_code != 0
    assert "not a time: 'last month'" in bad.output
