"""Cross-case linking: matching, link suggestions and clusters (docs/linking.md).

Matching (`match_identifier`, `match_party`, `match_venue`, run by the task
cases.tasks.match_record and the sweep cases.tasks.match_sweep) only ever adds suggestions, and
adds each at most once: a suggestion is unique per pair of cases, kind, detail and match key, so
running it twice, or again after a supervisor decided, changes nothing.

- Identifiers match when they are equal after normalisation: the query compares the keyed hash
  (`value_hash`) and never reads an encrypted column.
- Names of people in perpetrator roles and names of venues match when rapidfuzz finds them close
  enough (HOTLINE_MATCH_THRESHOLD). Names are encrypted at rest, so they are compared in Python,
  only against candidates sharing a blocking key (MatchKey: the keyed hash of a word's first
  three letters) and at most CANDIDATES_MAX of them.

The writes a supervisor makes (`link_confirm`, `link_dismiss`, `cluster_rename`) follow the
services' rules: keyword-only, atomic, timeline events and audit rows in the same transaction.
"""

import datetime
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from rapidfuzz import fuzz

from cases import events
from cases.models import (
    Case,
    CaseEvent,
    Cluster,
    ClusterMembership,
    Identifier,
    LinkSuggestion,
    MatchKey,
    Party,
    SweepWatermark,
    Venue,
)
from cases.services import event_record
from hotline.access import PERPETRATOR_ROLES
from hotline.audit import audit_record
from hotline.crypto import keyed_hash
from hotline.models import AuditAction

# The most names one new name is compared with. Candidates share a blocking key; the newest
# are taken first, as an operation's cases tend to be recent.
CANDIDATES_MAX = 300
BLOCK_PREFIX = 3
# The sweep re-reads the events of the last SETTLE_MINUTES each time, so that an event whose
# transaction committed after a later one was swept is not skipped.
SETTLE_MINUTES = 10
SWEEP_BATCH = 500
MATCHED_EVENT_KINDS = {
    CaseEvent.Kind.IDENTIFIER_ADDED: ("identifier", "identifier"),
    CaseEvent.Kind.IDENTIFIER_UPDATED: ("identifier", "identifier"),
    CaseEvent.Kind.PARTY_ADDED: ("party", "party"),
    CaseEvent.Kind.PARTY_UPDATED: ("party", "party"),
    CaseEvent.Kind.VENUE_ADDED: ("venue", "venue"),
    CaseEvent.Kind.VENUE_UPDATED: ("venue", "venue"),
}


# --- Matching ---------------------------------------------------------------------------------


def _suggest(*, case_1, case_2, kind, detail, match_key_of, score, records=None):
    """The suggestion for this pair and this match, created if new. `match_key_of(first_is_1)`
    gives the key given which of the two comes first; `records`: {"identifier": (r1, r2), ...}.
    Returns (suggestion, created)."""
    if case_1 == case_2:
        return None, False
    first_is_1 = case_1 < case_2
    case_a, case_b = (case_1, case_2) if first_is_1 else (case_2, case_1)
    defaults = {"score": round(min(max(score, 0.0), 1.0), 4)}
    for name, (one, two) in (records or {}).items():
        a, b = (one, two) if first_is_1 else (two, one)
        defaults[f"{name}_a_id"], defaults[f"{name}_b_id"] = a, b
    return LinkSuggestion.objects.get_or_create(
        case_a_id=case_a,
        case_b_id=case_b,
        kind=kind,
        detail=detail,
        match_key=match_key_of(first_is_1),
        defaults=defaults,
    )


def _same_cluster(case_1, case_2):
    clusters = dict(
        ClusterMembership.objects.filter(case__in=[case_1, case_2]).values_list(
            "case_id", "cluster_id"
        )
    )
    return len(clusters) == 2 and clusters[case_1] == clusters[case_2]


