"""The badge art (letters/badge_art.py): every state, language, theme and style says its state in
words and colour and names the creditor; a name is text, never markup, and always fits; the PNG
is the same picture; the not-valid badge cannot pass for a valid one."""

from __future__ import annotations

import io
import itertools
from xml.etree.ElementTree import Element

import pytest
import segno
from defusedxml import ElementTree
from PIL import Image

from letters import badge_art

NS = "{http://www.w3.org/2000/svg}"
NAME = "Suministros Ana SL"
URL = "https://amparo.example/verify/Q2hhbmdlIG1lIGxhdGVyIQ"

TITLES = {
    ("active", "es"): "Protegido por Amparo",
    ("suspended", "es"): "Protección suspendida",
    ("revoked", "es"): "Protección revocada",
    (None, "es"): "Sello no válido",
    ("active", "en"): "Protected by Amparo",
    ("suspended", "en"): "Protection suspended",
    ("revoked", "en"): "Protection revoked",
    (None, "en"): "Badge not valid",
}
STATE_COLOURS = {
    "light": {
        "active": "#1d4e89",
        "suspended": "#9a6700",
        "revoked": "#b42318",
        None: "#6e7781",
    },
    "dark": {
        "active": "#6ea8fe",
        "suspended": "#e3b341",
        "revoked": "#ff7b72",
        None: "#8b949e",
    },
}
GROUNDS = {"light": "#ffffff", "dark": "#161b22"}
SIZES = {"full": (320, 96), "compact": (240, 44), "qr": (412, 96)}
STATES = ("active", "suspended", "revoked", None)
VARIANTS = list(itertools.product(("es", "en"), ("light", "dark"), badge_art.STYLES))


def draw(state, language="es", theme="light", style="full", name=NAME, url=URL) -> Element:
    content = badge_art.svg(
        state=state, name=name, language=language, theme=theme, style=style, verify_url=url
    )
    assert content.startswith(b"<svg")
    return ElementTree.fromstring(content)


