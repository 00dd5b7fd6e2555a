"""Domain vocabulary: multi-word terms, abbreviations and teen-code, keyed on folded (accent-free) text.

Each term maps to a canonical lemma used for features, so "bảo hiểm xã hội", "bao hiem xa hoi" and "bhxh"
all give the same feature, and "ko", "k", "hok", "kg", "không" all give "khong".
"""
from __future__ import annotations

from typing import Dict, Tuple

from knowledge.text import fold

# Multi-word domain terms (written with diacritics; matched folded). Value: canonical lemma.
TERMS: Dict[str, str] = {
    "bảo hiểm xã hội tự nguyện": "bhxh tu_nguyen",
    "bảo hiểm xã hội": "bhxh",
    "bảo hiểm y tế": "bhyt",
    "bảo hiểm thất nghiệp": "bhtn",
    "trợ cấp thất nghiệp": "tctn",
    "bảo hiểm": "bao_hiem",
    "tự nguyện": "tu_nguyen",
    "bắt buộc": "bat_buoc",
    "hợp đồng lao động": "hdld",
    "hợp đồng": "hop_dong",
    "người lao động": "nld",
    "lao động": "lao_dong",
    "người sử dụng lao động": "nsdld",
    "công ty": "cong_ty",
    "doanh nghiệp": "cong_ty",
    "xí nghiệp": "cong_ty",
    "nhà máy": "cong_ty",
    "chủ doanh nghiệp": "chu_cong_ty",
    "nợ lương": "no_luong",
    "chậm lương": "no_luong",
    "chậm trả lương": "no_luong",
    "quỵt lương": "no_luong",
    "không trả lương": "no_luong",
    "tiền lương": "luong",
    "lương tối thiểu vùng": "luong_toi_thieu",
    "lương tối thiểu": "luong_toi_thieu",
    "lương cơ sở": "luong_co_so",
    "lương hưu": "luong_huu",
    "nghỉ hưu": "nghi_huu",
    "tuổi nghỉ hưu": "tuoi_nghi_huu",
    "hưu trí xã hội": "huu_tri_xa_hoi",
    "hộ gia đình": "ho_gia_dinh",
    "gia đình": "gia_dinh",
    "hộ nghèo": "ho_ngheo",
    "cận nghèo": "can_ngheo",
    "hộ cận nghèo": "ho_can_ngheo",
    "dân tộc thiểu số": "dtts",
    "đồng bào dân tộc": "dtts",
    "thai sản": "thai_san",
    "sinh con": "sinh_con",
    "sa thải": "sa_thai",
    "đuổi việc": "sa_thai",
    "cho nghỉ việc": "sa_thai",
    "nghỉ việc": "nghi_viec",
    "thôi việc": "nghi_viec",
    "mất việc": "mat_viec",
    "thất nghiệp": "that_nghiep",
    "thử việc": "thu_viec",
    "làm thêm giờ": "lam_them",
    "làm thêm": "lam_them",
    "tăng ca": "lam_them",
    "nghỉ phép": "nghi_phep",
    "phép năm": "nghi_phep",
    "một lần": "mot_lan",
    "bao nhiêu": "bao_nhieu",
    "bao lâu": "bao_lau",
    "như thế nào": "nhu_the_nao",
    "thế nào": "the_nao",
    "ở đâu": "o_dau",
    "chỗ nào": "o_dau",
    "nơi nào": "o_dau",
    "đăng ký": "dang_ky",
    "hồ sơ": "ho_so",
    "thủ tục": "thu_tuc",
    "trợ giúp pháp lý": "tgpl",
    "tư vấn pháp luật": "tu_van_phap_ly",
    "tư vấn pháp lý": "tu_van_phap_ly",
    "luật sư": "luat_su",
    "khởi kiện": "khoi_kien",
    "kiện": "khoi_kien",
    "khiếu nại": "khieu_nai",
    "công đoàn": "cong_doan",
    "liên đoàn lao động": "ldld",
    "nhân viên": "nhan_vien",
    "tư vấn viên": "tu_van_vien",
    "người thật": "nguoi_that",
    "thẻ bảo hiểm y tế": "the_bhyt",
    "thẻ bhyt": "the_bhyt",
    "khám chữa bệnh": "kham_benh",
    "khám bệnh": "kham_benh",
    "nằm viện": "nam_vien",
    "bệnh viện": "benh_vien",
    "trạm y tế": "tram_y_te",
    "trợ cấp": "tro_cap",
    "hỗ trợ": "ho_tro",
    "nhà nước": "nha_nuoc",
    "mai táng": "mai_tang",
    "tử tuất": "tu_tuat",
    "qua đời": "qua_doi",
    "người mất": "qua_doi",
    "đóng bù": "dong_bu",
    "đóng tiếp": "dong_tiep",
    "còn thiếu": "con_thieu",
    "bưu điện": "buu_dien",
    "nông dân": "nong_dan",
    "làm ruộng": "nong_dan",
    "buôn bán": "buon_ban",
    "bán hàng": "buon_ban",
    "tự do": "tu_do",
    "lao động tự do": "lao_dong_tu_do",
    "xe ôm": "lao_dong_tu_do",
    "giúp việc": "giup_viec",
    "hưu trí": "huu_tri",
    "trung tâm dịch vụ việc làm": "tt_dvvl",
    "dịch vụ việc làm": "tt_dvvl",
    "việc làm": "viec_lam",
}

