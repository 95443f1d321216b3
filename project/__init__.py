"""Lambridge's Django project: settings, URLs, WSGI and the MySQL backend tweaks."""