def _matching_sql():
    """One statement: the identifier, joined to every other identifier of another case with the
    same kind, platform and keyed hash (identifier_match_idx), with both cases' clusters. Written
    out once rather than built by the ORM for every match: compiling the equivalent queryset cost
    several times the query itself (docs/benchmarks.md)."""
    q = connection.ops.quote_name
    identifier, membership = q(Identifier._meta.db_table), q(ClusterMembership._meta.db_table)
    kind, platform, value_hash, case = q("kind"), q("platform"), q("value_hash"), q("case_id")
    return (
        f"SELECT o.{q('id')}, o.{case}, o.{kind}, o.{platform}, o.{value_hash}, n.{case}, "
        f"(SELECT m.{q('cluster_id')} FROM {membership} m WHERE m.{case} = o.{case}), "
        f"(SELECT m.{q('cluster_id')} FROM {membership} m WHERE m.{case} = n.{case}) "
        f"FROM {identifier} n JOIN {identifier} o ON o.{kind} = n.{kind} "
        f"AND o.{platform} = n.{platform} AND o.{value_hash} = n.{value_hash} "
        f"WHERE n.{q('id')} = %s AND n.{case} IS NOT NULL AND o.{case} IS NOT NULL "
        f"AND o.{case} <> n.{case} ORDER BY o.{q('id')}"
    )


def match_identifier(identifier_id):
    """Suggest a link between the identifier's case and every other case holding the same
    normalised value. An identifier only on a tip is matched once the tip is linked to a case
    (the tip's page already shows the cases holding its identifiers). Returns the suggestions
    proposed (one that exists already is left as it is, whatever its state).

    One query finds the matches (comparing kind, platform and the keyed hash, never reading an
    encrypted column); when there are any, one INSERT adds the suggestions that do not exist."""
    with connection.cursor() as cursor:
        cursor.execute(_matching_sql(), [identifier_id])
        rows = cursor.fetchall()
    wanted = {}
    for other_pk, other_case, kind, platform, value_hash, own_case, other_cl, own_cl in rows:
        if own_cl is not None and other_cl == own_cl:
            continue
        first_is_own = own_case < other_case
        pair = (own_case, other_case) if first_is_own else (other_case, own_case)
        if pair in wanted:
            continue
        ids = (identifier_id, other_pk) if first_is_own else (other_pk, identifier_id)
        wanted[pair] = LinkSuggestion(
            case_a_id=pair[0],
            case_b_id=pair[1],
            kind=LinkSuggestion.Kind.IDENTIFIER,
            detail=kind + (f"/{platform}" if platform else ""),
            match_key=value_hash,
            identifier_a_id=ids[0],
            identifier_b_id=ids[1],
            score=1.0,
        )
    # The unique constraint keeps the suggestion that exists (open, confirmed or dismissed),
    # and the first of two runs at once.
    proposed = list(wanted.values())
    LinkSuggestion.objects.bulk_create(proposed, ignore_conflicts=True)
    return proposed


