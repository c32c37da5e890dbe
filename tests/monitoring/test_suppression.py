"""Small-cell suppression: primary, complementary (differences of cells) and linked tables."""

import random

import pytest

from monitoring import tables as t


def _table(rows, *, total_row=True, row_total=None, extra=()):
    columns = [t.Column("label", "Label", t.LABEL), t.Column("a", "A"), t.Column("b", "B")]
    columns += [t.Column(k, k) for k in extra]
    return t.Table(
        key="x", title="X", columns=columns, rows=rows, total_row=total_row, row_total=row_total
    )


def _check_no_disclosure(table: t.Table) -> None:
    """No shown count of 1–4, and no line whose shown total minus shown parts gives < 5 or a
    single hidden cell back."""
    for row in table.rows:
        for column in table.columns:
            value = row.get(column.key)
            if column.kind == t.COUNT and isinstance(value, int):
                assert not 0 < value < t.THRESHOLD, (row, column.key)
    for parts, total in t._lines("x", table):
        cells = [table.rows[i][k] for _tid, i, k in parts]
        total_value = table.rows[total[1]][total[2]]
        hidden = [c for c in cells if c is t.SUPPRESSED]
        if total_value is t.SUPPRESSED:
            assert len(hidden) != 0 or not cells, "a hidden total is the sum of shown parts"
            continue
        if hidden:
            assert len(hidden) >= 2
            assert total_value - sum(c for c in cells if c is not t.SUPPRESSED) >= t.THRESHOLD


def test_primary_and_complementary_in_a_column():
    table = t.suppress(
        _table(
            [
                {"label": "r1", "a": 3, "b": 10},
                {"label": "r2", "a": 20, "b": 10},
                {"label": "r3", "a": 7, "b": 10},
                {"label": "Total", "a": 30, "b": 30},
            ]
        )
    )
    column = [r["a"] for r in table.rows]
    # 3 is hidden; so is the next smallest (7), or the total would give the 3 back.
    assert column == [t.SUPPRESSED, 20, t.SUPPRESSED, 30]
    assert [r["b"] for r in table.rows] == [10, 10, 10, 30]
    _check_no_disclosure(table)


def test_hidden_cells_must_add_up_to_five():
    table = t.suppress(
        _table(
            [
                {"label": "r1", "a": 1, "b": 0},
                {"label": "r2", "a": 1, "b": 0},
                {"label": "r3", "a": 6, "b": 0},
                {"label": "r4", "a": 9, "b": 0},
                {"label": "Total", "a": 17, "b": 0},
            ]
        )
    )
    # 1 + 1 = 2 would be revealed by 17 − 6 − 9: the 6 goes too (2 + 6 ≥ 5).
    assert [r["a"] for r in table.rows] == [t.SUPPRESSED, t.SUPPRESSED, t.SUPPRESSED, 9, 17]
    assert [r["b"] for r in table.rows] == [0, 0, 0, 0, 0]  # zero reveals no one
    _check_no_disclosure(table)


def test_two_way_table_rows_and_columns():
    table = t.suppress(
        _table(
            [
                {"label": "r1", "a": 2, "b": 8, "total": 10},
                {"label": "r2", "a": 9, "b": 12, "total": 21},
                {"label": "r3", "a": 15, "b": 6, "total": 21},
                {"label": "Total", "a": 26, "b": 26, "total": 52},
            ],
            row_total=("total", ("a", "b")),
            extra=("total",),
        )
    )
    assert table.rows[0]["a"] is t.SUPPRESSED
    assert table.rows[0]["b"] is t.SUPPRESSED  # row 1: 10 − 8 would give the 2 back
    _check_no_disclosure(table)


def test_small_total_hides_the_row():
    table = t.suppress(
        _table(
            [
                {"label": "r1", "a": 0, "b": 3},
                {"label": "r2", "a": 0, "b": 1},
                {"label": "T", "a": 0, "b": 4},
            ]
        )
    )
    assert [r["b"] for r in table.rows] == [t.SUPPRESSED] * 3
    _check_no_disclosure(table)


