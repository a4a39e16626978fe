"""Small-cell suppression for partners, with complementary suppression (docs/statistics.md).

"The table" of a response is everything that one response publishes: its cells (one per
combination of the group keys with a non-zero count), the marginal totals over each grouped
dimension (ALL in that position) and the grand total (ALL everywhere). Those entries are tied
by linear equations: each total equals the sum of the entries it adds up.

1. Primary: every entry from 1 to `below - 1` is withheld.
2. Complementary: no equation may have exactly one withheld entry (it would be the total minus
   the rest); the smallest other non-zero entry of such an equation is withheld too.
3. Audit: no withheld entry may be determined by the equations at all (a value is determined
   when its unit vector lies in the row space of the equations restricted to the withheld
   entries; checked exactly, by Gaussian elimination modulo a large prime). Each determined one
   gets another entry of one of its equations withheld, and steps 2 and 3 repeat until none is.

Zero counts are not withheld: an absent cell is known to be zero.
"""

ALL = "all"
_PRIME = (1 << 61) - 1


def published(cells, width):
    """Cells plus the marginal totals and grand total a response publishes beside them."""
    entries = dict(cells)
    if width == 0:
        return entries
    for key, n in cells.items():
        for position in range(width):
            margin = (*key[:position], ALL, *key[position + 1 :])
            entries[margin] = entries.get(margin, 0) + n
        if width > 1:
            grand = (ALL,) * width
            entries[grand] = entries.get(grand, 0) + n
    return entries


def equations(entries, width):
    """[(total key, [part keys])]: each published total and the entries it adds up."""
    parts = {}
    for key in entries:
        stars = [i for i, value in enumerate(key) if value == ALL]
        if len(stars) == 0:
            for position in range(width):
                margin = (*key[:position], ALL, *key[position + 1 :])
                parts.setdefault(margin, []).append(key)
        if width > 1 and len(stars) == 0:
            parts.setdefault((ALL,) * width, []).append(key)
    return sorted(parts.items(), key=lambda item: repr(item[0]))


def determined(withheld, eqs):
    """The withheld entries whose values the equations pin down."""
    unknowns = sorted(withheld, key=repr)
    index = {key: i for i, key in enumerate(unknowns)}
    rows = []
    for total, parts in eqs:
        row = {}
        for key, coefficient in [(total, _PRIME - 1), *((part, 1) for part in parts)]:
            if key in index:
                row[index[key]] = (row.get(index[key], 0) + coefficient) % _PRIME
        row = {k: v for k, v in row.items() if v}
        if row:
            rows.append(row)
    # Reduced row echelon form over GF(p), rows kept sparse.
    pivots = {}
    for row in rows:
        for column, pivot_row in pivots.items():
            if column in row:
                factor = row[column]
                for k, v in pivot_row.items():
                    row[k] = (row.get(k, 0) - factor * v) % _PRIME
                row = {k: v for k, v in row.items() if v}
        if not row:
            continue
        column = min(row)
        inverse = pow(row[column], _PRIME - 2, _PRIME)
        row = {k: v * inverse % _PRIME for k, v in row.items()}
        for other_column, other in pivots.items():
            if column in other:
                factor = other[column]
                for k, v in row.items():
                    other[k] = (other.get(k, 0) - factor * v) % _PRIME
                pivots[other_column] = {k: v for k, v in other.items() if v}
        pivots[column] = row
    return {unknowns[column] for column, row in pivots.items() if len(row) == 1}


def suppress(cells, width, below):
    """The published entries of `cells` and the set of keys withheld from them."""
    entries = published(cells, width)
    if below <= 1:
        return entries, set()
    withheld = {key for key, n in entries.items() if 0 < n < below}
    eqs = equations(entries, width)

    def add_complement(members, exclude=()):
        candidates = [
            key
            for key in members
            if key not in withheld and key not in exclude and entries.get(key, 0) > 0
        ]
        if not candidates:
            return False
        withheld.add(min(candidates, key=lambda key: (entries[key], repr(key))))
        return True

    while True:
        changed = True
        while changed:
            changed = False
            for total, parts in eqs:
                members = [total, *parts]
                if sum(1 for key in members if key in withheld) == 1:
                    changed |= add_complement(members)
        pinned = determined(withheld, eqs) if withheld else set()
        if not pinned:
            return entries, withheld
        grew = False
        for key in sorted(pinned, key=repr):
            for total, parts in eqs:
                members = [total, *parts]
                if key in members and add_complement(members, exclude=(key,)):
                    grew = True
                    break
        if not grew:
            # Nothing left to withhold beside them: withhold everything.
            withheld |= {key for key, n in entries.items() if n > 0}
            return entries, withheld
