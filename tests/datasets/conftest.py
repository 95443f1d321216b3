"""Fixtures of the datasets tests: a signed-in member, as in the notes tests."""

from __future__ import annotations

from tests.notes.conftest import Member, alice, bob, make_member

__all__ = ["Member", "alice", "bob", "make_member"]
