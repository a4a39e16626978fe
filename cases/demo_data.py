"""The tables behind the demo data: accounts, shares, and the words callers and advocates use.

Pure data, read by cases/demo.py. Shares are relative weights, loosely after the Polaris Project's
published hotline statistics; texts are short, name-free and invented. Nothing here is real.
"""

import bisect
import itertools
from dataclasses import dataclass

from cases.models import ClosingReason, Identifier, Outcome, Party, Priority, Referral
from hotline.models import Call, Industry, PartnerOrganisation, Tip, TraffickingType, Urgency

OrgType = PartnerOrganisation.Type
Platform = Identifier.Platform
AgeBand = Party.AgeBand
Gender = Party.Gender
PartyRole = Party.Role


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
    ("First Harbor Bank Financial Crimes Unit (demo)", OrgType.FINANCIAL_INSTITUTION, "", ""),
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


# --- Shares ---------------------------------------------------------------------------------------


class Weighted:
    """Values with relative weights, drawn with a caller's Random (so draws stay seeded).

    rng.choices(values, cum_weights=...)[0] draws the same way, but a single draw costs four
    times as much (0.76 against 0.18 microseconds), and a large seed makes a million of them.
    """

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
PRIORITY_WEIGHTS_FOR_URGENCY = {
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
# The funnel from a report to law enforcement: (outcome, chance given the step before, days
# after the step before, from and to).
OUTCOME_FUNNEL = (
    (Outcome.Kind.INVESTIGATION_OPENED, 0.5, 2, 60),
    (Outcome.Kind.CHARGES_FILED, 0.35, 30, 300),
    (Outcome.Kind.CONVICTION, 0.5, 90, 540),
)
# Types of exploitation that industries imply, beyond sexual exploitation and forced labour.
EXPLOITATION_FOR_INDUSTRY = {
    "peddling_begging": "ForcedBegging",
    "domestic_work": "Servitude",
    "personal_sexual_servitude": "ForcedMarriage",
}
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
# Licence plates: no I, O or Q, which read as digits.
PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
# How the Polaris state table names the territories whose region names differ.
POLARIS_NAME_ALIASES = {"Northern Marianas Islands": "US-MP", "U.S. Virgin Islands": "US-VI"}


# --- The demo operation ---------------------------------------------------------------------------
# One small network, written into four recent cases so that a trainer can walk the linking and
# forwarding features (docs/demo-data.md, "The demo operation"): the same phone written four
# ways, an Instagram handle, a motel whose name each advocate spells a little differently, a
# cash tag with payments, a recruiter, a driver, and at last a minor, whose case meets the
# forwarding rule for minors in commercial sex. Fixed, not drawn: the same in every seed.
OPERATION_REGION = "US-TX"
OPERATION_INDUSTRY = "escort_services"
OPERATION_PHONE = (832, 187)  # (832) 555-0187, in the range kept for fiction
OPERATION_MOTEL = "Gulf Breeze Motel"
# Each case, oldest first: how many days before the end of the history it was opened (and the
# hour), its course as (hours after opening, status) steps, the referrals its advocate sent by
# hand (hours after opening), whether the partners have answered yet, and its summary. Parties
# and identifiers are in demo.py (DemoGenerator.add_operation_parts), by case number.
OPERATION_CASES = (
    {
        "days_ago": 74,
        "hour": 23,
        "steps": ((3, "active"), (30, "referred"), (24 * 21, "follow_up")),
        "referrals": (29,),
        "summary": "A night clerk at a motel off I-45 reports a young woman whose online ads "
        "list a number a man answers; he drops her off and collects the money.",
    },
    {
        "days_ago": 45,
        "hour": 2,
        "steps": ((1, "active"),),
        "referrals": (),
        "summary": "A woman calls from a motel in Houston: the man who drove her from Louisiana "
        "keeps her ID and says she owes him for the room.",
    },
    {
        "days_ago": 21,
        "hour": 15,
        "steps": ((5, "active"),),
        "referrals": (),
        "summary": "A neighbour reports ads with the same Instagram account for several young "
        "women staying at a motel; a cash tag is given for 'deposits'.",
    },
    {
        "days_ago": 3,
        "hour": 16,
        "steps": ((1, "active"),),
        "referrals": (),
        "unanswered": True,
        "summary": "A school counsellor reports a 16-year-old who says an older man met her on "
        "Instagram, bought her a phone and takes her to a motel at weekends.",
    },
)
OPERATION_TRANSACTIONS = (
    # (case number, amount in USD, days before the case opened, direction, note)
    (0, "300.00", 9, "received", "Deposit for an 'outcall', per the ad."),
    (0, "450.00", 3, "received", ""),
    (2, "1200.00", 14, "sent", "Weekly payment to the motel, the neighbour says."),
    (2, "250.00", 2, "received", ""),
)
