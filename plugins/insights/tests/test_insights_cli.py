"""`careline insights analyse`, run in-process against a temporary instance."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def pm(careline_plugin_manager):
    return careline_plugin_manager("careline-insights")


def test_the_command_is_registered_through_the_hook(pm) -> None:
    import click

    group = click.Group()
    pm.hook.careline_register_commands(cli=group)
    assert "analyse" in group.commands["insights"].commands


def test_analyse_explains_topics_and_masks_personal_data(careline_cli, pm) -> None:
    text = "@AcmeHelp charged twice! call me on +44 20 7946 0958. Worst service 😡"
    result = careline_cli("insights", "analyse", text, "--language", "en-GB", pm=pm)
    assert result.exit_code == 0, result.output
    assert "language:      en (platform)" in result.output
    assert "negative" in result.output
    assert "complaint" in result.output and "worst" in result.output
    assert "phone 36–52" in result.output
    assert "call me on [phone]." in result.output
    assert "7946" not in result.output


def test_analyse_json_uses_the_instance_configuration(careline_cli, careline_home, pm) -> None:
    with (careline_home / "careline.toml").open("a", encoding="utf-8") as config:
        config.write("\n[insights.patterns]\norder_number = 'ORD-\\d{6}'\n")
    result = careline_cli("insights", "analyse", "--json", "Where is ORD-123456?", pm=pm)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["personal_data"] == [{"kind": "order_number", "start": 9, "end": 19}]
    assert answer["masked_text"] == "Where is [order_number]?"
    assert answer["language"] == "en" and answer["language_source"] == "detected"
    assert answer["topics"][0]["topic"] == "inquiry"


def test_bad_configuration_is_one_clear_line(careline_cli, careline_home, pm) -> None:
    with (careline_home / "careline.toml").open("a", encoding="utf-8") as config:
        config.write('\n[insights]\nphone_region = "Atlantis"\n')
    result = careline_cli("insights", "analyse", "hello", pm=pm)
    assert result.exit_code != 0
    assert "insights.phone_region" in result.output
    assert "Traceback" not in result.output
