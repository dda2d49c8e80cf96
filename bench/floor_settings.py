"""The site's settings with one more URL (bench/floor_urls.py): for `./bench/run floor`
only, never for the site itself."""

from meiduo_mall.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
