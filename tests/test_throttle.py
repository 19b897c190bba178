"""Throttles: password guessing per account and per address, sign-up floods and "Fetch now" per person, each
answered with 429, Retry-After and a readable page; counted in memory, or in Redis when REDIS_URL is set."""

from __future__ import annotations

import pytest
from redis import Redis
from redis.exceptions import RedisError

from tests.factories import make_package, make_user
from tests.helpers import PASSWORD, csrf_token_for, require_or_skip
from webapp import throttle
from webapp.extensions import limiter

REDIS_URL = "redis://127.0.0.1:6379/14"
WRONG = "not the password"


@pytest.fixture
def limits(app, monkeypatch):
    """Low limits and empty counters; ``limits(NAME="3 per hour")`` changes one."""
    for key in ("LOGIN_RATE_LIMIT_ACCOUNT", "LOGIN_RATE_LIMIT_ADDRESS", "SIGNUP_RATE_LIMIT", "FETCH_NOW_RATE_LIMIT"):
        monkeypatch.setitem(app.config, key, "1000 per hour")
    monkeypatch.setitem(app.config, "FETCH_RETRIES", 0)
    monkeypatch.setitem(app.config, "FETCH_BACKOFF", 0.0)
    limiter.reset()

    def set_limits(**values):
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)

    yield set_limits
    limiter.reset()


