"""Synthetic demo data: three years of calls, tips and cases that look like a real hotline's.

Used by `manage.py seed_demo`. Everything is drawn from one `random.Random(seed)` and from
Faker instances seeded from it, in a fixed order, against a fixed "now" (midnight at the start
of `today`): the same seed and the same day give the same data, row for row, in SQLite and in
PostgreSQL alike.

The bulk is written with bulk_create in batches, not through the services, so that 100,000
calls load in well under a minute; every row still obeys the database's rules, and each case
gets the timeline events the services would have written for what was generated. Nothing here
is real: phone numbers are in the 555-01xx range reserved for fiction, e-mail addresses use the
example.* domains, and the partner organisations are marked "(demo)".
"""

import bisect
import datetime
import heapq
import itertools
import math
import random
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import reset_queries, transaction
from django.utils import timezone
from faker import Faker

from cases import identifiers, workflow
from cases.models import (
    Case,
    CaseEvent,
    CaseReferenceCounter,
    ClosingReason,
    Identifier,
    Note,
    Outcome,
    Party,
    Priority,
    Referral,
    Venue,
)
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
from hotline.services import user_create

Kind = CaseEvent.Kind
OrgType = PartnerOrganisation.Type
IdKind = Identifier.Kind
Platform = Identifier.Platform
AgeBand = Party.AgeBand
Gender = Party.Gender
PartyRole = Party.Role

YEARS_OF_HISTORY = 3
CALL_BATCH = 2_000
CASE_BATCH = 500


# --- Demo accounts and organisations ------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    password: str
    first_name: str
    last_name: str
    team: str = ""
    organisation: str = ""
    language: str = "en"


DEMO_TEAMS = ("Day shift", "Night shift", "Spanish line")

DEMO_PARTNER_ORGANISATION = "Federal Anti-Trafficking Task Force (demo)"

# (name, HTCDS organisation type, region code or "", e-mail)
DEMO_ORGANISATIONS = (
    (DEMO_PARTNER_ORGANISATION, OrgType.LAW_ENFORCEMENT, "US", "tips@task-force.example.org"),
    ("California Anti-Trafficking Unit (demo)", OrgType.LAW_ENFORCEMENT, "US-CA", ""),
    ("Texas Anti-Trafficking Unit (demo)", OrgType.LAW_ENFORCEMENT, "US-TX", ""),
    ("Florida Anti-Trafficking Unit (demo)", OrgType.LAW_ENFORCEMENT, "US-FL", ""),
    ("New York Anti-Trafficking Unit (demo)", OrgType.LAW_ENFORCEMENT, "US-NY", ""),
    ("Harbor Light Survivor Services (demo)", OrgType.NGO, "", "intake@harborlight.example.org"),
    ("Safe Passage Shelter Network (demo)", OrgType.NGO, "", ""),
    ("Community Health Partners (demo)", OrgType.HEALTH_SERVICE, "", ""),
    ("Immigrant Justice Legal Aid (demo)", OrgType.LEGAL_SERVICE, "", ""),
    ("County Child Protective Services (demo)", OrgType.LOCAL_GOVERNMENT, "", ""),
    ("Federal Victim Assistance Office (demo)", OrgType.CENTRAL_GOVERNMENT, "US", ""),
    ("Immigration Relief Office (demo)", OrgType.IMMIGRATION_SERVICE, "US", ""),
    ("First Harbor Bank Financial Crimes Unit (demo)", OrgType.CORPORATE_BUSINESS, "", ""),
    ("State University Trafficking Research Lab (demo)", OrgType.SCHOOL_OR_COLLEGE, "", ""),
)

# Every demo advocate shares the advocate password: one less thing to remember in a demo.
DEMO_ACCOUNTS = (
    DemoAccount("advocate", "advocate", "advocate-demo-2026", "Alex", "Morgan", team="Day shift"),
    DemoAccount(
        "supervisor", "supervisor", "supervisor-demo-2026", "Sam", "Okafor", team="Day shift"
    ),
    DemoAccount(
        "partner",
        "partner",
        "partner-demo-2026",
        "Pat",
        "Reyes",
        organisation=DEMO_PARTNER_ORGANISATION,
    ),
    DemoAccount("admin", "admin", "admin-demo-2026", "Ada", "Lindqvist"),
    DemoAccount("advocate", "jordan", "advocate-demo-2026", "Jordan", "Blake", team="Day shift"),
    DemoAccount("advocate", "kim", "advocate-demo-2026", "Kim", "Nguyen", team="Night shift"),
    DemoAccount("advocate", "lee", "advocate-demo-2026", "Lee", "Harper", team="Night shift"),
    DemoAccount(
        "advocate", "maria", "advocate-demo-2026", "María", "Torres", "Spanish line", "", "es"
    ),
    DemoAccount(
        "advocate", "tomas", "advocate-demo-2026", "Tomás", "Ibarra", "Spanish line", "", "es"
    ),
)


def organisations_ensure():
    """The demo partner organisations by name, created when missing."""
    regions = {
        region.code: region
        for region in Region.objects.filter(code__in={row[2] for row in DEMO_ORGANISATIONS})
    }
    found = {}
    for name, org_type, region_code, email in DEMO_ORGANISATIONS:
        found[name], _created = PartnerOrganisation.objects.get_or_create(
            name=name,
            defaults={"type": org_type, "region": regions.get(region_code), "email": email},
        )
    return found


@transaction.atomic
def accounts_ensure():
    """Create the demo accounts, or put existing ones back to their demo role and password.

    Returns the DemoAccount rows, for printing.
    """
    organisations = organisations_ensure()
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in DEMO_TEAMS}
    for account in DEMO_ACCOUNTS:
        team = teams.get(account.team)
        organisation = organisations.get(account.organisation)
        user = User.objects.filter(username=account.username).first()
        if user is None:
            user = user_create(
                username=account.username,
                password=account.password,
                role=account.role,
                email=f"{account.username}@hotline.example.org",
                first_name=account.first_name,
                last_name=account.last_name,
                team=team,
                organisation=organisation,
            )
        else:
            validate_password(account.password, user)
            user.set_password(account.password)
            user.team, user.organisation, user.is_active = team, organisation, True
            user.is_staff = account.role != Role.PARTNER
            user.groups.set([Group.objects.get(name=account.role)])
        user.language = account.language
        user.save()
    return DEMO_ACCOUNTS


def data_present():
    """Whether the database already holds calls or cases (demo or real)."""
    return Call.objects.exists() or Case.objects.exists()


# --- Shares ---------------------------------------------------------------------------------------


class Weighted:
    """Values with relative weights, drawn with a caller's Random (so draws stay seeded)."""

    def __init__(self, weights):
        weights = {value: weight for value, weight in dict(weights).items() if weight > 0}
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))

    def pick(self, rng):
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]


