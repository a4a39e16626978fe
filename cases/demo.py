"""Synthetic demo data: three years of calls, tips and cases that look like a real hotline's.

Used by `manage.py seed_demo`. Everything is drawn from one `random.Random(seed)` and from
Faker instances seeded from it, in a fixed order, against a fixed "now" (midnight at the start
of `today`): the same seed and the same day give the same data, row for row, in SQLite and in
PostgreSQL alike.

The bulk is written with bulk_create in batches, not through the services, so that 100,000
calls load in well under a minute; every row still obeys the database's rules and the
services' own, and each case gets the timeline events the services would have written for what
was generated, built by the same functions (cases/events.py). The forwarding rules are applied
to each case as the forwarding sweep would have applied them (cases/forwarding.py decides), and
a fixed demo operation of four linked cases is matched at the end as production matches what a
service added, so its link suggestions wait for a supervisor (docs/demo-data.md). The shares and
the texts are in cases/demo_data.py. Nothing here is real: phone numbers are in the 555-01xx
range reserved for fiction, e-mail addresses use the example.* domains, and the partner
organisations are marked "(demo)".
"""

import datetime
import decimal
import functools
import gc
import heapq
import itertools
import math
import random
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import reset_queries, transaction
from django.utils import timezone
from faker import Faker

from cases import demo_data as data
from cases import events, identifiers, workflow
from cases import forwarding as forwarding_rules
from cases.models import (
    Case,
    CaseEvent,
    CaseReferenceCounter,
    ClosingReason,
    Forwarding,
    ForwardingRule,
    Identifier,
    Note,
    Outcome,
    Party,
    Priority,
    Referral,
    TransactionClue,
    Venue,
)
from cases.services import reference_format
from cases.workflow import Status
from hotline import reference_data
from hotline.models import (
    Call,
    Code,
    Industry,
    PartnerOrganisation,
    Region,
    Role,
    Team,
    Tip,
    TraffickingType,
    Urgency,
    User,
)
from hotline.models.intake import tip_reference
from hotline.services import user_create

CallerType = Call.CallerType
CallReason = Call.Reason
IdKind = Identifier.Kind
AgeBand = Party.AgeBand
Gender = Party.Gender
PartyRole = Party.Role

YEARS_OF_HISTORY = 3
CALL_BATCH = 2_000
CASE_BATCH = 500
# Fewer cases than this and the demo operation (data.OPERATION_CASES) is left out.
OPERATION_MIN_CASES = 20


# --- Accounts -------------------------------------------------------------------------------------


def organisations_ensure():
    """The demo partner organisations by name, created when missing."""
    codes = {row[2] for row in data.DEMO_ORGANISATIONS}
    regions = {region.code: region for region in Region.objects.filter(code__in=codes)}
    found = {}
    for name, org_type, region_code, email in data.DEMO_ORGANISATIONS:
        found[name], _created = PartnerOrganisation.objects.get_or_create(
            name=name,
            defaults={"type": org_type, "region": regions.get(region_code), "email": email},
        )
    return found


@transaction.atomic
def accounts_ensure():
    """Create the demo accounts that are missing; never touch an account that exists.

    An account called "admin" may be somebody's real one: its password, role, team and the
    rest stay as they are. Returns (DemoAccount, created) pairs, for printing.
    """
    organisations = organisations_ensure()
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in data.DEMO_TEAMS}
    existing = set(
        User.objects.filter(
            username__in=[account.username for account in data.DEMO_ACCOUNTS]
        ).values_list("username", flat=True)
    )
    ensured = []
    for account in data.DEMO_ACCOUNTS:
        created = account.username not in existing
        if created:
            user_create(
                username=account.username,
                password=account.password,
                role=account.role,
                email=f"{account.username}@hotline.example.org",
                first_name=account.first_name,
                last_name=account.last_name,
                team=teams.get(account.team),
                organisation=organisations.get(account.organisation),
                language=account.language,
            )
        ensured.append((account, created))
    return ensured


def data_present():
    """Whether the database already holds calls or cases (demo or real)."""
    return Call.objects.exists() or Case.objects.exists()


# --- Identifiers ----------------------------------------------------------------------------------


@dataclass
class IdentifierSpec:
    """One identifier and the ways people write it; every spelling normalises the same way.

    Each use takes the next spelling, so an actor seen in several cases is written differently
    in each, as different advocates would.
    """

    kind: str
    platform: str
    spellings: list
    uses: int = 0

    def next_spelling(self):
        spelling = self.spellings[self.uses % len(self.spellings)]
        self.uses += 1
        return spelling


@dataclass
class SharedActor:
    """A perpetrator (person or business) who turns up in more than one case."""

    role: str
    kind: str
    name: str
    aliases: str
    gender: str
    citizenship: str
    specs: list


# --- The generator --------------------------------------------------------------------------------


@dataclass
class SourceCall:
    """A call a case came from, planned with the case and written with all the other calls."""

    started_at: datetime.datetime
    caller_type: str
    channel: str
    reason: str
    urgency: int
    language: str
    advocate: User
    with_tip: bool
    case: "CaseSketch"
    call: Call | None = None
    tip: Tip | None = None


@dataclass
class CaseSketch:
    """What a case is, decided before any row is written (its calls are written first)."""

    opened_at: datetime.datetime
    region: Region
    industry: Industry
    trafficking_type: str
    urgency: int
    language: str
    creator: User
    source: str
    steps: list  # (at, status, closing_reason) along the workflow, up to "now"
    referral_plan: list  # (sent_at, "law_enforcement" | "services")
    source_calls: list = field(default_factory=list)
    partner_organisation: PartnerOrganisation | None = None
    partner_tip_at: datetime.datetime | None = None
    partner_tip: Tip | None = None
    tips: list = field(default_factory=list)
    operation: int | None = None  # its number in data.OPERATION_CASES, for the demo operation


@dataclass
class CasePlan:
    """A case and everything recorded on it, built before any of it is inserted."""

    # The rows a case holds, in the order they are inserted: (attribute, model).
    ROWS = (
        ("parties", Party),
        ("identifiers", Identifier),
        ("clues", TransactionClue),
        ("venues", Venue),
        ("referrals", Referral),
        ("forwardings", Forwarding),
        ("outcomes", Outcome),
        ("notes", Note),
    )

    case: Case
    sketch: CaseSketch
    work_ends: datetime.datetime  # when it was closed, or the end of the history
    parties: list = field(default_factory=list)
    identifiers: list = field(default_factory=list)
    clues: list = field(default_factory=list)
    venues: list = field(default_factory=list)
    referrals: list = field(default_factory=list)
    forwardings: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    methods: list = field(default_factory=list)  # Code ids
    exploitation: list = field(default_factory=list)  # Code ids
    events: list = field(default_factory=list)  # (at, actor, event), see record()
    identifier_keys: set = field(default_factory=set)  # (kind, platform, normalised)

    def record(self, at, actor, builder, **arguments):
        """Plan a timeline event. `builder` is one of cases/events.py, as the services use;
        it is called once the rows it names are inserted, so that it finds their ids."""
        self.events.append((at, actor, functools.partial(builder, **arguments)))


class Progress:
    """Prints how far each stage has got, about every tenth of it, with seconds elapsed."""

    def __init__(self, write):
        self.write = write
        self.started = time.monotonic()
        self.next_report = {}

    def elapsed(self):
        return time.monotonic() - self.started

    def report(self, stage, done, total, extra=""):
        if self.write is None:
            return
        step = max(1, total // 10)
        if done < total and done < self.next_report.get(stage, 0):
            return
        self.next_report[stage] = done + step
        self.write(f"{stage}: {done:,}/{total:,}{extra} ({self.elapsed():.1f}s)")

    def say(self, message):
        if self.write is not None:
            self.write(f"{message} ({self.elapsed():.1f}s)")


@contextmanager
def historical_timestamps(*model_classes):
    """Let bulk inserts keep the created_at/updated_at values we give them.

    auto_now and auto_now_add would stamp three years of history with the minute of seeding,
    so "added this week" lists would show everything; while this is open they keep ours.
    """
    fields = [
        model_field
        for model_class in model_classes
        for model_field in model_class._meta.concrete_fields
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False)
    ]
    saved = [
        (model_field, model_field.auto_now, model_field.auto_now_add) for model_field in fields
    ]
    for model_field in fields:
        model_field.auto_now = model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field, auto_now, auto_now_add in saved:
            model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add


def pk_of(instance):
    return None if instance is None else instance.pk