# Single-token abbreviations and teen-code (folded form -> canonical lemma).
ABBREVIATIONS: Dict[str, str] = {
    "bhxh": "bhxh", "bhxhtn": "bhxh tu_nguyen", "bhyt": "bhyt", "bhtn": "bhtn", "tctn": "tctn",
    "bh": "bao_hiem", "ko": "khong", "k": "khong", "hok": "khong", "hong": "khong", "kg": "khong",
    "kh": "khong", "khg": "khong", "khum": "khong", "hem": "khong", "khong": "khong",
    "dc": "duoc", "dk": "duoc", "duoc": "duoc", "j": "gi", "gi": "gi", "bn": "bao_nhieu",
    "bnh": "bao_nhieu", "bnhieu": "bao_nhieu", "baonhieu": "bao_nhieu", "cty": "cong_ty", "ct": "cong_ty",
    "hdld": "hdld", "hd": "hop_dong", "nld": "nld", "nsdld": "nsdld", "ntn": "nhu_the_nao",
    "vs": "voi", "mk": "minh", "mik": "minh", "mjk": "minh", "ng": "nguoi", "nguoi": "nguoi",
    "nhiu": "nhieu", "thui": "thoi", "z": "vay", "v": "vay", "r": "roi", "dtts": "dtts",
    "tgpl": "tgpl", "ldld": "ldld", "sdt": "so_dien_thoai", "tr": "trieu", "trieu": "trieu",
    "e": "em", "a": "anh", "c": "chi", "dky": "dang_ky", "dki": "dang_ky", "dangky": "dang_ky",
    "tks": "cam_on", "thanks": "cam_on", "thank": "cam_on", "tk": "cam_on", "ok": "ok", "oke": "ok",
    "okie": "ok", "uh": "uh", "uk": "uh", "um": "uh", "bik": "biet", "bit": "biet", "wa": "qua",
    "ak": "a", "ah": "a", "nghi": "nghi", "hc": "hoc", "bt": "binh_thuong", "ms": "moi", "trc": "truoc",
    "thg": "thang", "th": "thang",
    # Zalo/Telegram teen-code (folded): mún, đóq, thj, lm, s, sn, ck/vk...
    "mun": "muon", "doq": "dong", "thj": "thi", "lm": "lam", "s": "sao",
    "sn": "sinh nam", "lun": "luon", "cx": "cung", "cg": "cung", "zay": "vay", "dzay": "vay", "za": "vay",
    "ns": "noi", "nv": "nhan_vien", "gd": "gia_dinh", "tgia": "tham gia", "bjo": "bao gio", "bgio": "bao gio",
    "vk": "vo", "bme": "bo me", "oy": "roi", "rui": "roi", "roai": "roi", "hnay": "hom nay",
    "hum": "hom", "mn": "moi nguoi",
}


# Province names that are also ordinary phrases once folded ("mang thai bình thường", "hòa bình"):
# left to the entity extractor, not turned into a province feature.
AMBIGUOUS_PROVINCE_NAMES = {"thai binh", "hoa binh"}
PROVINCE_FEATURE = "ten_tinh"


def _province_terms() -> Dict[Tuple[str, ...], str]:
    """Every multi-syllable province name and alias (current and former units) -> "ten_tinh <name>".

    The shared ``ten_tinh`` feature lets "tôi ở Kon Tum" look like "tôi ở Long An" to the classifier
    even when that province never occurs in the training data.
    """
    from knowledge.referral import alias_index

    table: Dict[Tuple[str, ...], str] = {}
    for alias in alias_index():
        syllables = tuple(fold(alias).replace(".", " ").split())
        if len(syllables) < 2 or " ".join(syllables) in AMBIGUOUS_PROVINCE_NAMES:
            continue
        table[syllables] = f"{PROVINCE_FEATURE} {'_'.join(syllables)}"
    return table


def folded_terms() -> Dict[Tuple[str, ...], str]:
    """Term syllables (folded) -> canonical lemma, longest terms first when iterated."""
    table = _province_terms()
    table.update({tuple(fold(k).split()): v for k, v in TERMS.items()})
    return dict(sorted(table.items(), key=lambda kv: -len(kv[0])))


def user_dictionary() -> list:
    """Fixed words for underthesea's segmenter (with diacritics)."""
    return sorted(TERMS, key=len, reverse=True)