CT = Call.CallerType
# Polaris: most signals come from community members and family; about one in seven from
# potential victims and survivors themselves.
CALLER_TYPES = Weighted(
    {
        CT.COMMUNITY_MEMBER: 36,
        CT.FAMILY_OR_FRIEND: 17,
        CT.POTENTIAL_VICTIM: 11,
        CT.SURVIVOR: 3,
        CT.SERVICE_PROVIDER: 12,
        CT.LAW_ENFORCEMENT: 5,
        CT.BUSINESS: 4,
        CT.ANONYMOUS: 12,
    }
)
# Callers whose call becomes a case are more often the victims themselves.
CASE_CALLER_TYPES = Weighted(
    {
        CT.COMMUNITY_MEMBER: 28,
        CT.FAMILY_OR_FRIEND: 20,
        CT.POTENTIAL_VICTIM: 22,
        CT.SURVIVOR: 4,
        CT.SERVICE_PROVIDER: 14,
        CT.LAW_ENFORCEMENT: 6,
        CT.BUSINESS: 2,
        CT.ANONYMOUS: 4,
    }
)
CHANNELS = Weighted(
    {
        Call.Channel.PHONE: 60,
        Call.Channel.WEB_FORM: 17,
        Call.Channel.EMAIL: 10,
        Call.Channel.SMS: 8,
        Call.Channel.CHAT: 5,
    }
)
LANGUAGES = Weighted(
    {
        "en": 86,
        "es": 10,
        "fr": 0.6,
        "pt": 0.6,
        "zh": 0.5,
        "vi": 0.5,
        "ko": 0.4,
        "ru": 0.4,
        "ar": 0.4,
        "ht": 0.3,
        "tl": 0.3,
    }
)
SPANISH_SPEAKING_REGIONS = {"US-PR": 0.8}
CR = Call.Reason
CALL_REASONS = Weighted(
    {
        CR.TRAFFICKING_TIP: 34,
        CR.GENERAL_INFORMATION: 24,
        CR.SERVICES_REQUEST: 18,
        CR.NOT_RELATED: 18,
        CR.CRISIS: 6,
    }
)
TIP_URGENCY = Weighted({Urgency.ROUTINE: 72, Urgency.URGENT: 22, Urgency.IMMINENT_DANGER: 6})
CRISIS_URGENCY = Weighted({Urgency.URGENT: 60, Urgency.IMMINENT_DANGER: 40})
# Median minutes a conversation lasts; e-mails and web forms have no duration.
CALL_MINUTES = {Call.Channel.PHONE: 9, Call.Channel.CHAT: 18, Call.Channel.SMS: 25}
# Relative volume by hour of the day: calls follow waking hours but never stop.
HOURS = Weighted(
    dict(
        enumerate(
            [2, 1.5, 1, 1, 1, 1.5, 2.5, 4, 6, 7, 7.5, 7.5, 7, 7, 7, 7, 7, 6.5, 6, 5.5, 5, 4.5, 4, 3]
        )
    )
)
# Signals grew year on year: the last day of the history is this much busier than the first.
GROWTH = 0.35

# Polaris typology: the industries hotline cases most often come from.
INDUSTRIES = Weighted(
    {
        "escort_services": 19,
        "illicit_massage_health_beauty": 11,
        "outdoor_solicitation": 8,
        "residential": 7,
        "domestic_work": 7,
        "agriculture_animal_husbandry": 6,
        "bars_strip_clubs_cantinas": 4,
        "pornography": 3.5,
        "personal_sexual_servitude": 3.5,
        "remote_interactive_sexual_acts": 2.5,
        "restaurants_food_service": 3,
        "traveling_sales_crews": 2,
        "peddling_begging": 1.5,
        "health_beauty_services": 2,
        "construction": 2,
        "hotels_hospitality": 1.5,
        "landscaping": 1,
        "illicit_activities": 2,
        "arts_entertainment": 0.8,
        "commercial_cleaning": 1,
        "factories_manufacturing": 1,
        "carnivals": 0.4,
        "forestry_logging": 0.3,
        "health_care": 0.7,
        "recreational_facilities": 0.5,
        "other": 2,
        "unknown": 9,
    }
)
TT = TraffickingType
# The trafficking type a case of each industry form has: always one the form allows.
TYPE_FOR_FORM = {
    Industry.Form.SEX: Weighted({TT.SEX: 95, TT.SEX_AND_LABOR: 5}),
    Industry.Form.LABOR: Weighted({TT.LABOR: 96, TT.SEX_AND_LABOR: 4}),
    Industry.Form.SEX_AND_LABOR: Weighted({TT.SEX: 55, TT.LABOR: 25, TT.SEX_AND_LABOR: 20}),
    Industry.Form.UNSPECIFIED: Weighted(
        {TT.UNKNOWN: 55, TT.SEX: 25, TT.LABOR: 15, TT.SEX_AND_LABOR: 5}
    ),
}

CASE_SOURCES = Weighted({"call_tip": 72, "call": 10, "partner_tip": 10, "none": 8})
PRIORITY_FOR_URGENCY = {
    Urgency.ROUTINE: Weighted({Priority.LOW: 22, Priority.NORMAL: 70, Priority.HIGH: 8}),
    Urgency.URGENT: Weighted({Priority.NORMAL: 25, Priority.HIGH: 65, Priority.CRITICAL: 10}),
    Urgency.IMMINENT_DANGER: Weighted({Priority.HIGH: 20, Priority.CRITICAL: 80}),
}
VICTIM_COUNTS = Weighted({1: 52, 2: 19, 3: 9, 4: 5, 5: 4, 6: 3, 8: 3, 12: 2.5, 20: 1.5, 40: 1})

QUICK_CLOSING = Weighted(
    {
        ClosingReason.UNABLE_TO_CONTACT: 40,
        ClosingReason.NO_TRAFFICKING_INDICATED: 40,
        ClosingReason.DUPLICATE: 12,
        ClosingReason.DECLINED_ASSISTANCE: 8,
    }
)
CLOSING_WITHOUT_REFERRAL = Weighted(
    {
        ClosingReason.SERVICES_PROVIDED: 35,
        ClosingReason.NO_TRAFFICKING_INDICATED: 20,
        ClosingReason.UNABLE_TO_CONTACT: 22,
        ClosingReason.DECLINED_ASSISTANCE: 13,
        ClosingReason.DUPLICATE: 4,
        ClosingReason.OTHER: 6,
    }
)

METHODS_OF_CONTROL = {
    TT.SEX: Weighted(
        {
            "PsychologicalAbuse": 30,
            "PhysicalAbuse": 20,
            "TakesEarnings": 25,
            "FalsePromises": 15,
            "PsychoactiveSubstance": 18,
            "PhysicalThreats": 15,
            "SexualAbuse": 10,
            "ThreatensChildrenFamily": 6,
            "WithholdsNecessities": 4,
        }
    ),
    TT.LABOR: Weighted(
        {
            "WithholdsDocuments": 25,
            "DebtBondage": 22,
            "ExcessiveWorkingHours": 20,
            "TakesEarnings": 18,
            "ThreatsLawEnforcement": 18,
            "FalsePromises": 20,
            "RestrictsFinancialAccess": 8,
            "WithholdsNecessities": 8,
            "PhysicalThreats": 6,
        }
    ),
}