def attempt(client, username: str, password: str, address: str):
    """One sign-in attempt from ``address`` (the client's CSRF token is fetched from there too)."""
    token = csrf_token_for(client, "/accounts/login/")
    return client.post("/accounts/login/", data={"csrf_token": token, "username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def assert_throttled(response, words: str, window: int = 15 * 60) -> None:
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= window + 1
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert words in page and "Try again in" in page and "Too many requests</h1>" in page


def test_wrong_passwords_for_one_account_from_many_addresses_are_throttled(client, limits, auth):
    limits(LOGIN_RATE_LIMIT_ACCOUNT="5 per 15 minutes")
    make_user("pat", password=PASSWORD)
    make_user("sam", password=PASSWORD)
    for number in range(5):
        assert attempt(client, "pat", WRONG, f"10.0.0.{number}").status_code == 422

    # The next attempt, from yet another address, in another case: refused, even with the right password.
    assert_throttled(attempt(client, "PAT", WRONG, "10.0.1.1"), "Too many failed sign-ins for this account")
    assert_throttled(attempt(client, "pat", PASSWORD, "10.0.1.2"), "Too many failed sign-ins for this account")
    assert auth.username() is None

    # Other accounts are not affected, from the same addresses.
    assert attempt(client, "sam", PASSWORD, "10.0.0.1").status_code == 302
    assert auth.username() == "sam"


def test_failed_sign_ins_from_one_address_are_throttled_across_accounts(client, limits, auth):
    limits(LOGIN_RATE_LIMIT_ADDRESS="5 per 15 minutes")
    make_user("pat", password=PASSWORD)
    for number in range(5):
        assert attempt(client, f"someone{number}", WRONG, "192.0.2.7").status_code == 422

    assert_throttled(attempt(client, "pat", PASSWORD, "192.0.2.7"), "Too many failed sign-ins from your address")
    assert auth.username() is None
    assert attempt(client, "pat", PASSWORD, "192.0.2.8").status_code == 302  # another address is fine


def test_successful_sign_ins_are_not_counted(client, limits, auth):
    limits(LOGIN_RATE_LIMIT_ACCOUNT="2 per 15 minutes", LOGIN_RATE_LIMIT_ADDRESS="2 per 15 minutes")
    make_user("pat", password=PASSWORD)
    for _ in range(4):
        assert attempt(client, "pat", PASSWORD, "10.0.0.1").status_code == 302
        auth.logout()
    assert client.get("/accounts/login/").status_code == 200  # showing the form is never throttled


def test_sign_ups_are_throttled_per_address(app, limits, auth):
    limits(SIGNUP_RATE_LIMIT="2 per hour")

    def sign_up(name: str, address: str):
        client = app.test_client()
        token = csrf_token_for(client, "/accounts/signup/")
        return client.post("/accounts/signup/", environ_base={"REMOTE_ADDR": address}, data={
            "csrf_token": token, "username": name, "email": f"{name}@example.org", "password": PASSWORD,
            "confirm": PASSWORD})

    assert sign_up("first", "198.51.100.1").status_code == 302
    assert sign_up("second", "198.51.100.1").status_code == 302
    assert_throttled(sign_up("third", "198.51.100.1"), "Too many sign-ups from your address", 3600)
    assert auth(app.test_client()).username() is None
    assert sign_up("third", "198.51.100.2").status_code == 302


def test_fetch_now_is_throttled_per_person(app, client, limits):
    limits(FETCH_NOW_RATE_LIMIT="2 per hour")
    make_package("widget")
    make_user("pat", password=PASSWORD)
    make_user("sam", password=PASSWORD)

    def fetch(person):
        person_client = app.test_client()
        assert attempt(person_client, person, PASSWORD, "10.0.0.9").status_code == 302
        token = csrf_token_for(person_client, "/packages/p/widget/")
        return lambda: person_client.post("/packages/widget/fetch/", data={"csrf_token": token},
                                          environ_base={"REMOTE_ADDR": "10.0.0.9"})

    pat_fetch, sam_fetch = fetch("pat"), fetch("sam")
    assert pat_fetch().status_code == 302
    assert pat_fetch().status_code == 302
    assert_throttled(pat_fetch(), "You asked for many fetches in a short time", 3600)
    assert sam_fetch().status_code == 302  # same address, another person


def test_a_throttled_htmx_or_api_client_gets_the_429_in_its_format(client, limits):
    limits(LOGIN_RATE_LIMIT_ACCOUNT="1 per 15 minutes")
    attempt(client, "pat", WRONG, "10.0.0.1")
    token = csrf_token_for(client, "/accounts/login/")
    response = client.post("/accounts/login/", data={"csrf_token": token, "username": "pat", "password": WRONG},
                           headers={"HX-Request": "true"})
    assert response.status_code == 429 and response.headers["Retry-After"]
    assert response.get_data(as_text=True).startswith('<p class="inline-error" role="alert">Too many')


def redis_is_up() -> bool:
    try:
        return bool(Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except RedisError:
        return False


@pytest.fixture
def redis_counting(app, monkeypatch, limits):
    """The throttles counting in Redis database 14, as with REDIS_URL set; back to memory afterwards."""
    require_or_skip(redis_is_up(), "Redis is not answering on 127.0.0.1:6379", "REQUIRE_REDIS")
    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    throttle.configure_storage(app)
    yield connection
    app.config["REDIS_URL"] = ""
    throttle.configure_storage(app)
    connection.flushdb()
    connection.close()


@pytest.mark.redis
def test_throttles_count_in_redis_when_redis_url_is_set(client, limits, redis_counting):
    limits(LOGIN_RATE_LIMIT_ACCOUNT="3 per 15 minutes")
    make_user("pat", password=PASSWORD)
    for number in range(3):
        assert attempt(client, "pat", WRONG, f"10.0.0.{number}").status_code == 422

    keys = [key.decode() for key in redis_counting.keys("*")]
    assert any(key.startswith("LIMITS:") and throttle.KEY_PREFIX in key and "account:pat" in key for key in keys), keys
    assert_throttled(attempt(client, "pat", PASSWORD, "10.0.0.9"), "Too many failed sign-ins for this account")

    # The count lives in Redis (shared by every worker), not in this process: emptying Redis lifts the throttle.
    redis_counting.flushdb()
    assert attempt(client, "pat", PASSWORD, "10.0.0.9").status_code == 302