def name_plain(text):
    """A name as compared: without accents, case or punctuation."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def name_variants(name, aliases=""):
    """The name and each alias (aliases separated by commas or semicolons), as compared."""
    variants = []
    for part in [name or "", *re.split(r"[;,]", aliases or "")]:
        plain = name_plain(part)
        if plain and plain not in variants:
            variants.append(plain)
    return variants


def block_keys(variants, domain):
    """The keyed hashes of the first letters of every word of two letters or more."""
    prefixes = {
        word[:BLOCK_PREFIX] for variant in variants for word in variant.split() if len(word) >= 2
    }
    return {keyed_hash(f"{domain}:{prefix}") for prefix in prefixes}


def name_score(variants_1, variants_2):
    """The best token-sort ratio between any two variants, from 0 to 1."""
    best = 0.0
    for one in variants_1:
        for two in variants_2:
            best = max(best, fuzz.token_sort_ratio(one, two))
    return best / 100


def _store_keys(owner_field, owner, keys):
    MatchKey.objects.filter(**{owner_field: owner}).exclude(key_hash__in=keys).delete()
    MatchKey.objects.bulk_create(
        [MatchKey(**{owner_field: owner}, key_hash=key) for key in keys], ignore_conflicts=True
    )


def _threshold():
    return settings.HOTLINE_MATCH_THRESHOLD / 100


def match_party(party_id):
    """Suggest links to the cases holding a person or organisation in a perpetrator role
    whose name (or an alias) is close to this one's."""
    party = Party.objects.filter(pk=party_id).first()
    if party is None:
        return []
    variants = name_variants(party.name, party.aliases)
    keys = block_keys(variants, "party") if party.role in PERPETRATOR_ROLES else set()
    _store_keys("party", party, keys)
    if not keys:
        return []
    candidates = (
        Party.objects.filter(
            pk__in=MatchKey.objects.filter(key_hash__in=keys, party__isnull=False).values("party"),
            role__in=sorted(PERPETRATOR_ROLES),
            kind=party.kind,
        )
        .exclude(case_id=party.case_id)
        .only("pk", "case_id", "name", "aliases", "role")
        .order_by("-pk")[:CANDIDATES_MAX]
    )
    created = []
    for other in candidates:
        score = name_score(variants, name_variants(other.name, other.aliases))
        if score < _threshold() or _same_cluster(party.case_id, other.case_id):
            continue
        suggestion, new = _suggest(
            case_1=party.case_id,
            case_2=other.case_id,
            kind=LinkSuggestion.Kind.PARTY_NAME,
            detail=party.kind,
            match_key_of=lambda first, one=party.pk, two=other.pk: (
                f"party:{one}:{two}" if first else f"party:{two}:{one}"
            ),
            score=score,
            records={"party": (party.pk, other.pk)},
        )
        if new:
            created.append(suggestion)
    return created


def match_venue(venue_id):
    """Suggest links to the cases with a venue whose name is close to this one's."""
    venue = Venue.objects.filter(pk=venue_id).first()
    if venue is None:
        return []
    variants = name_variants(venue.name)
    keys = block_keys(variants, "venue")
    _store_keys("venue", venue, keys)
    if not keys:
        return []
    candidates = (
        Venue.objects.filter(
            pk__in=MatchKey.objects.filter(key_hash__in=keys, venue__isnull=False).values("venue")
        )
        .exclude(case_id=venue.case_id)
        .only("pk", "case_id", "name")
        .order_by("-pk")[:CANDIDATES_MAX]
    )
    created = []
    for other in candidates:
        score = name_score(variants, name_variants(other.name))
        if score < _threshold() or _same_cluster(venue.case_id, other.case_id):
            continue
        suggestion, new = _suggest(
            case_1=venue.case_id,
            case_2=other.case_id,
            kind=LinkSuggestion.Kind.VENUE_NAME,
            detail="venue",
            match_key_of=lambda first, one=venue.pk, two=other.pk: (
                f"venue:{one}:{two}" if first else f"venue:{two}:{one}"
            ),
            score=score,
            records={"venue": (venue.pk, other.pk)},
        )
        if new:
            created.append(suggestion)
    return created


MATCHERS = {"identifier": match_identifier, "party": match_party, "venue": match_venue}


def match(kind, record_id):
    """Match one record; an unknown kind is refused, a record since deleted matches nothing."""
    if kind not in MATCHERS:
        raise ValueError(f"Nothing to match for {kind!r}.")
    with transaction.atomic():
        return MATCHERS[kind](record_id)


