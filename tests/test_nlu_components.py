"""Normalisation, segmentation and the two Rasa components on tricky input."""
import unicodedata

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.components import VietnameseEntityExtractor, VietnameseTokenizer
from bot.segment import lemma_text, segment
from knowledge.text import fold, fold_with_offsets

TRICKY = [
    "Tôi muốn đóng BHXH tự nguyện mỗi tháng bao nhiêu tiền?",
    "toi muon dong bhxh tu nguyen",
    unicodedata.normalize("NFD", "Đóng bảo hiểm y tế hộ gia đình cho mẹ"),
    "Hoà  thuận,   BHYT\t2.000.000đ\n1tr5 😀 ok",
    "   khoảng trắng ở đầu và cuối   ",
    "ko dc j hết, cty nợ lương 3 thg",
    "🙏🙏",
    "ĐÓNG BHXH TỰ NGUYỆN",
    "a" * 3000,
]


@pytest.mark.parametrize("text", TRICKY)
def test_tokens_are_exact_spans(text):
    for w in segment(text):
        assert text[w.start : w.end] == w.text
        assert w.text.strip() == w.text and w.text


def test_fold_keeps_offsets_for_nfd_and_removes_marks():
    text = unicodedata.normalize("NFD", "Đắk Lắk")
    folded, spans = fold_with_offsets(text)
    assert folded == "dak lak" and len(spans) == len(folded)
    assert text[spans[1][0] : spans[1][1]] == unicodedata.normalize("NFD", "ắ")


def test_same_lemmas_with_and_without_diacritics_and_abbreviations():
    a = lemma_text("Tôi muốn đóng bảo hiểm xã hội tự nguyện")
    b = lemma_text("toi muon dong bhxh tu nguyen")
    assert a == b == "toi muon dong bhxh tu_nguyen"


@pytest.mark.parametrize(
    "text, lemma",
    [("ko", "khong"), ("k", "khong"), ("hok", "khong"), ("kg", "khong"), ("đc", "duoc"), ("dc", "duoc"),
     ("j", "gi"), ("bn", "bao_nhieu"), ("cty", "cong_ty"), ("BHYT", "bhyt"), ("bảo hiểm y tế", "bhyt"),
     ("bao hiem that nghiep", "bhtn"), ("nợ lương", "no_luong"), ("2tr", "so_tien"), ("3", "so"),
     ("mún", "muon"), ("đóq", "dong"), ("thj", "thi"), ("lm", "lam"), ("s", "sao"), ("sn", "sinh nam"),
     ("đki", "dang_ky"), ("z", "vay"), ("khum", "khong"), ("vk", "vo"), ("hnay", "hom nay")],
)
def test_abbreviations_and_terms(text, lemma):
    assert lemma_text(text) == lemma


def test_domain_dictionary_fixes_underthesea_creditor_error():
    # underthesea alone reads "chủ nợ" (creditor); the labour phrase is "nợ lương".
    words = [w.text for w in segment("Tôi bị chủ nợ lương 3 tháng")]
    assert "nợ lương" in words


def test_fold():
    assert fold("Đồng Tháp, Hòa Bình, Hoà Bình") == "dong thap, hoa binh, hoa binh"


def test_rasa_tokenizer_component():
    tok = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    msg = Message({"text": "Đóng BHXH tự nguyện 2tr được ko?"})
    tok.process([msg])
    tokens = msg.get("text_tokens")
    assert [t.text for t in tokens] == ["Đóng", "BHXH", "tự nguyện", "2tr", "được", "ko"]
    assert [t.lemma for t in tokens] == ["dong", "bhxh", "tu_nguyen", "so_tien", "duoc", "khong"]
    for t in tokens:
        assert msg.get("text")[t.start : t.end] == t.text


def test_rasa_tokenizer_on_emoji_only_message():
    tok = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    msg = Message({"text": "🙏🙏"})
    tok.process([msg])
    assert len(msg.get("text_tokens")) == 1


def test_rasa_entity_extractor_component():
    ext = VietnameseEntityExtractor({})
    msg = Message({"text": "thu nhập 3 triệu, hộ cận nghèo, ở Bình Dương"})
    ext.process([msg])
    ents = {e["entity"]: e["value"] for e in msg.get("entities")}
    assert ents == {"amount": 3_000_000, "group": "near_poor", "province": "TP Hồ Chí Minh"}
    assert all(e["extractor"] == "VietnameseEntityExtractor" for e in msg.get("entities"))


@pytest.mark.parametrize(
    "text, intent",
    [("có", "affirm"), ("dạ vâng", "affirm"), ("đúng rồi ạ", "affirm"), ("ko", "deny"), ("dạ không", "deny"),
     ("Không ạ!", "deny"), ("chào bạn", "greet"), ("hi ad", "greet"), ("tạm biệt ạ", "goodbye"),
     ("chào nhé", "goodbye"), ("cảm ơn nhiều", "thank"), ("ok cảm ơn", "thank"), ("thanks ad 😀", "thank")],
)
def test_small_talk_rules(text, intent):
    from bot.smalltalk import match

    assert match(text) == intent


@pytest.mark.parametrize("text", ["chào bạn, cho hỏi đóng bhxh bao nhiêu", "không thuộc diện nào", "có được rút bhxh không", "👍", ""])
def test_small_talk_rules_leave_questions_alone(text):
    from bot.smalltalk import match

    assert match(text) is None
