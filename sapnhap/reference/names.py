"""Vietnamese personal-name lexicons: family, middle and given names with their frequencies, and ethnicities.

Reference data read by the normaliser (diacritic repair of OCR'd names, `sapnhap.records.normalise`) and
by the sample generator (`sapnhap.samples.people`). All strings NFC.

Name tables and their sources (all strings NFC):

* Family names: the head of the table is the distribution reported in Wikipedia's "Vietnamese name"
  (copied in 2009 by waiwiki.blogspot.com, "Vietnamese Family Names / Surnames"): Nguyễn 38.4 %,
  Trần 11 %, Lê 9.5 %, Phạm 7.1 %, Hoàng/Huỳnh 5.1 %, Phan 4.5 %, Vũ/Võ 3.9 %, Đặng 2.1 %, Bùi 2 %,
  Đỗ 1.4 %, Hồ 1.3 %, Ngô 1.3 %, Dương 1 %, Lý 0.5 % (89.1 % together; later copies of the same article
  round Nguyễn to 39 %; the figures are usually credited to Lê Trung Hoa's study of Vietnamese family
  names, which could not be read here). No more recent nationwide count was found. The tail of less
  common names shares the remaining 10.9 % by the project's own estimate. Hoàng/Huỳnh and Vũ/Võ are one
  name written differently in the north and the south (Huỳnh and Võ from the southern naming taboo
  on the Nguyễn lords' names); the split by region is the project's own estimate.
* Middle names: "Văn" for men and "Thị" for women dominate older cohorts and are falling out of use
  (Vietcetera, "Why are middle names Văn and Thị popular in Vietnam?", 2024; Báo Hải Dương, "Vì sao cha
  mẹ Việt ít dùng 'nam Văn, nữ Thị' đặt tên con"). The shares by birth cohort and the other middle
  names' weights are the project's own estimate.
* Given names: the project's own estimate of relative frequency. The one public frequency list found
  (github.com/toanluu/vietname, 115,000 names) has no licence, no sex and no diacritics, so its counts
  are not used.
* Ethnicity: 2019 census shares of the largest groups (Kinh 85.32 %, Tày 1.92 %, Thái 1.89 %,
  Mường 1.51 %, Mông 1.45 %, Khmer 1.32 %, Nùng 1.13 %, Dao 0.93 %, Hoa 0.78 %; Wikipedia "List of
  ethnic groups in Vietnam"); the other 44 groups (3.75 %) are left out, so these shares are
  renormalised (Kinh ≈ 88.6 %). Names are drawn from the Kinh tables whatever the ethnicity.
* Minimum ages: marriage at 20 full years for men and 18 for women (Law on Marriage and Family 2014,
  No. 52/2014/QH13, Art. 8(1)(a)).
"""

from __future__ import annotations

from sapnhap.text import nfc

REGIONS = ("north", "central", "south")
SEXES = ("male", "female")

# --- family names -------------------------------------------------------------------------------------
# Percent of the population (head: Wikipedia "Vietnamese name", see the module docstring). "Hoàng/Huỳnh"
# and "Vũ/Võ" are split by region below.
FAMILY_NAME_SHARES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.4),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 7.1),
    ("Hoàng/Huỳnh", 5.1),
    ("Phan", 4.5),
    ("Vũ/Võ", 3.9),
    ("Đặng", 2.1),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
)
# Less common names: relative weights (project's own estimate), scaled to share the remaining 10.9 %.
_FAMILY_TAIL_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("Đinh", 9),
    ("Đào", 9),
    ("Trịnh", 8),
    ("Trương", 8),
    ("Lương", 7),
    ("Đoàn", 7),
    ("Mai", 6),
    ("Hà", 6),
    ("Lâm", 5),
    ("Lưu", 4),
    ("Cao", 4),
    ("Tạ", 3),
    ("Phùng", 3),
    ("Vương", 3),
    ("Tô", 3),
    ("Châu", 3),
    ("Quách", 2),
    ("Kiều", 2),
    ("Triệu", 2),
    ("La", 2),
    ("Thái", 2),
    ("Từ", 1.5),
    ("Chu", 1.5),
    ("Nghiêm", 1),
    ("Tống", 1),
    ("Đàm", 1),
    ("Lại", 1),
    ("Kim", 1),
    ("Thạch", 1),
    ("Giang", 1),
    ("Hứa", 1),
    ("Diệp", 0.5),
    ("Mạc", 0.5),
    ("Lục", 0.5),
    ("Tăng", 0.5),
)
FAMILY_NAME_TAIL_SHARE = 100.0 - sum(share for _, share in FAMILY_NAME_SHARES)  # 10.9
# Share written Hoàng (vs Huỳnh) and Vũ (vs Võ) by region: project's own estimate.
REGIONAL_SPELLING = {
    "north": {"Hoàng/Huỳnh": ("Hoàng", 0.95, "Huỳnh"), "Vũ/Võ": ("Vũ", 0.90, "Võ")},
    "central": {"Hoàng/Huỳnh": ("Hoàng", 0.50, "Huỳnh"), "Vũ/Võ": ("Vũ", 0.35, "Võ")},
    "south": {"Hoàng/Huỳnh": ("Hoàng", 0.10, "Huỳnh"), "Vũ/Võ": ("Vũ", 0.10, "Võ")},
}

