"""Scenario files (SPEC §4): YAML documents that upsert the domain model by natural key.

``loading`` loads a set of files in one transaction (how a load behaves is told there);
``document`` reads a file's YAML and checks its top level; ``scenario_file`` holds one file's
load (its records read in ``records``, their references resolved in ``natural_keys``, the
upsert); one module per kind of record: ``nations`` (nations, organisations, ownership stakes),
``programmes`` (programmes, predecessors, thresholds, participations), ``money`` (contributions,
work packages, workshare), ``governance`` (decision bodies and seats, leadership roles,
decisions and votes), ``transfers`` and ``agreements``; ``results`` says what a load did, or
``ScenarioError`` why it changed nothing.
"""
