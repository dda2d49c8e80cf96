"""Languages: Chinese by default, English when the browser asks (Accept-Language: en).

Two halves: the catalogue is whole (every text a shopper reads goes through gettext or
{% translate %}, and every one has its English), and the site answers in English when
asked, in JSON, on its pages and in its mail."""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from celery_tasks.email.tasks import verify_email_message
from core.ratelimit import describe_wait, wait_message
from tests.helpers import BASE_DIR, PASSWORD, csrf_token, image_code_for, unique_mobile

PO_PATH = BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
# The site's own code: what makemessages reads (core/management/commands/makemessages.py).
PYTHON_DIRS = ["core", "users", "verifications", "contents", "deliveries", "celery_tasks"]
GETTEXT_CALLS = {
    "_",
    "gettext_noop",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
# Chinese that stays Chinese, and why: what only the shop's operators read (the admin's
# models and the SMS records), the language's own name, the sender's display name (a
# setting). Everything else a shopper reads is translated.
OPERATOR_FILES = {
    "core/apps.py",
    "users/apps.py",
    "users/models.py",
    "verifications/apps.py",
    "contents/apps.py",
    "deliveries/apps.py",
    "deliveries/models.py",
    "deliveries/admin.py",
    "users/admin.py",
    "celery_tasks/sms/tasks.py",  # the SMS record's "expired in the queue" note
}
ALLOWED = {
    ("meiduo_mall/settings.py", "简体中文"),
    ("meiduo_mall/settings.py", "美多商城 <noreply@localhost>"),
}


@pytest.fixture(autouse=True)
def _back_to_the_default_language() -> Iterator[None]:
    # A request in English leaves its language active in this thread: the next test
    # must start in the site's default.
    yield
    translation.deactivate()


# --- The catalogue is whole.


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]|\[\[ \w+ \]\]|<[^>]+>", text))


def test_every_message_has_an_english_translation():
    po = catalogue()
    assert len(po) > 150
    missing = [e.msgid for e in po if not e.translated() or e.obsolete]
    assert missing == []
    for entry in po:
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for english in translations:
            assert english.strip(), entry.msgid
            assert not CJK.search(english), (entry.msgid, english)
            # The same %(name)s, Vue [[ ]] and tags as the Chinese, or the text breaks.
            assert placeholders(english) == placeholders(entry.msgid), (entry.msgid, english)


def test_the_catalogue_lists_every_text_marked_for_translation(tmp_path):
    """makemessages on a copy of the site finds no msgid the committed .po lacks, and
    the .po keeps none the code no longer has: the catalogue is current."""
    if not shutil.which("xgettext"):
        pytest.skip("GNU gettext's xgettext is not installed (Debian: gettext)")
    for name in [*PYTHON_DIRS, "meiduo_mall", "templates", "locale"]:
        shutil.copytree(
            BASE_DIR / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(BASE_DIR / "manage.py", tmp_path)
    env = {**os.environ, "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:1/0")}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr

    def keys(po: polib.POFile) -> set[tuple]:
        return {(e.msgctxt, e.msgid, e.msgid_plural) for e in po if not e.obsolete}

    fresh = polib.pofile(str(tmp_path / PO_PATH.relative_to(BASE_DIR)))
    assert keys(fresh) - keys(catalogue()) == set(), "run ./run manage.py makemessages -l en"
    assert keys(catalogue()) - keys(fresh) == set(), "texts no longer in the code"


def python_literals(path: Path) -> Iterator[str]:
    """The string literals with Chinese in a module, but for docstrings and the
    arguments of gettext calls."""
    tree = ast.parse(path.read_text(), str(path))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant):
                skip.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in GETTEXT_CALLS:
                skip.update(id(arg) for arg in node.args)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in skip and CJK.search(node.value):
                yield node.value


def template_leftovers(text: str) -> str:
    """A template less its comments and what {% translate %} / {% blocktranslate %} hold."""
    for pattern in [
        r"\{#.*?#\}",
        r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}",
        r"\{%\s*blocktranslate\b.*?%\}.*?\{%\s*endblocktranslate\s*%\}",
        r"\{%\s*translate\s+(\"[^\"]*\"|'[^']*').*?%\}",
    ]:
        text = re.sub(pattern, "", text, flags=re.S)
    return text


JS_TOKENS = re.compile(
    r"(\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|//[^\n]*|/\*.*?\*/", re.S
)


def js_code(text: str) -> str:
    """A script less its comments: its strings and code only."""
    return JS_TOKENS.sub(lambda m: m.group(1) or "", text)


def test_no_chinese_text_is_left_outside_the_translation_machinery():
    found = []
    for directory in [*PYTHON_DIRS, "meiduo_mall"]:
        for path in sorted((BASE_DIR / directory).rglob("*.py")):
            relative = path.relative_to(BASE_DIR).as_posix()
            if "/migrations/" in relative or relative in OPERATOR_FILES:
                continue
            found += [
                (relative, text)
                for text in python_literals(path)
                if (relative, text) not in ALLOWED
            ]
    for path in sorted((BASE_DIR / "templates").rglob("*.html")):
        for line in template_leftovers(path.read_text()).splitlines():
            if CJK.search(line):
                found.append((path.relative_to(BASE_DIR).as_posix(), line.strip()))
    # The scripts say nothing of their own: their texts come from the server.
    for path in sorted((BASE_DIR / "static" / "js").rglob("*.js")):
        for line in js_code(path.read_text()).splitlines():
            if CJK.search(line):
                found.append((path.relative_to(BASE_DIR).as_posix(), line.strip()))
    assert found == []


