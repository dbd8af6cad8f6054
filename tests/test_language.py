"""Language per document, and the rule pack it calls for."""
import tomllib

import pytest

from pipeline import clean_text, language
from pipeline.rules.engine import PACK_DIR

ENGLISH = """Storm closes schools across the region as rivers rise
Advertisement
WASHINGTON (Reuters) - Schools across the region were closed on Tuesday as heavy rain pushed rivers to their highest level in a decade, officials said, and the weather service warned that more rain was on the way for the rest of the week.
Photo: Emergency crews at the river bank on Monday.
The governor said that the state had asked for federal help and that shelters had been opened in three counties, where more than two thousand people spent the night after they were told to leave their homes.
Read more: Rivers rise as the storm moves north
Sign up for our morning newsletter to get the top stories in your inbox.
Share on Facebook Share on Twitter Email
Officials said it was too early to say how much the damage would cost, but that roads and bridges in the north of the state had been hit hardest by the flood waters and would take weeks to repair.
"""

GERMAN = """Hochwasser: Schulen in der Region bleiben geschlossen
Die Schulen in der Region bleiben am Dienstag geschlossen, weil der Regen die Flüsse auf den höchsten Stand seit zehn Jahren steigen ließ, teilten die Behörden mit.
Mehr zum Thema: Die Flüsse steigen weiter
Der Wetterdienst warnt, dass in den nächsten Tagen noch mehr Regen fallen wird und die Lage sich weiter verschärfen kann.
"""


def _rule_ids(name):
    cfg = tomllib.loads((PACK_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    return {r["id"] for kind in ("line", "block", "inline") for r in cfg.get(kind, [])}


def test_languages_are_told_apart(fixtures):
    assert language.detect((fixtures / "seeds" / "003_1e4782921429b962.txt").read_text(encoding="utf-8")) == ("vi", 1.0)
    assert language.detect(ENGLISH) == ("en", 1.0)
    lang, confidence = language.detect(GERMAN)
    assert lang == "de" and confidence > 0.9
    assert language.detect("  \n ")[0] == "und"
    # Vietnamese typed mostly without tone marks, with English words in it: still Vietnamese
    body = ("Em co dang ky mot bo dem cho trang Web ca nhan va da duoc cap mot doan code, khi em chen vao trang "
            "web thi van khong thay bo dem xuat hien. Note: You must post both the hit counter and the sponsored "
            "link on the same page. ")
    unaccented = body * 3 + "Hồi âm: Chào bạn, bộ đếm sẽ hiện sau khi tải trang lên.\n"
    assert language.detect(unaccented) == ("vi", 0.9)


def test_vietnamese_and_english_need_no_model(fixtures, monkeypatch):
    """The cheap gates decide these: the model (a second to load) is never asked."""
    def no_model():
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(language, "_model", no_model)
    texts = [p.read_text(encoding="utf-8") for p in sorted((fixtures / "seeds").glob("*.txt"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((fixtures / "dev" / "raw").glob("*.txt"))]
    assert {language.detect(t)[0] for t in texts} == {"vi"}
    assert language.detect(ENGLISH)[0] == "en"


def test_english_news_furniture_goes_by_english_rules_and_no_vietnamese_rule():
    r = clean_text(ENGLISH)
    assert r.metadata["language"] == "en" and r.metadata["language_confidence"] == 1.0
    for gone in ("Advertisement", "Photo: Emergency", "Read more:", "Sign up for our", "Share on Facebook", "(Reuters) -"):
        assert gone not in r.text
    for kept in ("Storm closes schools", "Schools across the region were closed", "The governor said",
                 "Officials said it was too early"):
        assert kept in r.text
    rules = {e.rule for e in r.edits if e.reason not in ("whitespace", "encoding")}
    assert rules and not rules & (_rule_ids("vi") - _rule_ids("en"))
    assert {"en_ui_words", "en_wire_dateline", "en_photo_line", "en_read_more_line", "en_newsletter", "en_share_row"} <= rules


def test_a_language_without_a_pack_gets_only_the_neutral_rules():
    r = clean_text(GERMAN)
    assert r.metadata["language"] == "de"
    assert r.text == GERMAN  # "Mehr zum Thema:" would need a German pack: nothing language-specific fires
    assert language.pack_for("de") == "base" and language.pack_for("vi") == "vi" and language.pack_for("en") == "en"


def test_the_english_pack_carries_the_base_rules():
    base = tomllib.loads((PACK_DIR / "base.toml").read_text(encoding="utf-8"))
    en = tomllib.loads((PACK_DIR / "en.toml").read_text(encoding="utf-8"))
    en_lines = {r["id"]: r for r in en["line"]}
    for rule in base["line"]:
        assert en_lines.get(rule["id"]) == rule
    for key in ("restates", "sandwich_max_words", "no_stop_max_words"):
        assert en["caption"][key] == base["caption"][key]


@pytest.mark.parametrize("pack", ["vi", "en", "base"])
def test_every_pack_loads(pack):
    from pipeline.rules import load_pack

    assert load_pack(pack).lines


def test_too_little_text_is_undetermined_not_a_guess():
    """Two words once came out as Serbian or Norwegian (found by a newcomer review)."""
    from pipeline.language import detect

    assert detect("a\r\nb")[0] == "und"
    assert detect("inner file")[0] == "und"
    assert detect("Der Hund läuft schnell über die Straße und bellt laut dabei")[0] == "de"


def test_the_cached_language_model_answers_as_the_wheels_and_a_damaged_cache_is_unpacked_again(tmp_path, monkeypatch):
    """py3langid's model is kept unpacked in a cache folder (0.3 s of CPU saved per run): what
    is built from it classifies exactly as py3langid's own loading does, and a cache file that
    was changed is found by its digest and replaced, not used."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    monkeypatch.setenv("PIPELINE_CACHE_DIR", str(tmp_path / "cache"))
    wheel = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    texts = [ENGLISH, GERMAN, "Le gouvernement a annoncé mardi de nouvelles mesures pour les écoles de la région.",
             "El gobierno anunció el martes nuevas medidas para las escuelas de la región afectada por la lluvia."]
    first = language._identifier(language._unpacked(MODEL_DIR / MODEL_FILE))  # unpacks and caches
    (cached,) = (tmp_path / "cache").glob("langid-*.npz")
    again = language._identifier(language._unpacked(MODEL_DIR / MODEL_FILE))  # from the cache
    for text in texts:
        assert first.classify(text) == again.classify(text) == wheel.classify(text)
    data = bytearray(cached.read_bytes())
    data[len(data) // 2] ^= 1
    cached.write_bytes(bytes(data))
    assert language._unpacked(MODEL_DIR / MODEL_FILE) != bytes(data)  # damaged: unpacked again
    assert cached.read_bytes() != bytes(data)
    monkeypatch.setenv("PIPELINE_CACHE_DIR", "")
    with pytest.raises(OSError):  # off: the caller falls back to py3langid's own loading
        language._unpacked(MODEL_DIR / MODEL_FILE)
