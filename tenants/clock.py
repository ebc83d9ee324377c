"""The Spanish calendar: what day it is in Madrid, and deadlines counted in business days.

The database keeps UTC; rent periods, due dates and the deadlines a letter gives follow the day
in Spain. Business days skip weekends and the public holidays of the autonomous community where
the act takes effect (national ones included; the `holidays` package), as Ley 39/2015 art. 30
counts administrative deadlines (docs/law.md#deadlines). Local (municipal) holidays are not
skipped.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

MADRID = ZoneInfo("Europe/Madrid")


def today_in_spain() -> date:
    """Today's date in Madrid (not UTC: from 22:00/23:00 UTC it is already tomorrow there)."""
    return datetime.now(MADRID).date()


def date_in_spain(moment: datetime) -> date:
    """The Madrid date of `moment`; a naive moment is UTC, as the database keeps it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(MADRID).date()


def spanish_time(day: date, at: time) -> datetime:
    """`at` o'clock in Madrid on `day`, as a UTC datetime for the database."""
    return datetime.combine(day, at, tzinfo=MADRID).astimezone(UTC)


def as_spanish_time(moment: datetime) -> datetime:
    """`moment` with Madrid's time zone when it has none (a person typing a time means Spain)."""
    return moment.replace(tzinfo=MADRID) if moment.tzinfo is None else moment


# The autonomous community of each province, by the two first digits of its postal code (the
# province's INE number), with the names a person types for it. Values are the `holidays`
# package's subdivision codes for ES (ISO 3166-2:ES communities).
PROVINCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "01": ("PV", ("alava", "araba", "araba/alava", "alava/araba")),
    "02": ("CM", ("albacete",)),
    "03": ("VC", ("alicante", "alacant", "alicante/alacant")),
    "04": ("AN", ("almeria",)),
    "05": ("CL", ("avila",)),
    "06": ("EX", ("badajoz",)),
    "07": ("IB", ("baleares", "illes balears", "islas baleares", "balears")),
    "08": ("CT", ("barcelona",)),
    "09": ("CL", ("burgos",)),
    "10": ("EX", ("caceres",)),
    "11": ("AN", ("cadiz",)),
    "12": ("VC", ("castellon", "castello", "castellon/castello")),
    "13": ("CM", ("ciudad real",)),
    "14": ("AN", ("cordoba",)),
    "15": ("GA", ("a coruna", "la coruna", "coruna")),
    "16": ("CM", ("cuenca",)),
    "17": ("CT", ("girona", "gerona")),
    "18": ("AN", ("granada",)),
    "19": ("CM", ("guadalajara",)),
    "20": ("PV", ("gipuzkoa", "guipuzcoa")),
    "21": ("AN", ("huelva",)),
    "22": ("AR", ("huesca",)),
    "23": ("AN", ("jaen",)),
    "24": ("CL", ("leon",)),
    "25": ("CT", ("lleida", "lerida")),
    "26": ("RI", ("la rioja", "rioja")),
    "27": ("GA", ("lugo",)),
    "28": ("MD", ("madrid", "comunidad de madrid")),
    "29": ("AN", ("malaga",)),
    "30": ("MC", ("murcia", "region de murcia")),
    "31": ("NC", ("navarra", "nafarroa")),
    "32": ("GA", ("ourense", "orense")),
    "33": ("AS", ("asturias", "principado de asturias")),
    "34": ("CL", ("palencia",)),
    "35": ("CN", ("las palmas", "palmas")),
    "36": ("GA", ("pontevedra",)),
    "37": ("CL", ("salamanca",)),
    "38": ("CN", ("santa cruz de tenerife", "tenerife")),
    "39": ("CB", ("cantabria",)),
    "40": ("CL", ("segovia",)),
    "41": ("AN", ("sevilla",)),
    "42": ("CL", ("soria",)),
    "43": ("CT", ("tarragona",)),
    "44": ("AR", ("teruel",)),
    "45": ("CM", ("toledo",)),
    "46": ("VC", ("valencia", "valencia/valencia")),
    "47": ("CL", ("valladolid",)),
    "48": ("PV", ("bizkaia", "vizcaya")),
    "49": ("CL", ("zamora",)),
    "50": ("AR", ("zaragoza",)),
    "51": ("CE", ("ceuta",)),
    "52": ("ML", ("melilla",)),
}