def test_the_scan_would_see_a_text_left_out(tmp_path):
    """The scans above catch what they are for (and skip docstrings and comments)."""
    module = tmp_path / "m.py"
    module.write_text('"""文档。"""\nfrom x import _\nA = _("好")\nB = "坏"\n')
    assert list(python_literals(module)) == ["坏"]
    assert CJK.search(template_leftovers('{# 注 #}{% translate "好" %}<p>坏</p>'))
    assert not CJK.search(template_leftovers("{% blocktranslate %}好{% endblocktranslate %}"))
    assert CJK.search(js_code('// 注\nconst a = "坏"; /* 注 */'))
    assert not CJK.search(js_code("// 注\nconst a = 1; /* 注 */"))


# --- Waits, in either language.


@pytest.mark.parametrize(
    ("seconds", "chinese", "english"),
    [
        (1, "1秒", "1 second"),
        (45, "45秒", "45 seconds"),
        (300, "5分钟", "5 minutes"),
        (3600, "1小时", "1 hour"),
        (7200, "2小时", "2 hours"),
    ],
)
def test_a_wait_reads_naturally_in_both_languages(seconds, chinese, english):
    assert describe_wait(seconds) == chinese
    with translation.override("en"):
        assert describe_wait(seconds) == english


def test_a_refusal_with_a_wait_in_english():
    with translation.override("en"):
        message = wait_message(translation.gettext("登录失败次数过多"), 300)
    assert message == "Too many failed logins, try again in 5 minutes"
    assert wait_message("登录失败次数过多", 300) == "登录失败次数过多，请5分钟后再试"


# --- The site in English when asked.

EN = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
JSON = {"HTTP_ACCEPT": "application/json"}


def post_json(client: Client, url: str, data: dict, **headers: str):
    return client.post(
        url,
        json.dumps(data),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_token(client),
        **headers,
    )


@pytest.fixture
def account(db):
    name = f"lang_{uuid.uuid4().hex[:8]}"
    return get_user_model().objects.create_user(
        username=name, password=PASSWORD, mobile=unique_mobile()
    )


def wrong_captcha(client: Client, redis_conn, **headers: str):
    image_code_id, answer = image_code_for(client, redis_conn)
    wrong = "0000" if answer.lower() != "0000" else "1111"
    params = {"image_code": wrong, "image_code_id": image_code_id}
    return client.get(f"/sms_codes/{unique_mobile()}/", params, **JSON, **headers)


@pytest.mark.django_db
def test_a_wrong_captcha_in_english_and_by_default_in_chinese(client, redis_conn):
    english = wrong_captcha(client, redis_conn, **EN)
    chinese = wrong_captcha(client, redis_conn)

    assert english.status_code == chinese.status_code == 400
    assert english.json() == {"code": 4001, "message": "Wrong image code", "field": "image_code"}
    assert chinese.json()["message"] == "图形验证码输入错误"
    assert english["Content-Language"] == "en" and chinese["Content-Language"] == "zh-hans"
    assert "Accept-Language" in english["Vary"]


