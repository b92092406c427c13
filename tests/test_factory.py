from gis.config import Settings
from webmap import create_app


def test_config_defaults_and_testing_flag(settings):
    assert not create_app({"SIGKEL_SETTINGS": settings, "SECRET_KEY": "x"}).testing
    assert create_app({"TESTING": True, "SIGKEL_SETTINGS": settings}).testing


def test_factory_touches_no_database(tmp_path):
    # A factory that connected at build time would fail on this unreachable URL.
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/nothing", var_dir=tmp_path)
    app = create_app({"SIGKEL_SETTINGS": settings})
    assert app.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert create_app({"SIGKEL_SETTINGS": settings}).config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_unreachable_database_answers_503_with_retry_after(tmp_path):
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/nothing", var_dir=tmp_path)
    client = create_app({"SIGKEL_SETTINGS": settings}).test_client()
    response = client.get("/api/layers/rw.geojson")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    body = response.get_json()
    assert body["error"] == "database-unavailable"
    assert "Traceback" not in response.get_data(as_text=True)
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 503
    assert "tidak tersedia" in page.get_data(as_text=True)
