"""gunicorn's settings for ``gunicorn web.wsgi:app``, read from the working directory (or pass
``-c gunicorn.conf.py``): the logger that masks tokens in the access and error logs."""

logger_class = "web.access_log.GunicornLogger"
