"""Property: no value withheld from a partner can be worked out from the other entries the same
response publishes (its cells, marginal totals and grand total), by any linear combination of
the equations that tie them: checked with exact rational arithmetic, independently of the
modular elimination the suppression itself uses."""

import itertools
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.suppression import ALL, equations, published, suppress

BELOW = 11


@st.composite
def tables(draw):
    width = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 5 if width < 3 else 3)) for _ in range(width)]
    cells = {}
    for key in itertools.product(*(range(size) for size in sizes)):
        n = draw(st.sampled_from([0, 0, 1, 2, 5, 9, 10, 11, 12, 30, 250]))
        if n:
            cells[key] = n
    return cells, width


def rank(rows):
    rows = [list(row) for row in rows]
    r = 0
    columns = len(rows[0]) if rows else 0
    for c in range(columns):
        pivot = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                factor = rows[i][c] / rows[r][c]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[r], strict=True)]
        r += 1
    return r


def derivable(entries, withheld, width):
    """Withheld entries whose value the published equations determine."""
    unknowns = sorted(withheld, key=repr)
    index = {key: i for i, key in enumerate(unknowns)}
    matrix = []
    for total, parts in equations(entries, width):
        row = [Fraction(0)] * len(unknowns)
        for key, coefficient in [(total, -1), *((part, 1) for part in parts)]:
            if key in index:
                row[index[key]] += coefficient
        if any(row):
            matrix.append(row)
    base = rank(matrix)
    found = []
    for key, i in index.items():
        unit = [Fraction(0)] * len(unknowns)
        unit[i] = Fraction(1)
        if rank([*matrix, unit]) == base:
            found.append(key)
    return found


@settings(max_examples=300, deadline=None, database=None)
@given(tables())
def test_no_withheld_value_can_be_derived_from_the_published_ones(table):
    cells, width = table
    entries, withheld = suppress(cells, width, BELOW)
    assert entries == published(cells, width)
    # Every small count is withheld...
    assert {key for key, n in entries.items() if 0 < n < BELOW} <= withheld
    # ...no total-and-parts equation leaves exactly one of them to subtract...
    for total, parts in equations(entries, width):
        assert sum(key in withheld for key in [total, *parts]) != 1
    # ...and no combination of the equations pins one down.
    assert derivable(entries, withheld, width) == []


def test_a_lone_small_cell_in_a_row_takes_the_next_smallest_with_it():
    cells = {("a", "x"): 3, ("a", "y"): 40, ("a", "z"): 25, ("b", "x"): 50, ("b", "y"): 60}
    entries, withheld = suppress(cells, 2, BELOW)
    assert ("a", "x") in withheld
    assert ("a", "z") in withheld  # the smallest other cell of row a
    assert derivable(entries, withheld, 2) == []


def test_staff_tables_are_not_suppressed():
    cells = {("a",): 3, ("b",): 40}
    assert suppress(cells, 1, 0)[1] == set()


def test_a_table_of_one_small_cell_withholds_the_total_too():
    _entries, withheld = suppress({("a",): 4}, 1, BELOW)
    assert withheld == {("a",), (ALL,)}
