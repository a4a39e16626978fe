"""docs/api.md stays true: every ```sh block with curl in it is run, in order, with real curl
against the live server, and must answer the status its `# expect:` line names; a ```json block
right after it names keys the answer must have."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.api.conftest import token_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl"),
]

DOC = Path(settings.BASE_DIR) / "docs" / "api.md"
BLOCK = re.compile(r"```(sh|json|console)\n(.*?)```", re.DOTALL)


def examples():
    """[(script, expected status, expected JSON or None)] in the page's order."""
    blocks, found = BLOCK.findall(DOC.read_text()), []
    for index, (kind, text) in enumerate(blocks):
        if kind != "sh" or "curl" not in text:
            continue
        expected = re.search(r"^# expect: (\d{3})$", text, re.MULTILINE)
        assert expected, f"a curl example in docs/api.md names no status:\n{text}"
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        body = following[1] if following and following[0] == "json" else None
        found.append((text.strip(), int(expected.group(1)), body))
    return found


def test_the_page_has_examples_for_each_step():
    statuses = [status for _, status, _ in examples()]
    assert {200, 201, 400, 401, 428} <= set(statuses)


def test_every_curl_example_answers_as_the_page_says(live_server, partner, advocate,
                                                    referred_case):  # fmt: skip
    env = {
        "PATH": "/usr/bin:/bin",
        "HOTLINE": live_server.url,
        "TOKEN": token_for(partner),
        "STAFF_TOKEN": token_for(advocate),
        "CASE": referred_case.reference,
        "REFERRAL": str(referred_case.referrals.get().pk),
    }
    for script, status, body in examples():
        # The last command of each block is a curl: have it print the status after the body.
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script + " -w '\\n%{http_code}'"],
            capture_output=True, text=True, env=env, timeout=30, check=False,
        )  # fmt: skip
        assert run.returncode == 0, (script, run.stderr)
        answer, _, code = run.stdout.rpartition("\n")
        assert int(code) == status, (script, answer)
        if body is not None:
            expected, got = json.loads(body), json.loads(answer)
            assert set(expected) <= set(got), (script, answer)
            if "results" in expected:
                assert [case["reference"] for case in got["results"]] == [referred_case.reference]
            if "error" in expected:
                assert got["error"]["code"] == expected["error"]["code"]
                assert set(got["error"]["fields"]) == set(expected["error"]["fields"])
