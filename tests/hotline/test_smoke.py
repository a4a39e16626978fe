from tests.factories import CaseFactory


def test_it_opens_a_case_with_a_reference(advocate):
    case = CaseFactory(actor=advocate)
    assert case.reference.startswith("HT-")
