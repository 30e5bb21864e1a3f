"""Issue 15, plain words everywhere a person reads: every page, every demo role, both languages.

Each demo role logs in through the form and opens every GET page of the web router it may see
(the authorization table says which), with real ids from the demo world, first in Chinese, then
in English. What a person reads is the page's visible text plus its title, placeholders, ARIA
labels, tooltips, option texts and button values. In Chinese that must hold no ASCII snake_case
token (``insufficient_evidence``), no bare code word (``reversed``, ``outlet``) and no English
catalogue message left untranslated; in English no Han character outside the world's proper
nouns and user-written texts, listed one by one from the demo database (shop, courier and user
names, addresses, tracking texts, statements), and the language switch's 「中文」.

One browser; each role keeps one session and switches language once. A finding names the page,
the role, the language and the token.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from lanshou.appeals.wording import ACTION_LABELS, REASON_CODES, STATE_LABELS
from lanshou.entrypoints.web.router import build_web_router
from lanshou.entrypoints.web.routes.complaints import COMPLAINT_STATES
from lanshou.i18n import read_catalogue
from lanshou.i18n.labels import KINDS
from tests.e2e.conftest import LiveServer, log_in
from tests.integration.web.test_page_authorization import CALLERS, PAGES, get_pages

pytestmark = pytest.mark.e2e

USERS = dict(zip(CALLERS, ("merchant", "staff", "cs", "reviewer", "admin"), strict=True))
CASE_SHOP = "demo-dy-hemu"  # the shop of every demo merchant user
BINARY = {"/appeals/{appeal_id}/evidence/{evidence_id}", "/appeals/{appeal_id}/dossier"}
# Pages the role that works there opens once per appeal of the demo (one in each state).
PER_APPEAL = {
    "/appeals/{appeal_id}": ("owner", "/appeals/{id}"),
    "/review/{appeal_id}": ("reviewer", "/review/{id}"),
}
# More URLs of a page: the forms' results and refusals (422 with the page), the other tables.
EXTRA: dict[str, list[str]] = {
    "/analytics/whatif": [
        "?kind=rule&rule=pickup_timeout&hours=12",
        "?kind=carrier&carrier_from=ZTO&carrier_to=SF",
        "?kind=rule&rule=pickup_timeout&hours=abc",
        "?kind=carrier&carrier_from=SF&carrier_to=SF",
    ],
    "/analytics/carriers": ["?table=outlet", "?table=courier"],
    "/violations": ["?state=reversed"],
}
# Not read: commands typed as they are (``code.command``) and the error page's reference for
# support (``internal_error``, quoted as it is).
NOT_READ = "code.command, .error-reference code"

READ = """(skip) => {
  document.querySelectorAll(skip).forEach(el => { el.style.display = 'none'; });
  // Folded sections (the order page's 判定说明) are read too: innerText skips closed details.
  document.querySelectorAll('details').forEach(el => { el.open = true; });
  const parts = [document.title, document.body.innerText];
  const attr = (sel, name) => document.querySelectorAll(sel).forEach(
    el => parts.push(el.getAttribute(name)));
  attr('[placeholder]', 'placeholder');
  attr('[aria-label]', 'aria-label');
  attr('[title]', 'title');
  document.querySelectorAll('option').forEach(el => parts.push(el.textContent));
  document.querySelectorAll('input[type=submit], input[type=button]')
    .forEach(el => parts.push(el.value));
  document.querySelectorAll('.chart[data-option]').forEach(el => {
    const o = JSON.parse(el.dataset.option);
    [].concat(o.xAxis || [], o.yAxis || []).forEach(a => {
      parts.push(a.name || '');
      (a.data || []).forEach(d => parts.push(String(d && d.value !== undefined ? d.value : d)));
    });
    [].concat(o.series || []).forEach(s => parts.push(s.name || ''));
    ((o.legend || {}).data || []).forEach(d => parts.push(String(d.name || d)));
  });
  return parts.join('\\n');
}"""

SNAKE = re.compile(r"(?<![\w./@:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])")
# The logo: the product's name, 揽, on a line of its own (the brand, not a word to translate).
BRAND = re.compile(r"^揽$", re.MULTILINE)
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
CJK_PUNCTUATION = re.compile(r"[\u3001\u3002\u300c\u300d\uff08\uff09\uff0c\uff1a\uff1b]")
# A piece of text between Han characters, CJK punctuation, tabs and line breaks.
SEGMENTS = re.compile(r"[^\u3000-\u303f\u3400-\u9fff\uf900-\uffef\t\n]+")
PARAM = re.compile(r"%\((\w+)\)[sd]|%\((\w+)\)0?\d*d")


def _code_words() -> set[str]:
    """Codes people must never read raw in Chinese (those with ``_`` are caught as snake_case)."""
    tables = [*KINDS.values(), REASON_CODES, STATE_LABELS, ACTION_LABELS, COMPLAINT_STATES]
    return {code for table in tables for code in table if "_" not in code}


def _chinese_catalogue_pieces() -> set[str]:
    """ASCII pieces the Chinese translations themselves use ("Webhook 地址")."""
    return {
        piece.strip()
        for message in read_catalogue("zh_CN")
        if isinstance(message.string, str)
        for piece in SEGMENTS.findall(message.string)
    }


def _untranslated_patterns() -> list[re.Pattern[str]]:
    """An English message id whose Chinese differs, as a whole piece of text (parameters may be
    anything): seeing it in a Chinese page means its translation was skipped."""
    patterns = []
    for message in read_catalogue("zh_CN"):
        msgid = message.id if isinstance(message.id, str) else ""
        if not msgid or not re.search(r"[A-Za-z]{2}", msgid) or message.string == msgid:
            continue
        literal = [p for i, p in enumerate(PARAM.split(msgid)) if i % 3 == 0]
        if not re.search(r"[A-Za-z]{2}", "".join(literal)):
            continue  # "(%(name)s)": only its parameters would be seen
        literal = [re.escape(p) for p in literal]
        patterns.append(re.compile(r"\s*" + ".+?".join(literal) + r"\s*"))
    return patterns


CHINESE_PIECES = _chinese_catalogue_pieces()
# Three or more English words in a row: a sentence nobody translated (or data in English).
_WORD = r"[A-Za-z]+(?:-[A-Za-z]+)*"  # "demo-dy-hemu" is one word
PHRASE = re.compile(rf"(?<![\w./@:-]){_WORD}(?:[ ,;:'()]+{_WORD}){{2,}}")
CODE_WORDS = re.compile(r"(?<![\w./@:-])(" + "|".join(sorted(_code_words())) + r")(?![\w-])")
UNTRANSLATED = _untranslated_patterns()


@dataclass(frozen=True)
class Finding:
    page: str
    role: str
    language: str
    token: str

    def __str__(self) -> str:
        return f"{self.page} as {self.role} in {self.language}: {self.token!r}"


MONEY_SIGN = re.compile(r"¥\s*[-−]\d[\d,.]*")  # "-¥3.00" is how people write it
# A points figure next to a currency sign: points are not money.
POINTS_AS_MONEY = re.compile(r"(?:扣分|[Pp]oints?)[\s:：]*¥|¥[\d,.]+\s*(?:分|points?)")


def money_findings(text: str) -> Iterator[str]:
    yield from (f"money sign {m}" for m in MONEY_SIGN.findall(text))
    yield from (f"points as money {m}" for m in POINTS_AS_MONEY.findall(text))


# An HTTP status in brackets ("当前无法执行（409）", "rejected (415)"): say what happened instead.
HTTP_STATUS = re.compile(r"[(（]\s*[45]\d\d(?:\s+[A-Za-z][A-Za-z ]*)?\s*[)）]")


def status_findings(text: str) -> Iterator[str]:
    yield from (f"HTTP status {m}" for m in HTTP_STATUS.findall(text))


def chinese_findings(text: str, usernames: list[str]) -> Iterator[str]:
    for name in usernames:  # login names are names: "reviewer" may be one
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text)
    yield from (f"snake_case {m}" for m in SNAKE.findall(text))
    yield from (f"code word {m}" for m in CODE_WORDS.findall(text))
    yield from (f"English {m}" for m in PHRASE.findall(text))
    for segment in SEGMENTS.findall(text):
        if segment.strip() not in CHINESE_PIECES and any(
            p.fullmatch(segment) for p in UNTRANSLATED
        ):
            yield f"untranslated {segment.strip()}"


def english_findings(text: str, proper_nouns: list[str]) -> Iterator[str]:
    text = BRAND.sub(" ", text)
    for noun in proper_nouns:  # longest first, so a name inside an address goes with it
        text = text.replace(noun, " ")
    for line in text.splitlines():
        if HAN.search(line):
            yield f"Han in {line.strip()[:80]}"
        elif CJK_PUNCTUATION.search(line):  # "Claim、Withdraw": a Chinese list in English
            yield f"Chinese punctuation in {line.strip()[:80]}"


def _query(server: LiveServer, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(server.database) as db:
        return db.execute(sql).fetchall()


def proper_nouns(server: LiveServer) -> list[str]:
    """Names, places and texts people wrote, one by one from the demo world, longest first."""
    columns = [
        "select name from platforms",
        "select name from shops",
        "select name from outlets",
        "select province from outlets",
        "select city from outlets",
        "select name from couriers",
        "select buyer_province from orders",
        "select buyer_city from orders",
        "select title from order_items",
        "select location from tracking_events",
        "select description from tracking_events",
        "select display_name from users",
        "select statement from appeals",
        "select decision_comment from appeals",
        "select reason from appeal_events",
        "select reason from complaints",
        "select counterpart_name from communications",
        "select summary from communications",
        "select filename from evidence",
        "select note from complaint_tasks",
        "select note from assignments",
    ]
    found = {"中文"}  # the language switch names each language in itself
    for sql in columns:
        found |= {str(v) for (v,) in _query(server, sql) if v and HAN.search(str(v))}
    return sorted(found, key=len, reverse=True)


def demo_names(server: LiveServer) -> Names:
    usernames = [name for (name,) in _query(server, "select username from users")]
    return Names(usernames, proper_nouns(server))


def demo_ids(server: LiveServer) -> dict[str, object]:
    """Ids of the URL templates of the authorization table, from the merchant users' shop."""

    def one(sql: str) -> object:
        rows = _query(server, sql)
        assert rows, sql
        return rows[0][0]

    shop = one(f"select id from shops where code = '{CASE_SHOP}'")
    approved = one("select violation_id from appeals where state = 'approved'")
    return {
        "shop_id": shop,
        # the order of an approved appeal: its ledger holds a reversal
        "order_id": one(f"select order_id from violations where id = {approved}"),
        "violation_free": one(
            f"select id from violations where shop_id = {shop} and state = 'confirmed'"
            " and id not in (select violation_id from appeals) order by id"
        ),
        "appeal_draft": one("select id from appeals where state = 'draft'"),
        "appeal_submitted": one("select id from appeals where state = 'submitted'"),
        "evidence_id": one("select id from evidence order by id"),
        "shipment_id": one(
            "select s.id from shipments s join orders o on o.id = s.order_id"
            f" where o.shop_id = {shop} and s.status = 'awaiting_pickup'"
            " and s.courier_id is not null order by s.id"
        ),
        "waybill": one(
            f"select s.waybill_no from shipments s join orders o on o.id = s.order_id"
            f" where o.shop_id = {shop} order by s.id"
        ),
    }