# --- middle names -------------------------------------------------------------------------------------
# Share of men named "Văn" and women named "Thị", by first birth year of the cohort (own estimate).
VAN_THI_SHARE_BY_COHORT: tuple[tuple[int, float, float], ...] = (
    (0, 0.60, 0.85),
    (1960, 0.50, 0.75),
    (1980, 0.40, 0.60),
    (1990, 0.25, 0.40),
    (2000, 0.15, 0.25),
    (2010, 0.08, 0.12),
)
# The other middle names, relative weights (own estimate).
MIDDLE_NAMES_MALE: tuple[tuple[str, float], ...] = (
    ("Đức", 9),
    ("Minh", 9),
    ("Hữu", 8),
    ("Quang", 7),
    ("Công", 6),
    ("Thanh", 6),
    ("Đình", 6),
    ("Quốc", 6),
    ("Ngọc", 5),
    ("Xuân", 5),
    ("Trọng", 4),
    ("Thế", 4),
    ("Duy", 4),
    ("Hoàng", 4),
    ("Tiến", 3),
    ("Mạnh", 3),
    ("Anh", 3),
    ("Việt", 3),
    ("Gia", 3),
    ("Bảo", 3),
    ("Chí", 3),
    ("Thành", 3),
    ("Tấn", 3),
    ("Tuấn", 2),
    ("Khánh", 2),
    ("Nhật", 2),
    ("Trung", 2),
    ("Hải", 2),
    ("Phúc", 2),
    ("Kim", 1),
)
MIDDLE_NAMES_FEMALE: tuple[tuple[str, float], ...] = (
    ("Ngọc", 10),
    ("Thu", 7),
    ("Thanh", 7),
    ("Phương", 6),
    ("Hồng", 6),
    ("Kim", 5),
    ("Thúy", 5),
    ("Minh", 4),
    ("Bích", 4),
    ("Thảo", 4),
    ("Mỹ", 4),
    ("Khánh", 4),
    ("Bảo", 4),
    ("Lan", 3),
    ("Diệu", 3),
    ("Hoài", 3),
    ("Gia", 3),
    ("Hải", 3),
    ("Mai", 3),
    ("Quỳnh", 3),
    ("Xuân", 3),
    ("Hoàng", 3),
    ("Như", 3),
    ("Thùy", 3),
    ("Tuyết", 2),
    ("Ánh", 2),
    ("Huyền", 2),
    ("Cẩm", 2),
    ("Vân", 2),
    ("Yến", 2),
)

