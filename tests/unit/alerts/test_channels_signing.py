"""Each robot signs exactly as its vendor documents it (independent computations below)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import httpx

from lanshou.adapters.notify import (
    DingTalkRobot,
    EmailSender,
    FeishuRobot,
    LoggingSmsSender,
    Message,
    SignedWebhook,
    WeComRobot,
)

AT = datetime(2026, 11, 4, 15, 30, tzinfo=UTC)
TS_MS, TS_S = 1793806200000, 1793806200
SECRET = "SEC000demo"
MSG = Message("揽收预警", "订单 A000 还剩 2 小时")


def _capture(
    reply: dict[str, Any], status: int = 200
) -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=reply)

    return seen, httpx.MockTransport(handler)


def test_the_fixed_instant_is_what_the_expected_values_assume() -> None:
    assert int(AT.timestamp()) == TS_S and int(AT.timestamp() * 1000) == TS_MS


def test_dingtalk_appends_timestamp_and_url_encoded_hmac_of_timestamp_newline_secret() -> None:
    seen, transport = _capture({"errcode": 0, "errmsg": "ok"})
    robot = DingTalkRobot(
        "https://oapi.dingtalk.com/robot/send?access_token=abc", SECRET, transport, lambda: AT
    )
    assert robot.send(MSG).ok
    expected = urllib.parse.quote_plus(
        base64.b64encode(
            hmac.new(b"SEC000demo", b"1793806200000\nSEC000demo", hashlib.sha256).digest()
        )
    )
    [req] = seen
    query = urllib.parse.parse_qs(req.url.query.decode())
    assert query["timestamp"] == ["1793806200000"]
    assert urllib.parse.quote_plus(query["sign"][0]) == expected
    assert str(req.url).endswith(f"&timestamp=1793806200000&sign={expected}")
    body = json.loads(req.content)
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == "揽收预警"


def test_dingtalk_error_code_is_a_failure() -> None:
    _, transport = _capture({"errcode": 310000, "errmsg": "sign not match"})
    result = DingTalkRobot(
        "https://oapi.dingtalk.com/robot/send?access_token=abc", SECRET, transport, lambda: AT
    ).send(MSG)
    assert not result.ok and result.error == "errcode 310000: sign not match"


def test_feishu_uses_the_string_to_sign_as_key_over_an_empty_message() -> None:
    seen, transport = _capture({"code": 0, "msg": "success"})
    robot = FeishuRobot(
        "https://open.feishu.cn/open-apis/bot/v2/hook/xyz", SECRET, transport, lambda: AT
    )
    assert robot.send(MSG).ok
    expected = base64.b64encode(
        hmac.new(b"1793806200\nSEC000demo", b"", hashlib.sha256).digest()
    ).decode()
    body = json.loads(seen[0].content)
    assert body["timestamp"] == "1793806200" and body["sign"] == expected
    assert body["msg_type"] == "text" and body["content"]["text"].startswith("揽收预警\n")


def test_feishu_non_zero_code_is_a_failure() -> None:
    _, transport = _capture({"code": 19021, "msg": "sign match fail"})
    assert not FeishuRobot("https://x.example/h", SECRET, transport, lambda: AT).send(MSG).ok


def test_wecom_posts_markdown_or_text_without_a_signature() -> None:
    seen, transport = _capture({"errcode": 0, "errmsg": "ok"})
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1"
    assert WeComRobot(url, "markdown", transport).send(MSG).ok
    assert WeComRobot(url, "text", transport).send(MSG).ok
    md, text = (json.loads(r.content) for r in seen)
    assert md == {
        "msgtype": "markdown",
        "markdown": {"content": "**揽收预警**\n订单 A000 还剩 2 小时"},
    }
    assert text == {"msgtype": "text", "text": {"content": "揽收预警\n订单 A000 还剩 2 小时"}}
    assert "sign" not in str(seen[0].url)


def test_generic_webhook_signs_the_exact_body_bytes() -> None:
    seen, transport = _capture({})
    hook = SignedWebhook("https://hooks.example/lanshou", "whsec", transport, lambda: AT)
    assert hook.send(MSG).ok
    req = seen[0]
    expected = "sha256=" + hmac.new(b"whsec", req.content, hashlib.sha256).hexdigest()
    assert req.headers["X-Lanshou-Signature"] == expected
    assert req.headers["X-Lanshou-Timestamp"] == "1793806200"
    assert json.loads(req.content)["timestamp"] == "1793806200"


def test_http_errors_and_network_errors_come_back_as_failed_results() -> None:
    _, transport = _capture({}, status=503)
    failed = SignedWebhook("https://h.example", "s", transport, lambda: AT).send(MSG)
    assert (failed.ok, failed.status_code) == (False, 503)

    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    result = SignedWebhook("https://h.example", "s", httpx.MockTransport(boom), lambda: AT).send(
        MSG
    )
    assert not result.ok and result.error == "ConnectError: refused"


class FakeSMTP:
    instances: list[FakeSMTP] = []  # noqa: RUF012

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.calls: list[tuple[str, Any]] = [("connect", (host, port))]
        self.sent: list[EmailMessage] = []
        FakeSMTP.instances.append(self)

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append(("quit", None))

    def starttls(self) -> None:
        self.calls.append(("starttls", None))

    def login(self, user: str, password: str) -> None:
        self.calls.append(("login", (user, password)))

    def send_message(self, msg: EmailMessage) -> None:
        self.sent.append(msg)


def test_email_uses_starttls_then_login_then_sends_a_utf8_message() -> None:
    FakeSMTP.instances.clear()
    mail = EmailSender(
        "smtp.example.com",
        587,
        "alerts@shop.example",
        ["a@x.cn", "b@x.cn"],
        "alerts",
        "pw",
        starttls=True,
        smtp_factory=FakeSMTP,
    )
    assert mail.send(MSG).ok
    [smtp] = FakeSMTP.instances
    assert [c for c, _ in smtp.calls] == ["connect", "starttls", "login", "quit"]
    [sent] = smtp.sent
    assert sent["Subject"] == "揽收预警" and sent["To"] == "a@x.cn, b@x.cn"
    assert sent.get_content().strip() == "订单 A000 还剩 2 小时"


def test_logging_sms_sender_records_and_refuses_an_empty_number() -> None:
    sms = LoggingSmsSender()
    assert sms.send_sms("13800000001", "hi").ok and sms.sent == [("13800000001", "hi")]
    assert not sms.send_sms(" ", "hi").ok