# Demographics of potential victims (CTDC age bands, HTCDS genders, ISO citizenship).
AGE_BANDS = {
    TT.SEX: Weighted(
        {
            AgeBand.AGE_0_8: 1.5,
            AgeBand.AGE_9_17: 26,
            AgeBand.AGE_18_20: 16,
            AgeBand.AGE_21_23: 13,
            AgeBand.AGE_24_26: 10,
            AgeBand.AGE_27_29: 8,
            AgeBand.AGE_30_38: 11,
            AgeBand.AGE_39_47: 4,
            AgeBand.AGE_48_PLUS: 1.5,
            AgeBand.UNKNOWN: 9,
        }
    ),
    TT.LABOR: Weighted(
        {
            AgeBand.AGE_0_8: 1,
            AgeBand.AGE_9_17: 7,
            AgeBand.AGE_18_20: 7,
            AgeBand.AGE_21_23: 9,
            AgeBand.AGE_24_26: 10,
            AgeBand.AGE_27_29: 10,
            AgeBand.AGE_30_38: 21,
            AgeBand.AGE_39_47: 13,
            AgeBand.AGE_48_PLUS: 8,
            AgeBand.UNKNOWN: 14,
        }
    ),
}
VICTIM_GENDERS = {
    TT.SEX: Weighted(
        {
            Gender.FEMININE: 80,
            Gender.MASCULINE: 9,
            Gender.TRANSGENDER_FEMININE: 4,
            Gender.TRANSGENDER_MASCULINE: 1,
            Gender.NON_CONFORMING: 1,
            Gender.UNKNOWN: 5,
        }
    ),
    TT.LABOR: Weighted(
        {
            Gender.FEMININE: 38,
            Gender.MASCULINE: 52,
            Gender.TRANSGENDER_FEMININE: 1,
            Gender.NON_CONFORMING: 1,
            Gender.UNKNOWN: 8,
        }
    ),
}
CITIZENSHIPS = {
    TT.SEX: Weighted(
        {
            "US": 74,
            "MX": 8,
            "": 9,
            "GT": 1.5,
            "HN": 1.5,
            "CN": 1.5,
            "KR": 1,
            "TH": 1,
            "RU": 1,
            "UA": 1,
        }
    ),
    TT.LABOR: Weighted(
        {
            "MX": 25,
            "US": 22,
            "GT": 10,
            "HN": 7,
            "SV": 4,
            "PH": 7,
            "IN": 4,
            "CN": 3,
            "VN": 2,
            "JM": 2,
            "": 14,
        }
    ),
}
# Which Faker locale names a person of each citizenship.
NAME_LOCALES = {
    "MX": "es_MX",
    "GT": "es_MX",
    "HN": "es_MX",
    "SV": "es_MX",
    "PH": "en_PH",
    "IN": "en_IN",
    "VN": "vi_VN",
}
PERPETRATOR_ROLES = {
    TT.SEX: Weighted(
        {
            PartyRole.EXPLOITER: 44,
            PartyRole.RECRUITER: 20,
            PartyRole.CONTROLLER: 14,
            PartyRole.TRANSPORTER: 8,
            PartyRole.BUYER: 8,
            PartyRole.FACILITATOR: 5,
            PartyRole.DOCUMENT_FORGER: 1,
        }
    ),
    TT.LABOR: Weighted(
        {
            PartyRole.EXPLOITER: 36,
            PartyRole.RECRUITER: 28,
            PartyRole.TRANSPORTER: 10,
            PartyRole.DOCUMENT_FORGER: 9,
            PartyRole.CONTROLLER: 10,
            PartyRole.FACILITATOR: 7,
        }
    ),
}
PERPETRATOR_COUNTS = Weighted({0: 14, 1: 44, 2: 28, 3: 11, 4: 3})
PERPETRATOR_GENDERS = Weighted({Gender.MASCULINE: 68, Gender.FEMININE: 26, Gender.UNKNOWN: 6})
PERPETRATOR_AGE_BANDS = Weighted(
    {
        AgeBand.UNKNOWN: 45,
        AgeBand.AGE_21_23: 6,
        AgeBand.AGE_24_26: 8,
        AgeBand.AGE_27_29: 10,
        AgeBand.AGE_30_38: 18,
        AgeBand.AGE_39_47: 9,
        AgeBand.AGE_48_PLUS: 4,
    }
)
ALIASES = (
    "Papi", "Daddy", "Big Mike", "Boss", "El Jefe", "Tío", "Mama", "Auntie", "Coach",
    "Chino", "Flaco", "Red", "Diamond", "Smoke", "Manager", "Uncle", "Sunny",
)  # fmt: skip
HANDLE_PLATFORMS = {
    TT.SEX: Weighted(
        {
            Platform.INSTAGRAM: 22,
            Platform.SNAPCHAT: 16,
            Platform.TELEGRAM: 12,
            Platform.WHATSAPP: 10,
            Platform.ONLYFANS: 8,
            Platform.X: 8,
            Platform.TIKTOK: 8,
            Platform.FACEBOOK: 8,
            Platform.OTHER: 2,
        }
    ),
    TT.LABOR: Weighted(
        {
            Platform.FACEBOOK: 35,
            Platform.WHATSAPP: 35,
            Platform.WECHAT: 8,
            Platform.TELEGRAM: 6,
            Platform.VIBER: 6,
            Platform.LINE: 4,
            Platform.INSTAGRAM: 6,
        }
    ),
}
# How a profile address is written for platforms whose URLs end in the handle.
PROFILE_URLS = {
    Platform.INSTAGRAM: "https://www.instagram.com/{}",
    Platform.FACEBOOK: "https://www.facebook.com/{}",
    Platform.TIKTOK: "https://www.tiktok.com/@{}",
    Platform.X: "https://x.com/{}",
    Platform.TELEGRAM: "t.me/{}",
    Platform.ONLYFANS: "onlyfans.com/{}",
}
PHONE_APPS = {Platform.WHATSAPP, Platform.VIBER}
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")

# Which partners a case is referred to.
SERVICE_REFERRALS = Weighted(
    {
        "Harbor Light Survivor Services (demo)": 30,
        "Safe Passage Shelter Network (demo)": 25,
        "Community Health Partners (demo)": 15,
        "Immigrant Justice Legal Aid (demo)": 12,
        "Federal Victim Assistance Office (demo)": 5,
    }
)
MINORS_REFERRAL = "County Child Protective Services (demo)"
FOREIGN_VICTIM_REFERRALS = Weighted(
    {"Immigrant Justice Legal Aid (demo)": 60, "Immigration Relief Office (demo)": 40}
)
PARTNER_TIP_SOURCES = Weighted(
    {
        DEMO_PARTNER_ORGANISATION: 30,
        "Texas Anti-Trafficking Unit (demo)": 10,
        "California Anti-Trafficking Unit (demo)": 10,
        "Harbor Light Survivor Services (demo)": 20,
        "Community Health Partners (demo)": 15,
        "First Harbor Bank Financial Crimes Unit (demo)": 15,
    }
)
SERVICE_REFERRAL_REASONS = Weighted(
    {
        Referral.Reason.ADDITIONAL_SERVICES: 85,
        Referral.Reason.MIGRATION_OR_RELOCATION: 10,
        Referral.Reason.OTHER: 5,
    }
)
# What becomes of tips that no case came from, once someone has looked at them.
TRIAGE_DECISIONS = Weighted(
    {Tip.TriageState.TRIAGED: 25, Tip.TriageState.NO_ACTION: 55, Tip.TriageState.DUPLICATE: 20}
)
REFERRAL_RESPONSES = Weighted(
    {Referral.Status.ACCEPTED: 70, Referral.Status.DECLINED: 14, Referral.Status.CLOSED: 16}
)

