"""Test data. Cases, parties and identifiers are made through the services, so every record a
test sees has its timeline like a real one."""

import datetime

import factory
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, Party
from hotline import services as hotline_services
from hotline.models import Call, Code, Industry, Region, Tip


def region(code):
    return Region.objects.get(code=code)


def industry(code):
    return Industry.objects.get(code=code)


def code(code_list, value):
    return Code.objects.get(list=code_list, code=value)


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    channel = Call.Channel.PHONE
    caller_type = Call.CallerType.COMMUNITY_MEMBER
    reason = Call.Reason.TRAFFICKING_TIP
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=10))
    ended_at = factory.LazyAttribute(lambda call: call.started_at + datetime.timedelta(minutes=6))
    language = "en"
    summary = "Caller describes workers who cannot leave a farm."

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return hotline_services.call_log(**kwargs)


class TipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tip

    source = Tip.Source.WEB_FORM
    observed = "Several young women driven to a motel every night by the same man."
    region = factory.LazyFunction(lambda: region("US-TX"))
    industry = factory.LazyFunction(lambda: industry("escort_services"))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return hotline_services.tip_submit(**kwargs)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    actor = None
    trafficking_type = "labor"
    industry = factory.LazyFunction(lambda: industry("agriculture_animal_husbandry"))
    region = factory.LazyFunction(lambda: region("US-CA"))
    summary = "Farm workers whose passports are held by the crew leader."
    victim_count = 3

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return case_services.case_open(**kwargs)


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    actor = None
    role = Party.Role.POTENTIAL_VICTIM
    name = factory.Faker("name")
    age_band = Party.AgeBand.AGE_24_26
    gender = Party.Gender.FEMININE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return case_services.party_add(**kwargs)
