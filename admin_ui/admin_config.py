"""``django.contrib.admin`` with the operator site as ``admin.site`` (see admin_ui.site).

Listed in INSTALLED_APPS in place of ``django.contrib.admin``; kept out of
``admin_ui.apps`` so that module declares one default config.
"""

from django.contrib.admin import apps


class OperatorAdminConfig(apps.AdminConfig):
    default_site = "admin_ui.site.OperatorAdminSite"
