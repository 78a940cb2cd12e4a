"""Code queries over the coding frame: excerpts coded A and / or / not B, or A within N characters of B.

The result is always a set of excerpts:
- A or B: the excerpts carrying either code;
- A and B: the excerpts carrying A whose text overlaps text coded B (the same excerpt, or another in the
  same interview);
- A and not B: the excerpts carrying A that overlap no text coded B;
- A within N characters of B: the excerpts carrying A with text coded B at most N characters away
  (overlapping counts as 0).
"""

from __future__ import annotations

import pandas as pd

from .models import QueryOperator


def _excerpts_with(frame: pd.DataFrame, code_id: int) -> pd.DataFrame:
    rows = frame[frame["code_id"] == code_id]
    return rows[["excerpt_id", "interview_id", "case_key", "start", "end"]].drop_duplicates("excerpt_id")


def _related(a: pd.DataFrame, b: pd.DataFrame, *, reach: int | None) -> set[int]:
    """The A excerpts with some B excerpt overlapping (reach None) or at most `reach` characters away."""
    pairs = a.merge(b[["interview_id", "start", "end"]], on="interview_id", suffixes=("", "_b"))
    if reach is None:
        close = (pairs["start_b"] < pairs["end"]) & (pairs["start"] < pairs["end_b"])
    else:
        close = (pairs["start_b"] - pairs["end"] <= reach) & (pairs["start"] - pairs["end_b"] <= reach)
    return set(pairs.loc[close, "excerpt_id"].astype("int64"))


def run_code_query(
    frame: pd.DataFrame, *, code_a: int, operator: str, code_b: int, distance: int | None = None
) -> list[int]:
    """The ids of the excerpts the query finds, in reading order (case study, interview, position)."""
    a = _excerpts_with(frame, code_a)
    b = _excerpts_with(frame, code_b)
    if operator == QueryOperator.OR:
        found = pd.concat([a, b]).drop_duplicates("excerpt_id")
    elif operator == QueryOperator.AND:
        found = a[a["excerpt_id"].isin(_related(a, b, reach=None))]
    elif operator == QueryOperator.NOT:
        found = a[~a["excerpt_id"].isin(_related(a, b, reach=None))]
    elif operator == QueryOperator.NEAR:
        if distance is None:
            raise ValueError("A “within N characters” query needs N.")
        found = a[a["excerpt_id"].isin(_related(a, b, reach=distance))]
    else:
        raise ValueError(f"Unknown operator {operator!r}.")
    found = found.sort_values(["case_key", "interview_id", "start", "excerpt_id"])
    return [int(pk) for pk in found["excerpt_id"]]


def describe_query(*, code_a: str, operator: str, code_b: str, distance: int | None = None) -> str:
    if operator == QueryOperator.OR:
        return f"“{code_a}” or “{code_b}”"
    if operator == QueryOperator.AND:
        return f"“{code_a}” and “{code_b}” (overlapping text)"
    if operator == QueryOperator.NOT:
        return f"“{code_a}” and not “{code_b}”"
    return f"“{code_a}” within {distance} character{'' if distance == 1 else 's'} of “{code_b}”"
