"""The traffic generator: deterministic for a seed, a realistic mix, texts that fit."""

from __future__ import annotations

from collections import Counter

from careline.types import Visibility
from careline_demo.people import LANGUAGES, PERSONAS
from careline_demo.traffic import TrafficGenerator, text_length
from careline_facebook.channel import FacebookChannel
from careline_instagram.channel import InstagramChannel
from careline_twitter.channel import TwitterChannel
from hypothesis import given, settings
from hypothesis import strategies as st

SAMPLE = 600
MANIFESTS = {
    "twitter": TwitterChannel.manifest,
    "facebook": FacebookChannel.manifest,
    "instagram": InstagramChannel.manifest,
}


def sample(seed: int = 42, count: int = SAMPLE) -> list:
    return TrafficGenerator(seed).messages(count)


def test_the_same_seed_tells_the_same_story() -> None:
    first, second = sample(7, 200), sample(7, 200)

    assert [(m.persona.key, m.channel, m.kind, m.text) for m in first] == [
        (m.persona.key, m.channel, m.kind, m.text) for m in second
    ]
    assert [m.text for m in sample(8, 200)] != [m.text for m in first]


def test_every_channel_language_and_topic_appears() -> None:
    messages = sample()

    assert {m.channel for m in messages} == {"twitter", "facebook", "instagram"}
    assert {m.language for m in messages} == set(LANGUAGES)
    topics = Counter(m.topic for m in messages if m.special is None)
    assert {"order", "billing", "technical", "account", "praise"} <= set(topics)
    assert max(topics.values()) < 0.5 * sum(topics.values()), "one topic dominates"


def test_public_and_private_messages_are_both_written() -> None:
    kinds = Counter(m.private for m in sample() if m.kind != "follow_up")

    assert kinds[True] > 0.15 * SAMPLE
    assert kinds[False] > 0.3 * SAMPLE


def test_some_public_messages_carry_personal_data_and_private_ones_never_do() -> None:
    messages = sample()
    with_data = [m for m in messages if m.personal_data]

    assert with_data, "no public message with an e-mail or phone number"
    assert all(not m.private for m in with_data)
    for message in with_data:
        persona = message.persona
        values = {"email": persona.email, "phone": persona.phone}
        assert all(values[kind] and values[kind] in message.text for kind in message.personal_data)


def test_the_special_cases_of_the_demo_all_occur() -> None:
    specials = Counter(m.special for m in sample(3, 1500))

    for case in ("thanks", "spam", "retweet", "listening", "legal", "press", "influencer"):
        assert specials[case] > 0, case
    press = [m for m in sample(3, 1500) if m.special == "press"]
    assert all(m.persona.role == "journalist" for m in press)
    influencer = [m for m in sample(3, 1500) if m.special == "influencer"]
    assert all(m.persona.followers >= 10_000 and not m.private for m in influencer)


def test_retweets_and_listening_posts_happen_on_x_without_addressing_the_brand() -> None:
    for message in sample(5, 1000):
        if message.special == "retweet":
            assert message.channel == "twitter" and message.text.startswith("RT @acmecare:")
        if message.special == "listening":
            assert message.channel == "twitter" and "@acmecare" not in message.text
        if message.channel == "twitter" and message.kind == "mention":
            assert message.text.startswith("@acmecare ")


def test_the_same_person_writes_on_two_channels() -> None:
    channels_by_person: dict[str, set[str]] = {}
    for message in sample(11, 2000):
        channels_by_person.setdefault(message.persona.key, set()).add(message.channel)

    assert any(len(channels) >= 2 for channels in channels_by_person.values())
    assert all(
        channels <= set(next(p for p in PERSONAS if p.key == key).channels)
        for key, channels in channels_by_person.items()
    )


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), count=st.integers(1, 40))
def test_generated_texts_are_non_empty_and_fit_the_channel(seed: int, count: int) -> None:
    for message in TrafficGenerator(seed).messages(count):
        assert message.text.strip()
        visibility = Visibility.PRIVATE if message.private else Visibility.PUBLIC
        limit = MANIFESTS[message.channel].max_length.get(visibility)
        assert limit is None or text_length(message.channel, message.text) <= limit


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), speed=st.floats(0.1, 100))
def test_the_pace_is_a_few_seconds_divided_by_the_speed(seed: int, speed: float) -> None:
    generator = TrafficGenerator(seed)
    pauses = [generator.pause(speed).total_seconds() for _ in range(200)]

    assert all(0 <= pause <= 24 / speed + 1e-5 for pause in pauses)
    assert 2 / speed < sum(pauses) / len(pauses) < 6 / speed
