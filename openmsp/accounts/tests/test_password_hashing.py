"""Passwords are stored with Argon2 in production (tests swap in a fast hasher, see conftest)."""

from __future__ import annotations

import importlib

from django.contrib.auth.hashers import Argon2PasswordHasher


def test_the_production_configuration_hashes_passwords_with_argon2() -> None:
    production = importlib.import_module("openmsp.settings")
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_an_argon2_hash_verifies_and_names_its_algorithm() -> None:
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("correct-horse-battery-42", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert hasher.verify("correct-horse-battery-42", encoded)
    assert not hasher.verify("wrong", encoded)
