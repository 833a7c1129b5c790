"""Settings of the survey benchmark's server: the app's own, with a URLconf that adds the
baseline endpoint (``bench/survey_urls.py``). Never used by the product.

``manyi serve`` always starts gunicorn with ``DJANGO_SETTINGS_MODULE=manyi.settings``; the
benchmark selects this module for gunicorn's workers by setting
``GUNICORN_CMD_ARGS="--env DJANGO_SETTINGS_MODULE=bench.survey_settings"`` in the server's
environment (gunicorn applies ``--env`` before it loads the application in each worker).
"""

from manyi.settings import *  # noqa: F403

ROOT_URLCONF = "bench.survey_urls"