def match_since_watermark(*, name="match", batch=SWEEP_BATCH, on_record=None):
    """Match every identifier, party and venue whose event is past the watermark: what
    reached the database by a path that enqueued nothing, or while the broker was down.
    Returns how many records were matched. `on_record(kind, id)` is called for each (the
    forwarding rules use it)."""
    watermark, _ = SweepWatermark.objects.get_or_create(name=name)
    settled_before = timezone.now() - datetime.timedelta(minutes=SETTLE_MINUTES)
    position, settled, matched = watermark.position, watermark.position, 0
    while True:
        rows = list(
            CaseEvent.objects.filter(
                pk__gt=position,
                kind__in=[*MATCHED_EVENT_KINDS, CaseEvent.Kind.IDENTITIES_ERASED],
            )
            .order_by("pk")
            .values_list("pk", "kind", "case_id", "data", "at")[:batch]
        )
        for pk, kind, case_id, data, at in rows:
            record_kind, key = MATCHED_EVENT_KINDS.get(kind, (None, None))
            if kind == CaseEvent.Kind.IDENTITIES_ERASED:
                with transaction.atomic():
                    forget_erased(case_id)
            elif data.get(key) is not None:
                match(record_kind, data[key])
                if on_record is not None:
                    on_record(record_kind, data[key])
                matched += 1
            # The watermark moves only past events old enough that every transaction before
            # them has committed; newer ones are read again next time.
            if at < settled_before and settled == position:
                settled = pk
            position = pk
        if len(rows) < batch:
            break
    SweepWatermark.objects.filter(pk=watermark.pk, position__lt=settled).update(position=settled)
    return matched


def forget_erased(case_id):
    """After the retention policy erased a case's identities (cases/retention.py): drop the
    blocking keys of its names, and the keyed hash of each erased identifier from the
    suggestions that named it. The suggestions stay (and their decisions); an erased value
    cannot be matched again, so nothing needs its hash to stay dismissed."""
    MatchKey.objects.filter(party__case=case_id).delete()
    MatchKey.objects.filter(venue__case=case_id).delete()
    erased = LinkSuggestion.objects.filter(
        Q(case_a=case_id) | Q(case_b=case_id),
        Q(identifier_a__isnull=True) | Q(identifier_b__isnull=True),
        kind=LinkSuggestion.Kind.IDENTIFIER,
    ).exclude(match_key__startswith="erased:")
    for pk in erased.values_list("pk", flat=True):
        LinkSuggestion.objects.filter(pk=pk).update(match_key=f"erased:{pk}")


# --- Decisions --------------------------------------------------------------------------------


def _decide(suggestion, actor, state):
    suggestion = LinkSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.state != LinkSuggestion.State.OPEN:
        state = suggestion.get_state_display().lower()
        raise ValidationError(
            {"suggestion": f"This suggestion was already {state}."}, code="decided"
        )
    suggestion.state = state
    suggestion.decided_by = actor
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(
        action=AuditAction.UPDATE,
        object_kind="linksuggestion",
        object_id=suggestion.pk,
        user=actor,
    )
    return suggestion


def default_cluster_name(cluster_id):
    """A new cluster's name until a supervisor gives it one: after the cluster itself, never
    a case (whose reference could name, to someone who may see the cluster, a restricted case
    they may not see)."""
    return f"Operation {cluster_id}"


