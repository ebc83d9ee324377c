def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_503_when_redis_is_down(app, client):
    from redis import Redis

    working = app.extensions["amparo_redis"] if "amparo_redis" in app.extensions else None
    app.extensions["amparo_redis"] = Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens
    try:
        response = client.get("/healthz")
    finally:
        if working is None:
            app.extensions.pop("amparo_redis")
        else:
            app.extensions["amparo_redis"] = working
    assert response.status_code == 503
    assert response.json["redis"].startswith("error")
    assert response.json["database"] == "ok"


def test_healthz_is_503_when_the_database_is_down(app, client, settings):
    from tenants import db

    db.init_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        response = client.get("/healthz")
    finally:
        db.init_engine(settings["DATABASE_URL"], app_role=settings["DB_APP_ROLE"])
    assert response.status_code == 503
    assert response.json["database"].startswith("error")
    assert response.json["redis"] == "ok"


def test_demo_landlord_can_log_in_and_sees_the_dashboard(app, client):
    from tests.conftest import login
    from web.demo import seed_demo

    with app.app_context():
        from tenants import db

        list(seed_demo("amparo-demo"))
        db.session.commit()
    login(client, "landlord@demo.amparo.test", "amparo-demo")
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/w/demo-landlord/"
    assert "Alquileres Demo" in page.get_data(as_text=True)
