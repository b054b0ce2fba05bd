"""Properties of the two normalisers every request goes through (in process, no services)."""

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.errors import ApiError
from users.invite_codes import ALPHABET, invite_code_normalize
from users.phone import phone_normalize

E164 = re.compile(r"^\+[1-9]\d{1,14}$", re.ASCII)
CANONICAL = re.compile(rf"^[{ALPHABET}]{{6}}$")

phone_like = st.one_of(
    st.text(),
    st.text(alphabet="+0123456789 ()-.", max_size=40),
    st.from_regex(r"\A(\+7|8)[ (]?9[0-9]{2}[) ]?[0-9]{3}[ -]?[0-9]{2}[ -]?[0-9]{2}\Z"),
    st.builds(lambda n: f"+7{n}", st.integers(0, 10**11)),
    st.integers(),
    st.none(),
    st.lists(st.text(max_size=3), max_size=2),
)
code_like = st.one_of(
    st.text(),
    st.text(alphabet=ALPHABET + "oOiIlLuU -\t\n", max_size=40),
    st.from_regex(r"\A[ -]?(?:[0-9A-Za-z][ -]?){6}\Z"),
    st.integers(),
    st.none(),
)


EXAMPLES = 1500


def test_phone_normalize_refuses_or_returns_idempotent_e164(figure):
    accepted = []

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(phone_like)
    @example("+\uff17\uff19\uff19\uff19\uff11\uff12\uff13\uff14\uff15\uff16\uff17")
    @example("+79991234567\n")
    @example("8 (999) 123-45-67")
    def holds(raw: object) -> None:
        try:
            phone = phone_normalize(raw)
        except ApiError:
            return
        assert E164.match(phone)
        assert phone_normalize(phone) == phone
        accepted.append(phone)

    holds()
    assert accepted  # the generators do reach valid numbers
    figure(
        "phone_normalize property",
        f"{EXAMPLES} examples (+3 explicit): each refused with ApiError or E.164 and "
        f"idempotent ({len(accepted)} accepted)",
    )


def test_invite_code_normalize_returns_none_or_idempotent_canonical(figure):
    accepted = []

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(code_like)
    @example("abc-12o")
    @example("\uff21\uff22\uff23\uff11\uff12\uff13")
    def holds(raw: object) -> None:
        code = invite_code_normalize(raw)
        if code is None:
            return
        assert CANONICAL.match(code)
        assert invite_code_normalize(code) == code
        accepted.append(code)

    holds()
    assert accepted
    figure(
        "invite_code_normalize property",
        f"{EXAMPLES} examples (+2 explicit): each None or canonical and idempotent "
        f"({len(accepted)} accepted)",
    )
