"""daphne serves the admin's static files itself (WhiteNoise), so the image needs no web server."""

from __future__ import annotations

from django.test import Client


def test_admin_stylesheet_is_served_with_a_content_type():
    # when a browser fetches the admin's stylesheet from the app
    response = Client().get("/static/admin/css/base.css")
    # then the app serves it
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
