"""Which lease a bank line most likely pays, and how sure we are.

"exact": the amount is the open balance or the monthly total (rent + extras) of a lease AND the
concept names one of its renters, their NIF or the lease reference, and only one lease fits.
"fuzzy": some of that evidence (similar names, the unit or building, an amount close to the
monthly total), scored 0-100. "none": nothing convincing, or two leases fit equally well.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import func, select

from tenants.db import session
from tenants.models import Charge, Lease
from tenants.services.csv_files import normalise

FUZZY_MIN = 30  # below this a suggestion would be a guess: suggest nothing
FUZZY_MAX = 95  # 100 is for exact matches only
CLOSE_AMOUNT = Decimal("0.10")  # within 10% of the monthly total
SIMILAR = 0.8  # difflib ratio from which two name tokens are "the same" (typos, truncation)
AMOUNT_EXACT, AMOUNT_CLOSE = 50, 25
STRONG_ID = 50  # NIF or lease reference in the concept
NAME_ONE, NAME_MORE = 35, 45  # one renter token named, or two and more
UNIT_LABEL, PROPERTY_WORD = 15, 10
# Words that say nothing about who paid: particles of Spanish names and addresses, company
# forms, and what every rent transfer says.
NOISE = frozenset(
    "de del la las los el y e i da do dos das san santa sta calle c avenida av avda plaza pl "
    "paseo ps camino carretera ctra edificio edif urbanizacion urb bloque portal piso planta "
    "sl sa slu sll cb sc sociedad limitada anonima cooperativa comunidad bienes "
    "alquiler renta pago recibo mes transferencia transf trf recibida abono ingreso ref "
    "concepto".split()
)


@dataclass(frozen=True)
class Suggestion:
    lease_id: int | None
    match: str  # exact / fuzzy / none
    score: int

    @classmethod
    def none(cls) -> Suggestion:
        return cls(None, "none", 0)


def compact(text: str) -> str:
    return normalise(text).replace(" ", "")


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in normalise(text).split() if len(w) >= 3 and w not in NOISE)


@lru_cache(maxsize=65536)
def _similarity(name_word: str, concept_word: str) -> float:
    if name_word == concept_word:
        return 1.0
    if len(concept_word) >= 4 and name_word.startswith(concept_word):
        return 0.9  # banks cut long concepts: "GARCIA LOPEZ JUA"
    if len(name_word) < 4 or abs(len(name_word) - len(concept_word)) > 2:
        return 0.0
    ratio = difflib.SequenceMatcher(None, name_word, concept_word).ratio()
    return ratio if ratio >= SIMILAR else 0.0


@dataclass(frozen=True)
class _Concept:
    words: frozenset[str]
    tokens: frozenset[str]  # every token, and each pair of neighbours joined ("2 b" → "2b")
    packed: str  # letters and digits only, upper case, for NIFs

    @classmethod
    def of(cls, text: str) -> _Concept:
        tokens = normalise(text).split()
        pairs = {a + b for a, b in zip(tokens, tokens[1:], strict=False)}
        return cls(_words(text), frozenset(tokens) | pairs, compact(text).upper())


@dataclass(frozen=True)
class _LeaseProfile:
    lease_id: int
    monthly_total: Decimal
    open_balance: Decimal
    renters: tuple[frozenset[str], ...]  # the words of each renter's name
    tax_ids: tuple[str, ...]
    reference: str
    unit_label: str
    property_words: frozenset[str]

    @classmethod
    def of(cls, lease: Lease, open_balance: Decimal) -> _LeaseProfile:
        unit = lease.unit
        return cls(
            lease_id=lease.id,
            monthly_total=lease.monthly_total,
            open_balance=open_balance,
            renters=tuple(w for w in (_words(p.name) for p in lease.renters) if w),
            tax_ids=tuple(p.tax_id.upper() for p in lease.renters if p.tax_id),
            reference=compact(lease.reference or ""),
            unit_label=compact(unit.label),
            property_words=_words(unit.property.name),
        )

    def amount_points(self, amount: Decimal) -> tuple[int, bool]:
        if amount in (self.monthly_total, self.open_balance):
            return AMOUNT_EXACT, True
        if self.monthly_total > 0 and abs(amount - self.monthly_total) <= (
            self.monthly_total * CLOSE_AMOUNT
        ):
            return AMOUNT_CLOSE, False
        return 0, False

    def names_points(self, concept: _Concept) -> tuple[int, bool]:
        """Points for the best-named renter, and whether a word of a name is there as is."""
        best, verbatim = 0.0, False
        for words in self.renters:
            found = [max((_similarity(w, c) for c in concept.words), default=0.0) for w in words]
            found = [s for s in found if s > 0]
            verbatim = verbatim or 1.0 in found
            if found:
                base = NAME_MORE if len(found) > 1 else NAME_ONE
                best = max(best, base * sum(found) / len(found))
        return round(best), verbatim

    def strong_id(self, concept: _Concept) -> bool:
        if any(tax_id in concept.packed for tax_id in self.tax_ids):
            return True
        ref = self.reference
        return len(ref) >= 3 and (
            ref in concept.tokens or (len(ref) >= 5 and ref in concept.packed.lower())
        )

    def place_points(self, concept: _Concept) -> int:
        if len(self.unit_label) >= 2 and self.unit_label in concept.tokens:
            return UNIT_LABEL
        return PROPERTY_WORD if self.property_words & concept.words else 0


class LeaseMatcher:
    """Suggests a lease for bank lines; built once per statement from the workspace's leases."""

    def __init__(self) -> None:
        leases = session.scalars(select(Lease).where(Lease.status != "draft")).all()
        balances = dict(
            session.execute(
                select(Charge.lease_id, func.sum(Charge.amount - Charge.paid))
                .where(Charge.lease_id.is_not(None))
                .group_by(Charge.lease_id)
            ).all()
        )
        self.profiles = [
            _LeaseProfile.of(lease, Decimal(balances.get(lease.id) or 0)) for lease in leases
        ]

    def suggest(self, amount: Decimal, concept_text: str) -> Suggestion:
        if amount <= 0 or not self.profiles:
            return Suggestion.none()
        concept = _Concept.of(concept_text)
        exact, scored = [], []
        for profile in self.profiles:
            amount_points, amount_exact = profile.amount_points(amount)
            names, named = profile.names_points(concept)
            strong = profile.strong_id(concept)
            identity = min(
                50, max(STRONG_ID if strong else 0, names) + profile.place_points(concept)
            )
            if amount_exact and (strong or named):
                exact.append(profile.lease_id)
            scored.append((min(FUZZY_MAX, amount_points + identity), profile.lease_id))
        if len(exact) == 1:
            return Suggestion(exact[0], "exact", 100)
        scored.sort(reverse=True)
        best_score, best_id = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else -1
        if best_score < FUZZY_MIN or best_score == runner_up:
            return Suggestion.none()  # nothing convincing, or two leases fit equally well
        return Suggestion(best_id, "fuzzy", best_score)
