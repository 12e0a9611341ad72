"""API keys: hashed at rest per client, 401 without a key, 403 with a wrong one."""

from __future__ import annotations

import json

from gridflow.serving.auth import check_key, config_line, hash_key, new_key


def test_a_configured_key_names_its_client():
    scada, mobile = new_key(), new_key()
    keys = {"scada": hash_key(scada), "mobile": hash_key(mobile).upper()}
    assert check_key(scada, keys).client == "scada"
    assert check_key(mobile, keys).client == "mobile"  # hex case does not matter


def test_missing_is_401_and_wrong_is_403():
    keys = {"scada": hash_key(new_key())}
    assert (check_key(None, keys).status, check_key("", keys).status) == (401, 401)
    assert check_key(new_key(), keys).status == 403
    assert check_key(keys["scada"], keys).status == 403  # the hash itself is no key
    assert check_key(new_key(), {}).status == 403


def test_keys_are_fresh_and_the_config_line_holds_only_the_hash():
    key = new_key()
    assert key != new_key() and len(key) > 40
    line = config_line("scada", key)
    assert key not in line
    assert json.loads(line.split("=", 1)[1].strip("'")) == {"scada": hash_key(key)}
