"""The gateway refuses unknown `MODELGATE_*` variables, except the ones other programs read.

The CLI, the clients, bench/ and scripts/ read a few `MODELGATE_*` names that are not
settings (`MODELGATE_TARGET`, ...); an operator may have them in the same environment
as the gateway. The list the gateway accepts is kept by hand in the server (it cannot
read the repository at run time), so this test keeps it equal to what the code and
its callers' examples really read: a new name read anywhere fails here until added,
and a name nothing reads any more fails until removed.
"""

from __future__ import annotations

from modelgate.config_sources import READ_BY_OTHER_PROGRAMS
from tests.unit.docs_names import (
    CODE_READS,
    CODE_ROOTS,
    PROGRAM_READ,
    ROOT,
    SKIPPED_DIRS,
    env_problem,
)


def _read_in_callers_docs() -> set[str]:
    """Names the READMEs next to the code read in callers' example programs."""
    names: set[str] = set()
    for root in CODE_ROOTS:
        for path in (ROOT / root).rglob("*.md"):
            if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
                names.update(PROGRAM_READ.findall(path.read_text(errors="ignore")))
    return names


def test_the_accepted_names_are_exactly_the_non_settings_other_programs_read() -> None:
    read = {name for name in CODE_READS | _read_in_callers_docs() if env_problem(name)}
    assert read == READ_BY_OTHER_PROGRAMS, (
        f"read but refused by the gateway: {sorted(read - READ_BY_OTHER_PROGRAMS)}; "
        f"accepted but read nowhere: {sorted(READ_BY_OTHER_PROGRAMS - read)} "
        "(edit READ_BY_OTHER_PROGRAMS in server/modelgate/config_sources.py)"
    )


def test_none_of_them_is_a_setting() -> None:
    assert all(env_problem(name) for name in READ_BY_OTHER_PROGRAMS)
