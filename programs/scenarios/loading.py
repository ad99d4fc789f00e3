"""Load SPEC §4 scenario files into the domain model.

How a load behaves (the README's "Scenario files" section says the same for analysts):

* Keys are read in dependency order (nations first, agreements last), whatever their order in
  the file, so a record may refer to anything defined earlier in that order, in this file or
  already in the database.
* A record upserts by its natural key. Fields it states are set (``null`` clears a field); fields
  it omits keep their stored value, and a new record gets the model's default. Provenance is
  always stated: ``source`` defaults to blank and ``confidence`` to ``reported`` when a source is
  given, else ``illustrative``. Nested seats, votes and thresholds inherit their parent's
  provenance unless they state their own.
* Records the file does not mention are left alone, nested ones included: a seat or vote that is
  no longer listed is not deleted (delete it in the admin).
* Every record goes through the model's ``full_clean()``, so the invariants of
  ``programs.models`` are the only rules; checks that need the whole file (a venture's stakes sum
  to 100, an agreement binds two or more nations, unknown keys and fields, references to unknown
  natural keys, the same natural key twice) are added here.
* Any record but a nation (seats and votes included) may state ``releasable_to``, a list of
  nation codes: the nations it is released to (``programs.access``). Stated, the marking is set
  to exactly those nations (``[]`` or ``null`` clears it, back to the default); omitted, the
  stored marking is left alone. An unknown code is an error on the field, and a restricted
  user loading the file must keep their own nation in every marking they set.
* A record is saved only when one of its stored values differs, and a many-to-many set only when
  its members differ, so loading the same file twice writes nothing and leaves no history.
* All files of one call load in one transaction. Every error found is collected, then
  :class:`ScenarioError` rolls the whole call back; each message names the file, the record (key,
  index and natural key) and the field.
"""

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from django.db import transaction

from programs.access import viewer_nation
from programs.scenarios import agreements, governance, money, nations, programmes, transfers
from programs.scenarios.document import KEY_ORDER
from programs.scenarios.results import Counts, FileResult, ScenarioError
from programs.scenarios.scenario_file import ScenarioFile

#: The loader of each key of KEY_ORDER: (the file, its records as (index, mapping)).
LOADERS: dict[str, Callable[[ScenarioFile, list[tuple[int, dict]]], None]] = {
    "nations": nations.load_nations,
    "organisations": nations.load_organisations,
    "ownership_stakes": nations.load_ownership_stakes,
    "programmes": programmes.load_programmes,
    "participations": programmes.load_participations,
    "contributions": money.load_contributions,
    "work_packages": money.load_work_packages,
    "workshare": money.load_workshare,
    "decision_bodies": governance.load_decision_bodies,
    "leadership_roles": governance.load_leadership_roles,
    "decisions": governance.load_decisions,
    "tech_transfers": transfers.load_tech_transfers,
    "agreements": agreements.load_agreements,
}


def load_scenario_files(paths: Sequence[str | Path], *, user=None) -> list[FileResult]:
    """Load scenario files in one transaction; raise ScenarioError (nothing changed) on any error."""
    sources = []
    errors = []
    for path in paths:
        try:
            sources.append((str(path), Path(path).read_bytes()))
        except OSError as exc:
            errors.append(f"{path}: cannot read the file: {exc.strerror or exc}.")
    if errors:
        raise ScenarioError(errors)
    return load_scenario_texts(sources, user=user)


def load_scenario_texts(
    sources: Iterable[tuple[str, bytes | str]], *, user=None, as_seen_by_user: bool = False
) -> list[FileResult]:
    """Load (name, content) pairs as scenario files, all in one transaction.

    ``as_seen_by_user`` applies the files to the data as a restricted ``user`` sees it: a record
    hidden from them is unknown (a reference to it is an error, as for a key that does not
    exist), and a record whose natural key a hidden one holds is added after that hidden one is
    deleted, as if it never existed. Only what-if drafts ask for it, inside a transaction that
    is always rolled back (``programs.whatif``).
    """
    errors: list[str] = []
    loaders = []
    for name, content in sources:
        loader = ScenarioFile(
            name, content.encode() if isinstance(content, str) else content, errors
        )
        if as_seen_by_user:
            loader.keys.seen_by = viewer_nation(user)
        loader.parse()
        loaders.append(loader)
    if errors:
        # Files that are not scenarios fail before the database is touched.
        raise ScenarioError(errors)
    with transaction.atomic():
        for loader in loaders:
            load_file(loader, user)
        if errors:
            raise ScenarioError(errors)
    return [loader.result for loader in loaders]


def load_file(file: ScenarioFile, user) -> None:
    file.user = user
    file.error_count_before = len(file.errors)
    data = file.data
    for key in KEY_ORDER:
        records = data.get(key)
        if records is None:
            continue
        if not isinstance(records, list):
            file.file_error(f"{key}: expected a list of records.")
            continue
        file.result.counts[key] = Counts()
        LOADERS[key](file, file.records(key, records))
    if len(file.errors) == file.error_count_before:
        file.record_load()
