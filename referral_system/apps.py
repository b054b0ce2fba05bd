from django.contrib.admin.apps import AdminConfig as BaseAdminConfig


class AdminConfig(BaseAdminConfig):
    """Django's admin, on the site that asks staff for their password (referral_system.admin)."""

    default_site = "referral_system.admin.AdminSite"