def test_values_follow_their_base():
    columns = [
        t.Column("label", "Label", t.LABEL),
        t.Column("n", "N"),
        t.Column("median", "Median", t.VALUE, base=("n",)),
    ]
    table = t.suppress(
        t.Table(
            key="d",
            title="D",
            columns=columns,
            rows=[
                {"label": "a", "n": 4, "median": 10.0},
                {"label": "b", "n": 0, "median": None},
                {"label": "c", "n": 12, "median": 30.5},
            ],
        )
    )
    assert [r["median"] for r in table.rows] == [t.SUPPRESSED, None, 30.5]


def test_linked_tables_hide_the_same_figure_everywhere():
    detail = _table(
        [
            {"label": "x", "a": 2, "b": 5},
            {"label": "y", "a": 10, "b": 5},
            {"label": "z", "a": 10, "b": 5},
            {"label": "Total", "a": 22, "b": 15},
        ]
    )
    other = _table([{"label": "x", "a": 2, "b": 9}, {"label": "T", "a": 2, "b": 9}])
    # other's first "a" is the same people as detail's first "a"; its total is not shown in
    # detail, but detail's grand total is the sum of the other table and a shown cell.
    links = [([("other", 0, "a")], ("detail", 0, "a"))]
    published = t.suppress_linked({"detail": detail, "other": other}, links)
    assert published["detail"].rows[0]["a"] is t.SUPPRESSED
    assert published["other"].rows[0]["a"] is t.SUPPRESSED
    assert published["other"].rows[1]["a"] is t.SUPPRESSED


def test_random_tables_never_disclose():
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(1, 8)
        rows = []
        for i in range(n):
            a, b = rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 20]), rng.choice([0, 1, 2, 7, 11])
            rows.append({"label": f"r{i}", "a": a, "b": b, "total": a + b})
        rows.append(
            {
                "label": "Total",
                "a": sum(r["a"] for r in rows),
                "b": sum(r["b"] for r in rows),
                "total": sum(r["total"] for r in rows),
            }
        )
        table = t.suppress(_table(rows, row_total=("total", ("a", "b")), extra=("total",)))
        _check_no_disclosure(table)


def test_renderers_show_the_mark_never_the_number():
    table = t.suppress(_table([{"label": "r", "a": 3, "b": 7}, {"label": "T", "a": 3, "b": 7}]))
    csv_text = t.to_csv(table)
    assert "3" not in csv_text
    assert f'"r","{t.SUPPRESSED_MARK}",7' in csv_text  # text quoted, counts as numbers
    data = t.to_json(table)
    assert data["rows"][0]["a"] is None
    assert {"row": 0, "column": "a"} in data["suppressed"]


def test_row_keys_are_codes_that_any_text_cannot_break():
    key = t.row_key(state="screening", outcome="withdrawn", reason="a/b: c%")
    assert key.startswith("state:screening/outcome:withdrawn/reason:")
    assert t.key_dims(key) == {"state": "screening", "outcome": "withdrawn", "reason": "a/b: c%"}
    assert t.key_dims(t.TOTAL) == {}
    rows = [
        {t.ROW_KEY: t.row_key(period="2025-H1", county="hus"), "label": "HUS", "a": 1, "b": 2},
        {t.ROW_KEY: t.row_key(period="2025-H1"), "label": "All", "a": 1, "b": 2},
        {t.ROW_KEY: t.TOTAL, "label": "Total", "a": 1, "b": 2},
    ]
    table = _table(rows)
    assert table.row_index(t.TOTAL) == 2
    assert table.row_index(t.row_key(period="2025-H1")) == 1
    assert table.row_indices(period="2025-H1") == [0, 1]
    assert table.row_indices(county="hus") == [0]
    # The key travels with the row but is no column: no renderer shows it.
    assert "key" not in t.to_json(table)["rows"][0] and "hus" not in t.to_csv(table)


def test_a_table_refuses_two_rows_with_one_key():
    row = {t.ROW_KEY: t.row_key(county="hus"), "label": "HUS", "a": 1, "b": 2}
    with pytest.raises(ValueError, match="same key"):
        _table([row, dict(row)])
    with pytest.raises(ValueError, match="row key"):
        t.Table(key="x", title="X", columns=[t.Column(t.ROW_KEY, "Key", t.LABEL)], rows=[])