# Short, name-free descriptions: what callers report, industry by industry.
OBSERVATIONS = {
    "escort_services": (
        "Online ads for the same young woman appear in several cities with the same number.",
        "A woman at a hotel says her boyfriend posts her ads and keeps the money.",
    ),
    "illicit_massage_health_beauty": (
        "A massage business is open late; the women seem to live on site and never leave alone.",
        "Windows of a spa are covered and men come and go at night.",
    ),
    "outdoor_solicitation": (
        "A teenager is dropped off on the same corner every night and picked up by an older man.",
        "Young women are working a truck stop and handing money to a man in a car.",
    ),
    "residential": (
        "Many men visit a house at night; the windows are covered and the door is watched.",
        "Neighbour sees young women moved in and out of an apartment every few days.",
    ),
    "domestic_work": (
        "A nanny works every day of the week, is not paid and her passport is kept by the family.",
        "A housekeeper is not allowed to leave the house or use a phone.",
    ),
    "bars_strip_clubs_cantinas": (
        "Waitresses at a cantina say they owe the owner money for their travel.",
        "Dancers at a club are driven to and from work and say they cannot quit.",
    ),
    "pornography": ("A minor is being pressured to make explicit videos for money.",),
    "traveling_sales_crews": (
        "Sales crew members selling door to door say their manager keeps their pay and IDs.",
    ),
    "restaurants_food_service": (
        "Kitchen workers sleep in the restaurant and say they cannot leave until a debt is paid.",
    ),
    "peddling_begging": (
        "Children selling candy outside stores late at night are collected by the same van.",
    ),
    "agriculture_animal_husbandry": (
        "Farm workers on visas say the crew leader holds their passports and charges for housing.",
        "Dairy workers are paid far less than promised and threatened with deportation.",
    ),
    "personal_sexual_servitude": (
        "A young woman says she was married against her will and is not allowed out alone.",
    ),
    "health_beauty_services": (
        "Nail salon workers are driven to work by the owner and all live in the same house.",
    ),
    "construction": (
        "Workers recruited abroad were charged recruitment fees and are paid less than promised.",
    ),
    "hotels_hospitality": (
        "Housekeeping staff hired through an agency say their wages go to pay off a debt.",
    ),
    "landscaping": (
        "A landscaping crew on work visas lives in a crowded trailer and is threatened.",
    ),
    "illicit_activities": ("Young people are forced to sell drugs to pay off a debt to a gang.",),
    "arts_entertainment": ("Performers brought in on visas say the agency keeps their passports.",),
    "commercial_cleaning": (
        "A night cleaning crew is not paid and is told police will arrest them if they complain.",
    ),
    "factories_manufacturing": (
        "Factory workers are locked in at night and paid only in housing and food.",
    ),
    "remote_interactive_sexual_acts": (
        "A woman says she is forced to perform on webcam and her partner takes the earnings.",
    ),
    "carnivals": ("Carnival workers say their employer withholds pay until the season ends.",),
    "forestry_logging": (
        "Tree planters recruited abroad work 14-hour days and owe the contractor for transport.",
    ),
    "health_care": (
        "Caregivers recruited abroad cannot quit because of a large contract penalty.",
    ),
    "recreational_facilities": (
        "Resort workers recruited abroad are charged for housing and cannot change jobs.",
    ),
    "other": ("Caller worries a friend is controlled by a new partner who took her ID.",),
    "unknown": (
        "Caller saw something that did not feel right but could not say what work was involved.",
        "Caller reports a young person who seems to be controlled by an older companion.",
    ),
}
OTHER_SUMMARIES = {
    CR.SERVICES_REQUEST: (
        "Survivor asks for help finding housing and legal services.",
        "Service provider requests a shelter referral for a survivor in their care.",
        "Request for immigration legal services for a survivor.",
        "Service provider asks for training materials for staff.",
    ),
    CR.GENERAL_INFORMATION: (
        "Caller asked what the hotline does and how to recognise trafficking.",
        "Student asked for statistics for a school project.",
        "Employer asked about the rules for recruiting workers from abroad.",
        "Caller asked how to report an online advertisement.",
    ),
    CR.CRISIS: (
        "Caller in immediate danger; connected to 911 and safety-planned.",
        "Person locked in a motel room asking for help; emergency services contacted.",
        "Survivor in crisis after being found by a former trafficker; safety plan made.",
    ),
    CR.NOT_RELATED: (
        "Wrong number.",
        "Caller asked about a landlord dispute; referred to a local housing line.",
        "Silent call; the caller hung up.",
        "Caller asked about an unrelated domestic dispute; given the local hotline number.",
    ),
}
NO_ACTION_REASONS = (
    "Not enough information to act on.",
    "No indicators of force, fraud or coercion; caller given labor rights resources.",
    "Situation already being handled by local police.",
    "Caller withdrew the report.",
)
NOTE_TEXTS = (
    "Called the reporting party back; no answer, no message left for safety reasons.",
    "Safety planning discussed with the potential victim.",
    "Shelter availability checked with the local service provider.",
    "Reporting party sent screenshots of the advertisement; saved to the case file.",
    "Caller agreed to a follow-up call in two days.",
    "Law enforcement contact confirmed receipt of the report.",
    "Potential victim does not want law enforcement involved at this time.",
    "Interpreter used for the follow-up call.",
    "Identifiers checked against earlier cases.",
    "Supervisor reviewed the case before referral.",
    "Potential victim moved to a safe location.",
)
# {adj} {place} {flower} {surname} {street} are filled in at random. Each name has two random
# parts or a surname, so that there are enough names for unrelated cases not to share one.
VENUE_NAMES = {
    "escort_services": ("{adj} {place} Inn", "{adj} {place} Motel", "{surname} Extended Stay"),
    "illicit_massage_health_beauty": (
        "{adj} {flower} Spa",
        "{flower} {place} Massage",
        "{adj} {place} Foot Spa",
    ),
    "outdoor_solicitation": ("{surname} Travel Center", "{adj} {place} Truck Stop"),
    "residential": ("Residence on {street}",),
    "domestic_work": ("Private residence on {street}",),
    "personal_sexual_servitude": ("Private residence on {street}",),
    "bars_strip_clubs_cantinas": (
        "Cantina {adj} {place}",
        "{adj} {place} Gentlemen's Club",
        "{surname}'s Bar",
    ),
    "pornography": ("{adj} {place} Studios",),
    "remote_interactive_sexual_acts": ("{adj} {place} Webcam Studio",),
    "traveling_sales_crews": ("{adj} {place} Subscriptions",),
    "restaurants_food_service": (
        "{surname}'s Kitchen",
        "{adj} {place} Buffet",
        "Taqueria {surname}",
    ),
    "agriculture_animal_husbandry": (
        "{surname} Farms",
        "{adj} {place} Orchards",
        "{surname} Dairy",
    ),
    "health_beauty_services": ("{adj} {place} Nails", "{flower} {place} Nail Salon"),
    "construction": ("{surname} Construction", "{surname} Builders"),
    "hotels_hospitality": ("{adj} {place} Suites", "{surname} Inn"),
    "landscaping": ("{surname} Landscaping", "{adj} {place} Lawn Care"),
    "illicit_activities": ("Residence on {street}",),
    "arts_entertainment": ("{adj} {place} Talent Agency",),
    "commercial_cleaning": ("{adj} {place} Cleaning Services", "{surname} Janitorial"),
    "factories_manufacturing": ("{adj} {place} Manufacturing", "{surname} Textiles"),
    "carnivals": ("{adj} {place} Amusements",),
    "forestry_logging": ("{surname} Timber",),
    "health_care": ("{adj} {place} Home Care", "{adj} {place} Senior Living"),
    "recreational_facilities": ("{adj} {place} Country Club", "{adj} {place} Resort"),
}
LABOR_BUSINESS_NAMES = (
    "{surname} Labor Contractors",
    "{surname} Staffing",
    "{surname} Recruiting",
    "{adj} {place} Workforce Solutions",
)
VENUE_ADJECTIVES = (
    "Golden", "Royal", "Sunrise", "Lucky", "Jade", "Pearl", "Silver", "Blue Sky", "Happy",
    "Paradise", "Star", "Oasis", "Crystal", "Harmony", "Sunset", "Evergreen", "Green", "Grand",
    "Majestic", "Diamond", "Ocean", "Tropical", "Imperial", "Regal", "Coral", "Sapphire",
    "Emerald", "Liberty", "Pacific", "Sunny", "Red Rock",
)  # fmt: skip
VENUE_PLACES = (
    "Palms", "Harbor", "Plaza", "Park", "Valley", "Garden", "Pines", "Springs", "Lake", "Bay",
    "Hills", "Point", "Crossing", "Ridge", "Meadows", "Grove", "Heights", "Landing", "Shores",
    "Station", "Square", "Village", "Creek", "Falls", "Canyon",
)  # fmt: skip
FLOWERS = ("Lotus", "Orchid", "Lily", "Rose", "Jasmine", "Cherry Blossom", "Magnolia")
BUSINESS_SUFFIXES = ("LLC", "Inc.", "Corp.", "Co.")
STREET_TYPES = {
    "Street": "St",
    "Avenue": "Ave",
    "Road": "Rd",
    "Boulevard": "Blvd",
    "Drive": "Dr",
    "Lane": "Ln",
    "Court": "Ct",
    "Place": "Pl",
}
DIRECTIONS = {"North": "N", "South": "S", "East": "E", "West": "W"}
CASHTAG_WORDS = ("cash", "pay", "vip", "money", "boss", "queen", "king", "baby", "star")
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
TIP_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


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
    region_id: int


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


POLARIS_NAME_ALIASES = {"Northern Marianas Islands": "US-MP", "U.S. Virgin Islands": "US-VI"}


def polaris_state_rows():
    """The rows of the Polaris 2024 state table, each with the code of its region."""
    codes = {
        region.name: region.code
        for region in Region.objects.filter(country_code="US", kind=Region.Kind.SUBDIVISION)
    }
    rows = reference_data.read_csv("polaris_hotline_state_statistics_2024.csv")
    for row in rows:
        name = row["State"]
        row["code"] = POLARIS_NAME_ALIASES.get(name) or codes.get(name)
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
    return Weighted({ids[row["code"]]: int(row[column]) for row in rows})


