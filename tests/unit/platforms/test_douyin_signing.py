"""抖店 signing: the exact bytes signed, the sign itself, and the push signature."""

from __future__ import annotations

from lanshou.adapters.platforms.douyin import event_sign, method_of, param_json, sign

# Computed with openssl, not with lanshou:
#   printf '%s' 'secret123app_keyk1methodorder.searchListparam_json{"a":"<b>&c","page":0,
#   "size":100}timestamp1767225600v2secret123' | openssl dgst -sha256 -hmac secret123
KNOWN_SIGN = "59eab87a9e093b4ee4985f4e2e4f03ee5fe9bfb1b7ec5a634cc9e85b0254980d"
#   printf '%s' 'k1[{"tag":"100","msg_id":"m1","data":"{}"}]secret123' | openssl dgst -md5
KNOWN_EVENT_SIGN = "83abdb2c1d7e8e82556571ef72b2d427"


def test_param_json_is_sorted_compact_and_not_html_escaped() -> None:
    body = param_json({"size": 100, "page": 0, "a": "<b>&c"})
    assert body == '{"a":"<b>&c","page":0,"size":100}'


def test_param_json_sorts_nested_keys_and_keeps_chinese_as_utf8() -> None:
    body = param_json({"z": {"b": 1, "a": [{"d": 2, "c": "顺丰"}]}, "y": None})
    assert body == '{"y":null,"z":{"a":[{"c":"顺丰","d":2}],"b":1}}'


def test_line_separators_are_escaped_as_go_does() -> None:
    assert param_json({"a": "x\u2028y"}) == '{"a":"x\\u2028y"}'


def test_method_is_the_path_with_dots() -> None:
    assert method_of("/order/searchList") == "order.searchList"
    assert method_of("token/create") == "token.create"


def test_sign_matches_the_known_vector() -> None:
    body = param_json({"size": 100, "page": 0, "a": "<b>&c"})
    assert sign("k1", "secret123", "order.searchList", body, "1767225600") == KNOWN_SIGN


def test_a_different_body_gives_a_different_sign() -> None:
    body = '{"a":"&lt;b&gt;&amp;c","page":0,"size":100}'
    assert sign("k1", "secret123", "order.searchList", body, "1767225600") != KNOWN_SIGN


def test_event_sign_matches_the_known_vector() -> None:
    body = b'[{"tag":"100","msg_id":"m1","data":"{}"}]'
    assert event_sign("k1", body, "secret123") == KNOWN_EVENT_SIGN
