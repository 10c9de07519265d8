"""Number writing shared by every view: the edges where one unit hands over to the next."""

import pytest

from advisor.units import GIB, format_count, format_gpu_list, format_tokens


@pytest.mark.parametrize(
    ("count", "en", "fr"),
    [
        (999, "999", "999"),
        (1_000, "1.0K", "1,0\u00a0k"),
        (202_000, "202K", "202\u00a0k"),
        (99_940_000, "99.9M", "99,9\u00a0M"),
        (99_960_000, "100M", "100\u00a0M"),
        (999_400_000, "999M", "999\u00a0M"),
        (999_885_952, "1.0B", "1,0\u00a0Md"),
        (7_615_616_512, "7.6B", "7,6\u00a0Md"),
        (235_000_000_000, "235B", "235\u00a0Md"),
        (1_000_000_000_000, "1.0T", "1,0\u00a0T"),
    ],
)
def test_counts_keep_one_to_three_leading_digits(count: int, en: str, fr: str) -> None:
    assert format_count(count, "en") == en
    assert format_count(count, "fr") == fr


def test_context_lengths_are_written_whole_in_both_languages() -> None:
    assert format_tokens(32_768, "en") == "32,768"
    assert format_tokens(32_000, "en") == "32,000"
    assert format_tokens(131_072, "fr") == "131\u202f072"


def test_identical_gpus_are_collapsed_and_different_ones_kept_apart() -> None:
    assert format_gpu_list([80 * GIB] * 1000, "en") == "1000 × 80.0 GiB"
    assert format_gpu_list([24 * GIB, 24 * GIB, 16 * GIB], "fr") == "2 × 24,0 Gio, 16,0 Gio"
    assert format_gpu_list([24 * GIB], "en", names=["RTX 4090"]) == "RTX 4090 24.0 GiB"
