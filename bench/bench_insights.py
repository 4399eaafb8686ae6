"""Benchmark: careline-insights enrichment throughput on real customer-care texts.

``run()`` returns one row per measurement; ``python bench/bench_insights.py`` prints them, and
``--compare-languages`` also compares py3langid with lingua (when installed) on the labelled
short texts of the plugin's tests.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import cycle, islice
from pathlib import Path
from typing import Any

from careline.config import Settings
from careline.plugins import get_plugin_manager
from careline.types import Author, InboundMessage, Visibility

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "twitter-customer-care"
LANGUAGE_SAMPLES = ROOT / "plugins" / "insights" / "tests" / "language_samples.json"
TARGET = "≥ 5000 messages/s with the platform's language"


def real_texts() -> list[str] | None:
    """The customers' turns of the shared care conversations, in file order."""
    if not DATA.is_dir():
        return None
    texts: list[str] = []
    for name in ("dev.json", "test.json"):
        for dialog in json.loads((DATA / name).read_text(encoding="utf-8")):
            texts.extend(turn["message"] for turn in dialog["dialogContent"] if "agent" not in turn)
    return texts


def generated_texts(count: int = 1200) -> list[str]:
    """Care-like texts built from fixed parts, for checkouts without shared/data."""
    openings = ["@AcmeHelp", "@AcmeCares hi,", "Hey @Acme", "@AcmeSupport"]
    bodies = [
        "my order #{n} still hasn't arrived, tracking says delivered",
        "I was charged twice this month, please refund me",
        "the app keeps crashing since the update on my phone",
        "I can't log in to my account, password reset never comes",
        "worst service ever, waited {n} minutes on the phone",
        "thanks so much for sorting this out so quickly!",
        "is the store on Main Street open on Sunday?",
        "email me at customer{n}@example.com or call +44 20 7946 0958",
    ]
    parts = zip(cycle(openings), cycle(bodies), strict=False)
    return [f"{o} {b.format(n=i)}" for i, (o, b) in enumerate(islice(parts, count))]


def _messages(texts: list[str], language: str | None) -> list[InboundMessage]:
    created = datetime(2020, 4, 1, tzinfo=UTC)
    return [
        InboundMessage(
            channel="twitter",
            account="brand",
            external_id=str(number),
            text=text,
            author=Author(external_id="customer"),
            created_at=created,
            visibility=Visibility.PUBLIC,
            language=language,
        )
        for number, text in enumerate(texts)
    ]


def _throughput(messages: list[InboundMessage], rounds: int) -> tuple[float, float]:
    """Messages per second of wall-clock time and of this process's CPU time (best rounds)."""
    pm = get_plugin_manager(environ={"CARELINE_LOAD_PLUGINS": "careline-insights"}, strict=True)
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home))
        pm.hook.careline_startup(settings=settings)
        # The first call loads the language model; a warm instance is what the worker runs.
        pm.hook.careline_enrich_message(message=messages[0], settings=settings)
        best_wall = best_cpu = float("inf")
        for _ in range(rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            for message in messages:
                pm.hook.careline_enrich_message(message=message, settings=settings)
            best_wall = min(best_wall, time.perf_counter() - wall)
            best_cpu = min(best_cpu, time.process_time() - cpu)
    return len(messages) / best_wall, len(messages) / max(best_cpu, 1e-9)


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Enrichment throughput through the hook, with and without the platform's language."""
    texts = real_texts()
    source = "real care tweets" if texts else "generated care texts (shared/data missing)"
    texts = texts or generated_texts()
    if quick:
        texts = texts[:300]
    rounds = 1 if quick else 3
    rows = []
    for language, label in (("en", "platform language"), (None, "language detected")):
        value, per_cpu_second = _throughput(_messages(texts, language), rounds)
        rows.append(
            {
                "benchmark": f"insights enrichment ({label})",
                "value": round(value, 1),
                "unit": "messages/s",
                "target": TARGET if language else "none (detection adds py3langid)",
                "note": f"{len(texts)} {source}, best of {rounds}, one process, via the hook, "
                f"{per_cpu_second:,.0f} per CPU-second, load average {os.getloadavg()[0]:.1f}",
            }
        )
    return rows


def compare_language_detectors() -> list[dict[str, Any]]:
    """py3langid vs lingua on the labelled short texts, both restricted to the eight default
    languages; the texts in other languages should stay undetermined."""
    from careline_insights.config import DEFAULT_LANGUAGES
    from careline_insights.language import LanguageDetector

    samples = json.loads(LANGUAGE_SAMPLES.read_text(encoding="utf-8"))
    languages = sorted(DEFAULT_LANGUAGES)
    texts = [sample["text"] for sample in samples]
    expected = [sample["language"] for sample in samples]
    listed = [language in languages for language in expected]
    rows = []

    def row(name: str, answers: list[str | None], seconds: float, load: float) -> None:
        pairs = [(a, e) for a, e, inside in zip(answers, expected, listed, strict=True) if inside]
        right = sum(1 for a, e in pairs if a == e)
        wrong = sum(1 for a, e in pairs if a and a != e)
        forced = sum(1 for a, inside in zip(answers, listed, strict=True) if a and not inside)
        rows.append(
            {
                "benchmark": f"language detection: {name}",
                "value": round(len(texts) / seconds, 1),
                "unit": "messages/s",
                "target": "accuracy first, then speed",
                "note": f"{right}/{len(pairs)} right, {wrong} wrong, "
                f"{len(pairs) - right - wrong} undetermined; "
                f"{forced}/{len(texts) - len(pairs)} unlisted-language texts given a listed "
                f"language; model load {load:.2f}s",
            }
        )

    def timed(detect: Any) -> tuple[list[Any], float]:
        started = time.perf_counter()
        results = [detect(text) for text in texts * 10]
        return results[: len(texts)], (time.perf_counter() - started) / 10

    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    started = time.perf_counter()
    LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    load = time.perf_counter() - started
    variants = {
        "py3langid, as configured by default (min 0.5, unlisted 0.7)": (0.5, 0.7),
        "py3langid, restricted only (min 0.5)": (0.5, 1.0),
        "py3langid, restricted only (min 0)": (0.0, 1.0),
    }
    for name, (floor, unlisted) in variants.items():
        detector = LanguageDetector(languages, min_confidence=floor, unlisted_confidence=unlisted)
        detector.detect("warm up the model")
        found, seconds = timed(detector.detect)
        row(name, [answer.language if answer else None for answer in found], seconds, load)
    try:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
    except ImportError:
        return rows
    codes = {
        code: Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in languages
    }
    names = {language: code for code, language in codes.items()}
    for mode in ("high accuracy", "low accuracy"):
        started = time.perf_counter()
        builder = LanguageDetectorBuilder.from_languages(*codes.values())
        if mode == "low accuracy":
            builder = builder.with_low_accuracy_mode()
        lingua = builder.build()
        lingua.detect_language_of("warm up the model")
        load = time.perf_counter() - started
        results, seconds = timed(lingua.detect_language_of)
        row(f"lingua, restricted ({mode})", [names.get(r) for r in results], seconds, load)
    return rows


def main(argv: list[str]) -> None:
    """Print the rows (``--quick`` for a short run, ``--compare-languages`` for detectors)."""
    rows = run(quick="--quick" in argv)
    if "--compare-languages" in argv:
        rows += compare_language_detectors()
    for row in rows:
        print(
            f"{row['benchmark']}: {row['value']:,.1f} {row['unit']} (target {row['target']}; {row['note']})"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