# --- given names (relative weights, project's own estimate) -----------------------------------------------
GIVEN_NAMES_MALE: tuple[tuple[str, float], ...] = (
    ("Hùng", 3.0),
    ("Dũng", 3.0),
    ("Tuấn", 3.0),
    ("Minh", 3.0),
    ("Anh", 2.5),
    ("Hải", 2.5),
    ("Nam", 2.5),
    ("Sơn", 2.5),
    ("Long", 2.5),
    ("Huy", 2.4),
    ("Đức", 2.2),
    ("Cường", 2.2),
    ("Thành", 2.2),
    ("Hưng", 2.0),
    ("Thắng", 2.0),
    ("Hiếu", 2.0),
    ("Trung", 2.0),
    ("Phong", 1.8),
    ("Quang", 1.8),
    ("Duy", 1.8),
    ("Đạt", 1.8),
    ("Hoàng", 1.6),
    ("Quân", 1.6),
    ("Tâm", 1.5),
    ("Phúc", 1.5),
    ("Tùng", 1.5),
    ("Bình", 1.5),
    ("Khánh", 1.4),
    ("Việt", 1.4),
    ("Vinh", 1.4),
    ("Toàn", 1.4),
    ("Tiến", 1.4),
    ("Khoa", 1.2),
    ("Lâm", 1.2),
    ("Nghĩa", 1.2),
    ("Tài", 1.2),
    ("Mạnh", 1.2),
    ("Bảo", 1.2),
    ("Thịnh", 1.0),
    ("Tân", 1.0),
    ("Lộc", 1.0),
    ("Phát", 1.0),
    ("Kiên", 1.0),
    ("Chiến", 1.0),
    ("Tú", 1.0),
    ("Nhân", 1.0),
    ("Vũ", 1.0),
    ("Thanh", 1.0),
    ("Thuận", 0.9),
    ("Khang", 0.9),
    ("Hiệp", 0.8),
    ("Công", 0.8),
    ("Lợi", 0.8),
    ("Khôi", 0.8),
    ("Hậu", 0.8),
    ("Hòa", 0.8),
    ("Trí", 0.8),
    ("Thông", 0.7),
    ("Thái", 0.7),
    ("Sang", 0.7),
    ("Thiện", 0.7),
    ("Quốc", 0.6),
    ("Trọng", 0.6),
    ("Tín", 0.6),
    ("Đông", 0.6),
    ("Hào", 0.6),
    ("Giang", 0.6),
    ("Kiệt", 0.6),
    ("Dương", 0.6),
    ("Quý", 0.6),
    ("Chính", 0.6),
    ("Tuân", 0.5),
    ("Luân", 0.5),
    ("Định", 0.5),
    ("Danh", 0.5),
    ("Lực", 0.5),
    ("Khải", 0.5),
    ("Phương", 0.5),
    ("Ngọc", 0.5),
    ("Vương", 0.4),
    ("Hoan", 0.4),
    ("Tuyên", 0.4),
    ("Cảnh", 0.4),
    ("Thạch", 0.3),
)
GIVEN_NAMES_FEMALE: tuple[tuple[str, float], ...] = (
    ("Anh", 3.4),
    ("Linh", 3.2),
    ("Trang", 3.0),
    ("Hương", 2.8),
    ("Thảo", 2.8),
    ("Phương", 2.6),
    ("Thủy", 2.4),
    ("Hằng", 2.2),
    ("Hà", 2.2),
    ("Lan", 2.0),
    ("Hoa", 2.0),
    ("Ngọc", 2.0),
    ("Mai", 2.0),
    ("Huyền", 2.0),
    ("Yến", 1.8),
    ("Hiền", 1.8),
    ("Nhi", 1.8),
    ("Nhung", 1.6),
    ("Hạnh", 1.6),
    ("Dung", 1.6),
    ("Giang", 1.6),
    ("Vy", 1.6),
    ("Quỳnh", 1.6),
    ("Nga", 1.5),
    ("Uyên", 1.4),
    ("Ngân", 1.4),
    ("Thu", 1.4),
    ("Vân", 1.4),
    ("My", 1.3),
    ("Loan", 1.2),
    ("Dương", 1.2),
    ("Hồng", 1.2),
    ("Chi", 1.2),
    ("Thư", 1.2),
    ("Trinh", 1.2),
    ("Trâm", 1.0),
    ("Tâm", 1.0),
    ("Oanh", 1.0),
    ("Xuân", 1.0),
    ("Hân", 1.0),
    ("Như", 1.0),
    ("Tiên", 1.0),
    ("Duyên", 1.0),
    ("Thanh", 1.0),
    ("Liên", 0.9),
    ("Lý", 0.8),
    ("Lệ", 0.8),
    ("Tuyết", 0.8),
    ("Châu", 0.8),
    ("Khánh", 0.8),
    ("Ly", 0.8),
    ("Thương", 0.8),
    ("Quyên", 0.8),
    ("Thúy", 0.8),
    ("An", 0.8),
    ("Nguyệt", 0.7),
    ("Huệ", 0.7),
    ("Ánh", 0.7),
    ("Diệp", 0.6),
    ("Tú", 0.6),
    ("Hậu", 0.6),
    ("Thơ", 0.6),
    ("Diễm", 0.6),
    ("Thắm", 0.6),
    ("Hoài", 0.6),
    ("Nhàn", 0.6),
    ("Tuyền", 0.6),
    ("Hường", 0.6),
    ("Vi", 0.6),
    ("Minh", 0.6),
    ("Cúc", 0.5),
    ("Thoa", 0.5),
    ("Bích", 0.5),
    ("Đào", 0.4),
    ("Kiều", 0.4),
    ("Sương", 0.4),
    ("Lụa", 0.3),
    ("Gấm", 0.3),
    ("Mến", 0.3),
)

# --- ethnicity (2019 census, percent; the other 44 groups left out) ----------------------------------------
ETHNICITY_SHARES: tuple[tuple[str, float], ...] = (
    ("Kinh", 85.32),
    ("Tày", 1.92),
    ("Thái", 1.89),
    ("Mường", 1.51),
    ("Mông", 1.45),
    ("Khmer", 1.32),
    ("Nùng", 1.13),
    ("Dao", 0.93),
    ("Hoa", 0.78),
)


def family_name_shares(region: str = "north") -> dict[str, float]:
    """The probability of each family name in a region ("north"/"central"/"south"), summing to 1.

    Raises:
        ValueError: for an unknown region.
    """
    if region not in REGIONS:
        raise ValueError(f"region must be one of {REGIONS}, got {region!r}")
    tail_total = sum(weight for _, weight in _FAMILY_TAIL_WEIGHTS)
    pairs: list[tuple[str, float]] = []
    for name, share in FAMILY_NAME_SHARES:
        if name in REGIONAL_SPELLING[region]:
            first, first_share, second = REGIONAL_SPELLING[region][name]
            pairs += [(first, share * first_share), (second, share * (1 - first_share))]
        else:
            pairs.append((name, share))
    pairs += [(name, weight / tail_total * FAMILY_NAME_TAIL_SHARE) for name, weight in _FAMILY_TAIL_WEIGHTS]
    return {nfc(name): share / 100.0 for name, share in pairs}


def van_thi_share(sex: str, birth_year: int) -> float:
    """Probability that a person of this sex born in this year has the middle name "Văn" / "Thị"."""
    share = 0.0
    for start, male, female in VAN_THI_SHARE_BY_COHORT:
        if birth_year >= start:
            share = male if sex == "male" else female
    return share
