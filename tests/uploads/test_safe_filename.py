"""safe_filename: what part of a user's file name goes into a key."""

from __future__ import annotations

import pytest

from uploads.services import FILENAME_STEM_MAX_LENGTH, safe_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("beach.jpg", "beach.jpg"),
        ("My Holiday Photo.JPG", "My-Holiday-Photo.jpg"),
        ("Crêpes à Noël.jpeg", "Crepes-a-Noel.jpeg"),
        ("C:\\Users\\ann\\Pictures\\cat.png", "cat.png"),
        ("../../etc/passwd", "passwd"),
        ("photo.tar.gz", "photo-tar.gz"),
        (".jpg", "photo.jpg"),
        ("写真.png", "photo.png"),
        ("no-extension", "no-extension"),
        ("weird.j p?g", "weird.jpg"),
        ("", "photo"),
        ("💥💥.heic", "photo.heic"),
        ("a.verylongextension", "a.verylongex"),
    ],
)
def test_names_become_ascii_and_keep_their_extension(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_long_names_are_capped() -> None:
    assert safe_filename("x" * 500 + ".png") == "x" * FILENAME_STEM_MAX_LENGTH + ".png"
