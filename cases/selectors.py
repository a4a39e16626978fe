"""Reads of the cases app that need more than one line of ORM."""

from django.core.exceptions import ValidationError
from django.db.models import Q

from cases import identifiers
from cases.models import Identifier
from hotline.crypto import keyed_hash


def identifier_term_filter(term):
    """A filter on Identifier for `term` written any way: for each kind (and platform) of
    identifier that can read it, the keyed hash of what it would be stored as, so that a number
    searched as (555) 123-4567 finds +15551234567 without decrypting anything. Each alternative
    names kind, platform and hash, the columns of identifier_match_idx. None when no kind can
    read the term."""
    term, match = term.strip(), None
    for kind in Identifier.Kind if term else ():
        platforms = Identifier.Platform.values if kind == Identifier.Kind.HANDLE else [""]
        for platform in platforms:
            try:
                normalised = identifiers.normalise(kind, term, platform)
            except ValidationError:
                continue
            alternative = Q(kind=kind, platform=platform, value_hash=keyed_hash(normalised))
            match = alternative if match is None else match | alternative
    return match