# The calendar a letter names, in Spanish and English ("días hábiles según el calendario de la
# Comunidad de Madrid").
CALENDARS: dict[str, tuple[str, str]] = {
    "AN": ("el calendario de Andalucía", "the calendar of Andalusia"),
    "AR": ("el calendario de Aragón", "the calendar of Aragon"),
    "AS": ("el calendario del Principado de Asturias", "the calendar of Asturias"),
    "CB": ("el calendario de Cantabria", "the calendar of Cantabria"),
    "CE": ("el calendario de Ceuta", "the calendar of Ceuta"),
    "CL": ("el calendario de Castilla y León", "the calendar of Castile and León"),
    "CM": ("el calendario de Castilla-La Mancha", "the calendar of Castilla-La Mancha"),
    "CN": ("el calendario de Canarias", "the calendar of the Canary Islands"),
    "CT": ("el calendario de Cataluña", "the calendar of Catalonia"),
    "EX": ("el calendario de Extremadura", "the calendar of Extremadura"),
    "GA": ("el calendario de Galicia", "the calendar of Galicia"),
    "IB": ("el calendario de las Illes Balears", "the calendar of the Balearic Islands"),
    "MC": ("el calendario de la Región de Murcia", "the calendar of the Region of Murcia"),
    "MD": ("el calendario de la Comunidad de Madrid", "the calendar of the Community of Madrid"),
    "ML": ("el calendario de Melilla", "the calendar of Melilla"),
    "NC": ("el calendario de Navarra", "the calendar of Navarre"),
    "PV": ("el calendario del País Vasco", "the calendar of the Basque Country"),
    "RI": ("el calendario de La Rioja", "the calendar of La Rioja"),
    "VC": ("el calendario de la Comunitat Valenciana", "the calendar of the Valencian Community"),
}
NATIONAL_CALENDAR = ("el calendario nacional", "Spain's national calendar")

_BY_NAME = {name: region for region, names in PROVINCES.values() for name in names}
_BY_NAME.update(
    {
        "andalucia": "AN",
        "aragon": "AR",
        "canarias": "CN",
        "castilla y leon": "CL",
        "castilla-la mancha": "CM",
        "castilla la mancha": "CM",
        "cataluna": "CT",
        "catalunya": "CT",
        "extremadura": "EX",
        "galicia": "GA",
        "pais vasco": "PV",
        "euskadi": "PV",
        "comunidad valenciana": "VC",
        "comunitat valenciana": "VC",
    }
)


def _plain(text: str) -> str:
    """Lower case, without accents, spaces or a leading "provincia de": "Málaga" → "malaga"."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(provincia de|prov\.?) ", "", text)
    return re.sub(r"\s*/\s*", "/", text)


def region_of(province: str | None, postal_code: str | None = None) -> str | None:
    """The autonomous community (a `holidays` ES subdivision) of an address in Spain: from the
    province as typed, else from the postal code's first two digits; None when neither says."""
    region = _BY_NAME.get(_plain(province or ""))
    if region:
        return region
    code = re.sub(r"\s", "", postal_code or "")
    if re.fullmatch(r"\d{5}", code) and code[:2] in PROVINCES:
        return PROVINCES[code[:2]][0]
    return None


def province_code(province: str | None) -> str | None:
    """The two first digits every postal code of `province` starts with (its INE number):
    "Madrid" → "28"; None for a name that is not a Spanish province."""
    plain = _plain(province or "")
    return next((code for code, (_r, names) in PROVINCES.items() if plain in names), None)


def calendar_name(region: str | None) -> dict[str, str]:
    """The calendar `business_days_after(..., region)` used, as a letter names it, by language."""
    es, en = CALENDARS.get(region or "", NATIONAL_CALENDAR)
    return {"es": es, "en": en}


def business_days_after(start: date, days: int, region: str | None = None) -> date:
    """The day `days` business days after `start`: weekends and the public holidays of
    `region` (an autonomous community's `holidays` code, "MD"; national ones included) do not
    count. Without a region, only Spain's national holidays. Local holidays always count as
    business days: the `holidays` package does not keep them (docs/law.md#deadlines)."""
    years = range(start.year, start.year + 2 + days // 200)
    spain = holidays.country_holidays(
        "ES", subdiv=region if region in CALENDARS else None, years=years
    )
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in spain:
            days -= 1
    return day
