"""Transport and browser: CSP without inline script, nosniff, referrer policy, no framing,
no CORS, and production settings that pass Django's deployment checklist."""

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db
ROOT = Path(settings.BASE_DIR)


def csp_directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/v1/agencies/", "/api/v1/docs/", "/healthz"])
def test_every_answer_carries_the_browser_protections(client, path):
    response = client.get(path)
    assert response.status_code in {200, 302}, response.status_code
    directives = csp_directives(response)
    assert directives["default-src"] == "default-src 'self'"
    assert directives["script-src"] == "script-src 'self'"
    assert directives["object-src"] == "object-src 'none'"
    assert directives["base-uri"] == "base-uri 'none'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Request-ID"]


def test_cors_is_closed_by_default(client):
    response = client.get("/api/v1/agencies/", HTTP_ORIGIN="https://elsewhere.example")
    assert response.status_code == 200
    assert not any(name.lower().startswith("access-control-") for name in response.headers)
    preflight = client.options(
        "/api/v1/agencies/",
        HTTP_ORIGIN="https://elsewhere.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert "Access-Control-Allow-Origin" not in preflight


def test_the_api_docs_work_without_inline_script(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "the Swagger UI page loads its scripts"
    for attributes, body in scripts:
        assert "src=" in attributes and not body.strip(), f"inline script on /api/v1/docs/: {body[:80]}"
    for source in re.findall(r'<script[^>]*src="([^"]+)"', html):
        assert source.startswith("/"), f"script from elsewhere: {source}"
        answer = client.get(source)
        assert answer.status_code == 200, source
        if "script" in source:
            assert b"/api/v1/schema/" in b"".join(answer.streaming_content if answer.streaming else [answer.content])


def template_files():
    for folder in ("registry", "agencies", "cases", "flags", "web", "privacy", "interchange", "templates"):
        yield from (ROOT / folder).rglob("*.html")


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for template in template_files():
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>", text):
            if "src=" not in match.group(1):
                offenders.append(f"{template.relative_to(ROOT)}: inline <script>")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{template.relative_to(ROOT)}: inline event handler")
        if re.search(r"\sstyle\s*=\s*[\"']", text) or "<style" in text:
            offenders.append(f"{template.relative_to(ROOT)}: inline style")
    assert offenders == []


def production_env(**extra) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "enlace.example.gov",
        "DATABASE_URL": "",
        **extra,
    }


def test_production_settings_pass_the_deployment_checklist():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_harden_transport_and_cookies():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(["
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE,"
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS,"
        "s.ENLACE_REQUIRE_MFA, s.AXES_ENABLED, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds()]))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=production_env(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    values = result.stdout.strip().splitlines()[-1]
    assert values == '[true, 31536000, true, true, true, true, true, "DENY", true, true, 5, 600.0]'


def test_without_a_secret_key_production_refuses_to_start():
    env = production_env()
    env.pop("DJANGO_SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
