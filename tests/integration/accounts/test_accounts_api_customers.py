"""POST/GET /v1/customers: validation, one customer per id number, masking, contact, history."""

import pytest
from accounts_support import START, Clock, bearer, customer_body, make_app, register


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    app.extensions["warden"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def test_registration_answers_201_with_location_and_the_masked_customer(client):
    response = client.post("/v1/customers", json=customer_body(), headers=bearer())
    assert response.status_code == 201
    customer = response.get_json()
    assert customer["id"].startswith("cus_")
    assert response.headers["Location"] == f"/v1/customers/{customer['id']}"
    assert customer["id_number"] == "3401**********1234"
    assert customer["segment"] == "standard"
    assert customer["registered_at"] == "2026-11-02T02:00:00.000000Z"
    assert customer["preferred_language"] == "zh-CN"


@pytest.mark.parametrize(
    ("role", "id_number", "phone", "email"),
    [
        ("system", "340104198001011234", "13800001234", "wang@example.com"),
        ("teller", "3401**********1234", "13800001234", "wang@example.com"),
        ("investigator", "3401**********1234", "13800001234", "wang@example.com"),
        ("supervisor", "3401**********1234", "13800001234", "wang@example.com"),
        ("auditor", "3401**********1234", "13800001234", "wang@example.com"),
    ],
)
def test_the_id_number_is_whole_only_for_system(client, role, id_number, phone, email):
    customer_id = register(client)["id"]
    shown = client.get(f"/v1/customers/{customer_id}", headers=bearer(role)).get_json()
    assert (shown["id_number"], shown["phone"], shown["email"]) == (id_number, phone, email)
    history = client.get(f"/v1/customers/{customer_id}/events", headers=bearer(role)).get_json()
    (registered,) = history["items"]
    assert registered["type"] == "CustomerRegistered"
    assert registered["data"]["id_number"] == id_number


def test_tellers_of_any_branch_see_customers(client):
    customer_id = register(client)["id"]
    other = bearer("teller", "t-9", branch_id="SH-07")
    assert client.get(f"/v1/customers/{customer_id}", headers=other).status_code == 200


def test_segment_is_computed_on_each_requests_business_date(app, client):
    # 22:00 UTC on 1 Nov is 2 Nov in Shanghai: the customer turns 60 there, not in UTC.
    clock = app.extensions["warden"].clock = Clock(START.replace(day=1, hour=15, minute=59))
    customer = register(client, birth_date="1966-11-02", id_number="340104196611021234")
    assert customer["segment"] == "standard"
    clock.now = START.replace(day=1, hour=16, minute=0)
    shown = client.get(f"/v1/customers/{customer['id']}", headers=bearer()).get_json()
    assert shown["segment"] == "elderly"


def test_student_segment_from_occupation(client):
    customer = register(client, occupation="Student", birth_date="2005-03-01")
    assert customer["segment"] == "student"


def test_validation_errors_are_422_with_field_messages(client):
    body = customer_body(id_type="driving_licence", birth_date="yesterday", phone="call me")
    del body["name"]
    response = client.post("/v1/customers", json=body, headers=bearer())
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"name", "id_type", "birth_date", "phone"}


def test_a_malformed_id_number_and_a_future_birth_date_are_422(client):
    response = client.post("/v1/customers", json=customer_body(id_number="12345"), headers=bearer())
    assert response.status_code == 422 and "id_number" in response.get_json()["errors"]
    response = client.post(
        "/v1/customers", json=customer_body(birth_date="2026-11-03"), headers=bearer()
    )
    assert response.status_code == 422 and "birth_date" in response.get_json()["errors"]


def test_an_id_number_is_registered_once(client):
    first = register(client)
    response = client.post("/v1/customers", json=customer_body(name="Other"), headers=bearer())
    assert response.status_code == 409
    assert first["id"] in response.get_json()["detail"]


def test_idempotent_registration_replays_the_first_answer(client):
    headers = {**bearer(), "Idempotency-Key": "reg-1"}
    first = client.post("/v1/customers", json=customer_body(), headers=headers)
    again = client.post("/v1/customers", json=customer_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.data == first.data and again.headers["Idempotent-Replayed"] == "true"
    different = client.post("/v1/customers", json=customer_body(name="X"), headers=headers)
    assert different.status_code == 422


def test_contact_change_is_recorded_and_shown(client):
    customer_id = register(client)["id"]
    body = {"phone": "13900009999", "email": None, "preferred_language": "en"}
    response = client.post(f"/v1/customers/{customer_id}/contact", json=body, headers=bearer())
    assert response.status_code == 200
    shown = response.get_json()
    assert (shown["phone"], shown["email"], shown["preferred_language"]) == (
        "13900009999",
        None,
        "en",
    )
    history = client.get(f"/v1/customers/{customer_id}/events", headers=bearer()).get_json()
    assert [e["type"] for e in history["items"]] == ["CustomerRegistered", "CustomerContactChanged"]
    unknown = client.post("/v1/customers/cus_nope/contact", json=body, headers=bearer())
    assert unknown.status_code == 404


def test_unknown_customers_are_404(client):
    assert client.get("/v1/customers/cus_nope", headers=bearer()).status_code == 404
    assert client.get("/v1/customers/cus_nope/events", headers=bearer()).status_code == 404
