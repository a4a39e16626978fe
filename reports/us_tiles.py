"""A tile grid map of the United States: each state (and DC) one square, placed roughly where
it lies, the layout many newsrooms use for choropleths, because small states stay visible.
Hand-made for Hotline; no third-party geometry. (column, row) per ISO 3166-2 code."""

TILES = {
    "US-AK": (0, 0), "US-ME": (11, 0),
    "US-WI": (6, 1), "US-VT": (10, 1), "US-NH": (11, 1),
    "US-WA": (1, 2), "US-ID": (2, 2), "US-MT": (3, 2), "US-ND": (4, 2), "US-MN": (5, 2),
    "US-IL": (6, 2), "US-MI": (7, 2), "US-NY": (9, 2), "US-MA": (10, 2),
    "US-OR": (1, 3), "US-NV": (2, 3), "US-WY": (3, 3), "US-SD": (4, 3), "US-IA": (5, 3),
    "US-IN": (6, 3), "US-OH": (7, 3), "US-PA": (8, 3), "US-NJ": (9, 3), "US-CT": (10, 3),
    "US-RI": (11, 3),
    "US-CA": (1, 4), "US-UT": (2, 4), "US-CO": (3, 4), "US-NE": (4, 4), "US-MO": (5, 4),
    "US-KY": (6, 4), "US-WV": (7, 4), "US-VA": (8, 4), "US-MD": (9, 4), "US-DE": (10, 4),
    "US-AZ": (2, 5), "US-NM": (3, 5), "US-KS": (4, 5), "US-AR": (5, 5), "US-TN": (6, 5),
    "US-NC": (7, 5), "US-SC": (8, 5), "US-DC": (9, 5),
    "US-OK": (4, 6), "US-LA": (5, 6), "US-MS": (6, 6), "US-AL": (7, 6), "US-GA": (8, 6),
    "US-HI": (0, 7), "US-TX": (4, 7), "US-FL": (9, 7),
}  # fmt: skip
COLUMNS = 12
ROWS = 8