@pytest.mark.parametrize(
    ("accept_language", "message"),
    [
        ("zh-CN,zh;q=0.9", "图形验证码输入错误"),
        ("zh-TW", "图形验证码输入错误"),
        ("fr-FR,fr;q=0.9", "图形验证码输入错误"),  # not offered: the default
        ("fr-FR,en;q=0.5", "Wrong image code"),
    ],
)
@pytest.mark.django_db
def test_the_language_follows_the_browser_preferences(client, redis_conn, accept_language, message):
    response = wrong_captcha(client, redis_conn, HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.json()["message"] == message


def test_a_wrong_password_in_english(client, account):
    data = {"username": account.username, "password": "not-the-password"}

    english = post_json(client, "/login/", data, **EN)
    chinese = post_json(client, "/login/", data)

    assert english.status_code == 400
    assert english.json() == {"code": 4010, "message": "Wrong username or password"}
    assert chinese.json()["message"] == "用户名或密码错误"


def test_registration_refusals_in_english(client, account):
    base = {"password": "meiduo2026pass", "password2": "meiduo2026pass", "sms_code": "123456"}
    cases = [
        ({"username": "ab", "mobile": unique_mobile(), "allow": True}, "username"),
        ({"username": account.username, "mobile": unique_mobile(), "allow": True}, "username"),
        ({"username": "new_shopper", "mobile": "12345", "allow": True}, "mobile"),
        ({"username": "new_shopper", "mobile": unique_mobile()}, "allow"),
    ]
    messages = []
    for fields, field in cases:
        response = post_json(client, "/register/", {**base, **fields}, **EN)
        assert response.status_code == 400 and response.json()["field"] == field
        messages.append(response.json()["message"])

    assert messages == [
        "Enter a username of 5-20 characters (letters, digits, _ or -)",
        "This username is taken",
        "Enter a valid mobile number",
        "Please agree to the Terms of Use",
    ]
    # Django's own password rules speak English too (its own catalogue).
    weak = {**base, "password": "73916284", "password2": "73916284"}
    fields = {"username": "new_shopper", "mobile": unique_mobile(), "allow": True}
    response = post_json(client, "/register/", {**weak, **fields}, **EN)
    assert "This password is entirely numeric." in response.json()["message"]


def test_not_logged_in_is_401_in_english(client):
    english = client.get("/info/", **JSON, **EN)
    chinese = client.get("/info/", **JSON)

    assert english.status_code == 401
    assert english.json() == {"code": 4101, "message": "You are not logged in"}
    assert chinese.json()["message"] == "用户未登录"


def test_a_rate_limit_says_the_wait_in_english(client, account, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_failed": "1/5m/account"}
    data = {"username": account.username, "password": "not-the-password"}
    post_json(client, "/login/", data)

    english = post_json(client, "/login/", data, **EN)
    chinese = post_json(client, "/login/", data)

    assert english.status_code == 429 and english["Retry-After"] == "300"
    assert english.json() == {
        "code": 4002,
        "message": "Too many failed logins, try again in 5 minutes",
        "retry_after": 300,
    }
    assert chinese.json()["message"] == "登录失败次数过多，请5分钟后再试"


@pytest.mark.django_db
def test_a_refusal_before_the_language_is_chosen_still_follows_the_request(client):
    """A body too large is refused by a middleware before LocaleMiddleware: it takes
    the request's language, not the one the thread's previous request left active."""
    too_large = json.dumps({"username": "a" * (3 * 1024 * 1024), "password": "x"})

    def post(**headers: str):
        return client.post(
            "/login/",
            too_large,
            content_type="application/json",
            HTTP_X_CSRFTOKEN=csrf_token(client),
            **headers,
        )

    assert post(**EN).json()["message"] == "The request is too large"
    assert post().json()["message"] == "请求数据过大"
    assert post(**EN).json()["message"] == "The request is too large"


def page_rules(html: str) -> dict:
    found = re.search(r'<script id="page-rules" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "english", "chinese"),
    [
        (
            "/login/",
            ["Log in - Meiduo Mall", "Username or mobile", "Remember me"],
            "用户名或手机号",
        ),
        ("/register/", ["Sign up - Meiduo Mall", "Confirm password", "Get SMS code"], "确认密码"),
        ("/password/reset/", ["Reset password - Meiduo Mall", "New password"], "新密码"),
        ("/", ["Welcome to Meiduo Mall", "Sign up free"], "免费注册"),
    ],
)
def test_the_pages_in_english_and_by_default_in_chinese(client, url, english, chinese):
    page = client.get(url, **EN).content.decode()
    default = client.get(url).content.decode()

    assert '<html lang="en">' in page and '<html lang="zh-CN">' in default
    for text in english:
        assert text in page
    assert chinese in default and chinese not in page
    assert not CJK.search(re.sub(r"<script.*?</script>", "", page, flags=re.S))


@pytest.mark.django_db
def test_the_rules_and_texts_a_page_sends_its_scripts_are_in_its_language(client):
    rules = page_rules(client.get("/register/", **EN).content.decode())

    assert rules["username"]["required"] == "Enter a username"
    assert rules["mobile"]["patterns"][0]["message"] == "Enter a valid mobile number"
    assert rules["messages"]["password_mismatch"] == "The two passwords do not match"
    assert rules["texts"]["smsButton"] == "Get SMS code"
    assert rules["texts"]["smsWait"] == "%(seconds)s s"
    default = page_rules(client.get("/register/").content.decode())
    assert default["texts"]["smsButton"] == "获取短信验证码"


def test_the_user_center_in_english(client, account):
    client.force_login(account)

    page = client.get("/info/", **EN).content.decode()

    for text in ["My account - Meiduo Mall", "Change password", "Change mobile", "Delete account"]:
        assert text in page
    assert "Delete the account “[[ username ]]”?" in page
    assert page_rules(page)["texts"]["emailInactive"] == "not verified"
    assert not CJK.search(re.sub(r"<script.*?</script>", "", page, flags=re.S))


def test_the_verification_mail_in_english_and_by_default_in_chinese(settings):
    settings.EMAIL_VERIFY_EXPIRES = 24 * 3600
    link = "https://shop.example.com/emails/verification/?token=t"

    english = verify_email_message("a@example.com", link, "en")
    chinese = verify_email_message("a@example.com", link)

    assert english.subject == "Verify your e-mail address at Meiduo Mall"
    assert "valid for 24 hours" in english.body and link in english.body
    assert not CJK.search(english.body) and not CJK.search(english.alternatives[0][0])
    assert chinese.subject == "美多商城邮箱验证"
    assert "请点击以下链接验证您的邮箱（24小时内有效）：" in chinese.body
