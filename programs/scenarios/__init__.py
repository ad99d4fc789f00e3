"""Scenario files (SPEC §4): YAML documents that upsert the domain model by natural key."""

from programs.scenarios.loader import (
    FORMAT,
    FileResult,
    ScenarioError,
    load_scenario_files,
    load_scenario_texts,
)

__all__ = [
    "FORMAT",
    "FileResult",
    "ScenarioError",
    "load_scenario_files",
    "load_scenario_texts",
]
