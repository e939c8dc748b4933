"""The fault suite's ledger: every fault case records what was tried and what happened, and the
session prints one summary (cases by category, cases where something was lost, cases whose
message did not name the file). The counts of lost data and of unnamed files must be 0: a case
that records either also fails its test."""
from __future__ import annotations

import collections
import dataclasses
from typing import List, Optional

__all__ = ['FaultCase', 'record', 'CASES', 'summary_lines']


@dataclasses.dataclass
class FaultCase:
    category: str      # 'checkpoint', 'dataset', 'download', 'kill', 'training', ...
    name: str          # what was tried, e.g. 'truncated checkpoint -> tools/test.py'
    lost: bool         # something that existed before (a checkpoint, an output) was lost
    named: Optional[bool]  # the message named the file; None where no file is involved
    message: str = ''


CASES: List[FaultCase] = []


def record(category: str, name: str, *, lost: bool = False, message: str = '',
           expect_name: Optional[str] = None) -> FaultCase:
    """Record one case and assert it is clean.

    Args:
        category: the summary's row.
        name: the case.
        lost: whether anything that existed before the fault was lost or damaged.
        message: the error the user saw.
        expect_name: a file (or folder) name the message must contain; None if none applies.
    """
    named = None if expect_name is None else (str(expect_name) in message)
    case = FaultCase(category, name, bool(lost), named, message)
    CASES.append(case)
    assert not case.lost, f'{category}/{name}: something was lost'
    assert case.named in (None, True), (
        f'{category}/{name}: the message does not name {expect_name!r}:\n{message}')
    return case


def summary_lines() -> List[str]:
    if not CASES:
        return []
    by_cat = collections.Counter(c.category for c in CASES)
    lost = sum(c.lost for c in CASES)
    unnamed = sum(c.named is False for c in CASES)
    lines = ['fault cases tried: ' + str(len(CASES)) + ' (' +
             ', '.join(f'{k} {v}' for k, v in sorted(by_cat.items())) + ')',
             f'fault cases where something was lost: {lost}',
             f'fault cases whose message did not name the file: {unnamed}']
    return lines
