from __future__ import annotations

import digest


def test_public_api_is_sorted_and_importable() -> None:
    assert digest.__all__ == sorted(digest.__all__)
    for name in digest.__all__:
        assert getattr(digest, name) is not None, name