def ascii_word(text):
    """Lower-case ASCII letters and digits only: "María" -> "maria"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if char.isascii() and char.isalnum())


def polaris_state_rows():
    """The rows of the Polaris 2024 state table, each with the code of its region."""
    codes = {
        region.name: region.code
        for region in Region.objects.filter(country_code="US", kind=Region.Kind.SUBDIVISION)
    }
    rows = reference_data.read_csv("polaris_hotline_state_statistics_2024.csv")
    for row in rows:
        name = row["State"]
        row["code"] = data.POLARIS_NAME_ALIASES.get(name) or codes.get(name)
        if row["code"] is None:
            raise LookupError(f"No region for the Polaris state {name!r}; are regions loaded?")
    return rows


def polaris_state_weights(column="Cases identified"):
    """US states and territories (by region id) weighted by a column of the Polaris 2024
    table; those with none get none."""
    rows = polaris_state_rows()
    ids = dict(
        Region.objects.filter(code__in=[row["code"] for row in rows]).values_list("code", "pk")
    )
    return data.Weighted({ids[row["code"]]: int(row[column]) for row in rows})


def seed(*, calls, cases, seed, today, progress=None):
    """Write `calls` calls and `cases` cases of demo data; returns the count of rows per kind."""
    generator = DemoGenerator(seed=seed, today=today, progress=progress or Progress(None))
    with transaction.atomic(), garbage_collector_paused():
        return generator.run(call_total=calls, case_total=cases)


@contextmanager
def garbage_collector_paused():
    """Half a million model instances set Python's cyclic garbage collector off hundreds of
    times, and each full pass walks every object still alive: a seventh of a large seed's
    time. Reference counting frees the batches as they are written; cycles wait for the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class DemoGenerator:
    def __init__(self, *, seed, today, progress):
        self.rng = random.Random(seed)
        self.progress = progress
        self.now = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
        self.latest = self.now - datetime.timedelta(seconds=1)
        try:
            start_day = today.replace(year=today.year - YEARS_OF_HISTORY)
        except ValueError:  # 29 February
            start_day = today.replace(year=today.year - YEARS_OF_HISTORY, day=28)
        self.start = timezone.make_aware(datetime.datetime.combine(start_day, datetime.time.min))
        self.span_days = (today - start_day).days
        self.fakers = {}
        self.faker_seed = self.rng.randrange(2**32)
        self.used_phones = set()
        self.used_tip_references = set()
        self.used_business_names = set()
        self.normalised_cache = {}
        # The tip each region heard of last (not a duplicate), for marking later ones as its
        # duplicates.
        self.last_tip_by_region = {}
        self.shared_actors = []
        self.shared_actors_by_region = {}
        self.partner_referred = False
        tables = (
            "calls tips cases parties identifiers clues venues referrals forwardings outcomes "
            "notes events"
        )
        self.counts = dict.fromkeys(tables.split(), 0)

    # -- small draws --

    def faker(self, locale="en_US"):
        if locale not in self.fakers:
            fake = Faker(locale)
            fake.seed_instance(self.faker_seed + len(self.fakers))
            self.fakers[locale] = fake
        return self.fakers[locale]

    def chance(self, probability):
        return self.rng.random() < probability

    def moment(self):
        """A time in the history, busier in recent years and in waking hours."""
        # Inverse of the CDF of a density rising linearly by GROWTH from start to now.
        u = self.rng.random()
        fraction = (math.sqrt(1 + data.GROWTH * (2 + data.GROWTH) * u) - 1) / data.GROWTH
        day = min(int(fraction * self.span_days), self.span_days - 1)
        moment = self.start + datetime.timedelta(
            days=day, hours=data.HOURS.pick(self.rng), seconds=self.rng.randrange(3600)
        )
        return min(moment, self.latest)

    def after(self, at, low_hours, high_hours, until=None):
        """A time a few hours after `at`, but before `until` (a case's closure) and never past
        the latest moment of the history."""
        limit = min(until or self.latest, self.latest)
        later = at + datetime.timedelta(hours=self.rng.uniform(low_hours, high_hours))
        if later <= limit:
            return later
        return at + max(limit - at, datetime.timedelta(0)) * self.rng.random()

    def lognormal_hours(self, median_hours, sigma):
        return datetime.timedelta(hours=self.rng.lognormvariate(math.log(median_hours), sigma))

    def trafficking_type_for(self, industry):
        return data.TYPE_FOR_FORM[industry.form].pick(self.rng)

    def tip_reference(self):
        """A tip reference in the intake's format, drawn from the seeded Random, unused."""
        while True:
            reference = tip_reference(choose=self.rng.choice)
            if reference not in self.used_tip_references:
                self.used_tip_references.add(reference)
                return reference

    def normalise(self, kind, value, platform=""):
        key = (kind, value, platform)
        if key not in self.normalised_cache:
            self.normalised_cache[key] = identifiers.normalise(kind, value, platform)
        return self.normalised_cache[key]

    # -- setup --

    def load_reference(self):
        self.industries = {industry.code: industry for industry in Industry.objects.all()}
        self.case_regions = polaris_state_weights("Cases identified")
        self.call_regions = polaris_state_weights("Signals received")
        self.regions = Region.objects.in_bulk(
            set(self.case_regions.values) | set(self.call_regions.values)
        )
        codes = Code.objects.filter(
            list__in=[
                Code.List.METHODS_OF_CONTROL,
                Code.List.TYPES_OF_EXPLOITATION,
                Code.List.ILO_INDICATORS,
            ]
        )
        self.codes = {(code.list, code.code): code.pk for code in codes}
        # In code order, not id order: the same seed draws the same indicators in any database.
        self.indicator_ids = [
            pk
            for (code_list, _code), pk in sorted(self.codes.items())
            if code_list == Code.List.ILO_INDICATORS
        ]
        self.organisations = {org.name: org for org in organisations_ensure().values()}
        self.partner_organisation = self.organisations[data.DEMO_PARTNER_ORGANISATION]
        self.state_law_enforcement = {
            org.region_id: org
            for org in self.organisations.values()
            if org.is_law_enforcement and org.region_id and org.region.kind == "subdivision"
        }
        users = {
            user.username: user
            for user in User.objects.filter(
                username__in=[account.username for account in data.DEMO_ACCOUNTS]
            )
        }
        advocates = [a.username for a in data.DEMO_ACCOUNTS if a.role == Role.ADVOCATE]
        self.supervisor = users["supervisor"]
        self.demo_advocate = users["advocate"]
        self.partner_user = users["partner"]
        # The demo "advocate" takes a bigger share, so that signing in as them shows a full desk.
        self.advocates = data.Weighted(
            {users[name]: (3 if name == "advocate" else 1) for name in advocates}
        )
        self.spanish_advocates = data.Weighted(
            {users[a.username]: 1 for a in data.DEMO_ACCOUNTS if a.language == "es"}
        )
        self.people_pools = {}
        self.city_pool = [self.faker().city() for _ in range(400)]
        # Tips can exist without calls or cases (from the web form): their references are taken.
        self.used_tip_references.update(Tip.objects.values_list("reference", flat=True))
        self.last_numbers = dict(CaseReferenceCounter.objects.values_list("year", "last_number"))
        # The rules as production applies them (cases/forwarding.py), in a fixed order.
        self.rules = list(ForwardingRule.objects.filter(is_active=True).order_by("pk"))
        self.rule_organisations = {}
        # The demo operation's phone and motel are its own: no other case draws them.
        self.used_phones.add(data.OPERATION_PHONE)
        self.used_business_names.add(data.OPERATION_MOTEL)
        self.operation_plans = []

    def people(self, locale):
        """Name pools drawn from Faker once per locale; people are then composed from them,
        which keeps tens of thousands of names fast and still seeded."""
        if locale not in self.people_pools:
            fake = self.faker(locale)
            self.people_pools[locale] = {
                "female": [fake.first_name_female() for _ in range(250)],
                "male": [fake.first_name_male() for _ in range(250)],
                "last": [fake.last_name() for _ in range(1000)],
            }
        return self.people_pools[locale]

    def person_name(self, gender, citizenship):
        pool = self.people(data.NAME_LOCALES.get(citizenship, "en_US"))
        if gender in (Gender.FEMININE, Gender.TRANSGENDER_FEMININE):
            first = self.rng.choice(pool["female"])
        elif gender in (Gender.MASCULINE, Gender.TRANSGENDER_MASCULINE):
            first = self.rng.choice(pool["male"])
        else:
            first = self.rng.choice(pool["female"] + pool["male"])
        return f"{first} {self.rng.choice(pool['last'])}"

    def surname(self):
        return self.rng.choice(self.people("en_US")["last"])

    def advocate_for(self, language):
        if language == "es":
            return self.spanish_advocates.pick(self.rng)
        return self.advocates.pick(self.rng)

    # -- identifier spellings --

    def phone_spec(self):
        for _attempt in range(50):
            area = self.rng.randrange(200, 990)
            if area % 100 == 11 or (area // 10) % 10 == 9:
                continue  # N11 codes are service numbers; N9X codes are not in use
            line = self.rng.randrange(100, 200)  # 555-0100..0199 is reserved for fiction
            if (area, line) not in self.used_phones:
                break
        self.used_phones.add((area, line))
        spellings = [
            f"({area}) 555-{line:04d}",
            f"{area}.555.{line:04d}",
            f"+1 {area} 555 {line:04d}",
            f"{area}-555-{line:04d}",
            f"1 {area} 555 {line:04d}",
            f"+1{area}555{line:04d}",
        ]
        return self.rotated(IdentifierSpec(IdKind.PHONE, "", spellings))

    def rotated(self, spec):
        spec.uses = self.rng.randrange(len(spec.spellings))
        return spec

    def username(self, name):
        """A user name made from a person's name, as on e-mail addresses and profiles."""
        words = [ascii_word(word) for word in name.split(" ")]
        first, last = words[0], "".join(words[1:])
        stem = self.rng.choice([f"{first}{last[:1]}", f"{first}.{last}", f"{first[:1]}{last}"])
        return f"{stem.strip('.') or 'user'}{self.rng.randrange(10, 999)}"

    def email_spec(self, name):
        address = f"{self.username(name)}@{self.rng.choice(data.EMAIL_DOMAINS)}"
        local, _at, domain = address.partition("@")
        spellings = [
            address,
            f"{local.title()}@{domain}",
            address.upper(),
            f"mailto:{address}",
        ]
        return self.rotated(IdentifierSpec(IdKind.EMAIL, "", spellings))

    def handle_spec(self, name, trafficking_type):
        platform = data.HANDLE_PLATFORMS[self.type_family(trafficking_type)].pick(self.rng)
        if platform in data.PHONE_APPS:
            phone = self.phone_spec()
            return self.rotated(IdentifierSpec(IdKind.HANDLE, platform, phone.spellings))
        handle = self.username(name).replace(".", self.rng.choice(["_", ".", ""]))
        spellings = [f"@{handle}", handle, handle.upper() if self.chance(0.3) else handle.title()]
        if platform in data.PROFILE_URLS:
            spellings.append(data.PROFILE_URLS[platform].format(handle))
        return self.rotated(IdentifierSpec(IdKind.HANDLE, platform, spellings))

    def vehicle_spec(self):
        letters = "".join(self.rng.choice(data.PLATE_LETTERS) for _ in range(3))
        digits = f"{self.rng.randrange(10_000):04d}"
        spellings = [
            f"{letters} {digits}",
            f"{letters.lower()}-{digits}",
            f"{letters}{digits}",
            f"{letters[0]}{letters[1:].lower()} {digits}",
        ]
        return self.rotated(IdentifierSpec(IdKind.VEHICLE, "", spellings))

    def payment_spec(self, name):
        if self.chance(0.6):
            first = ascii_word(name.split(" ")[0]).title()
            word = self.rng.choice(data.CASHTAG_WORDS).title()
            tag = f"{first}{word}{self.rng.randrange(1, 99)}"
            spellings = [f"${tag}", f"${tag.lower()}", f"$ {tag}", f"${tag.upper()}"]
        elif self.chance(0.5):
            address = f"{self.username(name)}@{self.rng.choice(data.EMAIL_DOMAINS)}"
            spellings = [address, address.upper(), address.title()]
        else:
            groups = [f"{self.rng.randrange(10_000):04d}" for _ in range(3)]
            spellings = ["-".join(groups), " ".join(groups), "".join(groups)]
        return self.rotated(IdentifierSpec(IdKind.PAYMENT_ACCOUNT, "", spellings))

    def business_spec(self, business_name):
        suffix = self.rng.choice(data.BUSINESS_SUFFIXES)
        spellings = [
            business_name,
            f"{business_name} {suffix}",
            business_name.upper(),
            f"{business_name}, {suffix}",
        ]
        return self.rotated(IdentifierSpec(IdKind.BUSINESS_NAME, "", spellings))

    def address_parts(self, region):
        street_type = self.rng.choice(list(data.STREET_TYPES))
        direction = self.rng.choice(list(data.DIRECTIONS)) if self.chance(0.3) else ""
        state = region.code.split("-")[1] if region is not None else "TX"
        try:
            postcode = self.faker().zipcode_in_state(state)
        except (KeyError, AttributeError):
            postcode = self.faker().postcode()
        return {
            "number": self.rng.randrange(100, 9900),
            "direction": direction,
            "street": self.surname(),
            "street_type": street_type,
            "unit": self.rng.randrange(1, 40) if self.chance(0.35) else None,
            "city": self.rng.choice(self.city_pool),
            "state": state,
            "postcode": postcode,
        }

    def address_spec(self, parts):
        def spelled(long_words, unit_word, punctuation):
            direction = parts["direction"]
            if direction and not long_words:
                direction = data.DIRECTIONS[direction] + punctuation
            street_type = parts["street_type"]
            if not long_words:
                street_type = data.STREET_TYPES[street_type] + punctuation
            words = [str(parts["number"]), direction, parts["street"], street_type]
            line = " ".join(word for word in words if word)
            if parts["unit"] is not None:
                line += f" {unit_word}{parts['unit']}"
            return f"{line}, {parts['city']}, {parts['state']} {parts['postcode']}"

        spellings = [
            spelled(False, "Apt ", ""),
            spelled(True, "Apartment ", ""),
            spelled(False, "#", ".").upper().replace(",", ""),
        ]
        return self.rotated(IdentifierSpec(IdKind.ADDRESS, "", spellings))

    def address_text(self, region):
        return self.address_spec(self.address_parts(region)).next_spelling()

    @staticmethod
    def type_family(trafficking_type):
        return (
            TraffickingType.LABOR
            if trafficking_type == TraffickingType.LABOR
            else TraffickingType.SEX
        )

    # -- the stages --

    def run(self, *, call_total, case_total):
        self.load_reference()
        sketches = self.sketch_cases(case_total, call_total)
        self.write_calls_and_tips(sketches, call_total)
        self.write_cases(sketches)
        self.write_reference_counters()
        self.match_operation()
        return self.counts

    def count(self, name, number):
        self.counts[name] += number

    def sketch_cases(self, case_total, call_budget):
        """Decide each case's place, time, industry and course first: the calls it came from
        must then be written in time order among all the other calls."""
        sketches = []
        # The demo operation's cases count among those asked for, when there are enough.
        operation = range(len(data.OPERATION_CASES)) if case_total >= OPERATION_MIN_CASES else []
        for _ in range(case_total - len(operation)):
            sketch = self.sketch_case(call_budget)
            call_budget -= len(sketch.source_calls)
            sketches.append(sketch)
        for number in operation:
            sketch = self.sketch_case(call_budget, operation=number)
            call_budget -= len(sketch.source_calls)
            sketches.append(sketch)
        sketches.sort(key=lambda sketch: sketch.opened_at)
        return sketches

    def sketch_case(self, call_budget, operation=None):
        """A case drawn at random; or, given `operation`, that case of the demo operation, its
        place, time and course fixed (data.OPERATION_CASES) and the rest drawn."""
        rng = self.rng
        industry = self.industries[data.INDUSTRIES.pick(rng)]
        trafficking_type = self.trafficking_type_for(industry)
        region = self.regions[self.case_regions.pick(rng)]
        source = data.CASE_SOURCES.pick(rng)
        if operation is not None:
            industry = self.industries[data.OPERATION_INDUSTRY]
            trafficking_type = TraffickingType.SEX
            region = Region.objects.get(code=data.OPERATION_REGION)
            source = "call_tip"
        if source in ("call_tip", "call") and call_budget < 1:
            source = "partner_tip" if self.chance(0.5) else "none"
        language = self.call_language(region)
        urgency = data.CRISIS_URGENCY.pick(rng) if source == "call" else data.TIP_URGENCY.pick(rng)
        first_contact = self.moment()
        if operation is not None:
            spec = data.OPERATION_CASES[operation]
            language, urgency = "en", Urgency.ROUTINE
            first_contact = self.now - datetime.timedelta(
                days=spec["days_ago"], hours=24 - spec["hour"], minutes=rng.randrange(60)
            )
        if source in ("call_tip", "call", "partner_tip"):
            # Most cases are opened within a day of the signal; urgent ones within the hour.
            delay = self.lognormal_hours(0.5 if urgency else 6, 1.2)
            opened_at = min(first_contact + delay, self.latest)
        else:
            opened_at = first_contact
        if operation is not None:
            opened_at = first_contact + datetime.timedelta(minutes=rng.uniform(20, 90))
        creator = self.advocate_for(language)
        steps, referral_plan = self.lifecycle(opened_at, urgency)
        if operation is not None:
            # The demo advocate works the operation, so that signing in as them shows it.
            creator, steps, referral_plan = self.operation_course(operation, opened_at)
        sketch = CaseSketch(
            opened_at=opened_at,
            region=region,
            industry=industry,
            trafficking_type=trafficking_type,
            urgency=urgency,
            language=language,
            creator=creator,
            source=source,
            steps=steps,
            referral_plan=referral_plan,
            operation=operation,
        )
        if source == "partner_tip":
            sketch.partner_organisation = self.organisations[data.PARTNER_TIP_SOURCES.pick(rng)]
            sketch.partner_tip_at = first_contact
        if source in ("call_tip", "call"):
            caller_type = data.CASE_CALLER_TYPES.pick(rng)
            if source == "call":
                caller_type = rng.choice(
                    [CallerType.POTENTIAL_VICTIM, CallerType.POTENTIAL_VICTIM, CallerType.SURVIVOR]
                )
            sketch.source_calls.append(
                SourceCall(
                    started_at=first_contact,
                    caller_type=caller_type,
                    channel=data.CHANNELS.pick(rng),
                    reason=CallReason.TRAFFICKING_TIP
                    if source == "call_tip"
                    else CallReason.CRISIS,
                    urgency=urgency,
                    language=language,
                    advocate=creator,
                    with_tip=source == "call_tip",
                    case=sketch,
                )
            )
            # Sometimes someone else reports the same situation later; it joins the case.
            second_at = opened_at + datetime.timedelta(days=rng.uniform(1, 25))
            open_until = (
                steps[-1][0] if steps and steps[-1][1] in workflow.CLOSED_STATUSES else None
            )
            if (
                source == "call_tip"
                and operation is None
                and call_budget >= 2
                and self.chance(0.1)
                and second_at < (open_until or self.latest)
            ):
                sketch.source_calls.append(
                    SourceCall(
                        started_at=second_at,
                        caller_type=data.CASE_CALLER_TYPES.pick(rng),
                        channel=data.CHANNELS.pick(rng),
                        reason=CallReason.TRAFFICKING_TIP,
                        urgency=data.TIP_URGENCY.pick(rng),
                        language=language,
                        advocate=self.advocate_for(language),
                        with_tip=True,
                        case=sketch,
                    )
                )
        return sketch

    def call_language(self, region):
        spanish_share = data.SPANISH_SPEAKING_REGIONS.get(region.code) if region else None
        if spanish_share is not None:
            return "es" if self.chance(spanish_share) else "en"
        return data.LANGUAGES.pick(self.rng)

    def lifecycle(self, opened_at, urgency):
        """The case's walk along the workflow, cut at "now": [(at, status, reason)] and the
        referrals it sends [(at, "law_enforcement" | "services")]."""
        rng = self.rng
        steps, referrals = [], []
        if self.now - opened_at < datetime.timedelta(days=10) and self.chance(0.35):
            # The queue of new cases nobody has picked up yet.
            return steps, referrals
        if self.chance(0.14):
            # Nothing to work: unreachable caller, no indicators, a duplicate.
            closed_at = opened_at + datetime.timedelta(hours=rng.uniform(1, 96))
            steps.append((closed_at, Status.CLOSED, data.QUICK_CLOSING.pick(rng)))
        else:
            refer = self.chance(0.45 + 0.2 * (urgency > Urgency.ROUTINE))
            # Some cases wait in the queue for days before anyone picks them up.
            waiting = rng.uniform(4, 240) if self.chance(0.2) else rng.uniform(0.2, 30)
            at = opened_at + datetime.timedelta(hours=waiting)
            if not (refer and urgency == Urgency.IMMINENT_DANGER):
                steps.append((at, Status.ACTIVE, ""))
            if refer:
                at += self.lognormal_hours(30 if urgency == Urgency.ROUTINE else 3, 1.0)
                law_enforcement = self.chance(0.65 + 0.2 * (urgency > Urgency.ROUTINE))
                kinds = ["law_enforcement" if law_enforcement else "services"]
                if self.chance(0.3):
                    kinds.append("services" if law_enforcement else "law_enforcement")
                for offset, kind in enumerate(kinds):
                    referrals.append((at + datetime.timedelta(hours=offset * 20), kind))
                steps.append((at + datetime.timedelta(minutes=2), Status.REFERRED, ""))
            if self.chance(0.35):
                at += datetime.timedelta(days=rng.uniform(3, 30))
                steps.append((at, Status.FOLLOW_UP, ""))
            if self.chance(0.1):
                work = datetime.timedelta(days=rng.uniform(180, 900))
            else:
                work = self.lognormal_hours(24 * 24, 1.1)
            at += work
            if refer:
                reason = (
                    ClosingReason.REFERRED_TO_LAW_ENFORCEMENT
                    if "law_enforcement" in kinds
                    else ClosingReason.REFERRED_TO_SERVICES
                )
                steps.append((at, Status.CLOSED_REFERRED, reason))
            else:
                steps.append((at, Status.CLOSED, data.CLOSING_WITHOUT_REFERRAL.pick(rng)))
            if self.chance(0.03):
                # Reopened when new information came in, then closed again.
                at += datetime.timedelta(days=rng.uniform(10, 120))
                steps.append((at, Status.ACTIVE, ""))
                at += datetime.timedelta(days=rng.uniform(5, 60))
                steps.append((at, Status.CLOSED, data.CLOSING_WITHOUT_REFERRAL.pick(rng)))
        steps = [step for step in steps if step[0] <= self.latest]
        referrals = [referral for referral in referrals if referral[0] <= self.latest]
        previous = Status.NEW
        for _at, status, _reason in steps:
            assert workflow.transition_allowed(previous, status), (previous, status)
            previous = status
        return steps, referrals

    # -- calls and tips --

    def write_calls_and_tips(self, sketches, call_total):
        source_calls = sorted(
            (source for sketch in sketches for source in sketch.source_calls),
            key=lambda source: source.started_at,
        )
        other_times = sorted(self.moment() for _ in range(max(0, call_total - len(source_calls))))
        timeline = heapq.merge(
            ((at, None) for at in other_times),
            ((source.started_at, source) for source in source_calls),
            key=lambda item: item[0],
        )
        total = len(other_times) + len(source_calls)
        written = 0
        self.progress.report("calls", 0, total)
        while True:
            chunk = list(itertools.islice(timeline, CALL_BATCH))
            if not chunk:
                break
            self.write_call_chunk(chunk)
            written += len(chunk)
            self.progress.report("calls", written, total, f", tips: {self.counts['tips']:,}")
            reset_queries()

    def write_call_chunk(self, chunk):
        rows = []  # (call, source call or None, industry, what was observed)
        for started_at, source in chunk:
            if source is not None:
                rows.append((*self.source_call(source), source))
            else:
                rows.append((*self.other_call(started_at), None))
        with historical_timestamps(Call):
            Call.objects.bulk_create([call for call, *_rest in rows])
        self.count("calls", len(rows))
        tips = []
        for call, industry, observed, source in rows:
            if source is not None:
                source.call = call
                if source.with_tip:
                    tips.append(self.case_tip(call, source, observed))
                    source.tip = tips[-1][0]
            elif call.reason == CallReason.TRAFFICKING_TIP:
                tips.append(self.other_tip(call, industry, observed))
        self.write_tips(tips)
        for tip, _indicators in tips:
            # Duplicates point at an original, never at another duplicate (as tip_triage does).
            if tip.region_id is not None and tip.triage_state != Tip.TriageState.DUPLICATE:
                self.last_tip_by_region[tip.region_id] = tip

    def write_tips(self, tips):
        """Write (tip, indicator ids) pairs."""
        with historical_timestamps(Tip):
            Tip.objects.bulk_create([tip for tip, _indicators in tips])
        through = Tip.indicators.through
        through.objects.bulk_create(
            [
                through(tip_id=tip.pk, code_id=indicator_id)
                for tip, indicator_ids in tips
                for indicator_id in indicator_ids
            ]
        )
        self.count("tips", len(tips))

    def call_end(self, started_at, channel):
        minutes = data.CALL_MINUTES.get(channel)
        ended_at = None
        if minutes is not None:
            ended_at = started_at + datetime.timedelta(
                minutes=self.rng.lognormvariate(math.log(minutes), 0.7)
            )
            ended_at = min(ended_at, self.latest)
        return ended_at

    def other_call(self, started_at):
        rng = self.rng
        reason = data.CALL_REASONS.pick(rng)
        channel = data.CHANNELS.pick(rng)
        region = self.regions[self.call_regions.pick(rng)] if self.chance(0.85) else None
        language = self.call_language(region)
        if reason == CallReason.TRAFFICKING_TIP:
            urgency = data.TIP_URGENCY.pick(rng)
            industry = self.industries[data.INDUSTRIES.pick(rng)]
            observed = rng.choice(data.OBSERVATIONS[industry.code])
            caller_type = data.CALLER_TYPES.pick(rng)
            summary = f"{CallerType(caller_type).label} reports: {observed}"
        else:
            urgency = (
                data.CRISIS_URGENCY.pick(rng) if reason == CallReason.CRISIS else Urgency.ROUTINE
            )
            industry, observed = None, ""
            caller_type = data.CALLER_TYPES.pick(rng)
            summary = rng.choice(data.OTHER_SUMMARIES[reason])
        # Outbound calls are advocates calling back; forms and e-mails arrive by themselves.
        outbound = channel in (Call.Channel.PHONE, Call.Channel.SMS) and self.chance(0.04)
        call = self.new_call(
            started_at=started_at,
            channel=channel,
            direction=Call.Direction.OUTBOUND if outbound else Call.Direction.INBOUND,
            language=language,
            caller_type=caller_type,
            reason=reason,
            region=region,
            summary=summary,
            urgency=urgency,
        )
        return call, industry, observed

    def source_call(self, source):
        sketch = source.case
        observed = self.rng.choice(data.OBSERVATIONS[sketch.industry.code])
        if source.reason == CallReason.CRISIS:
            summary = self.rng.choice(data.OTHER_SUMMARIES[CallReason.CRISIS])
        else:
            summary = f"{CallerType(source.caller_type).label} reports: {observed}"
        call = self.new_call(
            started_at=source.started_at,
            channel=source.channel,
            direction=Call.Direction.INBOUND,
            language=source.language,
            caller_type=source.caller_type,
            reason=source.reason,
            region=sketch.region,
            summary=summary,
            urgency=source.urgency,
            advocate=source.advocate,
        )
        return call, sketch.industry, observed

    def new_call(self, *, started_at, channel, language, region, advocate=None, **fields):
        ended_at = self.call_end(started_at, channel)
        if advocate is None and channel != Call.Channel.WEB_FORM:
            advocate = self.advocate_for(language)
        logged_at = min(ended_at or started_at, self.latest)
        # Foreign keys are set by id throughout: it is what bulk inserts need, and it keeps
        # Django from caching related objects on a hundred thousand instances.
        return Call(
            started_at=started_at,
            ended_at=ended_at,
            channel=channel,
            language=language,
            region_id=pk_of(region),
            advocate_id=pk_of(advocate),
            created_at=logged_at,
            updated_at=logged_at,
            **fields,
        )

    def new_tip(self, *, received_at, region, industry, triaged_at=None, **fields):
        """A tip and the ILO indicator ids it notes; other foreign keys come as *_id."""
        tip = Tip(
            reference=self.tip_reference(),
            received_at=received_at,
            region_id=pk_of(region),
            industry_id=pk_of(industry),
            triaged_at=triaged_at,
            created_at=received_at,
            updated_at=triaged_at or received_at,
            **fields,
        )
        count = self.rng.choice([0, 1, 1, 2, 3])
        indicator_ids = sorted(self.rng.sample(self.indicator_ids, count))
        if region is not None and self.chance(0.35):
            tip.address = self.address_text(region)
        if self.chance(0.25):
            gender = self.rng.choice([Gender.MASCULINE, Gender.FEMININE])
            tip.people_mentioned = (
                f"{self.person_name(gender, 'US')}, "
                f"{self.rng.choice(['said to be the manager', 'drives the van', 'the boyfriend'])}"
            )
        return tip, indicator_ids

    def case_tip(self, call, source, observed):
        sketch = source.case
        linked_at = max(sketch.opened_at, call.started_at)
        return self.new_tip(
            source=Tip.Source.CALL,
            call_id=call.pk,
            received_at=call.started_at,
            observed=observed,
            region=sketch.region,
            industry=sketch.industry,
            trafficking_type=sketch.trafficking_type,
            urgency=call.urgency,
            submitted_by_id=call.advocate_id,
            triage_state=Tip.TriageState.LINKED,
            triaged_by_id=sketch.creator.pk,
            triaged_at=self.after(linked_at, 0, 0.2),
        )

    def other_tip(self, call, industry, observed):
        rng = self.rng
        region = self.regions.get(call.region_id)
        state, reason, duplicate_of = Tip.TriageState.NEW, "", None
        age = self.now - call.started_at
        if age > datetime.timedelta(days=10) or self.chance(0.35):
            state = data.TRIAGE_DECISIONS.pick(rng)
            if state == Tip.TriageState.DUPLICATE:
                original = self.last_tip_by_region.get(call.region_id)
                recent = original is not None and (
                    call.started_at - original.received_at < datetime.timedelta(days=60)
                )
                if recent:
                    duplicate_of = original
                    reason = "Same situation as an earlier tip."
                else:
                    state = Tip.TriageState.NO_ACTION
            if state == Tip.TriageState.NO_ACTION:
                reason = rng.choice(data.NO_ACTION_REASONS)
        triaged = state != Tip.TriageState.NEW
        return self.new_tip(
            source=Tip.Source.CALL,
            call_id=call.pk,
            received_at=call.started_at,
            observed=observed,
            region=region,
            industry=industry,
            trafficking_type=self.trafficking_type_for(industry),
            urgency=call.urgency,
            submitted_by_id=call.advocate_id,
            triage_state=state,
            triage_reason=reason,
            duplicate_of_id=pk_of(duplicate_of),
            triaged_by_id=self.supervisor.pk if triaged else None,
            triaged_at=self.after(call.started_at, 0.5, 48) if triaged else None,
        )

    # -- cases --

    def write_cases(self, sketches):
        total = len(sketches)
        self.progress.report("cases", 0, total)
        self.year_numbers = dict(self.last_numbers)
        for start in range(0, total, CASE_BATCH):
            self.write_case_chunk(sketches[start : start + CASE_BATCH])
            done = min(start + CASE_BATCH, total)
            self.progress.report("cases", done, total)
            reset_queries()

    def write_case_chunk(self, sketches):
        self.write_tips(
            [self.partner_tip(sketch) for sketch in sketches if sketch.source == "partner_tip"]
        )
        for sketch in sketches:
            sketch.tips = [source.tip for source in sketch.source_calls if source.tip is not None]
            if sketch.source == "partner_tip":
                sketch.tips.insert(0, sketch.partner_tip)
        plans = [self.build_case(sketch) for sketch in sketches]
        timestamped = (Case, Party, Identifier, TransactionClue, Venue, Referral, Outcome, Note)
        with historical_timestamps(*timestamped):
            Case.objects.bulk_create([plan.case for plan in plans])
            self.write_case_links(plans)
            for name, model in CasePlan.ROWS:
                rows = [row for plan in plans for row in getattr(plan, name)]
                model.objects.bulk_create(rows)
                self.count(name, len(rows))
        # Now that every row an event names has its id, the events can be built.
        timeline = [
            CaseEvent(case_id=plan.case.pk, actor_id=pk_of(actor), at=at, kind=kind, data=values)
            for plan in plans
            for at, actor, event in sorted(plan.events, key=lambda planned: planned[0])
            for kind, values in [event()]
        ]
        CaseEvent.objects.bulk_create(timeline)
        self.count("cases", len(plans))
        self.count("events", len(timeline))

    def write_case_links(self, plans):
        tips, calls = Case.tips.through, Case.calls.through
        methods, exploitation = Case.methods_of_control.through, Case.exploitation_types.through
        links = {tips: [], calls: [], methods: [], exploitation: []}
        for plan in plans:
            case_id, sketch = plan.case.pk, plan.sketch
            links[tips] += [tips(case_id=case_id, tip_id=tip.pk) for tip in sketch.tips]
            links[calls] += [
                calls(case_id=case_id, call_id=source.call.pk) for source in sketch.source_calls
            ]
            links[methods] += [methods(case_id=case_id, code_id=pk) for pk in plan.methods]
            links[exploitation] += [
                exploitation(case_id=case_id, code_id=pk) for pk in plan.exploitation
            ]
        for through, rows in links.items():
            through.objects.bulk_create(rows)

    def partner_tip(self, sketch):
        organisation = sketch.partner_organisation
        from_partner = organisation == self.partner_organisation
        tip, indicator_ids = self.new_tip(
            source=Tip.Source.PARTNER,
            organisation_id=organisation.pk,
            received_at=sketch.partner_tip_at,
            observed=self.rng.choice(data.OBSERVATIONS[sketch.industry.code]),
            region=sketch.region,
            industry=sketch.industry,
            trafficking_type=sketch.trafficking_type,
            urgency=sketch.urgency,
            submitted_by_id=self.partner_user.pk if from_partner else None,
            triage_state=Tip.TriageState.LINKED,
            triaged_by_id=sketch.creator.pk,
            triaged_at=self.after(sketch.opened_at, 0, 0.2),
        )
        sketch.partner_tip = tip
        return tip, indicator_ids

    def next_reference(self, opened_at):
        year = timezone.localtime(opened_at).year
        number = self.year_numbers.get(year, 0) + 1
        self.year_numbers[year] = number
        return reference_format(year, number)

    def write_reference_counters(self):
        for year, number in sorted(self.year_numbers.items()):
            if number != self.last_numbers.get(year):
                CaseReferenceCounter.objects.update_or_create(
                    year=year, defaults={"last_number": number}
                )

    def build_case(self, sketch):
        """One case, unsaved, with everything recorded on it and its timeline."""
        rng = self.rng
        opened_at = sketch.opened_at
        last_step = sketch.steps[-1] if sketch.steps else None
        closed = last_step is not None and last_step[1] in workflow.CLOSED_STATUSES
        closed_at = last_step[0] if closed else None
        status = last_step[1] if last_step else Status.NEW
        priority = data.PRIORITY_WEIGHTS_FOR_URGENCY[sketch.urgency].pick(rng)
        victim_count = data.VICTIM_COUNTS.pick(rng)
        if self.type_family(sketch.trafficking_type) == TraffickingType.SEX:
            victim_count = min(victim_count, 6)
        assignee = None
        if status != Status.NEW or self.chance(0.5):
            assignee = sketch.creator
        worker = assignee or sketch.creator
        case = Case(
            reference=self.next_reference(opened_at),
            status=status,
            closing_reason=last_step[2] if closed else "",
            priority=priority,
            trafficking_type=sketch.trafficking_type,
            industry_id=sketch.industry.pk,
            region_id=sketch.region.pk,
            summary=rng.choice(data.OBSERVATIONS[sketch.industry.code]),
            victim_count=victim_count,
            assignee_id=pk_of(assignee),
            team_id=assignee.team_id if assignee else None,
            is_restricted=self.chance(0.03),
            opened_at=opened_at,
            closed_at=closed_at,
            created_by_id=sketch.creator.pk,
        )
        if sketch.operation is not None:
            case.summary = data.OPERATION_CASES[sketch.operation]["summary"]
        plan = CasePlan(case=case, sketch=sketch, work_ends=closed_at or self.latest)
        creator = sketch.creator
        plan.record(opened_at, creator, events.created, reference=case.reference)
        if assignee is not None:
            plan.record(opened_at, creator, events.assigned, assignee=assignee, team=case.team_id)
        for tip in sketch.tips:
            plan.record(max(opened_at, tip.triaged_at), creator, events.tip_linked, tip=tip)
        for source in sketch.source_calls:
            at = max(opened_at, source.started_at)
            plan.record(at, creator, events.call_linked, call=source.call)

        # The case row changes with each step, reassignment and update: its version counts them.
        version, changed_at = 1, opened_at
        previous = Status.NEW
        for at, step_status, reason in sketch.steps:
            closing = step_status in workflow.CLOSED_STATUSES
            plan.record(
                at,
                self.supervisor if closing else worker,
                events.status_changed,
                previous=previous.value,
                status=step_status.value,
                closing_reason=reason,
            )
            previous = step_status
            version, changed_at = version + 1, at

        # The demo operation stays with the demo advocate, at the priority it was opened with.
        steady = sketch.operation is not None
        if assignee is not None and not steady and self.chance(0.08):
            # Handed over to a colleague part-way through.
            other = self.advocate_for(sketch.language)
            at = self.after(opened_at, 24, 24 * 14)
            if other != assignee and at < plan.work_ends:
                plan.record(
                    at,
                    self.supervisor,
                    events.assigned,
                    assignee=other,
                    team=other.team_id,
                    previous_assignee=assignee,
                    previous_team=assignee.team_id,
                )
                case.assignee_id, case.team_id = other.pk, other.team_id
                worker = other
                version, changed_at = version + 1, max(changed_at, at)
        if not steady and self.chance(0.05) and priority < Priority.CRITICAL:
            at = self.after(opened_at, 2, 24 * 7)
            if at < plan.work_ends:
                case.priority = priority + 1
                plan.record(
                    at,
                    worker,
                    events.updated,
                    fields=["priority"],
                    changes={"priority": [int(priority), int(priority) + 1]},
                )
                version, changed_at = version + 1, max(changed_at, at)
        case.version, case.updated_at = version, changed_at

        plan.methods = self.case_methods(sketch.trafficking_type)
        if sketch.operation is not None:
            victims = self.add_operation_parts(plan, worker)
            self.operation_plans.append(plan)
        else:
            victims = self.add_victims(plan, worker)
        plan.exploitation = self.case_exploitation(sketch, victims)
        if sketch.operation is None:
            self.add_perpetrators(plan, worker)
            self.add_venue(plan, worker)
        self.add_notes(plan, worker)
        forwarded_to = self.add_forwardings(plan, victims)
        self.add_referrals(plan, worker, victims, forwarded_to)
        return plan

    def case_methods(self, trafficking_type):
        if trafficking_type == TraffickingType.UNKNOWN:
            return []
        families = (
            [TraffickingType.SEX, TraffickingType.LABOR]
            if trafficking_type == TraffickingType.SEX_AND_LABOR
            else [self.type_family(trafficking_type)]
        )
        codes = set()
        for family in families:
            for _ in range(self.rng.choice([0, 1, 2, 2, 3])):
                codes.add(data.METHODS_OF_CONTROL[family].pick(self.rng))
        return sorted(self.codes[(Code.List.METHODS_OF_CONTROL, code)] for code in codes)

    def case_exploitation(self, sketch, victims):
        codes = set()
        if sketch.trafficking_type in (TraffickingType.SEX, TraffickingType.SEX_AND_LABOR):
            codes.add("SexualExploitation")
        if sketch.trafficking_type in (TraffickingType.LABOR, TraffickingType.SEX_AND_LABOR):
            codes.add("ForcedLabour")
            if any(victim.is_minor for victim in victims):
                codes.add("ChildLabour")
        if sketch.industry.code in data.EXPLOITATION_FOR_INDUSTRY:
            codes.add(data.EXPLOITATION_FOR_INDUSTRY[sketch.industry.code])
        return sorted(self.codes[(Code.List.TYPES_OF_EXPLOITATION, code)] for code in codes)

    def add_party(self, plan, actor, at, **fields):
        party = Party(case=plan.case, created_by_id=actor.pk, created_at=at, **fields)
        plan.parties.append(party)
        plan.record(at, actor, events.party_added, party=party, role=party.role)
        return party

    def add_identifier(self, plan, actor, at, spec, party=None, tip=None):
        """The identifier's next spelling, unless the case already has it (in any spelling)."""
        value = spec.next_spelling()
        normalised = self.normalise(spec.kind, value, spec.platform)
        key = (spec.kind, spec.platform, normalised)
        if key in plan.identifier_keys:
            return
        plan.identifier_keys.add(key)
        identifier = Identifier(
            case=plan.case,
            tip_id=pk_of(tip),
            party=party,
            kind=spec.kind,
            platform=spec.platform,
            value=value,
            created_by_id=actor.pk,
            created_at=at,
        )
        identifier.set_normalised(normalised)
        plan.identifiers.append(identifier)
        plan.record(
            at,
            actor,
            events.identifier_added,
            identifier=identifier,
            identifier_kind=spec.kind,
            tip=tip,
        )

    def add_victims(self, plan, actor):
        rng = self.rng
        family = self.type_family(plan.sketch.trafficking_type)
        recorded = (
            0 if self.chance(0.12) else min(plan.case.victim_count, rng.choice([1, 1, 1, 2, 2, 3]))
        )
        victims = []
        for _ in range(recorded):
            age_band = data.AGE_BANDS[family].pick(rng)
            gender = data.VICTIM_GENDERS[family].pick(rng)
            citizenship = data.CITIZENSHIPS[family].pick(rng)
            if age_band in Party.MINOR_AGE_BANDS:
                is_minor = True
            elif age_band == AgeBand.UNKNOWN:
                is_minor = True if self.chance(0.1) else None
            else:
                is_minor = False
            at = self.after(plan.case.opened_at, 0, 6, until=plan.work_ends)
            party = self.add_party(
                plan,
                actor,
                at,
                kind=Party.Kind.PERSON,
                role=PartyRole.SURVIVOR if self.chance(0.1) else PartyRole.POTENTIAL_VICTIM,
                name="" if self.chance(0.15) else self.person_name(gender, citizenship),
                age_band=age_band,
                gender=gender,
                is_minor=is_minor,
                citizenship=citizenship,
            )
            victims.append(party)
            if self.chance(0.12):
                self.add_identifier(plan, actor, at, self.phone_spec(), party=party)
        return victims

    def add_perpetrators(self, plan, actor):
        rng = self.rng
        sketch = plan.sketch
        family = self.type_family(sketch.trafficking_type)
        from_tip = sketch.tips[0] if sketch.tips else None
        for index in range(data.PERPETRATOR_COUNTS.pick(rng)):
            role = data.PERPETRATOR_ROLES[family].pick(rng)
            at = self.after(plan.case.opened_at, 0, 12, until=plan.work_ends)
            organisation = (
                family == TraffickingType.LABOR
                and role in (PartyRole.EXPLOITER, PartyRole.RECRUITER)
                and self.chance(0.2)
            )
            if organisation:
                name = self.business_name(rng.choice(data.LABOR_BUSINESS_NAMES))
                party = self.add_party(
                    plan, actor, at, kind=Party.Kind.ORGANISATION, role=role, name=name
                )
            else:
                gender = data.PERPETRATOR_GENDERS.pick(rng)
                citizenship = data.CITIZENSHIPS[family].pick(rng)
                name = "" if self.chance(0.2) else self.person_name(gender, citizenship)
                age_band = data.PERPETRATOR_AGE_BANDS.pick(rng)
                party = self.add_party(
                    plan,
                    actor,
                    at,
                    kind=Party.Kind.PERSON,
                    role=role,
                    name=name,
                    aliases=rng.choice(data.ALIASES) if self.chance(0.25) else "",
                    age_band=age_band,
                    gender=gender,
                    is_minor=None if age_band == AgeBand.UNKNOWN else False,
                    citizenship=citizenship,
                )
            # What the reporter mentioned came with the tip; later finds are the case's own.
            tip = from_tip if index == 0 else None
            label = name or "unknown person"
            specs = []
            if organisation:
                specs.append(self.business_spec(name))
            if self.chance(0.7):
                specs.append(self.phone_spec())
            if self.chance(0.3 if family == TraffickingType.SEX else 0.15):
                specs.append(self.handle_spec(label, sketch.trafficking_type))
            if self.chance(0.12):
                specs.append(self.email_spec(label))
            if self.chance(0.12):
                specs.append(self.vehicle_spec())
            if self.chance(0.15 if family == TraffickingType.SEX else 0.06):
                specs.append(self.payment_spec(label))
            for spec in specs:
                self.add_identifier(plan, actor, at, spec, party=party, tip=tip)
        if self.chance(0.35):
            self.add_shared_actor(plan, actor)

    def add_shared_actor(self, plan, actor):
        """Someone already seen in another case (same numbers, written differently), or a new
        one who may turn up again: what case linking is there to find."""
        region_id = plan.sketch.region.pk
        nearby = self.shared_actors_by_region.get(region_id, [])
        if self.shared_actors and self.chance(0.65):
            # Networks are active for a while, then vanish: reuse the recent ones.
            pool = nearby[-8:] if nearby and self.chance(0.7) else self.shared_actors[-30:]
            shared = self.rng.choice(pool)
        else:
            shared = self.new_shared_actor(plan.sketch)
            self.shared_actors.append(shared)
            self.shared_actors_by_region.setdefault(region_id, []).append(shared)
        at = self.after(plan.case.opened_at, 1, 72, until=plan.work_ends)
        party = self.add_party(
            plan,
            actor,
            at,
            kind=shared.kind,
            role=shared.role,
            name=shared.name if self.chance(0.8) else "",
            aliases=shared.aliases,
            gender=shared.gender,
            citizenship=shared.citizenship,
        )
        for spec in shared.specs:
            if spec is shared.specs[0] or self.chance(0.6):
                self.add_identifier(plan, actor, at, spec, party=party)

    def new_shared_actor(self, sketch):
        rng = self.rng
        family = self.type_family(sketch.trafficking_type)
        if self.chance(0.25):
            template = rng.choice(
                data.VENUE_NAMES.get(sketch.industry.code, ("{adj} {flower} Spa",))
            )
            name = self.business_name(template)
            specs = [self.business_spec(name), self.phone_spec()]
            if self.chance(0.5):
                specs.append(self.address_spec(self.address_parts(sketch.region)))
            return SharedActor(
                role=PartyRole.EXPLOITER,
                kind=Party.Kind.ORGANISATION,
                name=name,
                aliases="",
                gender=Gender.UNKNOWN,
                citizenship="",
                specs=specs,
            )
        gender = data.PERPETRATOR_GENDERS.pick(rng)
        citizenship = data.CITIZENSHIPS[family].pick(rng)
        name = self.person_name(gender, citizenship)
        specs = [self.phone_spec()]
        if self.chance(0.5):
            specs.append(self.handle_spec(name, sketch.trafficking_type))
        if self.chance(0.3):
            specs.append(self.payment_spec(name))
        if self.chance(0.25):
            specs.append(self.vehicle_spec())
        if self.chance(0.2):
            specs.append(self.email_spec(name))
        return SharedActor(
            role=data.PERPETRATOR_ROLES[family].pick(rng),
            kind=Party.Kind.PERSON,
            name=name,
            aliases=rng.choice(data.ALIASES) if self.chance(0.4) else "",
            gender=gender,
            citizenship=citizenship,
            specs=specs,
        )

    def business_name(self, template):
        """A business name not used before, so that unrelated cases do not link by accident
        (tries a few times, then accepts a repeat: small templates run out)."""
        for _attempt in range(10):
            name = template.format(
                adj=self.rng.choice(data.VENUE_ADJECTIVES),
                place=self.rng.choice(data.VENUE_PLACES),
                flower=self.rng.choice(data.FLOWERS),
                surname=self.surname(),
                street=f"{self.surname()} {self.rng.choice(list(data.STREET_TYPES))}",
            )
            if name not in self.used_business_names:
                break
        self.used_business_names.add(name)
        return name

    def add_venue(self, plan, actor):
        sketch = plan.sketch
        templates = data.VENUE_NAMES.get(sketch.industry.code)
        if not templates or not self.chance(0.55):
            return
        at = self.after(plan.case.opened_at, 0, 24, until=plan.work_ends)
        name = self.business_name(self.rng.choice(templates))
        address = self.address_spec(self.address_parts(sketch.region))
        venue = Venue(
            case=plan.case,
            name=name,
            industry_id=sketch.industry.pk,
            region_id=sketch.region.pk,
            address=address.next_spelling(),
            created_by_id=actor.pk,
            created_at=at,
        )
        plan.venues.append(venue)
        plan.record(at, actor, events.venue_added, venue=venue)
        if not name.startswith(("Residence", "Private")) and self.chance(0.5):
            self.add_identifier(plan, actor, at, self.business_spec(name))
        if self.chance(0.4):
            self.add_identifier(plan, actor, at, address)

    def add_notes(self, plan, actor):
        opened_at = plan.case.opened_at
        for _ in range(self.rng.choice([0, 1, 1, 2, 2, 3, 4])):
            at = opened_at + (plan.work_ends - opened_at) * self.rng.random()
            text = self.rng.choice(data.NOTE_TEXTS)
            note = Note(case=plan.case, author_id=actor.pk, text=text, created_at=at)
            plan.notes.append(note)
            plan.record(at, actor, events.note_added, note=note)

    def referral_organisation(self, kind, sketch, victims):
        rng = self.rng
        if kind == "law_enforcement":
            state_unit = self.state_law_enforcement.get(sketch.region.pk)
            # The first law-enforcement referral goes to the demo partner, so that signing in
            # as the partner always shows cases.
            if not self.partner_referred or state_unit is None or self.chance(0.3):
                self.partner_referred = True
                return self.partner_organisation
            return state_unit
        if any(victim.is_minor for victim in victims) and self.chance(0.6):
            return self.organisations[data.MINORS_REFERRAL]
        if any(victim.citizenship not in ("", "US") for victim in victims) and self.chance(0.4):
            return self.organisations[data.FOREIGN_VICTIM_REFERRALS.pick(rng)]
        return self.organisations[data.SERVICE_REFERRALS.pick(rng)]

    def add_referrals(self, plan, worker, victims, forwarded_to=frozenset()):
        rng = self.rng
        for sent_at, kind in plan.sketch.referral_plan:
            organisation = self.referral_organisation(kind, plan.sketch, victims)
            law_enforcement = kind == "law_enforcement"
            if organisation.pk in forwarded_to:
                continue  # a rule sent the case there already: a partner gets it once
            due_at = None
            if law_enforcement:
                # Forwarding rule: law enforcement hears of urgent cases within a day.
                hours = 24 if plan.case.priority >= Priority.HIGH else 72
                due_at = sent_at + datetime.timedelta(hours=hours)
            referral = Referral(
                case=plan.case,
                organisation_id=organisation.pk,
                reason=(
                    Referral.Reason.LAW_ENFORCEMENT_REPORT
                    if law_enforcement
                    else data.SERVICE_REFERRAL_REASONS.pick(rng)
                ),
                sent_at=sent_at,
                due_at=due_at,
                shares_identities=self.chance(0.3 if law_enforcement else 0.6),
                sent_by_id=worker.pk,
                updated_at=sent_at,
            )
            plan.referrals.append(referral)
            plan.record(
                sent_at,
                worker,
                events.referral_sent,
                referral=referral,
                organisation=organisation,
                reason=referral.reason,
                shares_identities=referral.shares_identities,
            )
            partner_actor = self.partner_user if organisation == self.partner_organisation else None
            responded_at = sent_at + self.lognormal_hours(40 if law_enforcement else 20, 0.9)
            if responded_at > self.latest:
                continue
            self.answer_referral(plan, referral, organisation, partner_actor, responded_at)
            if law_enforcement and referral.status != Referral.Status.DECLINED:
                self.add_outcomes(plan, referral, organisation, partner_actor or worker)

    def answer_referral(self, plan, referral, organisation, partner_actor, responded_at):
        referral.status = data.REFERRAL_RESPONSES.pick(self.rng)
        referral.responded_at = referral.updated_at = responded_at
        plan.record(
            responded_at,
            partner_actor,
            events.referral_updated,
            referral=referral,
            fields=["status"],
            previous=Referral.Status.SENT.value,
            status=referral.status,
        )

    def add_outcomes(self, plan, referral, organisation, actor):
        """The funnel: about half the accepted reports become investigations, a third of those
        lead to charges, and half of those to a conviction (when enough time has passed)."""
        at = referral.responded_at
        for kind, probability, low_days, high_days in data.OUTCOME_FUNNEL:
            if not self.chance(probability):
                return
            at = at + datetime.timedelta(days=self.rng.uniform(low_days, high_days))
            if at > self.latest:
                return
            outcome = Outcome(
                case=plan.case,
                referral=referral,
                kind=kind,
                occurred_on=timezone.localtime(at).date(),
                agency=organisation.name,
                recorded_by_id=actor.pk,
                recorded_at=at,
            )
            plan.outcomes.append(outcome)
            plan.record(
                at,
                actor,
                events.outcome_recorded,
                outcome=outcome,
                outcome_kind=kind.value,
                referral=referral,
            )

    # -- forwarding rules --

    def rule_organisation(self, region, organisation_type):
        """The organisation a rule refers a case of the region to (cases/forwarding.py picks
        it), asked once per region and type."""
        key = (region.pk, organisation_type)
        if key not in self.rule_organisations:
            self.rule_organisations[key] = forwarding_rules.organisation_for(
                Case(region=region), organisation_type
            )
        return self.rule_organisations[key]

    def add_forwardings(self, plan, victims):
        """The forwarding rules the case met, as the forwarding sweep applies them a minute or
        two after what made it meet them (its opening, or the minor victim added): a Forwarding
        per rule and one referral per organisation, due at the earliest deadline; the
        partner's answer on time, late, or not yet. Returns the ids of the organisations
        referred to."""
        case, sketch = plan.case, plan.sketch
        minors = [victim for victim in victims if victim.is_minor is True]
        facts = {
            "trafficking_type": case.trafficking_type,
            "minor_victim": bool(minors),
            "adult_victims": bool(victims) and not minors,
            "imminent_danger": case.priority == Priority.CRITICAL
            or any(tip.urgency == Urgency.IMMINENT_DANGER for tip in sketch.tips),
            "consent": False,  # the demo records no consent to forward
        }
        matched = [rule for rule in self.rules if forwarding_rules.rule_matches(rule, facts)]
        if not matched:
            return set()
        met_at = case.opened_at
        if any(rule.requires_minor_victim for rule in matched):
            met_at = max(met_at, min(victim.created_at for victim in minors))
        matched_at = met_at + datetime.timedelta(seconds=self.rng.uniform(20, 120))
        if matched_at > min(plan.work_ends, self.latest):
            return set()  # closed (or the history ended) before the sweep came round
        organisations = {
            rule.pk: self.rule_organisation(sketch.region, rule.organisation_type)
            for rule in matched
        }
        referrals = {}
        for organisation in {org for org in organisations.values() if org is not None}:
            group = [rule for rule in matched if organisations[rule.pk] == organisation]
            first = min(group, key=lambda rule: (rule.due_within_hours, rule.pk))
            referrals[organisation.pk] = self.forwarding_referral(
                plan, organisation, first, matched_at
            )
        for rule in matched:
            organisation = organisations[rule.pk]
            if organisation is None:
                continue  # no partner of the type anywhere: the demo does not show this
            referral = referrals[organisation.pk]
            due_at = matched_at + datetime.timedelta(hours=rule.due_within_hours)
            row = Forwarding(
                case=case,
                rule_id=rule.pk,
                organisation_type=rule.organisation_type,
                matched_at=matched_at,
                due_at=due_at,
                referral=referral,
                completed_at=referral.responded_at,
            )
            plan.forwardings.append(row)
            plan.record(
                matched_at,
                None,
                events.forwarding_due,
                forwarding=row,
                rule=rule,
                due_at=due_at,
                referral=referral,
            )
            self.forwarding_notices(plan, row)
        return set(referrals)

    def forwarding_referral(self, plan, organisation, rule, matched_at):
        """The referral a rule makes (sent by nobody: the sweep), and the partner's answer."""
        due_at = matched_at + datetime.timedelta(hours=rule.due_within_hours)
        referral = Referral(
            case=plan.case,
            organisation_id=organisation.pk,
            reason=rule.reason,
            sent_at=matched_at,
            due_at=due_at,
            shares_identities=False,
            sent_by_id=None,
            updated_at=matched_at,
        )
        plan.referrals.append(referral)
        plan.record(
            matched_at,
            None,
            events.referral_sent,
            referral=referral,
            organisation=organisation,
            reason=referral.reason,
            shares_identities=False,
        )
        # Most answer within the deadline, some after it; an immediate deadline is always
        # missed by a little.
        median_hours = max(1.5, 0.55 * rule.due_within_hours)
        responded_at = matched_at + self.lognormal_hours(median_hours, 0.9)
        unanswered = plan.sketch.operation is not None and data.OPERATION_CASES[
            plan.sketch.operation
        ].get("unanswered")
        if responded_at <= self.latest and not unanswered:
            partner_actor = self.partner_user if organisation == self.partner_organisation else None
            self.answer_referral(plan, referral, organisation, partner_actor, responded_at)
            if referral.status != Referral.Status.DECLINED:
                actor = partner_actor or plan.sketch.creator
                self.add_outcomes(plan, referral, organisation, actor)
        return referral

    def forwarding_notices(self, plan, row):
        """The notices the sweep sends: "due soon" within the warning hours of the deadline,
        "overdue" once it passed, each once and only while the partner has not answered."""
        from django.conf import settings

        def pending(at):
            return at <= self.latest and (row.completed_at is None or row.completed_at > at)

        warning = datetime.timedelta(hours=settings.HOTLINE_DEADLINE_WARNING_HOURS)
        soon_at = max(row.matched_at, row.due_at - warning) + datetime.timedelta(
            seconds=self.rng.uniform(5, 60)
        )
        if soon_at < row.due_at and pending(soon_at):
            row.soon_notified_at = soon_at
        overdue_at = row.due_at + datetime.timedelta(seconds=self.rng.uniform(5, 60))
        if pending(overdue_at):
            row.overdue_notified_at = overdue_at
            plan.record(
                overdue_at, None, events.forwarding_overdue, forwarding=row, due_at=row.due_at
            )
        if row.completed_at is not None:
            plan.record(
                row.completed_at,
                None,
                events.forwarding_completed,
                forwarding=row,
                completed_at=row.completed_at,
                due_at=row.due_at,
            )

    # -- the demo operation --

    def operation_course(self, number, opened_at):
        """The demo advocate, the steps and the referrals by hand of an operation case."""
        spec = data.OPERATION_CASES[number]
        steps = [
            (opened_at + datetime.timedelta(hours=hours), Status(status), "")
            for hours, status in spec["steps"]
        ]
        referrals = [
            (opened_at + datetime.timedelta(hours=hours), "law_enforcement")
            for hours in spec["referrals"]
        ]
        steps = [step for step in steps if step[0] <= self.latest]
        referrals = [referral for referral in referrals if referral[0] <= self.latest]
        return self.demo_advocate, steps, referrals

    def operation_specs(self):
        """The operation's identifiers, each written differently from case to case."""
        area, line = data.OPERATION_PHONE
        handle = "marcus.vip832"
        tag = "BigMPay832"
        return {
            "phone": IdentifierSpec(
                IdKind.PHONE,
                "",
                [
                    f"({area}) 555-{line:04d}",
                    f"{area}.555.{line:04d}",
                    f"+1 {area} 555 {line:04d}",
                    f"{area}-555-{line:04d}",
                ],
            ),
            "handle": IdentifierSpec(
                IdKind.HANDLE,
                Identifier.Platform.INSTAGRAM,
                [
                    f"@{handle}",
                    data.PROFILE_URLS[Identifier.Platform.INSTAGRAM].format("Marcus.VIP832"),
                    "@Marcus.Vip832",
                ],
            ),
            "cashtag": IdentifierSpec(
                IdKind.PAYMENT_ACCOUNT, "", [f"${tag}", f"${tag.lower()}", f"$ {tag}"]
            ),
            "business": IdentifierSpec(
                IdKind.BUSINESS_NAME,
                "",
                [
                    data.OPERATION_MOTEL,
                    f"{data.OPERATION_MOTEL.upper()} LLC",
                    f"{data.OPERATION_MOTEL}, LLC",
                ],
            ),
            "plate": IdentifierSpec(IdKind.VEHICLE, "", ["KHD 4471", "khd-4471"]),
        }

    def add_operation_parts(self, plan, actor):
        """Who and what each operation case records; returns its victims."""
        number = plan.sketch.operation
        if number == 0:
            self.operation = self.operation_specs()
            self.operation_address = self.address_spec(
                self.address_parts(plan.sketch.region)
            ).spellings
        specs = self.operation
        at = self.after(plan.case.opened_at, 0.2, 3, until=plan.work_ends)
        person, organisation = Party.Kind.PERSON, Party.Kind.ORGANISATION

        def party(role, name="", kind=person, **fields):
            return self.add_party(plan, actor, at, kind=kind, role=role, name=name, **fields)

        def victim(name, age_band, is_minor=False):
            return party(
                PartyRole.POTENTIAL_VICTIM,
                name,
                age_band=age_band,
                gender=Gender.FEMININE,
                is_minor=is_minor,
                citizenship="US",
            )

        def man(role, name, aliases="", age_band=AgeBand.AGE_30_38):
            return party(
                role,
                name,
                aliases=aliases,
                age_band=age_band,
                gender=Gender.MASCULINE,
                is_minor=False,
                citizenship="US",
            )

        def identify(spec, owner=None):
            self.add_identifier(plan, actor, at, spec, party=owner)

        def venue(name, spelling):
            row = Venue(
                case=plan.case,
                name=name,
                industry_id=plan.sketch.industry.pk,
                region_id=plan.sketch.region.pk,
                address=self.operation_address[spelling],
                created_by_id=actor.pk,
                created_at=at,
            )
            plan.venues.append(row)
            plan.record(at, actor, events.venue_added, venue=row)

        if number == 0:
            victims = [victim("Brianna Cole", AgeBand.AGE_18_20)]
            recruiter = man(PartyRole.RECRUITER, "Marcus Lowell", "Big M", AgeBand.AGE_27_29)
            identify(specs["phone"], recruiter)
            identify(specs["handle"], recruiter)
            identify(specs["cashtag"], recruiter)
            venue(data.OPERATION_MOTEL, 0)
        elif number == 1:
            victims = [victim("Jasmine Price", AgeBand.AGE_21_23)]
            driver = man(PartyRole.TRANSPORTER, "Ray Dupree", age_band=AgeBand.AGE_39_47)
            identify(specs["phone"], driver)
            identify(specs["plate"], driver)
            man(PartyRole.RECRUITER, "", "Big M")
            venue("Gulfbreeze Motel", 1)
        elif number == 2:
            victims = [victim("", AgeBand.AGE_18_20), victim("", AgeBand.AGE_21_23)]
            motel = party(PartyRole.EXPLOITER, f"{data.OPERATION_MOTEL} LLC", organisation)
            identify(specs["business"], motel)
            recruiter = man(PartyRole.RECRUITER, "", "Big M")
            identify(specs["handle"], recruiter)
            identify(specs["cashtag"], recruiter)
        else:
            victims = [victim("", AgeBand.AGE_9_17, is_minor=True)]
            recruiter = man(PartyRole.RECRUITER, "Marcus Lowel", age_band=AgeBand.AGE_27_29)
            identify(specs["handle"], recruiter)
            identify(specs["phone"], recruiter)
            driver = man(PartyRole.TRANSPORTER, "Ray Dupree", age_band=AgeBand.AGE_39_47)
            identify(specs["plate"], driver)
            venue("Gulf Breeze Motel", 2)
        for case_number, amount, days_before, direction, note in data.OPERATION_TRANSACTIONS:
            if case_number == number:
                self.add_transaction_clue(plan, actor, at, amount, days_before, direction, note)
        return victims

    def add_transaction_clue(self, plan, actor, at, amount, days_before, direction, note):
        """A payment seen on the case's payment account, as transaction_clue_add records it."""
        account = next(row for row in plan.identifiers if row.kind == IdKind.PAYMENT_ACCOUNT)
        clue = TransactionClue(
            identifier=account,
            direction=direction,
            amount=decimal.Decimal(amount),
            currency="USD",
            occurred_on=timezone.localtime(plan.case.opened_at).date()
            - datetime.timedelta(days=days_before),
            note=note,
            created_by_id=actor.pk,
            created_at=at,
        )
        plan.clues.append(clue)
        plan.record(at, actor, transaction_clue_recorded, identifier=account, clue=clue)

    def match_operation(self):
        """Match the operation's identifiers, parties and venues as production does once a
        service has added them (cases.tasks.match_record, run here in the process): its cases
        then wait in the link suggestions for a supervisor to confirm. The rest of the history
        is left to the match sweep, as after any bulk load."""
        from cases import tasks

        for plan in self.operation_plans:
            for kind, rows in (
                ("identifier", plan.identifiers),
                ("party", plan.parties),
                ("venue", plan.venues),
            ):
                for row in rows:
                    tasks.match_record(kind, row.pk)


def transaction_clue_recorded(*, identifier, clue):
    """The event cases.services.transaction_clue_add writes."""
    kind, values = events.identifier_updated(
        identifier=identifier, identifier_kind=identifier.kind, fields=["transaction_clue"]
    )
    return kind, {**values, "transaction_clue": clue.pk}