@transaction.atomic
def link_confirm(*, actor, suggestion):
    """Confirm that the two cases are linked: they join one cluster (a new one, "Operation
    <its id>", the one either is already in, or the larger of their two, the other merged
    into it). Every case that changes cluster gets a timeline event."""
    suggestion = _decide(suggestion, actor, LinkSuggestion.State.CONFIRMED)
    pair = [suggestion.case_a, suggestion.case_b]
    # Lock the two cases (in one order, so two confirmations wait rather than deadlock) before
    # reading their memberships: a confirmation of another pair sharing a case, made at the
    # same moment, would otherwise not see the membership this one creates, and put the case
    # in a second cluster (refused by the database: a 500).
    list(Case.objects.select_for_update().filter(pk__in=[case.pk for case in pair]).order_by("pk"))
    memberships = {
        m.case_id: m for m in ClusterMembership.objects.select_for_update().filter(case__in=pair)
    }
    clusters = {m.cluster_id for m in memberships.values()}
    if not clusters:
        # The name needs the id: a placeholder first (a cluster always has a name).
        cluster = Cluster.objects.create(name="Operation", created_by=actor)
        cluster.name = default_cluster_name(cluster.pk)
        cluster.save(update_fields=["name"])
        audit_record(
            action=AuditAction.CREATE, object_kind="cluster", object_id=cluster.pk, user=actor
        )
    elif len(clusters) == 1:
        cluster = Cluster.objects.get(pk=clusters.pop())
    else:
        sizes = dict(
            Cluster.objects.filter(pk__in=clusters)
            .annotate(size=Count("memberships"))
            .values_list("pk", "size")
        )
        keep = min(clusters, key=lambda pk: (-sizes[pk], pk))
        cluster = Cluster.objects.get(pk=keep)
    moved = []
    for case in pair:
        membership = memberships.get(case.pk)
        if membership is None:
            ClusterMembership.objects.create(cluster=cluster, case=case, added_by=actor)
            moved.append((case, None))
        elif membership.cluster_id != cluster.pk:
            # The other cluster merges into this one, all its cases with it.
            merged = membership.cluster_id
            for other in ClusterMembership.objects.filter(cluster=merged).select_related("case"):
                moved.append((other.case, merged))
            ClusterMembership.objects.filter(cluster=merged).update(cluster=cluster)
            Cluster.objects.filter(pk=merged).delete()
            audit_record(
                action=AuditAction.DELETE, object_kind="cluster", object_id=merged, user=actor
            )
    moved_ids = {case.pk for case, _ in moved}
    for case, previous in moved:
        event_record(
            case=case,
            actor=actor,
            event=events.cluster_joined(
                cluster=cluster,
                previous=previous,
                suggestion=suggestion if case in pair else None,
            ),
        )
    for case in pair:
        if case.pk not in moved_ids:
            event_record(
                case=case,
                actor=actor,
                event=events.cluster_joined(
                    cluster=cluster, previous=cluster, suggestion=suggestion
                ),
            )
    return cluster


@transaction.atomic
def link_dismiss(*, actor, suggestion):
    """Dismiss a suggestion: it stays, dismissed, so the same match never suggests it again."""
    suggestion = _decide(suggestion, actor, LinkSuggestion.State.DISMISSED)
    for case in (suggestion.case_a, suggestion.case_b):
        event_record(case=case, actor=actor, event=events.link_dismissed(suggestion=suggestion))
    return suggestion


CONTROL_CHARACTERS_MESSAGE = (
    "A cluster's name is one line of text: no line breaks, tabs or other control characters."
)


def has_control_characters(text):
    """Whether `text` holds a control character (Unicode category Cc: NUL, tab, line breaks,
    escape, DEL...), none of which belongs in a one-line name."""
    return any(unicodedata.category(character) == "Cc" for character in text)


@transaction.atomic
def cluster_rename(*, actor, cluster, name):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the cluster a name."})
    if "\x00" in name:
        # PostgreSQL cannot store NUL: refused here, not a 500 at the save.
        raise ValidationError({"name": "A cluster's name cannot contain null characters."})
    if has_control_characters(name):
        raise ValidationError({"name": CONTROL_CHARACTERS_MESSAGE})
    if len(name) > Cluster._meta.get_field("name").max_length:
        raise ValidationError({"name": "A cluster's name has at most 120 characters."})
    cluster = Cluster.objects.select_for_update().get(pk=cluster.pk)
    if cluster.name == name:
        return cluster
    cluster.name = name
    cluster.save(update_fields=["name"])
    audit_record(action=AuditAction.UPDATE, object_kind="cluster", object_id=cluster.pk, user=actor)
    for membership in cluster.memberships.select_related("case"):
        event_record(
            case=membership.case, actor=actor, event=events.cluster_renamed(cluster=cluster)
        )
    return cluster