PAGE, ANSWER = (200,), (200, 404, 422)  # a form's answer may be a refusal with its page


def urls_for(role: str, server: LiveServer, contacted: str) -> list[tuple[str, tuple[int, ...]]]:
    """(URL, statuses) of every page the role may open in its own shop, more URLs of some
    pages, and the appeal pages once per appeal of the demo for the role that works there."""
    ids = demo_ids(server)
    appeals = [row[0] for row in _query(server, "select id from appeals order by id")]
    column = CALLERS.index(role)
    found = []
    for page in get_pages(build_web_router()):
        status = PAGES[page].own[column]
        if page in BINARY or status == 403 or (status == 303 and page != "/search"):
            continue
        found.append((PAGES[page].url.format(**ids), PAGE))
        if page == "/orders/{order_id}":  # with a contact-log entry: parties and channels
            found.append((contacted, PAGE))
        if page in PER_APPEAL and PER_APPEAL[page][0] == role:
            found += [(PER_APPEAL[page][1].format(id=a), PAGE) for a in appeals]
        if role == "owner":  # the forms and tables read the same for every role: once is enough
            found += [(page + query, ANSWER) for query in EXTRA.get(page, [])]
    if role == "owner":  # the error page: another tenant's or no order
        found.append(("/orders/999999999", (404,)))
    return found


