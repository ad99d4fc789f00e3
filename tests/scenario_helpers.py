"""Helpers for the scenario loader's tests: the SPEC §4 example and a census of every table."""

from pathlib import Path

from django.apps import apps

from programs.scenarios.loading import load_scenario_texts

SCENARIOS = Path(__file__).parent / "scenarios"
SPEC_EXAMPLE = (SCENARIOS / "spec_example.yaml").read_text()


def census() -> dict[str, int]:
    """Row counts of every model of the app, historical records and scenario loads included."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_app_config("programs").get_models()
    }


def load(text: str, name: str = "scenarios/demo.yaml", **kwargs):
    """Load one scenario text; return its FileResult."""
    return load_scenario_texts([(name, text)], **kwargs)[0]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)