def seed(*, calls, cases, seed, today, progress=None):
    """Write `calls` calls and `cases` cases of demo data; returns the count of rows per kind."""
    generator = DemoGenerator(seed=seed, today=today, progress=progress or Progress(None))
    with transaction.atomic():
        return generator.run(call_total=calls, case_total=cases)


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
        # The tip each region heard of last, for marking later ones as its duplicates.
        self.last_tip_by_region = {}
        self.shared_actors = []
        self.shared_actors_by_region = {}
        self.partner_referred = False
        self.counts = dict.fromkeys(
            (
                "calls",
                "tips",
                "cases",
                "parties",
                "identifiers",
                "venues",
                "referrals",
                "outcomes",
                "notes",
                "events",
            ),
            0,
        )

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
        fraction = (math.sqrt(1 + GROWTH * (2 + GROWTH) * u) - 1) / GROWTH
        day = min(int(fraction * self.span_days), self.span_days - 1)
        moment = self.start + datetime.timedelta(
            days=day, hours=HOURS.pick(self.rng), seconds=self.rng.randrange(3600)
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
        return TYPE_FOR_FORM[industry.form].pick(self.rng)

    def tip_reference(self):
        while True:
            body = "".join(self.rng.choices(TIP_REFERENCE_ALPHABET, k=8))
            if body not in self.used_tip_references:
                self.used_tip_references.add(body)
                return f"T-{body[:4]}-{body[4:]}"

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
        self.partner_organisation = self.organisations[DEMO_PARTNER_ORGANISATION]
        self.state_law_enforcement = {
            org.region_id: org
            for org in self.organisations.values()
            if org.is_law_enforcement and org.region_id and org.region.kind == "subdivision"
        }
        users = {
            user.username: user
            for user in User.objects.filter(
                username__in=[account.username for account in DEMO_ACCOUNTS]
            )
        }
        advocates = [a.username for a in DEMO_ACCOUNTS if a.role == Role.ADVOCATE]
        self.supervisor = users["supervisor"]
        self.partner_user = users["partner"]
        # The demo "advocate" takes a bigger share, so that signing in as them shows a full desk.
        self.advocates = Weighted(
            {users[name]: (3 if name == "advocate" else 1) for name in advocates}
        )
        self.spanish_advocates = Weighted(
            {users[a.username]: 1 for a in DEMO_ACCOUNTS if a.language == "es"}
        )
        self.people_pools = {}
        self.city_pool = [self.faker().city() for _ in range(400)]
        # T-ABCD-EFGH is kept as ABCDEFGH, the form tip_reference draws.
        self.used_tip_references.update(
            reference[2:6] + reference[7:]
            for reference in Tip.objects.values_list("reference", flat=True)
        )
        self.last_numbers = dict(CaseReferenceCounter.objects.values_list("year", "last_number"))

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
        pool = self.people(NAME_LOCALES.get(citizenship, "en_US"))
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
        address = f"{self.username(name)}@{self.rng.choice(EMAIL_DOMAINS)}"
        local, _at, domain = address.partition("@")
        spellings = [
            address,
            f"{local.title()}@{domain}",
            address.upper(),
            f"mailto:{address}",
        ]
        return self.rotated(IdentifierSpec(IdKind.EMAIL, "", spellings))

    def handle_spec(self, name, trafficking_type):
        platform = HANDLE_PLATFORMS[self.type_family(trafficking_type)].pick(self.rng)
        if platform in PHONE_APPS:
            phone = self.phone_spec()
            return self.rotated(IdentifierSpec(IdKind.HANDLE, platform, phone.spellings))
        handle = self.username(name).replace(".", self.rng.choice(["_", ".", ""]))
        spellings = [f"@{handle}", handle, handle.upper() if self.chance(0.3) else handle.title()]
        if platform in PROFILE_URLS:
            spellings.append(PROFILE_URLS[platform].format(handle))
        return self.rotated(IdentifierSpec(IdKind.HANDLE, platform, spellings))

    def vehicle_spec(self):
        letters = "".join(self.rng.choice(LETTERS) for _ in range(3))
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
            tag = (
                f"{ascii_word(name.split(' ')[0]).title()}{self.rng.choice(CASHTAG_WORDS).title()}"
            )
            tag = f"{tag}{self.rng.randrange(1, 99)}"
            spellings = [f"${tag}", f"${tag.lower()}", f"$ {tag}", f"${tag.upper()}"]
        elif self.chance(0.5):
            address = f"{self.username(name)}@{self.rng.choice(EMAIL_DOMAINS)}"
            spellings = [address, address.upper(), address.title()]
        else:
            groups = [f"{self.rng.randrange(10_000):04d}" for _ in range(3)]
            spellings = ["-".join(groups), " ".join(groups), "".join(groups)]
        return self.rotated(IdentifierSpec(IdKind.PAYMENT_ACCOUNT, "", spellings))

    def business_spec(self, business_name):
        suffix = self.rng.choice(BUSINESS_SUFFIXES)
        spellings = [
            business_name,
            f"{business_name} {suffix}",
            business_name.upper(),
            f"{business_name}, {suffix}",
        ]
        return self.rotated(IdentifierSpec(IdKind.BUSINESS_NAME, "", spellings))

    def address_parts(self, region):
        street_type = self.rng.choice(list(STREET_TYPES))
        direction = self.rng.choice(list(DIRECTIONS)) if self.chance(0.3) else ""
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
                direction = DIRECTIONS[direction] + punctuation
            street_type = parts["street_type"]
            if not long_words:
                street_type = STREET_TYPES[street_type] + punctuation
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
        return TT.LABOR if trafficking_type == TT.LABOR else TT.SEX

    # -- the stages --

    def run(self, *, call_total, case_total):
        self.load_reference()
        sketches = self.sketch_cases(case_total, call_total)
        self.write_calls_and_tips(sketches, call_total)
        self.write_cases(sketches)
        self.write_reference_counters()
        return self.counts

    def count(self, name, number):
        self.counts[name] = self.counts.get(name, 0) + number

    def sketch_cases(self, case_total, call_budget):
        """Decide each case's place, time, industry and course first: the calls it came from
        must then be written in time order among all the other calls."""
        sketches = []
        for _ in range(case_total):
            sketch = self.sketch_case(call_budget)
            call_budget -= len(sketch.source_calls)
            sketches.append(sketch)
        sketches.sort(key=lambda sketch: sketch.opened_at)
        return sketches

    def sketch_case(self, call_budget):
        rng = self.rng
        industry = self.industries[INDUSTRIES.pick(rng)]
        trafficking_type = self.trafficking_type_for(industry)
        region = self.regions[self.case_regions.pick(rng)]
        source = CASE_SOURCES.pick(rng)
        if source in ("call_tip", "call") and call_budget < 1:
            source = "partner_tip" if self.chance(0.5) else "none"
        language = self.call_language(region)
        urgency = CRISIS_URGENCY.pick(rng) if source == "call" else TIP_URGENCY.pick(rng)
        first_contact = self.moment()
        if source in ("call_tip", "call", "partner_tip"):
            # Most cases are opened within a day of the signal; urgent ones within the hour.
            delay = self.lognormal_hours(0.5 if urgency else 6, 1.2)
            opened_at = min(first_contact + delay, self.latest)
        else:
            opened_at = first_contact
        creator = self.advocate_for(language)
        steps, referral_plan = self.lifecycle(opened_at, urgency)
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
        )
        if source == "partner_tip":
            sketch.partner_organisation = self.organisations[PARTNER_TIP_SOURCES.pick(rng)]
            sketch.partner_tip_at = first_contact
        if source in ("call_tip", "call"):
            caller_type = CASE_CALLER_TYPES.pick(rng)
            if source == "call":
                caller_type = rng.choice([CT.POTENTIAL_VICTIM, CT.POTENTIAL_VICTIM, CT.SURVIVOR])
            sketch.source_calls.append(
                SourceCall(
                    started_at=first_contact,
                    caller_type=caller_type,
                    channel=CHANNELS.pick(rng),
                    reason=CR.TRAFFICKING_TIP if source == "call_tip" else CR.CRISIS,
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
                and call_budget >= 2
                and self.chance(0.1)
                and second_at < (open_until or self.latest)
            ):
                sketch.source_calls.append(
                    SourceCall(
                        started_at=second_at,
                        caller_type=CASE_CALLER_TYPES.pick(rng),
                        channel=CHANNELS.pick(rng),
                        reason=CR.TRAFFICKING_TIP,
                        urgency=TIP_URGENCY.pick(rng),
                        language=language,
                        advocate=self.advocate_for(language),
                        with_tip=True,
                        case=sketch,
                    )
                )
        return sketch

    def call_language(self, region):
        spanish_share = SPANISH_SPEAKING_REGIONS.get(region.code) if region else None
        if spanish_share is not None:
            return "es" if self.chance(spanish_share) else "en"
        return LANGUAGES.pick(self.rng)

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
            steps.append((closed_at, Status.CLOSED, QUICK_CLOSING.pick(rng)))
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
                steps.append((at, Status.CLOSED, CLOSING_WITHOUT_REFERRAL.pick(rng)))
            if self.chance(0.03):
                # Reopened when new information came in, then closed again.
                at += datetime.timedelta(days=rng.uniform(10, 120))
                steps.append((at, Status.ACTIVE, ""))
                at += datetime.timedelta(days=rng.uniform(5, 60))
                steps.append((at, Status.CLOSED, CLOSING_WITHOUT_REFERRAL.pick(rng)))
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
            elif call.reason == CR.TRAFFICKING_TIP:
                tips.append(self.other_tip(call, industry, observed))
        self.write_tips(tips)
        for tip, _indicators in tips:
            if tip.region_id is not None:
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
        minutes = CALL_MINUTES.get(channel)
        ended_at = None
        if minutes is not None:
            ended_at = started_at + datetime.timedelta(
                minutes=self.rng.lognormvariate(math.log(minutes), 0.7)
            )
            ended_at = min(ended_at, self.latest)
        return ended_at

    def other_call(self, started_at):
        rng = self.rng
        reason = CALL_REASONS.pick(rng)
        channel = CHANNELS.pick(rng)
        region = self.regions[self.call_regions.pick(rng)] if self.chance(0.85) else None
        language = self.call_language(region)
        if reason == CR.TRAFFICKING_TIP:
            urgency = TIP_URGENCY.pick(rng)
            industry = self.industries[INDUSTRIES.pick(rng)]
            observed = rng.choice(OBSERVATIONS[industry.code])
            caller_type = CALLER_TYPES.pick(rng)
            summary = f"{CT(caller_type).label} reports: {observed}"
        else:
            urgency = CRISIS_URGENCY.pick(rng) if reason == CR.CRISIS else Urgency.ROUTINE
            industry, observed = None, ""
            caller_type = CALLER_TYPES.pick(rng)
            summary = rng.choice(OTHER_SUMMARIES[reason])
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
        observed = self.rng.choice(OBSERVATIONS[sketch.industry.code])
        if source.reason == CR.CRISIS:
            summary = self.rng.choice(OTHER_SUMMARIES[CR.CRISIS])
        else:
            summary = f"{CT(source.caller_type).label} reports: {observed}"
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
            state = TRIAGE_DECISIONS.pick(rng)
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
                reason = rng.choice(NO_ACTION_REASONS)
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
        built = [self.build_case(sketch) for sketch in sketches]
        with historical_timestamps(Case, Party, Identifier, Venue, Referral, Outcome, Note):
            Case.objects.bulk_create([case for case, _plan in built])
            self.write_case_links(built)
            for name, model in (
                ("parties", Party),
                ("identifiers", Identifier),
                ("venues", Venue),
                ("referrals", Referral),
                ("outcomes", Outcome),
                ("notes", Note),
            ):
                rows = [row for _case, plan in built for row in plan[name]]
                model.objects.bulk_create(rows)
                self.count(name, len(rows))
        events = [
            CaseEvent(
                case_id=case.pk,
                kind=kind,
                actor_id=pk_of(actor),
                at=at,
                data={key: getattr(value, "pk", value) for key, value in data.items()},
            )
            for case, plan in built
            for at, kind, actor, data in sorted(plan["events"], key=lambda event: event[0])
        ]
        CaseEvent.objects.bulk_create(events)
        self.count("cases", len(built))
        self.count("events", len(events))

    def write_case_links(self, built):
        links = {
            Case.tips.through: [],
            Case.calls.through: [],
            Case.methods_of_control.through: [],
            Case.exploitation_types.through: [],
        }
        for case, plan in built:
            sketch = plan["sketch"]
            for tip in sketch.tips:
                links[Case.tips.through].append(Case.tips.through(case_id=case.pk, tip_id=tip.pk))
            for source in sketch.source_calls:
                links[Case.calls.through].append(
                    Case.calls.through(case_id=case.pk, call_id=source.call.pk)
                )
            for code_id in plan["methods"]:
                links[Case.methods_of_control.through].append(
                    Case.methods_of_control.through(case_id=case.pk, code_id=code_id)
                )
            for code_id in plan["exploitation"]:
                links[Case.exploitation_types.through].append(
                    Case.exploitation_types.through(case_id=case.pk, code_id=code_id)
                )
        for through, rows in links.items():
            through.objects.bulk_create(rows)

    def partner_tip(self, sketch):
        organisation = sketch.partner_organisation
        from_partner = organisation == self.partner_organisation
        tip, indicator_ids = self.new_tip(
            source=Tip.Source.PARTNER,
            organisation_id=organisation.pk,
            received_at=sketch.partner_tip_at,
            observed=self.rng.choice(OBSERVATIONS[sketch.industry.code]),
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
        return f"HT-{year}-{number:06d}"

    def write_reference_counters(self):
        for year, number in sorted(self.year_numbers.items()):
            if number != self.last_numbers.get(year):
                CaseReferenceCounter.objects.update_or_create(
                    year=year, defaults={"last_number": number}
                )

    def build_case(self, sketch):
        """One case, unsaved, with everything recorded on it and its timeline."""
        rng = self.rng
        plan = {
            "sketch": sketch,
            "parties": [],
            "identifiers": [],
            "venues": [],
            "referrals": [],
            "outcomes": [],
            "notes": [],
            "events": [],
        }
        events = plan["events"]
        opened_at = sketch.opened_at
        last_step = sketch.steps[-1] if sketch.steps else None
        closed = last_step is not None and last_step[1] in workflow.CLOSED_STATUSES
        closed_at = last_step[0] if closed else None
        work_ends = closed_at or self.latest
        plan["work_ends"] = work_ends
        status = last_step[1] if last_step else Status.NEW
        priority = PRIORITY_FOR_URGENCY[sketch.urgency].pick(rng)
        victim_count = VICTIM_COUNTS.pick(rng)
        if self.type_family(sketch.trafficking_type) == TT.SEX:
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
            summary=rng.choice(OBSERVATIONS[sketch.industry.code]),
            victim_count=victim_count,
            assignee_id=pk_of(assignee),
            team_id=assignee.team_id if assignee else None,
            is_restricted=self.chance(0.03),
            opened_at=opened_at,
            closed_at=closed_at,
            created_by_id=sketch.creator.pk,
        )
        version = 1
        events.append((opened_at, Kind.CREATED, sketch.creator, {"reference": case.reference}))
        if assignee is not None:
            events.append(
                (
                    opened_at,
                    Kind.ASSIGNED,
                    sketch.creator,
                    {
                        "assignee": assignee.pk,
                        "team": case.team_id,
                        "previous_assignee": None,
                        "previous_team": None,
                    },
                )
            )
        for tip in sketch.tips:
            events.append(
                (max(opened_at, tip.triaged_at), Kind.TIP_LINKED, sketch.creator, {"tip": tip})
            )
        for source in sketch.source_calls:
            at = max(opened_at, source.started_at)
            events.append((at, Kind.CALL_LINKED, sketch.creator, {"call": source.call}))

        previous = Status.NEW
        for at, step_status, reason in sketch.steps:
            events.append(
                (
                    at,
                    Kind.STATUS_CHANGED,
                    worker if step_status not in workflow.CLOSED_STATUSES else self.supervisor,
                    {
                        "previous": previous.value,
                        "status": step_status.value,
                        "closing_reason": reason,
                    },
                )
            )
            previous = step_status
            version += 1

        if assignee is not None and self.chance(0.08):
            # Handed over to a colleague part-way through.
            other = self.advocate_for(sketch.language)
            at = self.after(opened_at, 24, 24 * 14)
            if other != assignee and at < work_ends:
                events.append(
                    (
                        at,
                        Kind.ASSIGNED,
                        self.supervisor,
                        {
                            "assignee": other.pk,
                            "team": other.team_id,
                            "previous_assignee": assignee.pk,
                            "previous_team": assignee.team_id,
                        },
                    )
                )
                case.assignee_id, case.team_id = other.pk, other.team_id
                worker = other
                version += 1
        if self.chance(0.05) and priority < Priority.CRITICAL:
            at = self.after(opened_at, 2, 24 * 7)
            if at < work_ends:
                case.priority = priority + 1
                events.append(
                    (
                        at,
                        Kind.UPDATED,
                        worker,
                        {
                            "fields": ["priority"],
                            "changes": {"priority": [int(priority), int(priority) + 1]},
                        },
                    )
                )
                version += 1
        case.version = version

        methods = self.case_methods(sketch.trafficking_type)
        plan["methods"], plan["exploitation"] = methods, []
        victims = self.add_victims(case, plan, worker, sketch)
        plan["exploitation"] = self.case_exploitation(sketch, victims)
        self.add_perpetrators(case, plan, worker, sketch)
        self.add_venue(case, plan, worker, sketch)
        self.add_notes(case, plan, worker)
        self.add_referrals(case, plan, worker, sketch, victims)
        changes = {Kind.CREATED, Kind.ASSIGNED, Kind.STATUS_CHANGED, Kind.UPDATED}
        case.updated_at = max(at for at, kind, _actor, _data in events if kind in changes)
        return case, plan

    def case_methods(self, trafficking_type):
        if trafficking_type == TT.UNKNOWN:
            return []
        families = (
            [TT.SEX, TT.LABOR]
            if trafficking_type == TT.SEX_AND_LABOR
            else [self.type_family(trafficking_type)]
        )
        codes = set()
        for family in families:
            for _ in range(self.rng.choice([0, 1, 2, 2, 3])):
                codes.add(METHODS_OF_CONTROL[family].pick(self.rng))
        return sorted(self.codes[(Code.List.METHODS_OF_CONTROL, code)] for code in codes)

    def case_exploitation(self, sketch, victims):
        codes = set()
        if sketch.trafficking_type in (TT.SEX, TT.SEX_AND_LABOR):
            codes.add("SexualExploitation")
        if sketch.trafficking_type in (TT.LABOR, TT.SEX_AND_LABOR):
            codes.add("ForcedLabour")
            if any(victim.is_minor for victim in victims):
                codes.add("ChildLabour")
        special = {
            "peddling_begging": "ForcedBegging",
            "domestic_work": "Servitude",
            "personal_sexual_servitude": "ForcedMarriage",
        }
        if sketch.industry.code in special:
            codes.add(special[sketch.industry.code])
        return sorted(self.codes[(Code.List.TYPES_OF_EXPLOITATION, code)] for code in codes)

    def party_event(self, plan, party, at, actor):
        plan["parties"].append(party)
        plan["events"].append((at, Kind.PARTY_ADDED, actor, {"party": party, "role": party.role}))

    def identifier_event(self, plan, case, spec, at, actor, party=None, tip=None):
        value = spec.next_spelling()
        normalised = self.normalise(spec.kind, value, spec.platform)
        key = (spec.kind, spec.platform, normalised)
        if key in plan.setdefault("identifier_keys", set()):
            return
        plan["identifier_keys"].add(key)
        identifier = Identifier(
            case=case,
            tip_id=pk_of(tip),
            party=party,
            kind=spec.kind,
            platform=spec.platform,
            value=value,
            normalised=normalised,
            created_by_id=actor.pk,
            created_at=at,
        )
        plan["identifiers"].append(identifier)
        data = {"identifier": identifier, "identifier_kind": spec.kind}
        if tip is not None:
            data["tip"] = tip
        plan["events"].append((at, Kind.IDENTIFIER_ADDED, actor, data))

    def add_victims(self, case, plan, actor, sketch):
        rng = self.rng
        family = self.type_family(sketch.trafficking_type)
        recorded = (
            0 if self.chance(0.12) else min(case.victim_count, rng.choice([1, 1, 1, 2, 2, 3]))
        )
        victims = []
        for _ in range(recorded):
            age_band = AGE_BANDS[family].pick(rng)
            gender = VICTIM_GENDERS[family].pick(rng)
            citizenship = CITIZENSHIPS[family].pick(rng)
            if age_band in Party.MINOR_AGE_BANDS:
                is_minor = True
            elif age_band == AgeBand.UNKNOWN:
                is_minor = True if self.chance(0.1) else None
            else:
                is_minor = False
            at = self.after(case.opened_at, 0, 6, until=plan["work_ends"])
            party = Party(
                case=case,
                kind=Party.Kind.PERSON,
                role=PartyRole.SURVIVOR if self.chance(0.1) else PartyRole.POTENTIAL_VICTIM,
                name="" if self.chance(0.15) else self.person_name(gender, citizenship),
                age_band=age_band,
                gender=gender,
                is_minor=is_minor,
                citizenship=citizenship,
                created_by_id=actor.pk,
                created_at=at,
            )
            self.party_event(plan, party, at, actor)
            victims.append(party)
            if self.chance(0.12):
                self.identifier_event(plan, case, self.phone_spec(), at, actor, party=party)
        return victims

    def add_perpetrators(self, case, plan, actor, sketch):
        rng = self.rng
        family = self.type_family(sketch.trafficking_type)
        from_tip = sketch.tips[0] if sketch.tips else None
        for index in range(PERPETRATOR_COUNTS.pick(rng)):
            role = PERPETRATOR_ROLES[family].pick(rng)
            at = self.after(case.opened_at, 0, 12, until=plan["work_ends"])
            organisation = (
                family == TT.LABOR
                and role
                in (
                    PartyRole.EXPLOITER,
                    PartyRole.RECRUITER,
                )
                and self.chance(0.2)
            )
            gender = Gender.UNKNOWN if organisation else PERPETRATOR_GENDERS.pick(rng)
            citizenship = "" if organisation else CITIZENSHIPS[family].pick(rng)
            if organisation:
                name = self.business_name(rng.choice(LABOR_BUSINESS_NAMES))
            else:
                name = "" if self.chance(0.2) else self.person_name(gender, citizenship)
            age_band = AgeBand.UNKNOWN if organisation else PERPETRATOR_AGE_BANDS.pick(rng)
            party = Party(
                case=case,
                kind=Party.Kind.ORGANISATION if organisation else Party.Kind.PERSON,
                role=role,
                name=name,
                aliases=rng.choice(ALIASES) if not organisation and self.chance(0.25) else "",
                age_band=age_band,
                gender=gender,
                is_minor=None if age_band == AgeBand.UNKNOWN else False,
                citizenship=citizenship,
                created_by_id=actor.pk,
                created_at=at,
            )
            self.party_event(plan, party, at, actor)
            # What the reporter mentioned came with the tip; later finds are the case's own.
            tip = from_tip if index == 0 else None
            label = name or "unknown person"
            specs = []
            if organisation:
                specs.append(self.business_spec(name))
            if self.chance(0.7):
                specs.append(self.phone_spec())
            if self.chance(0.3 if family == TT.SEX else 0.15):
                specs.append(self.handle_spec(label, sketch.trafficking_type))
            if self.chance(0.12):
                specs.append(self.email_spec(label))
            if self.chance(0.12):
                specs.append(self.vehicle_spec())
            if self.chance(0.15 if family == TT.SEX else 0.06):
                specs.append(self.payment_spec(label))
            for spec in specs:
                self.identifier_event(plan, case, spec, at, actor, party=party, tip=tip)
        if self.chance(0.35):
            self.add_shared_actor(case, plan, actor, sketch)

    def add_shared_actor(self, case, plan, actor, sketch):
        """Someone already seen in another case (same numbers, written differently), or a new
        one who may turn up again: what case linking is there to find."""
        rng = self.rng
        nearby = self.shared_actors_by_region.get(sketch.region.pk, [])
        if self.shared_actors and self.chance(0.65):
            # Networks are active for a while, then vanish: reuse the recent ones.
            pool = nearby[-8:] if nearby and self.chance(0.7) else self.shared_actors[-30:]
            shared = rng.choice(pool)
        else:
            shared = self.new_shared_actor(sketch)
            self.shared_actors.append(shared)
            self.shared_actors_by_region.setdefault(sketch.region.pk, []).append(shared)
        at = self.after(case.opened_at, 1, 72, until=plan["work_ends"])
        party = Party(
            case=case,
            kind=shared.kind,
            role=shared.role,
            name=shared.name if self.chance(0.8) else "",
            aliases=shared.aliases,
            gender=shared.gender,
            citizenship=shared.citizenship,
            created_by_id=actor.pk,
            created_at=at,
        )
        self.party_event(plan, party, at, actor)
        for spec in shared.specs:
            if spec is shared.specs[0] or self.chance(0.6):
                self.identifier_event(plan, case, spec, at, actor, party=party)

    def new_shared_actor(self, sketch):
        rng = self.rng
        family = self.type_family(sketch.trafficking_type)
        if self.chance(0.25):
            template = rng.choice(VENUE_NAMES.get(sketch.industry.code, ("{adj} {flower} Spa",)))
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
                region_id=sketch.region.pk,
            )
        gender = PERPETRATOR_GENDERS.pick(rng)
        citizenship = CITIZENSHIPS[family].pick(rng)
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
            role=PERPETRATOR_ROLES[family].pick(rng),
            kind=Party.Kind.PERSON,
            name=name,
            aliases=rng.choice(ALIASES) if self.chance(0.4) else "",
            gender=gender,
            citizenship=citizenship,
            specs=specs,
            region_id=sketch.region.pk,
        )

    def business_name(self, template):
        """A business name not used before, so that unrelated cases do not link by accident
        (tries a few times, then accepts a repeat: small templates run out)."""
        for _attempt in range(10):
            name = template.format(
                adj=self.rng.choice(VENUE_ADJECTIVES),
                place=self.rng.choice(VENUE_PLACES),
                flower=self.rng.choice(FLOWERS),
                surname=self.surname(),
                street=f"{self.surname()} {self.rng.choice(list(STREET_TYPES))}",
            )
            if name not in self.used_business_names:
                break
        self.used_business_names.add(name)
        return name

    def add_venue(self, case, plan, actor, sketch):
        templates = VENUE_NAMES.get(sketch.industry.code)
        if not templates or not self.chance(0.55):
            return
        at = self.after(case.opened_at, 0, 24, until=plan["work_ends"])
        name = self.business_name(self.rng.choice(templates))
        address = self.address_spec(self.address_parts(sketch.region))
        venue = Venue(
            case=case,
            name=name,
            industry_id=sketch.industry.pk,
            region_id=sketch.region.pk,
            address=address.next_spelling(),
            created_by_id=actor.pk,
            created_at=at,
        )
        plan["venues"].append(venue)
        plan["events"].append((at, Kind.VENUE_ADDED, actor, {"venue": venue}))
        if not name.startswith(("Residence", "Private")) and self.chance(0.5):
            self.identifier_event(plan, case, self.business_spec(name), at, actor)
        if self.chance(0.4):
            self.identifier_event(plan, case, address, at, actor)

    def add_notes(self, case, plan, actor):
        for _ in range(self.rng.choice([0, 1, 1, 2, 2, 3, 4])):
            at = case.opened_at + (plan["work_ends"] - case.opened_at) * self.rng.random()
            note = Note(
                case=case, author_id=actor.pk, text=self.rng.choice(NOTE_TEXTS), created_at=at
            )
            plan["notes"].append(note)
            plan["events"].append((at, Kind.NOTE_ADDED, actor, {"note": note}))

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
            return self.organisations[MINORS_REFERRAL]
        if any(victim.citizenship not in ("", "US") for victim in victims) and self.chance(0.4):
            return self.organisations[FOREIGN_VICTIM_REFERRALS.pick(rng)]
        return self.organisations[SERVICE_REFERRALS.pick(rng)]

    def add_referrals(self, case, plan, worker, sketch, victims):
        rng = self.rng
        for sent_at, kind in sketch.referral_plan:
            organisation = self.referral_organisation(kind, sketch, victims)
            law_enforcement = kind == "law_enforcement"
            due_at = None
            if law_enforcement:
                # Forwarding rule: law enforcement hears of urgent cases within a day.
                hours = 24 if case.priority >= Priority.HIGH else 72
                due_at = sent_at + datetime.timedelta(hours=hours)
            referral = Referral(
                case=case,
                organisation_id=organisation.pk,
                reason=(
                    Referral.Reason.LAW_ENFORCEMENT_REPORT
                    if law_enforcement
                    else SERVICE_REFERRAL_REASONS.pick(rng)
                ),
                sent_at=sent_at,
                due_at=due_at,
                shares_identities=self.chance(0.3 if law_enforcement else 0.6),
                sent_by_id=worker.pk,
            )
            referral.updated_at = sent_at
            plan["referrals"].append(referral)
            plan["events"].append(
                (
                    sent_at,
                    Kind.REFERRAL_SENT,
                    worker,
                    {
                        "referral": referral,
                        "organisation": organisation.pk,
                        "reason": referral.reason,
                        "shares_identities": referral.shares_identities,
                    },
                )
            )
            partner_actor = self.partner_user if organisation == self.partner_organisation else None
            responded_at = sent_at + self.lognormal_hours(40 if law_enforcement else 20, 0.9)
            if responded_at > self.latest:
                continue
            referral.status = REFERRAL_RESPONSES.pick(rng)
            referral.responded_at = responded_at
            referral.updated_at = responded_at
            plan["events"].append(
                (
                    responded_at,
                    Kind.REFERRAL_UPDATED,
                    partner_actor,
                    {
                        "referral": referral,
                        "previous": Referral.Status.SENT.value,
                        "status": referral.status,
                    },
                )
            )
            if law_enforcement and referral.status != Referral.Status.DECLINED:
                self.add_outcomes(case, plan, referral, organisation, partner_actor or worker)

    def add_outcomes(self, case, plan, referral, organisation, actor):
        """The funnel: about half the accepted reports become investigations, a third of those
        lead to charges, and half of those to a conviction (when enough time has passed)."""
        rng = self.rng
        at = referral.responded_at
        for kind, probability, low_days, high_days in (
            (Outcome.Kind.INVESTIGATION_OPENED, 0.5, 2, 60),
            (Outcome.Kind.CHARGES_FILED, 0.35, 30, 300),
            (Outcome.Kind.CONVICTION, 0.5, 90, 540),
        ):
            if not self.chance(probability):
                return
            at = at + datetime.timedelta(days=rng.uniform(low_days, high_days))
            if at > self.latest:
                return
            outcome = Outcome(
                case=case,
                referral=referral,
                kind=kind,
                occurred_on=timezone.localtime(at).date(),
                agency=organisation.name,
                recorded_by_id=actor.pk,
                recorded_at=at,
            )
            plan["outcomes"].append(outcome)
            plan["events"].append(
                (
                    at,
                    Kind.OUTCOME_RECORDED,
                    actor,
                    {"outcome": outcome, "outcome_kind": kind.value, "referral": referral},
                )
            )