def _switch(page: Any, locale: str) -> None:
    if page.locator(f".lang-switch button[value={locale}]").get_attribute("aria-pressed") != "true":
        page.click(f".lang-switch button[value={locale}]")
        page.wait_for_load_state("load")


@dataclass(frozen=True)
class Names:
    usernames: list[str]
    proper_nouns: list[str]


def _shipment_of(item: Any) -> int:
    form = item.locator("form.contact-form")
    return int(str(form.locator("input[name=shipment_id]").get_attribute("value")))


def case_shop_shipments(server: LiveServer) -> set[int]:
    rows = _query(
        server,
        "select s.id from shipments s join orders o on o.id = s.order_id"
        f" join shops p on p.id = o.shop_id where p.code = '{CASE_SHOP}'",
    )
    return {sid for (sid,) in rows}


def log_a_contact(browser: Any, server: LiveServer) -> str:
    """The owner logs a call to the outlet of the board's first parcel, through the board's
    form as a person would; the demo world has no contact log of its own. Returns the order's
    page."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, server, USERS["owner"])
        page.goto(f"{server.url}/at-risk")
        # The first parcel of the demo users' shared shop: the owner also has a second shop,
        # whose parcel may come first at some hours, and the staff user may not open its order.
        ours = case_shop_shipments(server)
        items = page.locator("tbody.risk-item").filter(has=page.locator("form.contact-form"))
        item = next(
            items.nth(i) for i in range(items.count()) if _shipment_of(items.nth(i)) in ours
        )
        order = str(item.locator("a[href^='/orders/']").first.get_attribute("href"))
        form = item.locator("form.contact-form")
        shipment = _shipment_of(item)
        form.locator("select[name=counterpart_kind]").select_option("outlet")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("load")
    finally:
        context.close()
    logged = _query(
        server, f"select counterpart_kind from communications where shipment_id = {shipment}"
    )
    assert logged == [("outlet",)], logged
    return order


def walk_role(
    browser: Any, server: LiveServer, role: str, names: Names, contacted: str
) -> list[Finding]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    findings: list[Finding] = []
    urls = urls_for(role, server, contacted)
    try:
        log_in(page, server, USERS[role])
        for locale in ("zh_CN", "en"):
            _switch(page, locale)
            for url, ok in urls:
                # the page's scripts are deferred: they have run (countdowns) by this event
                response = page.goto(server.url + url, wait_until="domcontentloaded")
                if response is None or response.status not in ok:
                    findings.append(
                        Finding(url, role, locale, f"status {response and response.status}")
                    )
                    continue
                text = page.evaluate(READ, NOT_READ)
                found = (
                    money_findings(text),
                    status_findings(text),
                    (
                        chinese_findings(text, names.usernames)
                        if locale == "zh_CN"
                        else english_findings(text, names.proper_nouns)
                    ),
                )
                tokens = dict.fromkeys(token for check in found for token in check)
                findings += [Finding(url, role, locale, token) for token in tokens]
        _switch(page, "zh_CN")  # the other tests expect the demo users in Chinese
    finally:
        context.close()
    return findings


def test_every_page_reads_in_plain_chinese_and_plain_english(
    browser: Any, live_server: LiveServer
) -> None:
    contacted = log_a_contact(browser, live_server)
    names = demo_names(live_server)  # after the contact: its summary is a text a person wrote
    findings = [
        f for role in CALLERS for f in walk_role(browser, live_server, role, names, contacted)
    ]
    assert findings == [], "\n" + "\n".join(map(str, findings))


def test_the_checks_catch_what_they_look_for() -> None:
    """The walker's checks on known bad and good texts, so a clean walk means something."""
    users = ["reviewer"]
    assert list(chinese_findings("原因：insufficient_evidence", users)) == [
        "snake_case insufficient_evidence"
    ]
    assert list(chinese_findings("状态\treversed\n", users)) == ["code word reversed"]
    assert list(chinese_findings("金额\nInsufficient evidence\n", users)) == [
        "untranslated Insufficient evidence"
    ]
    assert list(chinese_findings("截止\t3h 20m left\n", users)) == ["untranslated 3h 20m left"]
    assert list(chinese_findings("已过期\nwindow passed unused", users)) == [
        "English window passed unused"
    ]
    good = "快递员 王师傅 · demo-dy-hemu · a@b_c.cn · 王磊 (reviewer) · Webhook 地址"
    assert list(chinese_findings(good, users)) == []
    nouns = ["禾木家居生活馆", "中文"]
    assert list(english_findings("揽\nShop 禾木家居生活馆\n中文 English", nouns)) == []
    assert list(english_findings("Note: 揽收超时 fine", nouns)) == ["Han in Note: 揽收超时 fine"]
    assert list(english_findings("You can: Claim、Withdraw.", nouns)) == [
        "Chinese punctuation in You can: Claim、Withdraw."
    ]
    assert list(chinese_findings("申诉状态为「dismissed」", users)) == ["code word dismissed"]
    assert list(money_findings("赔付\t¥-3.00\t-¥3.00\t¥1,344.80")) == ["money sign ¥-3.00"]
    assert list(money_findings("扣分\t¥0.00")) == ["points as money 扣分\t¥"]
    assert list(money_findings("¥0.10分")) == ["points as money ¥0.10分"]
    assert list(money_findings("扣分\t0.1分\n罚款\t¥10.00")) == []
    assert list(money_findings("0.1 points; returned after approval: ¥13.00, 0.1 points")) == []