def texts(root: Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{NS}text")]


def fills(root: Element) -> set[str]:
    return {el.get("fill") for el in root.iter() if el.get("fill")}


def text_of(root: Element, fragment: str) -> Element:
    [element] = [el for el in root.iter(f"{NS}text") if fragment in (el.text or "")]
    return element


# One test per state, each looping over its variants: the whole suite empties the database
# after every test, and 48 tests would spend most of their time there.
@pytest.mark.parametrize("state", STATES)
def test_each_variant_says_its_state_in_words_and_colour(state):
    for language, theme, style in VARIANTS:
        check_variant(state, language, theme, style)


def check_variant(state, language, theme, style):
    root = draw(state, language, theme, style)

    width, height = SIZES[style]
    assert (root.get("width"), root.get("height")) == (str(width), str(height))
    assert root.get("viewBox") == f"0 0 {width} {height}"
    title = TITLES[(state, language)]
    assert text_of(root, title).get("fill") == STATE_COLOURS[theme][state]
    assert root.find(f"{NS}title").text.startswith(title)
    assert GROUNDS[theme] in fills(root)
    # Only the state's own colour: a suspended badge has no trace of the active blue.
    others = {c for s, c in STATE_COLOURS[theme].items() if s != state}
    assert not fills(root) & others
    assert not {el.get("stroke") for el in root.iter()} & others
    if state is None:
        assert NAME not in " ".join(texts(root))
    else:
        assert NAME in texts(root)


def test_the_words_of_each_state_differ_by_language():
    assert draw("active", "es").find(f"{NS}title").text == f"Protegido por Amparo: {NAME}"
    assert draw("active", "en").find(f"{NS}title").text == f"Protected by Amparo: {NAME}"
    assert "Compruebe este sello en Amparo" in texts(draw("active", "es"))
    assert "Check this seal with Amparo" in texts(draw("active", "en"))
    assert "Esta protección no está en vigor" in texts(draw("suspended", "es"))
    assert "This seal is no longer valid" in texts(draw("revoked", "en"))
    assert "No corresponde a ningún cliente" in texts(draw(None, "es"))


@pytest.mark.parametrize(
    ("theme", "style"), list(itertools.product(badge_art.THEMES, badge_art.STYLES))
)
def test_the_not_valid_badge_cannot_pass_for_a_valid_one(theme, style):
    invalid = badge_art.svg(state=None, name=NAME, theme=theme, style=style, verify_url=URL)
    root = ElementTree.fromstring(invalid)
    # Crossed, hatched, dashed; no shield, no check, and no code pointing anywhere.
    assert root.find(f".//{NS}pattern[@id='hatch']") is not None
    assert any(el.get("stroke-dasharray") for el in root.iter(f"{NS}rect"))
    paths = [el.get("d") for el in root.iter(f"{NS}path")]
    assert "M39 81 L81 39" in paths
    assert not any(d.startswith("M60 24") for d in paths)  # the shield
    assert not any("h" in d and "v1" in d for d in paths)  # QR modules
    for state, language in itertools.product(("active", "suspended", "revoked"), ("es", "en")):
        valid = badge_art.svg(
            state=state, name=NAME, language=language, theme=theme, style=style, verify_url=URL
        )
        assert valid != invalid
        assert "Sello no válido" not in valid.decode() and "hatch" not in valid.decode()
    # An unknown state is not valid either.
    assert badge_art.svg(state="pending", name=NAME, theme=theme, style=style) == (
        badge_art.svg(state=None, name=NAME, theme=theme, style=style)
    )


@pytest.mark.parametrize("style", badge_art.STYLES)
def test_a_hostile_name_stays_text(style):
    name = 'Ana & Hijos <script>alert("x")</script> \x00\x1b'
    content = badge_art.svg(state="active", name=name, style=style, verify_url=URL)
    assert b"<script" not in content
    root = ElementTree.fromstring(content)  # control characters would make it unreadable XML
    assert root.find(f".//{NS}script") is None
    shown = text_of(root, "Ana &").text
    assert shown.startswith("Ana & Hijos <script>")
    assert "\x00" not in shown and "\x1b" not in shown


@pytest.mark.parametrize("style", badge_art.STYLES)
def test_a_long_name_is_shortened_to_fit(style):
    name = "Inmobiliaria y Promociones del Mediterráneo Oriental Hermanos Fernández SL"
    root = draw("active", style=style, name=name)
    element = text_of(root, "Inmobiliaria")
    shown = element.text
    assert shown.endswith("…") and name.startswith(shown[:-1].rstrip())
    room = SIZES[style][0] - float(element.get("x")) - 8
    if style == "qr":
        room = 320 - float(element.get("x")) - 8
    assert badge_art.text_width(shown, float(element.get("font-size"))) <= room
    # A name that fits is left whole.
    assert NAME in texts(draw("active", style=style))


def test_the_qr_style_codes_the_verify_url():
    root = draw("active", style="qr")
    code = segno.make(URL.encode(), error="m", boost_error=False, micro=False)
    modules = [el.get("d") for el in root.iter(f"{NS}path") if "v1h" in el.get("d", "")]
    assert len(modules) == 1
    dark_cells = sum(sum(1 for cell in row if cell) for row in code.matrix)
    runs = modules[0].split("M")[1:]
    assert sum(int(run.split("h")[1].split("v")[0]) for run in runs) == dark_cells
    # Another URL, another code; no URL, a crossed square rather than a code.
    other = draw("active", style="qr", url=URL + "x")
    assert [el.get("d") for el in other.iter(f"{NS}path")] != [
        el.get("d") for el in root.iter(f"{NS}path")
    ]
    no_url = draw("active", style="qr", url=None)
    assert not [el for el in no_url.iter(f"{NS}path") if "v1h" in el.get("d", "")]


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


@pytest.mark.parametrize("theme", badge_art.THEMES)
def test_the_png_is_the_same_badge(theme):
    for state, style in itertools.product(STATES, badge_art.STYLES):
        check_png(state, theme, style)


def check_png(state, theme, style):
    content = badge_art.png(state=state, name=NAME, theme=theme, style=style, verify_url=URL)
    image = Image.open(io.BytesIO(content))
    assert image.format == "PNG"
    width, height = SIZES[style]
    assert image.size == (2 * width, 2 * height)
    pixels = {colour: count for count, colour in image.convert("RGB").getcolors(1 << 20)}
    own = pixels.get(rgb(STATE_COLOURS[theme][state]), 0)
    assert own > 4000  # the seal, the frame and the words in the state's colour
    assert pixels.get(rgb(GROUNDS[theme]), 0) > 10000
    for other, colour in STATE_COLOURS[theme].items():
        if other != state:  # at most a few anti-aliased pixels that happen to match
            assert pixels.get(rgb(colour), 0) < own / 100
    big = Image.open(io.BytesIO(badge_art.png(state=state, name=NAME, style=style, scale=3)))
    assert big.size == (3 * width, 3 * height)


def test_variant_turns_garbage_into_defaults():
    defaults = {"language": "es", "theme": "light", "style": "full"}
    assert badge_art.variant({}) == defaults
    assert badge_art.variant({"lang": "xx", "theme": "neon", "style": "<script>"}) == defaults
    assert badge_art.variant({"lang": ["en"], "theme": 3, "style": None}) == defaults
    assert badge_art.variant({"lang": "EN-gb", "theme": " Dark ", "style": "qr"}) == {
        "language": "en",
        "theme": "dark",
        "style": "qr",
    }
    assert badge_art.variant({"lang": "en", "style": "compact"})["style"] == "compact"
    # What it returns is always something svg() draws.
    badge_art.svg(state="active", name=NAME, **badge_art.variant({"lang": "de"}))


def test_an_unknown_variant_draws_the_default_badge():
    assert badge_art.svg(state="active", name=NAME, language="de", theme="x", style="y") == (
        badge_art.svg(state="active", name=NAME)
    )


def test_art_version_names_the_drawing():
    assert isinstance(badge_art.ART_VERSION, str) and len(badge_art.ART_VERSION) >= 8
