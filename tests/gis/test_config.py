import pytest

from gis.config import Settings
from gis.crs import check_lonlat, utm_epsg
from gis.errors import ConfigError, DataError


def test_defaults_need_no_environment():
    settings = Settings.from_env({})
    assert settings.database_url is None
    assert settings.var_dir.name == "var"
    assert settings.basemap_tiles()[0].startswith("https://tile.openstreetmap.org/")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SIGKEL_PORT": "http"}, "SIGKEL_PORT"),
        ({"SIGKEL_PORT": "70000"}, "SIGKEL_PORT"),
        ({"SIGKEL_DB_NAME": "Robert'); DROP"}, "SIGKEL_DB_NAME"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"SIGKEL_BASEMAP": "google"}, "SIGKEL_BASEMAP"),
    ],
)
def test_bad_settings_name_the_setting(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_basemap_none_and_custom_template():
    assert Settings.from_env({"SIGKEL_BASEMAP": "none"}).basemap_tiles() == (None, None)
    url = "http://tiles.local/{z}/{x}/{y}.png"
    assert Settings.from_env({"SIGKEL_BASEMAP": url}).basemap_tiles()[0] == url


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [(106.87, -6.18, 32748), (98.67, 3.59, 32647), (140.7, -2.5, 32754), (119.4, -5.1, 32750)],
)
def test_utm_zone_of_indonesian_cities(lon, lat, epsg):
    assert utm_epsg(lon, lat) == epsg


def test_swapped_coordinates_are_named():
    check_lonlat(106.87, -6.18)
    with pytest.raises(DataError, match="swapped"):
        check_lonlat(-6.18, 106.87)
    with pytest.raises(DataError, match="outside Indonesia"):
        check_lonlat(2.35, 48.85)
