"""Votes (SPEC §2): counted votes, the losing side, votes alike and blocs carried together."""

from __future__ import annotations

from collections import defaultdict

from programs.balance.statements import sql_sources, statement_cursor
from programs.models import Decision, DecisionBody, Vote

COUNTED_OUTCOMES = (Decision.Outcome.APPROVED, Decision.Outcome.REJECTED)
COUNTED_POSITIONS = (Vote.Position.FOR, Vote.Position.AGAINST)


def counted_votes(
    programme_id: int, nation_id: int | None = None
) -> tuple[
    dict[int, tuple[int, int]],
    dict[tuple[int, int], tuple[int, int]],
    dict[tuple[int, int], dict[int, int]],
]:
    """The programme's counted votes (for or against, on approved or rejected decisions) read
    once and measured three ways, in one statement:

    * per nation: (counted votes, votes on the losing side);
    * per pair (a id < b id): (decisions where both voted, of which they voted alike);
    * per pair: {third nation id: decisions a and b won voting alike while it voted the other
      way}.
    """
    src = sql_sources(nation_id, Vote, Decision, DecisionBody)
    vote, decision, body = src[Vote], src[Decision], src[DecisionBody]
    sql = f"""
        WITH{src.leading} counted AS (
            SELECT v.decision_id, v.nation_id, v.position, d.outcome
            FROM {vote} v
            JOIN {decision} d ON d.id = v.decision_id
            JOIN {body} b ON b.id = d.body_id
            WHERE b.programme_id = %s AND d.outcome IN (%s, %s) AND v.position IN (%s, %s)
        )
        SELECT 'ballots', nation_id, NULL, CAST(NULL AS BIGINT), COUNT(*),
               SUM(CASE WHEN (position = %s AND outcome = %s) OR (position = %s AND outcome = %s)
                        THEN 1 ELSE 0 END)
        FROM counted GROUP BY nation_id
        UNION ALL
        SELECT 'pair', x.nation_id, y.nation_id, CAST(NULL AS BIGINT), COUNT(*),
               SUM(CASE WHEN x.position = y.position THEN 1 ELSE 0 END)
        FROM counted x
        JOIN counted y ON y.decision_id = x.decision_id AND x.nation_id < y.nation_id
        GROUP BY x.nation_id, y.nation_id
        UNION ALL
        SELECT 'carried', x.nation_id, y.nation_id, z.nation_id, COUNT(*), 0
        FROM counted x
        JOIN counted y ON y.decision_id = x.decision_id AND x.nation_id < y.nation_id
                       AND y.position = x.position
        JOIN counted z ON z.decision_id = x.decision_id AND z.position <> x.position
        WHERE (x.position = %s AND x.outcome = %s) OR (x.position = %s AND x.outcome = %s)
        GROUP BY x.nation_id, y.nation_id, z.nation_id
    """
    FOR, AGAINST = Vote.Position.FOR, Vote.Position.AGAINST
    APPROVED, REJECTED = Decision.Outcome.APPROVED, Decision.Outcome.REJECTED
    params = [
        *src.params,
        programme_id,
        *COUNTED_OUTCOMES,
        *COUNTED_POSITIONS,
        *(FOR, REJECTED, AGAINST, APPROVED),  # on the losing side
        *(FOR, APPROVED, AGAINST, REJECTED),  # carried
    ]
    ballots: dict[int, tuple[int, int]] = {}
    pairs: dict[tuple[int, int], tuple[int, int]] = {}
    carried: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    with statement_cursor() as cursor:
        cursor.execute(sql, params)
        for kind, a, b, c, first, second in cursor.fetchall():
            if kind == "ballots":
                ballots[a] = (int(first), int(second))
            elif kind == "pair":
                pairs[(a, b)] = (int(first), int(second))
            else:
                carried[(a, b)][c] = int(first)
    return ballots, pairs, carried
